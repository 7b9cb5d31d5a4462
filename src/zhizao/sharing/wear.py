"""Equipment wear as consumed damage ΔD_k per component (ΔD = 1: one whole component life). Pure: no I/O.

- Spindle bearings, ISO 281 basic-life form (Palmgren–Miner sum over constant-condition segments)::

      ΔD = Σ Δt_h · (n / n_ref) · (P / P_ref)^p / L10h_ref        p = 3 ball bearings, 10/3 roller bearings

  Δt_h hours, n speed in rpm, P the equivalent load in the unit of P_ref (kN or % spindle load), L10h_ref the rated
  life in hours at n_ref and P_ref. Twice the load for the same time wears a ball bearing 2³ = 8 times as much.
- Thermal cycles, Coffin–Manson: cycles to failure N_f ∝ ΔT^(−c), so each cycle of range ΔT_i consumes
  ΔD = (ΔT_i / ΔT_ref)^c / N_ref; cycles below ``min_delta_t_k`` are ignored (elastic range). Cycles are counted
  upstream (e.g. rainflow) and arrive as (time, range).
- Tools: ΔD = life used / rated life, from the controller's tool-life counter (minutes or parts); a counter that
  drops was reset by a tool change, and the new reading counts from zero.

Only wear inside ``within`` (the billable meter intervals) is counted, so wear and time name the same intervals.
Damage is computed in floating point and quantised to 1e-9 (ROUND_HALF_UP) before it enters a meter record; from
there on everything is Decimal, so an invoice recomputed from the log matches to the fen.

A machine lacking any signal its wear components need is billed by time only: the result says ``TIME_ONLY`` with the
reason, never a silent zero wear charge. Partial wear metering is refused for the same reason — a missing component
would be an unannounced discount.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from zhizao.errors import FieldProblem, InputError, plain_message
from zhizao.sharing.metering import Interval, duration_us, intersect, union

__all__ = [
    "DAMAGE_QUANTUM",
    "BearingKind",
    "ComponentSpec",
    "ComponentWear",
    "SpindleSegment",
    "SpindleSpec",
    "ThermalCycle",
    "ThermalSpec",
    "ToolCounterReading",
    "ToolSpec",
    "WearResult",
    "WearSignals",
    "WearStatus",
    "assess_wear",
    "parse_specs",
    "spindle_damage",
    "thermal_damage",
    "tool_damage",
]

DAMAGE_QUANTUM = Decimal("1e-9")
_US_PER_HOUR = 3_600_000_000
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class BearingKind(StrEnum):
    BALL = "ball"
    ROLLER = "roller"

    @property
    def life_exponent(self) -> float:
        return 3.0 if self is BearingKind.BALL else 10.0 / 3.0


class _Spec(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    component_id: Annotated[str, Field(min_length=1, max_length=64)]


class SpindleSpec(_Spec):
    kind: Literal["spindle"] = "spindle"
    bearing: BearingKind
    speed_ref_rpm: Positive
    load_ref: Positive
    l10h_ref: Positive
    # Below this share of billable time covered by speed/load data the wear figure would be guessed: time only.
    min_coverage: Annotated[float, Field(gt=0, le=1)] = 0.95


class ThermalSpec(_Spec):
    kind: Literal["thermal"] = "thermal"
    delta_t_ref_k: Positive
    cycles_ref: Positive
    exponent: Positive = 2.0
    min_delta_t_k: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0


class ToolSpec(_Spec):
    kind: Literal["tool"] = "tool"
    rated_life: Positive
    unit: Literal["min", "parts"] = "min"


ComponentSpec = Annotated[SpindleSpec | ThermalSpec | ToolSpec, Field(discriminator="kind")]
_SPECS: TypeAdapter[list[SpindleSpec | ThermalSpec | ToolSpec]] = TypeAdapter(list[ComponentSpec])


def parse_specs(data: object, field: str = "body.wear_components") -> list[SpindleSpec | ThermalSpec | ToolSpec]:
    """Wear component specs from JSON-shaped data (a listing's ``wear_components``), or InputError naming each bad
    field (``body.wear_components[0].l10h_ref``)."""
    try:
        specs = _SPECS.validate_json(json.dumps(data))
    except ValidationError as error:
        problems = [
            FieldProblem(
                field + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in item["loc"]),
                plain_message(item["msg"]),
            )
            for item in error.errors()
        ]
        raise InputError("the wear components are not valid", fields=problems) from None
    ids = [spec.component_id for spec in specs]
    if len(set(ids)) != len(ids):
        raise InputError.for_field(field, "two wear components share one component_id")
    return specs


class SpindleSegment(NamedTuple):
    """Constant speed and load over ``[start_us, end_us)``."""

    start_us: int
    end_us: int
    speed_rpm: float
    load: float


class ThermalCycle(NamedTuple):
    at_us: int  # when the cycle closed
    delta_t_k: float


class ToolCounterReading(NamedTuple):
    at_us: int
    used: float  # tool-life counter: minutes or parts used since the tool was fitted


@dataclass(frozen=True, slots=True)
class WearSignals:
    """The signals wear metering reads; ``None`` means the machine does not provide that signal."""

    spindle: Sequence[SpindleSegment] | None = None
    thermal: Sequence[ThermalCycle] | None = None
    tools: Mapping[str, Sequence[ToolCounterReading]] | None = None


class WearStatus(StrEnum):
    METERED = "metered"
    TIME_ONLY = "time_only"


@dataclass(frozen=True, slots=True)
class ComponentWear:
    component_id: str
    kind: str
    damage: Decimal  # ΔD, quantised to DAMAGE_QUANTUM


@dataclass(frozen=True, slots=True)
class WearResult:
    status: WearStatus
    components: tuple[ComponentWear, ...]
    reason: str | None = None


def _quantised(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(DAMAGE_QUANTUM, rounding=ROUND_HALF_UP)


def _finite(value: float, field: str, *, minimum: float = 0.0) -> float:
    if not math.isfinite(value) or value < minimum:
        raise InputError.for_field(field, f"{value!r} is not a finite number ≥ {minimum}")
    return value


def _in(at_us: int, windows: Sequence[Interval]) -> bool:
    return any(w.start_us <= at_us < w.end_us for w in windows)


def spindle_damage(spec: SpindleSpec, segments: Sequence[SpindleSegment], within: Sequence[tuple[int, int]]) -> float:
    """Σ Δt_h·(n/n_ref)·(P/P_ref)^p / L10h_ref over the parts of ``segments`` inside ``within``."""
    windows = union(within)
    total = 0.0
    p = spec.bearing.life_exponent
    for index, segment in enumerate(segments):
        speed = _finite(segment.speed_rpm, f"spindle[{index}].speed_rpm")
        load = _finite(segment.load, f"spindle[{index}].load")
        inside_us = duration_us(intersect([(segment.start_us, segment.end_us)], windows))
        hours = inside_us / _US_PER_HOUR
        total += hours * (speed / spec.speed_ref_rpm) * (load / spec.load_ref) ** p / spec.l10h_ref
    return total


def thermal_damage(spec: ThermalSpec, cycles: Sequence[ThermalCycle], within: Sequence[tuple[int, int]]) -> float:
    """Σ (ΔT_i/ΔT_ref)^c / N_ref over cycles that closed inside ``within`` with ΔT_i ≥ ``min_delta_t_k``."""
    windows = union(within)
    total = 0.0
    for index, cycle in enumerate(cycles):
        delta = _finite(cycle.delta_t_k, f"thermal[{index}].delta_t_k")
        if delta >= spec.min_delta_t_k and delta > 0 and _in(cycle.at_us, windows):
            total += (delta / spec.delta_t_ref_k) ** spec.exponent / spec.cycles_ref
    return total


def tool_damage(spec: ToolSpec, readings: Sequence[ToolCounterReading], within: Sequence[tuple[int, int]]) -> float:
    """Life used between consecutive counter readings, attributed to the later reading, over the rated life."""
    windows = union(within)
    ordered = sorted(readings, key=lambda r: r.at_us)
    used = 0.0
    for index, (before, after) in enumerate(itertools.pairwise(ordered)):
        later = _finite(after.used, f"tools.{spec.component_id}[{index + 1}].used")
        step = later - before.used if later >= before.used else later  # a drop is a tool change: count from zero
        if _in(after.at_us, windows):
            used += step
    return used / spec.rated_life


def _coverage(segments: Sequence[SpindleSegment], windows: Sequence[Interval]) -> float:
    total = duration_us(windows)
    covered = duration_us(intersect(((s.start_us, s.end_us) for s in segments), windows))
    return 1.0 if total == 0 else covered / total


def _missing(
    specs: Sequence[SpindleSpec | ThermalSpec | ToolSpec], signals: WearSignals, windows: list[Interval]
) -> list[str]:
    missing: list[str] = []
    for spec in specs:
        if isinstance(spec, SpindleSpec):
            if signals.spindle is None:
                missing.append(f"{spec.component_id}: no spindle speed/load signals")
            elif (share := _coverage(signals.spindle, windows)) < spec.min_coverage:
                missing.append(
                    f"{spec.component_id}: speed/load data cover {share:.0%} of billable time "
                    f"(at least {spec.min_coverage:.0%} needed)"
                )
        elif isinstance(spec, ThermalSpec):
            if signals.thermal is None:
                missing.append(f"{spec.component_id}: no thermal-cycle signal")
        elif signals.tools is None or spec.component_id not in signals.tools:
            missing.append(f"{spec.component_id}: no tool-life counter")
    return missing


def assess_wear(
    specs: Sequence[SpindleSpec | ThermalSpec | ToolSpec],
    signals: WearSignals,
    within: Sequence[tuple[int, int]],
) -> WearResult:
    """ΔD for every component over the billable intervals ``within``, or ``TIME_ONLY`` with the reason why not."""
    ids = [spec.component_id for spec in specs]
    if len(set(ids)) != len(ids):
        raise InputError.for_field("specs", "two wear components share one component_id")
    if not specs:
        return WearResult(WearStatus.TIME_ONLY, (), "no wear components are configured for this machine")
    windows = union(within)
    missing = _missing(specs, signals, windows)
    if missing:
        return WearResult(WearStatus.TIME_ONLY, (), "; ".join(missing))
    wear: list[ComponentWear] = []
    for spec in specs:
        if isinstance(spec, SpindleSpec):
            damage = spindle_damage(spec, signals.spindle or (), windows)
        elif isinstance(spec, ThermalSpec):
            damage = thermal_damage(spec, signals.thermal or (), windows)
        else:
            damage = tool_damage(spec, (signals.tools or {})[spec.component_id], windows)
        wear.append(ComponentWear(spec.component_id, spec.kind, _quantised(damage)))
    return WearResult(WearStatus.METERED, tuple(wear))

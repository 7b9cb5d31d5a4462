"""Where production data comes from: an equipment's state, program, counter and energy signals in telemetry.

Production reads telemetry only through the store's query interface (raw samples, roll-up buckets), never its
tables. A signal is found by its name on any device bound to the equipment (``telemetry.machinery`` names them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.telemetry.machinery import (
    ENERGY_COUNTER,
    GOOD_COUNTER,
    MODE_SIGNAL,
    PROGRAM_SIGNAL,
    REWORK_COUNTER,
    SCRAP_COUNTER,
    STATE_SIGNAL,
)
from zhizao.telemetry.models import Signal
from zhizao.telemetry.store.base import Aggregate, TelemetryStore

HOUR_US = 3_600_000_000
MINUTE_US = 60_000_000
_NAMES = (STATE_SIGNAL, MODE_SIGNAL, PROGRAM_SIGNAL, GOOD_COUNTER, SCRAP_COUNTER, REWORK_COUNTER, ENERGY_COUNTER)


@dataclass(frozen=True, slots=True)
class ProductionSignals:
    """Signal ids of one piece of equipment (None where it has no such signal)."""

    state: int | None = None
    mode: int | None = None
    program: int | None = None
    good: int | None = None
    scrap: int | None = None
    rework: int | None = None
    energy: int | None = None

    @property
    def tracked(self) -> tuple[int, ...]:
        """Signals whose late data changes the ledger or the counts (energy only feeds daily output)."""
        ids = (self.state, self.mode, self.program, self.good, self.scrap, self.rework)
        return tuple(signal_id for signal_id in ids if signal_id is not None)


_FIELD_OF = {
    STATE_SIGNAL: "state",
    MODE_SIGNAL: "mode",
    PROGRAM_SIGNAL: "program",
    GOOD_COUNTER: "good",
    SCRAP_COUNTER: "scrap",
    REWORK_COUNTER: "rework",
    ENERGY_COUNTER: "energy",
}


def production_signals(session: Session, equipment_ids: Iterable[int]) -> dict[int, ProductionSignals]:
    """Per equipment id, its production signals (the lowest id wins when two devices carry the same name)."""
    ids = list(equipment_ids)
    found: dict[int, dict[str, int]] = defaultdict(dict)
    rows = session.execute(
        select(Signal.equipment_id, Signal.name, Signal.id)
        .where(Signal.equipment_id.in_(ids), Signal.name.in_(_NAMES))
        .order_by(Signal.id)
    )
    for equipment_id, name, signal_id in rows:
        assert equipment_id is not None
        found[equipment_id].setdefault(_FIELD_OF[name], signal_id)
    return {equipment_id: ProductionSignals(**found.get(equipment_id, {})) for equipment_id in ids}


def hourly_sample_counts(
    store: TelemetryStore, signal_ids: Sequence[int], start_us: int, end_us: int
) -> dict[int, int]:
    """Samples per hour (start µs → count) over all ``signal_ids``: a fingerprint that changes when late data lands."""
    if not signal_ids:
        return {}
    counts: dict[int, int] = defaultdict(int)
    buckets = store.downsample(signal_ids, _floor(start_us, HOUR_US), _ceil(end_us, HOUR_US), HOUR_US, Aggregate.COUNT)
    for series in buckets.values():
        for bucket in series:
            counts[bucket.bucket_us] += int(bucket.value)
    return dict(counts)


def counter_increments(
    store: TelemetryStore, signal_id: int | None, start_us: int, end_us: int, *, step_us: int = MINUTE_US
) -> list[tuple[int, float]]:
    """(bucket start µs, increment) of a cumulative counter per ``step_us`` in [start_us, end_us).

    The increment of a bucket is its last reading minus the last reading before it. A reading lower than the one
    before is a counter reset (a replaced controller, a cleared PLC register): the increment is the new reading,
    counted from zero, never a negative quantity.
    """
    if signal_id is None:
        return []
    # One bucket of look-back gives the reading the first bucket's increment starts from.
    # Aligned to whole minutes, the query is answered from the minute roll-ups.
    low, high = _floor(start_us, step_us) - step_us, _ceil(end_us, step_us)
    series = store.downsample([signal_id], low, high, step_us, Aggregate.LAST).get(signal_id, [])
    increments: list[tuple[int, float]] = []
    previous: float | None = None
    for bucket in series:
        if previous is not None and start_us <= bucket.bucket_us < end_us:
            delta = bucket.value - previous if bucket.value >= previous else bucket.value
            if delta:
                increments.append((bucket.bucket_us, delta))
        previous = bucket.value
    return increments


def first_sample_us(store: TelemetryStore, signal_ids: Sequence[int], before_us: int) -> int | None:
    """The earliest hour with samples of any of ``signal_ids`` in the roll-ups, None when there is none."""
    if not signal_ids:
        return None
    buckets = store.downsample(signal_ids, 0, _ceil(before_us, HOUR_US), 24 * HOUR_US, Aggregate.COUNT)
    starts = [series[0].bucket_us for series in buckets.values() if series]
    return min(starts) if starts else None


def latest_by_signal(store: TelemetryStore, signal_ids: Sequence[int]) -> Mapping[int, float]:
    return {signal_id: point.value for signal_id, point in store.latest(signal_ids).items()}


def _floor(value: int, width: int) -> int:
    return value - value % width


def _ceil(value: int, width: int) -> int:
    return -(-value // width) * width

"""MTTR, MTBF and availability from repair intervals and operating time, and the match of a work order's repair
to the state ledger. Pure: no I/O; times are integer microseconds (UTC), like the ledger.

Definitions (IEC 60050-192 / ISO 14224 usage):

- a *failure* is one outage: repairs of one equipment (of one failure mode, when grouped so) whose intervals
  overlap or touch are one outage, so two work orders on the same breakdown never count it twice;
- MTTR = total repair time / number of failures (time to restore, measured on the outage intervals);
- MTBF = operating time / number of failures, operating time being the ledger's Executing time outside
  Maintenance mode (what the machine ran, not calendar time);
- availability = operating time / (operating time + repair time) = MTBF / (MTBF + MTTR).

A failure counts in the period its outage begins in; its repair time is the part inside the period. With no
failure MTBF and MTTR are undefined and say so (status ``no_failures``), and with no ledger data the operating
time is unknown (status ``no_operating_data``): never a number that looks measured and is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from zhizao.errors import InputError
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

HOUR_US = 3_600_000_000


class RepairInterval(NamedTuple):
    equipment_id: int
    start_us: int
    end_us: int
    failure_mode: str | None = None


class LedgerSpan(NamedTuple):
    """One state-ledger interval (``production``'s StateInterval, as plain values)."""

    start_us: int
    end_us: int
    state: int
    mode: int


class RepairSource(StrEnum):
    LEDGER = "ledger"  # matched to the ledger's OutOfService / Maintenance intervals
    ORDER_NO_LEDGER = "order_no_ledger"  # the ledger has no data then: the order's own actual start and end
    ORDER_NO_DOWN_STATE = "order_no_down_state"  # the ledger has data but shows no down time in the window


class Status(StrEnum):
    OK = "ok"
    NO_FAILURES = "no_failures"
    NO_OPERATING_DATA = "no_operating_data"


@dataclass(frozen=True, slots=True)
class Reliability:
    failures: int
    repair_us: int
    operating_us: int | None
    mttr_us: float | None
    mtbf_us: float | None
    availability: float | None
    status: Status

    @property
    def mttr_h(self) -> float | None:
        return None if self.mttr_us is None else self.mttr_us / HOUR_US

    @property
    def mtbf_h(self) -> float | None:
        return None if self.mtbf_us is None else self.mtbf_us / HOUR_US


def is_down(state: int, mode: int) -> bool:
    """Failed or under repair: OutOfService, or any state in Maintenance mode."""
    return state == MachineryItemState.OUT_OF_SERVICE or mode == OperationMode.MAINTENANCE


def is_operating(state: int, mode: int) -> bool:
    """Running: Executing, outside Maintenance mode (setup counts: the machine runs and wears)."""
    return state == MachineryItemState.EXECUTING and mode != OperationMode.MAINTENANCE


def operating_us(spans: Iterable[LedgerSpan], start_us: int, end_us: int) -> int:
    """Operating time within [start_us, end_us)."""
    return sum(
        max(0, min(span.end_us, end_us) - max(span.start_us, start_us))
        for span in spans
        if is_operating(span.state, span.mode)
    )


def outages(repairs: Iterable[RepairInterval]) -> list[tuple[int, int]]:
    """Overlapping or touching intervals merged into outages, in time order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((r.start_us, r.end_us) for r in repairs):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _check(repairs: Sequence[RepairInterval], start_us: int, end_us: int) -> None:
    if end_us <= start_us:
        raise InputError.for_field("period", "the period ends before it starts")
    for index, repair in enumerate(repairs):
        if repair.end_us <= repair.start_us:
            raise InputError.for_field(f"repairs[{index}]", "a repair must end after it starts")


def reliability(repairs: Sequence[RepairInterval], operating: int | None, start_us: int, end_us: int) -> Reliability:
    """Figures of one group (one equipment, or one failure mode of it) over [start_us, end_us).

    ``operating``: the group's operating time in the period, None when the ledger has no data for it."""
    _check(repairs, start_us, end_us)
    if operating is not None and operating < 0:
        raise InputError.for_field("operating", "operating time must not be negative")
    by_equipment: dict[int, list[RepairInterval]] = {}
    for repair in repairs:
        by_equipment.setdefault(repair.equipment_id, []).append(repair)
    failures = repair_us = 0
    for group in by_equipment.values():
        for low, high in outages(group):
            if start_us <= low < end_us:
                failures += 1
            repair_us += max(0, min(high, end_us) - max(low, start_us))
    mttr = repair_us / failures if failures else None
    if operating is None:
        return Reliability(failures, repair_us, None, mttr, None, None, Status.NO_OPERATING_DATA)
    availability = operating / (operating + repair_us) if operating + repair_us > 0 else None
    if not failures:
        return Reliability(0, repair_us, operating, None, None, availability, Status.NO_FAILURES)
    return Reliability(failures, repair_us, operating, mttr, operating / failures, availability, Status.OK)


def by_failure_mode(
    repairs: Sequence[RepairInterval], operating: Mapping[int, int | None], start_us: int, end_us: int
) -> dict[str | None, Reliability]:
    """Figures per failure mode over the equipment in ``operating`` (id → operating time, None: no data).

    A mode's MTBF is the operating time of all the equipment divided by that mode's failures: how long the fleet
    runs, on average, between failures of that kind. Unknown operating time of any equipment makes it unknown."""
    total: int | None = None if any(v is None for v in operating.values()) else sum(v or 0 for v in operating.values())
    modes = sorted({r.failure_mode for r in repairs}, key=lambda mode: (mode is None, mode or ""))
    return {
        mode: reliability([r for r in repairs if r.failure_mode == mode], total, start_us, end_us) for mode in modes
    }


class MatchedRepair(NamedTuple):
    start_us: int
    end_us: int
    source: RepairSource


def match_repair(
    spans: Sequence[LedgerSpan], order_start_us: int, order_end_us: int, *, slack_us: int = 0
) -> MatchedRepair:
    """The repair interval of a work order worked on [order_start_us, order_end_us), from the ledger.

    The down runs (touching down spans merged) that overlap the order's window widened by ``slack_us`` on each side
    make the repair: from the first run's start (the equipment went down, often before the order was written) to
    the last run's end (it came back). Without ledger data in the window, or with data but no down time, the
    order's own times are the repair, and the source says which."""
    if order_end_us <= order_start_us:
        raise InputError.for_field("body.actual_end", "the work must end after it starts")
    low, high = order_start_us - slack_us, order_end_us + slack_us
    ordered = sorted(spans, key=lambda span: span.start_us)
    runs: list[tuple[int, int]] = []
    for span in ordered:
        if not is_down(span.state, span.mode):
            continue
        if runs and span.start_us <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], span.end_us))
        else:
            runs.append((span.start_us, span.end_us))
    hits = [run for run in runs if run[0] < high and run[1] > low]
    if hits:
        return MatchedRepair(hits[0][0], hits[-1][1], RepairSource.LEDGER)
    seen = any(span.start_us < high and span.end_us > low for span in ordered)
    source = RepairSource.ORDER_NO_DOWN_STATE if seen else RepairSource.ORDER_NO_LEDGER
    return MatchedRepair(order_start_us, order_end_us, source)

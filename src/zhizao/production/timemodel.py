"""The ISO 22400-2 time model: classify the state ledger against the work calendar and sum it into ``Totals``.

Rules (first match wins), for each instant:

1. outside planned operation time (no shift, a holiday) → OUTSIDE: not a loss, whatever the machine did;
2. inside planned downtime (breaks, planned maintenance, no orders) → PLANNED_DOWN (PDOT);
3. no state span → UNKNOWN (planned busy time without data);
4. OutOfService, NotAvailable, or mode Maintenance → DOWN (ADOT); a breakdown is counted where a DOWN period
   begins, if it begins in planned busy time;
5. Executing in mode Setup → SETUP (AUST); Executing otherwise (Processing, or no mode published) → PRODUCTION
   (APT);
6. NotExecuting → DELAY (ADET), or MICRO_STOP (also ADET) when the whole stop is shorter than the threshold.

Stops are cut at shift and day edges and only their part in planned busy time counts, so a stop that runs on
through a break counts before and after the break but not during it.

Buckets: shift instances, production days, ISO weeks, months, in the calendar's local time. A shift belongs to
the day it starts on (a 22:00–06:00 night shift to the first day); time outside shifts to its calendar day.
A count goes to the bucket its timestamp falls in; one outside shifts to that local day (SHIFT bucketing: the
day's off-shift bucket), so a day's total holds every unit counted that day.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from zhizao.errors import InputError
from zhizao.production.calendar import CalendarWindows
from zhizao.production.counts import CountRecord, check_counts, pru_table
from zhizao.production.ledger import Span
from zhizao.production.timegrid import (
    CountArrays,
    IntervalArrays,
    TotalsGrid,
    accumulate,
    runs_of,
)
from zhizao.production.timeline import (
    Bucketing,
    BucketKey,
    SegmentKind,
    TimeCategory,
    build_timeline,
    make_axis,
    spread,
    to_axis,
)
from zhizao.production.totals import Totals
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

__all__ = [
    "BucketKey",
    "Bucketing",
    "ClassifiedPiece",
    "CountArrays",
    "IntervalArrays",
    "TimeCategory",
    "TotalsGrid",
    "base_categories",
    "base_category",
    "classify",
    "daily_totals_many",
    "evaluate",
]

# _BASE[state][mode]: the category of planned busy time in that condition.
_D, _P, _S, _W = TimeCategory.DOWN, TimeCategory.PRODUCTION, TimeCategory.SETUP, TimeCategory.DELAY
_BASE = np.array(
    [
        # mode: None Maintenance Setup Processing
        [_D, _D, _D, _D],  # NotAvailable
        [_D, _D, _D, _D],  # OutOfService
        [_W, _D, _W, _W],  # NotExecuting
        [_P, _D, _S, _P],  # Executing
    ],
    dtype=np.int8,
)


def base_category(state: MachineryItemState, mode: OperationMode) -> TimeCategory:
    return TimeCategory(int(_BASE[int(state), int(mode)]))


def base_categories(states: NDArray[np.int64], modes: NDArray[np.int64]) -> NDArray[np.int8]:
    """Vectorised ``base_category`` over MachineryItemState and OperationMode codes."""
    bad = np.flatnonzero((states < 0) | (states >= len(MachineryItemState)))
    if len(bad):
        raise InputError.for_field(f"intervals[{bad[0]}]", f"unknown MachineryItemState code {states[bad[0]]}")
    bad = np.flatnonzero((modes < 0) | (modes >= len(OperationMode)))
    if len(bad):
        raise InputError.for_field(f"intervals[{bad[0]}]", f"unknown OperationMode code {modes[bad[0]]}")
    return _BASE[states, modes]


def _ordered(spans: Sequence[Span], field: str) -> list[int]:
    """Indices of ``spans`` in time order, after checking each is non-empty and none overlap."""
    for index, span in enumerate(spans):
        if span.end_us <= span.start_us:
            raise InputError.for_field(f"{field}[{index}]", "an interval must end after it starts")
    order = sorted(range(len(spans)), key=lambda index: spans[index].start_us)
    for before, after in itertools.pairwise(order):
        if spans[after].start_us < spans[before].end_us:
            raise InputError.for_field(f"{field}[{after}]", f"overlaps {field}[{before}]")
    return order


def _interval_arrays(spans: Sequence[Span], order: Sequence[int]) -> IntervalArrays:
    states = np.array([int(spans[index].state) for index in order], dtype=np.int64)
    modes = np.array([int(spans[index].mode) for index in order], dtype=np.int64)
    return IntervalArrays(
        np.zeros(len(order), dtype=np.int64),
        np.array([spans[index].start_us for index in order], dtype=np.int64),
        np.array([spans[index].end_us for index in order], dtype=np.int64),
        base_categories(states, modes),
    )


def evaluate(
    spans: Sequence[Span],
    calendar_windows: CalendarWindows,
    counts: Sequence[CountRecord],
    pru_us: Mapping[str, int],
    *,
    micro_stop_us: int,
    bucketing: Bucketing = Bucketing.DAY,
) -> dict[BucketKey, Totals]:
    """Totals per bucket for one equipment over ``calendar_windows``' period, in time order.

    Pass spans whole, even where they reach outside the period: a stop's length decides whether it is a
    micro-stop, and a breakdown that began before the period was counted in the period it began in."""
    order = _ordered(spans, "intervals")
    check_counts(counts)
    prices = pru_table(pru_us)
    products = sorted(prices.keys() | {record.product_code for record in counts})
    product_index = {code: index for index, code in enumerate(products)}
    count_arrays = CountArrays(
        np.zeros(len(counts), dtype=np.int64),
        np.array([record.ts_us for record in counts], dtype=np.int64),
        np.array([product_index[record.product_code] for record in counts], dtype=np.int64),
        np.array([record.good for record in counts], dtype=np.int64),
        np.array([record.scrap for record in counts], dtype=np.int64),
        np.array([record.rework for record in counts], dtype=np.int64),
    )
    grid = accumulate(
        _interval_arrays(spans, order),
        count_arrays,
        [calendar_windows],
        calendar_of=np.zeros(1, dtype=np.int64),
        pru_us=np.array([prices.get(code, 0) for code in products], dtype=np.int64),
        micro_stop_us=np.array([micro_stop_us], dtype=np.int64),
        bucketing=bucketing,
    )
    return grid.per_bucket(0)


def daily_totals_many(
    intervals: IntervalArrays,
    counts: CountArrays,
    calendars: Sequence[CalendarWindows],
    *,
    calendar_of: NDArray[np.int64],
    pru_us: NDArray[np.int64],
    micro_stop_us: NDArray[np.int64],
    bucketing: Bucketing = Bucketing.DAY,
) -> TotalsGrid:
    """Totals per (equipment, bucket) for many equipments at once (the vectorised path; ``evaluate`` is its
    one-equipment case). Equipment e follows ``calendars[calendar_of[e]]`` with micro-stop threshold
    ``micro_stop_us[e]``; intervals are sorted by (equipment, start) and carry base categories
    (``base_categories``); ``pru_us[p]`` is the PRU of product index p in ``counts`` (0: unknown)."""
    bad = np.flatnonzero(pru_us < 0)
    if len(bad):
        raise InputError.for_field(f"products[{bad[0]}]", "the planned run time per unit must be positive")
    return accumulate(
        intervals,
        counts,
        calendars,
        calendar_of=calendar_of,
        pru_us=pru_us,
        micro_stop_us=micro_stop_us,
        bucketing=bucketing,
    )


class ClassifiedPiece(NamedTuple):
    """A part of ``spans[span_index]`` that lies in one calendar segment, with its category there."""

    span_index: int
    start_us: int
    end_us: int
    category: TimeCategory
    bucket: BucketKey


def classify(
    spans: Sequence[Span],
    calendar_windows: CalendarWindows,
    *,
    micro_stop_us: int,
    bucketing: Bucketing = Bucketing.DAY,
) -> list[ClassifiedPiece]:
    """The spans cut at calendar edges and classified (what the totals sum), e.g. to attribute lost time to
    the downtime reasons recorded on spans. Time with no span is not listed (it is UNKNOWN or OUTSIDE)."""
    order = _ordered(spans, "intervals")
    intervals = _interval_arrays(spans, order)
    axis, buckets = make_axis([build_timeline(calendar_windows)], bucketing)
    category = runs_of(intervals, np.array([micro_stop_us], dtype=np.int64)).category
    kept, low, high = to_axis(axis, intervals.equipment, intervals.start_us, intervals.end_us)
    pieces = spread(axis, low, high)
    kind = axis.kind[pieces.segment]
    outside = np.where(kind == SegmentKind.PLANNED, TimeCategory.PLANNED_DOWN, TimeCategory.OUTSIDE)
    final = np.where(kind == SegmentKind.BUSY, category[kept][pieces.parent], outside)
    return [
        ClassifiedPiece(
            order[int(kept[parent])],
            int(start) + calendar_windows.start_us,
            int(end) + calendar_windows.start_us,
            TimeCategory(int(code)),
            buckets[int(axis.column[segment])],
        )
        for parent, segment, start, end, code in zip(
            pieces.parent, pieces.segment, pieces.start, pieces.end, final, strict=True
        )
    ]

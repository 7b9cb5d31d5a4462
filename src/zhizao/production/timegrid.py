"""The vectorised core of the time model: classify intervals against calendars and sum them per bucket. Pure.

Every path to ``Totals`` goes through ``accumulate``: one equipment (``timemodel.evaluate``) is the case of a
single row. A calendar expanded over a period becomes a *timeline*: the period cut at every local midnight, shift
edge and planned-downtime edge into segments, each OUTSIDE (no shift), PLANNED (planned downtime inside a shift)
or BUSY (planned busy time), with the production day and shift it belongs to (see ``timeline``). Intervals are
placed on it with a grid lookup (``Axis.locate``), cut at segment edges (only the few that cross one are split)
and summed per (equipment, bucket, category) with one ``bincount``; chunks of whole equipments run on all cores.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

from zhizao.errors import InputError
from zhizao.production.calendar import CalendarWindows
from zhizao.production.timeline import (
    Axis,
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

I64 = NDArray[np.int64]
Result = TypeVar("Result")
EXACT_FLOAT_LIMIT = 2**53  # bincount sums in float64; below this every partial sum of integers is exact


@dataclass(frozen=True, slots=True)
class IntervalArrays:
    """State intervals of many equipments, sorted by (equipment, start_us), never overlapping within one
    equipment. ``category`` holds base categories (PRODUCTION, SETUP, DELAY or DOWN; see ``base_categories``)."""

    equipment: I64
    start_us: I64
    end_us: I64
    category: NDArray[np.int8]


@dataclass(frozen=True, slots=True)
class CountArrays:
    """Count increments: ``product`` indexes the PRU array (whose 0 entries mean "no PRU known")."""

    equipment: I64
    ts_us: I64
    product: I64
    good: I64
    scrap: I64
    rework: I64


@dataclass(frozen=True, slots=True, eq=False)
class TotalsGrid:
    """Totals per (equipment row, bucket): one integer array per ``Totals`` field, shape (equipments, buckets)."""

    buckets: tuple[BucketKey, ...]
    values: dict[str, I64]

    def totals(self, row: int, column: int) -> Totals:
        return Totals(**{name: int(array[row, column]) for name, array in self.values.items()})

    def per_bucket(self, row: int) -> dict[BucketKey, Totals]:
        """The buckets this equipment's calendar covers, in time order."""
        covered = np.flatnonzero(self.values["calendar_us"][row] > 0)
        return {self.buckets[column]: self.totals(row, int(column)) for column in covered}

    def rolled_up(self) -> dict[BucketKey, Totals]:
        """Per bucket, the sum over all equipments (what a line or site reports)."""
        sums = {name: array.sum(axis=0) for name, array in self.values.items()}
        covered = np.flatnonzero(sums["calendar_us"] > 0)
        return {
            self.buckets[column]: Totals(**{name: int(array[column]) for name, array in sums.items()})
            for column in covered
        }


BASE_CATEGORIES = (TimeCategory.PRODUCTION, TimeCategory.SETUP, TimeCategory.DELAY, TimeCategory.DOWN)
_IS_BASE = np.zeros(256, dtype=bool)
_IS_BASE[list(BASE_CATEGORIES)] = True
CATEGORIES = len(TimeCategory)
CHUNK = 1 << 21  # intervals per unit of work: bounds temporary memory, and chunks run on all cores


def _check_chunk(intervals: IntervalArrays, begin: int, stop: int, equipments: int) -> None:
    """Validate intervals [begin, stop), and the pair that straddles ``begin``. Once every interval ends after
    it starts and none starts before the previous one of its equipment ends, starts are sorted as well."""
    low = max(begin - 1, 0)
    equipment, start, end = (array[low:stop] for array in (intervals.equipment, intervals.start_us, intervals.end_us))
    if not len(equipment):
        return
    bad = np.flatnonzero(end <= start)
    if len(bad):
        raise InputError.for_field(f"intervals[{low + bad[0]}]", "an interval must end after it starts")
    bad = np.flatnonzero((equipment < 0) | (equipment >= equipments))
    if len(bad):
        raise InputError.for_field(f"intervals[{low + bad[0]}]", f"equipment index out of range 0..{equipments - 1}")
    bad = np.flatnonzero(~_IS_BASE[intervals.category[low:stop].view(np.uint8)])
    if len(bad):
        raise InputError.for_field(f"intervals[{low + bad[0]}]", "not a base time category")
    step = equipment[1:] - equipment[:-1]
    bad = np.flatnonzero(step < 0)
    if len(bad):
        raise InputError.for_field(f"intervals[{low + bad[0] + 1}]", "intervals must be sorted by equipment")
    bad = np.flatnonzero((step == 0) & (start[1:] < end[:-1]))
    if len(bad):
        index = low + bad[0]
        raise InputError.for_field(
            f"intervals[{index + 1}]", f"starts before intervals[{index}] ends (overlapping or out of order)"
        )


class Runs(NamedTuple):
    category: NDArray[np.int8]  # base category with the intervals of short DELAY runs turned into MICRO_STOP
    failure_at: I64  # start of each DOWN run (where a breakdown begins)
    failure_equipment: I64


def _run_opens(intervals: IntervalArrays, members: I64) -> NDArray[np.bool_]:
    """Which of the intervals ``members`` (indices of one category, ascending) open a run: the previous member
    is not the previous interval, or is another equipment's, or does not touch it."""
    opens = np.ones(len(members), dtype=bool)
    if len(members) > 1:
        before, after = members[:-1], members[1:]
        opens[1:] = (
            (after != before + 1)
            | (intervals.equipment[after] != intervals.equipment[before])
            | (intervals.start_us[after] != intervals.end_us[before])
        )
    return opens


def runs_of(intervals: IntervalArrays, micro_stop_us: I64) -> Runs:
    """Stops are runs of touching intervals of one category, however the ledger split them (a program change);
    a stop's length, and so whether it is a micro-stop, is the whole run's, wherever the calendar cuts it."""
    category = intervals.category
    delay = np.flatnonzero(category == TimeCategory.DELAY)
    if len(delay):
        opens = _run_opens(intervals, delay)
        length = np.add.reduceat(intervals.end_us[delay] - intervals.start_us[delay], np.flatnonzero(opens))
        micro = length[np.cumsum(opens) - 1] < micro_stop_us[intervals.equipment[delay]]
        category = category.copy()
        category[delay[micro]] = TimeCategory.MICRO_STOP
    down = np.flatnonzero(intervals.category == TimeCategory.DOWN)
    first = down[_run_opens(intervals, down)]
    return Runs(category, intervals.start_us[first], intervals.equipment[first])


class _Partial(NamedTuple):
    """What one chunk of whole equipments contributes: busy time per (equipment, column, category) for the
    equipments first_row…, and the cells (equipment · width + column) where breakdowns began."""

    first_row: int
    times: NDArray[np.float64]
    failure_cells: I64


def _chunk_totals(
    axis: Axis, intervals: IntervalArrays, part: slice, calendar_of: I64, micro_stop_us: I64, width: int
) -> _Partial:
    """Check, classify and sum one chunk of whole equipments (so no run of intervals crosses its edges)."""
    _check_chunk(intervals, part.start, part.stop, len(calendar_of))
    chunk = IntervalArrays(
        intervals.equipment[part], intervals.start_us[part], intervals.end_us[part], intervals.category[part]
    )
    if not len(chunk.equipment):
        return _Partial(0, np.zeros(0), np.zeros(0, dtype=np.int64))
    runs = runs_of(chunk, micro_stop_us)
    first_row = int(chunk.equipment[0])
    rows = int(chunk.equipment[-1]) - first_row + 1
    times = _busy_sums(axis, calendar_of, chunk, runs.category, width, first_row, rows)
    return _Partial(first_row, times, _failure_cells(axis, calendar_of, runs, width))


def _busy_sums(
    axis: Axis,
    calendar_of: I64,
    intervals: IntervalArrays,
    category: NDArray[np.int8],
    width: int,
    first_row: int,
    rows: int,
) -> NDArray[np.float64]:
    """Σ length per (equipment, bucket column, category) inside planned busy time, for equipments first_row….

    Bins are (equipment, column, category) with one extra column per equipment that collects the time outside
    planned busy time, so one ``bincount`` needs no filtering. Float sums are exact: no bin exceeds a bucket's
    length (< 2^53 µs)."""
    equipment = intervals.equipment
    keep, low, high = to_axis(axis, calendar_of[equipment], intervals.start_us, intervals.end_us)
    if len(keep) != len(equipment):
        equipment, category = equipment[keep], category[keep]
    kind_bin = np.where(axis.kind == SegmentKind.BUSY, axis.column, width) * CATEGORIES
    row = (width + 1) * CATEGORIES
    size = rows * row
    first = axis.locate(low)
    first_end = axis.seg_end[first]
    base = (equipment - first_row) * row + category
    sums: NDArray[np.float64] = np.bincount(
        base + kind_bin[first], weights=np.minimum(high, first_end) - low, minlength=size
    ).astype(np.float64, copy=False)
    crossing = np.flatnonzero(high > first_end)
    if len(crossing):  # the rest of the few intervals that cross a segment edge
        rest = spread(axis, first_end[crossing], high[crossing], first[crossing] + 1)
        bins = base[crossing][rest.parent] + kind_bin[rest.segment]
        sums += np.bincount(bins, weights=rest.end - rest.start, minlength=size)
    return sums


def _sum_by(index: I64, weights: I64, size: int) -> I64:
    """Σ weights per index, exactly."""
    if len(index) == 0:
        return np.zeros(size, dtype=np.int64)
    if int(np.abs(weights).sum(dtype=np.int64)) < EXACT_FLOAT_LIMIT:
        return np.rint(np.bincount(index, weights=weights.astype(np.float64), minlength=size)).astype(np.int64)
    result = np.zeros(size, dtype=np.int64)
    np.add.at(result, index, weights)
    return result


def _equipment_chunks(equipment: I64) -> list[slice]:
    """Slices of about CHUNK intervals that hold whole equipments (intervals sorted by equipment)."""
    total = len(equipment)
    cuts = {0, total}
    for begin in range(CHUNK, total, CHUNK):
        cuts.add(int(np.searchsorted(equipment, equipment[begin], side="left")))
    ordered = sorted(cuts)
    return [slice(low, high) for low, high in itertools.pairwise(ordered)]


def _in_threads(work: Callable[[slice], Result], parts: Sequence[slice]) -> list[Result]:
    """``work`` over ``parts`` on all cores (numpy releases the GIL in its loops)."""
    if len(parts) <= 1:
        return [work(part) for part in parts]
    with ThreadPoolExecutor(max_workers=min(len(parts), os.cpu_count() or 1)) as pool:
        return list(pool.map(work, parts))


TIME_FIELDS = {
    TimeCategory.PRODUCTION: "apt_us",
    TimeCategory.SETUP: "aust_us",
    TimeCategory.DELAY: "adet_us",
    TimeCategory.MICRO_STOP: "micro_us",
    TimeCategory.DOWN: "adot_us",
}


def accumulate(
    intervals: IntervalArrays,
    counts: CountArrays,
    windows: Sequence[CalendarWindows],
    *,
    calendar_of: I64,
    pru_us: I64,
    micro_stop_us: I64,
    bucketing: Bucketing,
) -> TotalsGrid:
    """Totals per (equipment, bucket). ``calendar_of[e]`` is the index into ``windows`` of equipment e's
    calendar; ``micro_stop_us[e]`` its threshold; ``pru_us[p]`` product p's planned run time per unit (0: none)."""
    equipments = len(calendar_of)
    if len(micro_stop_us) != equipments:
        raise InputError.for_field("micro_stop_us", "one threshold per equipment")
    if len(windows) == 0 or (equipments and (calendar_of.min() < 0 or calendar_of.max() >= len(windows))):
        raise InputError.for_field("calendar_of", "every equipment needs one of the calendars")
    axis, buckets = make_axis([build_timeline(window) for window in windows], bucketing)
    width = len(buckets)
    values: dict[str, Any] = {}
    segment_length = axis.seg_end - axis.seg_start
    per_calendar = {
        "calendar_us": segment_length,
        "pot_us": np.where(axis.kind != SegmentKind.OUTSIDE, segment_length, 0),
        "pdot_us": np.where(axis.kind == SegmentKind.PLANNED, segment_length, 0),
    }
    segment_calendar = axis.seg_start // axis.stride
    for name, lengths in per_calendar.items():
        table = _sum_by(segment_calendar * width + axis.column, lengths, len(windows) * width)
        values[name] = table.reshape(len(windows), width)[calendar_of]
    row = (width + 1) * CATEGORIES
    times = np.zeros(equipments * row)
    failure_cells = []
    parts = _equipment_chunks(intervals.equipment)
    for partial in _in_threads(
        lambda part: _chunk_totals(axis, intervals, part, calendar_of, micro_stop_us, width), parts
    ):
        times[partial.first_row * row : partial.first_row * row + len(partial.times)] += partial.times
        failure_cells.append(partial.failure_cells)
    by_category = np.rint(times).astype(np.int64).reshape(equipments, width + 1, CATEGORIES)[:, :width]
    for category, name in TIME_FIELDS.items():
        values[name] = by_category[:, :, category]
    values["adet_us"] = values["adet_us"] + values["micro_us"]
    cells = equipments * width
    failures = np.concatenate(failure_cells) if failure_cells else np.zeros(0, dtype=np.int64)
    values["failures"] = _sum_by(failures, np.ones(len(failures), dtype=np.int64), cells).reshape(equipments, width)
    values.update(_count_sums(axis, calendar_of, counts, pru_us, width, cells, equipments))
    known = values["apt_us"] + values["aust_us"] + values["adet_us"] + values["adot_us"]
    values["unknown_us"] = values["pot_us"] - values["pdot_us"] - known
    ordered = {field.name: np.ascontiguousarray(values[field.name], dtype=np.int64) for field in fields(Totals)}
    return TotalsGrid(buckets, ordered)


def _locate_instants(axis: Axis, calendar: I64, ts_us: I64) -> tuple[I64, I64]:
    """Of instants on the given calendars: the indices of those inside their calendar's period, and the segment
    each of those lies in."""
    origin = axis.origins[calendar]
    position = calendar * axis.stride + (ts_us - origin)
    inside = np.flatnonzero((ts_us >= origin) & (position < axis.period_end[calendar]))
    return inside, axis.locate(position[inside])


def _failure_cells(axis: Axis, calendar_of: I64, runs: Runs, width: int) -> I64:
    """A breakdown counts where a DOWN run begins, if it begins in planned busy time: a machine found down at the
    start of a shift (switched off overnight) adds down time but no breakdown, and a run that began before the
    period was counted in the period it began in, so incremental evaluation never counts one twice."""
    inside, segment = _locate_instants(axis, calendar_of[runs.failure_equipment], runs.failure_at)
    busy = axis.kind[segment] == SegmentKind.BUSY
    cells: I64 = runs.failure_equipment[inside][busy] * width + axis.column[segment[busy]]
    return cells


def _count_sums(
    axis: Axis, calendar_of: I64, counts: CountArrays, pru_us: I64, width: int, cells: int, equipments: int
) -> dict[str, I64]:
    """Counts go to the bucket their timestamp falls in (outside shifts: that local day's); counts outside the
    evaluated period belong to another period and are left out."""
    for name in ("good", "scrap", "rework"):
        bad = np.flatnonzero(getattr(counts, name) < 0)
        if len(bad):
            raise InputError.for_field(f"counts[{bad[0]}]", f"{name} must not be negative")
    bad = np.flatnonzero((counts.equipment < 0) | (counts.equipment >= equipments))
    if len(bad):
        raise InputError.for_field(f"counts[{bad[0]}]", "equipment index out of range")
    bad = np.flatnonzero((counts.product < 0) | (counts.product >= len(pru_us)))
    if len(bad):
        raise InputError.for_field(f"counts[{bad[0]}]", "product index out of range")
    keep, segment = _locate_instants(axis, calendar_of[counts.equipment], counts.ts_us)
    cell = counts.equipment[keep] * width + axis.column[segment]
    good, scrap, rework = counts.good[keep], counts.scrap[keep], counts.rework[keep]
    produced = good + scrap + rework
    pru = pru_us[counts.product[keep]]
    known = pru > 0
    sums = {
        "gq": good,
        "sq": scrap,
        "rq": rework,
        "pq": produced,
        "pru_pq_us": np.where(known, pru * produced, 0),
        "pru_gq_us": np.where(known, pru * good, 0),
        "unknown_pru_pq": np.where(known, 0, produced),
    }
    return {name: _sum_by(cell, weights, cells).reshape(equipments, width) for name, weights in sums.items()}

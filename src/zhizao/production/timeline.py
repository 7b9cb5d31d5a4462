"""Timelines: a calendar's period cut into segments of one kind (outside shifts, planned downtime, planned busy
time), each tagged with its production day and shift, and the reporting buckets those map to. Pure.

A timeline is cut at every local midnight, shift edge and planned-downtime edge. Timelines of several calendars
are laid end to end on one integer axis (calendar c starts at c·stride) so that one ``searchsorted`` places
instants of every equipment, whatever calendar it follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from zhizao.errors import InputError
from zhizao.production.calendar import CalendarWindows, local_date_of, local_midnight_us

I64 = NDArray[np.int64]
SHIFT_SLOTS = 1024  # shift codes: day ordinal · SHIFT_SLOTS + shift number (0: time outside shifts)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class TimeCategory(IntEnum):
    OUTSIDE = 0  # no planned operation: no shift, a holiday (never a loss)
    PLANNED_DOWN = 1  # planned downtime inside a shift: breaks, planned maintenance, no orders (PDOT)
    PRODUCTION = 2  # executing and processing (APT)
    SETUP = 3  # executing in setup mode (AUST)
    DELAY = 4  # not executing (ADET)
    MICRO_STOP = 5  # a not-executing stop shorter than the micro-stop threshold (part of ADET)
    DOWN = 6  # out of service, not available or in maintenance mode during planned busy time (ADOT)
    UNKNOWN = 7  # planned busy time with no state data


class Bucketing(StrEnum):
    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class BucketKey(NamedTuple):
    """A reporting bucket in local time. ``day`` is the production day (DAY, SHIFT), the ISO week's Monday (WEEK)
    or the month's first day (MONTH); ``shift`` is the shift name, or None for the time outside shifts of that
    day (SHIFT only)."""

    bucketing: Bucketing
    day: date
    shift: str | None = None

    @property
    def label(self) -> str:
        if self.bucketing is Bucketing.WEEK:
            year, week, _ = self.day.isocalendar()
            return f"{year}-W{week:02d}"
        if self.bucketing is Bucketing.MONTH:
            return f"{self.day.year}-{self.day.month:02d}"
        if self.bucketing is Bucketing.SHIFT:
            return f"{self.day.isoformat()} {self.shift or 'off-shift'}"
        return self.day.isoformat()


class SegmentKind(IntEnum):
    OUTSIDE = 0
    PLANNED = 1
    BUSY = 2


@dataclass(frozen=True, slots=True, eq=False)
class Timeline:
    """A calendar's period cut into segments [seg_start, seg_end) of one kind, production day and shift."""

    start_us: int
    end_us: int
    seg_start: I64
    seg_end: I64
    kind: NDArray[np.int8]
    day: I64  # production-day ordinal (date.toordinal)
    shift: I64  # 1 + index into shift_names, 0 outside shifts
    shift_names: tuple[str, ...]


def _merged(starts: I64, ends: I64) -> tuple[I64, I64]:
    """The union of windows as sorted, disjoint windows."""
    if len(starts) == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    opens = np.ones(len(starts), dtype=bool)
    opens[1:] = starts[1:] > reach[:-1]
    first = np.flatnonzero(opens)
    return starts[first], np.maximum.reduceat(ends, first)


def _containing(starts: I64, ends: I64, points: I64) -> tuple[NDArray[np.bool_], I64]:
    """For each point: whether a window of the sorted disjoint ``starts``/``ends`` holds it, and which."""
    if len(starts) == 0:
        return np.zeros(len(points), dtype=bool), np.zeros(len(points), dtype=np.int64)
    index = np.searchsorted(ends, points, side="right")
    safe = np.minimum(index, len(starts) - 1)
    return (index < len(starts)) & (starts[safe] <= points), safe


@lru_cache(maxsize=256)
def build_timeline(windows: CalendarWindows) -> Timeline:
    zone = ZoneInfo(windows.timezone)
    first_day = local_date_of(zone, windows.start_us)
    days = (local_date_of(zone, windows.end_us - 1) - first_day).days + 2
    midnights = np.array(
        [local_midnight_us(zone, date.fromordinal(first_day.toordinal() + offset)) for offset in range(days)],
        dtype=np.int64,
    )
    shift_start = np.array([shift.start_us for shift in windows.shifts], dtype=np.int64)
    shift_end = np.array([shift.end_us for shift in windows.shifts], dtype=np.int64)
    shift_day = np.array([shift.local_date.toordinal() for shift in windows.shifts], dtype=np.int64)
    shift_number = np.array([1 + windows.shift_names.index(shift.name) for shift in windows.shifts], dtype=np.int64)
    planned_start, planned_end = _merged(
        np.array([window.start_us for window in windows.planned_downtime], dtype=np.int64),
        np.array([window.end_us for window in windows.planned_downtime], dtype=np.int64),
    )
    edges = np.unique(
        np.concatenate(
            [[windows.start_us, windows.end_us], midnights, shift_start, shift_end, planned_start, planned_end]
        ).astype(np.int64)
    )
    edges = edges[(edges >= windows.start_us) & (edges <= windows.end_us)]
    seg_start, seg_end = edges[:-1], edges[1:]
    in_shift, which_shift = _containing(shift_start, shift_end, seg_start)
    in_planned, _ = _containing(planned_start, planned_end, seg_start)
    calendar_day = first_day.toordinal() + np.searchsorted(midnights, seg_start, side="right") - 1
    kind = np.where(in_shift, np.where(in_planned, SegmentKind.PLANNED, SegmentKind.BUSY), SegmentKind.OUTSIDE)
    day = np.where(in_shift, shift_day[which_shift] if len(shift_day) else 0, calendar_day)
    shift = np.where(in_shift, shift_number[which_shift] if len(shift_number) else 0, 0)
    return Timeline(
        windows.start_us,
        windows.end_us,
        seg_start,
        seg_end,
        kind.astype(np.int8),
        day.astype(np.int64),
        shift.astype(np.int64),
        windows.shift_names,
    )


def _bucket_codes(day: I64, shift: I64, bucketing: Bucketing) -> I64:
    if bucketing is Bucketing.DAY:
        return day
    if bucketing is Bucketing.WEEK:
        return day - (day - 1) % 7  # ordinal 1 (0001-01-01) is a Monday
    if bucketing is Bucketing.MONTH:
        return (day - EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return day * SHIFT_SLOTS + shift


def _bucket_key(code: int, bucketing: Bucketing, shift_names: Sequence[str]) -> BucketKey:
    if bucketing is Bucketing.MONTH:
        return BucketKey(bucketing, date(1970 + code // 12, code % 12 + 1, 1))
    if bucketing is Bucketing.SHIFT:
        number = code % SHIFT_SLOTS
        return BucketKey(bucketing, date.fromordinal(code // SHIFT_SLOTS), shift_names[number - 1] if number else None)
    return BucketKey(bucketing, date.fromordinal(code))


GRID_CELLS = 1 << 22  # at most this many cells in the lookup grid (16 MiB of int32)
MIN_GRID_BITS = 26  # cells of 2^26 µs ≈ 67 s: at most one calendar edge per cell on a one-calendar axis


@dataclass(frozen=True, slots=True, eq=False)
class Axis:
    """Timelines laid end to end: calendar c's period occupies [c·stride, c·stride + its length).

    ``locate`` finds the segment of many positions without a binary search: a grid of 2^grid_bits µs cells
    gives the segment at each cell's start, and a position moves on past the few edges inside its cell."""

    stride: int
    origins: I64  # per calendar: its start_us
    period_end: I64  # per calendar: the axis position of its period's end
    seg_start: I64  # axis positions
    seg_end: I64
    kind: NDArray[np.int8]
    column: I64  # bucket column of each segment
    grid_bits: int
    grid: NDArray[np.int32]

    def locate(self, position: I64) -> I64:
        """The index of the segment holding each position (positions must lie inside some period)."""
        segment: I64 = self.grid[position >> self.grid_bits].astype(np.int64)
        following = np.append(self.seg_start[1:], np.iinfo(np.int64).max)
        moving = np.flatnonzero(position >= following[segment])
        while len(moving):
            segment[moving] += 1
            moving = moving[position[moving] >= following[segment[moving]]]
        return segment


def make_axis(timelines: Sequence[Timeline], bucketing: Bucketing) -> tuple[Axis, tuple[BucketKey, ...]]:
    stride = max(timeline.end_us - timeline.start_us for timeline in timelines) + 1
    if stride * len(timelines) >= 2**62:
        raise InputError.for_field("calendars", "too many calendars over too long a period for one evaluation")
    names: list[str] = []
    codes = []
    for timeline in timelines:
        global_number = np.array([0] + [_number_of(names, name) for name in timeline.shift_names], dtype=np.int64)
        codes.append(_bucket_codes(timeline.day, global_number[timeline.shift], bucketing))
    unique_codes = np.unique(np.concatenate(codes))
    offsets = [index * stride - timeline.start_us for index, timeline in enumerate(timelines)]
    seg_start = np.concatenate(
        [timeline.seg_start + offset for timeline, offset in zip(timelines, offsets, strict=True)]
    )
    length = stride * len(timelines)
    bits = max(MIN_GRID_BITS, (length // GRID_CELLS).bit_length())
    cells = np.arange((length >> bits) + 1, dtype=np.int64) << bits
    axis = Axis(
        stride,
        np.array([timeline.start_us for timeline in timelines], dtype=np.int64),
        np.array([timeline.end_us + offset for timeline, offset in zip(timelines, offsets, strict=True)]),
        seg_start,
        np.concatenate([timeline.seg_end + offset for timeline, offset in zip(timelines, offsets, strict=True)]),
        np.concatenate([timeline.kind for timeline in timelines]),
        np.searchsorted(unique_codes, np.concatenate(codes)).astype(np.int64),
        bits,
        np.maximum(np.searchsorted(seg_start, cells, side="right") - 1, 0).astype(np.int32),
    )
    buckets = tuple(_bucket_key(int(code), bucketing, names) for code in unique_codes)
    return axis, buckets


def _number_of(names: list[str], name: str) -> int:
    if name not in names:
        names.append(name)
    return 1 + names.index(name)


class Pieces(NamedTuple):
    """Parts of intervals that each lie in one segment: the interval, the segment, and axis positions."""

    parent: I64
    segment: I64
    start: I64
    end: I64


def to_axis(axis: Axis, calendar: I64, start_us: I64, end_us: I64) -> tuple[I64, I64, I64]:
    """Intervals clipped to their calendar's period, in axis positions; and which intervals remain (indices)."""
    if len(axis.origins) == 1:  # the common case: no per-interval gathers
        origin, limit = int(axis.origins[0]), int(axis.period_end[0])
        low = np.maximum(start_us, origin) - origin
        high = np.minimum(end_us - origin, limit)
    else:
        origin_of = axis.origins[calendar]
        offset = calendar * axis.stride - origin_of
        low = np.maximum(start_us, origin_of) + offset
        high = np.minimum(end_us + offset, axis.period_end[calendar])
    inside = low < high
    if bool(inside.all()):
        return np.arange(len(low), dtype=np.int64), low, high
    keep = np.flatnonzero(inside)
    return keep, low[keep], high[keep]


def spread(axis: Axis, low: I64, high: I64, first: I64 | None = None) -> Pieces:
    """[low, high) cut at segment edges; ``first``: the segment of ``low``, when known."""
    first = axis.locate(low) if first is None else first
    count = axis.locate(high - 1) - first + 1
    parent = np.repeat(np.arange(len(low), dtype=np.int64), count)
    step = np.arange(len(parent), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    segment = first[parent] + step
    start = np.maximum(low[parent], axis.seg_start[segment])
    end = np.minimum(high[parent], axis.seg_end[segment])
    return Pieces(parent, segment, start, end)

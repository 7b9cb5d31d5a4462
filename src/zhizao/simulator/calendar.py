"""Shift calendars: which instants are inside a shift, in the factory's local time. Pure functions."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhizao.fields import TimeZoneName, Weekdays

MINUTES_PER_DAY = 24 * 60


class CalendarStatus(StrEnum):
    WORKING = "working"  # inside a shift
    OFF_SHIFT = "off_shift"  # working day, between shifts
    OFF_DAY = "off_day"  # non-working day


class Shift(BaseModel):
    """A shift within one local day, [start_minute, end_minute) after local midnight; 1440 ends at midnight."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=32)
    start_minute: int = Field(ge=0, lt=MINUTES_PER_DAY)
    end_minute: int = Field(gt=0, le=MINUTES_PER_DAY)

    @classmethod
    def of(cls, name: str, start: str, end: str) -> Shift:
        """``Shift.of("A", "08:00", "16:00")``; "24:00" ends at midnight."""
        return cls(name=name, start_minute=_minutes(start), end_minute=_minutes(end))

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_minute <= self.start_minute:
            raise ValueError(f"shift {self.name} ends before it starts (split a night shift at midnight)")
        return self


def _minutes(hh_mm: str) -> int:
    hours, _, minutes = hh_mm.partition(":")
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"not a time of day (HH:MM): {hh_mm!r}")
    return int(hours) * 60 + int(minutes)


class ShiftCalendar(BaseModel):
    """Shifts repeated on every working day (0 = Monday … 6 = Sunday) in one time zone."""

    model_config = ConfigDict(frozen=True)

    timezone: TimeZoneName = "Asia/Shanghai"
    shifts: tuple[Shift, ...] = (Shift.of("A", "08:00", "16:00"), Shift.of("B", "16:00", "24:00"))
    work_days: Weekdays = frozenset(range(6))

    @model_validator(mode="after")
    def _no_overlap(self) -> Self:
        if not self.shifts:
            raise ValueError("a calendar needs at least one shift")
        ordered = sorted(self.shifts, key=lambda shift: shift.start_minute)
        for before, after in itertools.pairwise(ordered):
            if after.start_minute < before.end_minute:
                raise ValueError(f"shifts {before.name} and {after.name} overlap")
        if len({shift.name for shift in self.shifts}) != len(self.shifts):
            raise ValueError("shift names must be unique")
        return self


class Segment(NamedTuple):
    """A stretch of constant calendar status, [start_ms, end_ms) in epoch milliseconds."""

    status: CalendarStatus
    start_ms: int
    end_ms: int
    shift: str | None


def segment_at(calendar: ShiftCalendar, ts_ms: int) -> Segment:
    """The calendar segment containing ``ts_ms``."""
    zone = ZoneInfo(calendar.timezone)
    day = datetime.fromtimestamp(ts_ms // 1000, zone).date().toordinal()
    for ordinal in (day, day - 1, day + 1):
        for segment in _day_segments(calendar, ordinal):
            if segment.start_ms <= ts_ms < segment.end_ms:
                return segment
    raise AssertionError(f"no calendar segment contains {ts_ms}")  # pragma: no cover - days tile the time line


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


@lru_cache(maxsize=256)
def _day_segments(calendar: ShiftCalendar, ordinal: int) -> tuple[Segment, ...]:
    zone = ZoneInfo(calendar.timezone)
    day = date.fromordinal(ordinal)
    midnight = _epoch_ms(datetime.combine(day, time(0), zone))
    next_midnight = _epoch_ms(datetime.combine(day + timedelta(days=1), time(0), zone))
    if day.weekday() not in calendar.work_days:
        return (Segment(CalendarStatus.OFF_DAY, midnight, next_midnight, None),)

    def boundary(minute: int) -> int:
        if minute == MINUTES_PER_DAY:
            return next_midnight
        return _epoch_ms(datetime.combine(day, time(minute // 60, minute % 60), zone))

    segments: list[Segment] = []
    cursor = midnight
    for shift in sorted(calendar.shifts, key=lambda shift: shift.start_minute):
        start, end = boundary(shift.start_minute), boundary(shift.end_minute)
        if start > cursor:
            segments.append(Segment(CalendarStatus.OFF_SHIFT, cursor, start, None))
        segments.append(Segment(CalendarStatus.WORKING, start, end, shift.name))
        cursor = end
    if cursor < next_midnight:
        segments.append(Segment(CalendarStatus.OFF_SHIFT, cursor, next_midnight, None))
    return tuple(segments)

"""Work calendars: shift patterns, working days, Chinese public holidays and make-up days, planned downtime.

A ``WorkCalendar`` says when a work unit is planned to operate, in local time; ``expand`` turns it into absolute
shift instances and planned-downtime windows (integer microseconds since the epoch, UTC) over a period. Pure: no
database, no clock. Times of day are wall-clock times in the calendar's zone, so a shift starts at 08:00 local
time on both sides of a daylight-saving change (Asia/Shanghai has none, but an enterprise abroad may).

A shift whose end is not after its start crosses midnight (22:00–06:00) and belongs to the local day it starts
on: whether it runs is decided by that day, and its time is reported under that day.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from typing import Self
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhizao.errors import FieldProblem, InputError
from zhizao.fields import TimeZoneName, Weekdays

MINUTES_PER_DAY = 24 * 60
US_PER_MINUTE = 60_000_000


class DowntimeKind(StrEnum):
    MAINTENANCE = "maintenance"
    BREAK = "break"
    NO_ORDERS = "no_orders"
    OTHER = "other"


class HolidayRegion(StrEnum):
    CN = "cn"  # official public holidays and make-up working days of the PRC (holidays_cn.yaml)
    NONE = "none"  # weekday pattern only


def _minute_of_day(hh_mm: str) -> int:
    hours, colon, minutes = hh_mm.partition(":")
    if not (colon and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"not a time of day (HH:MM): {hh_mm!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"not a time of day (00:00 to 24:00): {hh_mm!r}")
    return value


class Break(BaseModel):
    """A planned break inside a shift, local wall-clock times; it may cross midnight with a night shift."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        _minute_of_day(value)
        return value


class Shift(BaseModel):
    """A shift pattern: local start and end ("24:00" is midnight at the end of the day); end ≤ start crosses
    midnight. Breaks lie inside the shift and are planned downtime."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=32)
    start: str
    end: str
    breaks: tuple[Break, ...] = ()

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        _minute_of_day(value)
        return value

    @property
    def start_minute(self) -> int:
        return _minute_of_day(self.start) % MINUTES_PER_DAY

    @property
    def length_minutes(self) -> int:
        return (_minute_of_day(self.end) - self.start_minute) % MINUTES_PER_DAY

    def break_offsets(self) -> list[tuple[int, int]]:
        """Each break as (minutes after the shift's start, minutes after the shift's start)."""
        offsets = []
        for item in self.breaks:
            begin = (_minute_of_day(item.start) - self.start_minute) % MINUTES_PER_DAY
            length = (_minute_of_day(item.end) - _minute_of_day(item.start)) % MINUTES_PER_DAY
            offsets.append((begin, begin + length))
        return offsets

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.length_minutes == 0:
            raise ValueError(f"shift {self.name} has no length (start and end are the same time of day)")
        offsets = self.break_offsets()
        for (begin, end), item in zip(offsets, self.breaks, strict=True):
            if begin == end or end > self.length_minutes:
                raise ValueError(f"break {item.start}–{item.end} is not inside shift {self.name}")
        for (_, end_before), (begin_after, _) in itertools.pairwise(sorted(offsets)):
            if begin_after < end_before:
                raise ValueError(f"breaks of shift {self.name} overlap")
        return self


def _default_shifts() -> tuple[Shift, ...]:
    return (Shift(name="day", start="08:00", end="17:00", breaks=(Break(start="12:00", end="13:00"),)),)


class WorkCalendar(BaseModel):
    """When a work unit is planned to operate. JSON-serialisable (store it in a JSON column as it is).

    A local date is a working day when it is in ``working_days``; otherwise not when it is in ``holidays``;
    otherwise as the public calendar of ``public_holidays`` says (a public holiday is off, a make-up day works);
    otherwise when its weekday (0 = Monday … 6 = Sunday) is in ``weekdays``. So an enterprise adds a date off with
    ``holidays``, removes a public holiday (works through it) with ``working_days``, and removes a make-up day
    (keeps the weekend) with ``holidays``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: TimeZoneName = "Asia/Shanghai"
    shifts: tuple[Shift, ...] = Field(default_factory=_default_shifts)
    weekdays: Weekdays = frozenset(range(5))
    public_holidays: HolidayRegion = HolidayRegion.CN
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.shifts:
            raise ValueError("a calendar needs at least one shift")
        if len({shift.name for shift in self.shifts}) != len(self.shifts):
            raise ValueError("shift names must be unique")
        both = self.holidays & self.working_days
        if both:
            raise ValueError(f"dates both holiday and working day: {', '.join(map(str, sorted(both)))}")
        # Shifts repeat every day, so two shifts overlap when their minute ranges overlap modulo a day.
        ranges = sorted((shift.start_minute, shift.start_minute + shift.length_minutes, shift) for shift in self.shifts)
        for (_, end_before, before), (start_after, _, after) in itertools.pairwise(ranges):
            if start_after < end_before:
                raise ValueError(f"shifts {before.name} and {after.name} overlap")
        first_start, _, first = ranges[0]
        _, last_end, last = ranges[-1]
        if len(ranges) > 1 and last_end > first_start + MINUTES_PER_DAY:
            raise ValueError(f"shifts {last.name} and {first.name} overlap across midnight")
        return self

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.holidays:
            return False
        if self.public_holidays is HolidayRegion.CN:
            public_off, public_work = cn_public_calendar()
            if day in public_off:
                return False
            if day in public_work:
                return True
        return day.weekday() in self.weekdays


@cache
def cn_public_calendar() -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up working days) of the PRC public holiday calendar, from ``holidays_cn.yaml``."""
    text = resources.files("zhizao.production").joinpath("holidays_cn.yaml").read_text(encoding="utf-8")
    days_off: set[date] = set()
    make_up: set[date] = set()
    for festivals in yaml.safe_load(text).values():
        for festival in festivals:
            first, last = festival["days_off"]
            days_off.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
            make_up.update(festival["make_up"])
    return frozenset(days_off), frozenset(make_up)


@dataclass(frozen=True, slots=True)
class PlannedDowntime:
    """A window of planned downtime, [start_us, end_us). Only its part inside shifts counts (as PDOT)."""

    start_us: int
    end_us: int
    kind: DowntimeKind = DowntimeKind.OTHER


@dataclass(frozen=True, slots=True)
class ShiftInstance:
    """One occurrence of a shift, clipped to the expanded period; ``local_date`` is the day it starts on."""

    local_date: date
    name: str
    start_us: int
    end_us: int


@dataclass(frozen=True, slots=True)
class CalendarWindows:
    """A calendar expanded over [start_us, end_us): what the time model classifies against."""

    timezone: str
    start_us: int
    end_us: int
    shifts: tuple[ShiftInstance, ...]
    planned_downtime: tuple[PlannedDowntime, ...]  # breaks and explicit windows, clipped to the period
    shift_names: tuple[str, ...]  # the calendar's shift names in order of start time (bucket order)

    @property
    def pot_us(self) -> int:
        """Planned operation time: the total length of the shifts."""
        return sum(shift.end_us - shift.start_us for shift in self.shifts)

    def require_working_time(self, field: str = "calendar") -> None:
        """Refuse a period with no shift at all: every KPI over it would be undefined, and that is a mistake."""
        if self.pot_us == 0:
            raise InputError(
                "the calendar has no working time in the period",
                fields=[FieldProblem(field, "no shift on any working day in the period")],
            )


def local_midnight_us(zone: ZoneInfo, day: date) -> int:
    return _epoch_us(datetime.combine(day, time(0), zone))


def _epoch_us(moment: datetime) -> int:
    # Exact integer arithmetic: ``timestamp()`` is a float and loses microseconds far from 1970.
    offset = moment.utcoffset()
    assert offset is not None
    naive = moment.replace(tzinfo=None) - offset
    delta = naive - datetime(1970, 1, 1)  # noqa: DTZ001 - both sides are UTC wall times here
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def local_date_of(zone: ZoneInfo, ts_us: int) -> date:
    return (datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC")) + timedelta(microseconds=ts_us)).astimezone(zone).date()


def _wall_us(zone: ZoneInfo, day: date, minutes: int) -> int:
    """The instant of ``minutes`` after local midnight of ``day`` on the wall clock (may spill into the next day)."""
    moment = datetime.combine(day, time(0)) + timedelta(minutes=minutes)
    return _epoch_us(moment.replace(tzinfo=zone))


@lru_cache(maxsize=64)
def _shifts_and_breaks(
    calendar: WorkCalendar, start_us: int, end_us: int
) -> tuple[tuple[ShiftInstance, ...], tuple[PlannedDowntime, ...]]:
    zone = ZoneInfo(calendar.timezone)
    first_day = local_date_of(zone, start_us) - timedelta(days=1)  # a night shift of the day before may reach in
    last_day = local_date_of(zone, end_us)
    shifts: list[ShiftInstance] = []
    breaks: list[PlannedDowntime] = []
    ordered = sorted(calendar.shifts, key=lambda shift: shift.start_minute)
    day = first_day
    while day <= last_day:
        if calendar.is_working_day(day):
            for shift in ordered:
                begin = _wall_us(zone, day, shift.start_minute)
                end = _wall_us(zone, day, shift.start_minute + shift.length_minutes)
                clipped = (max(begin, start_us), min(end, end_us))
                if clipped[0] < clipped[1]:
                    shifts.append(ShiftInstance(day, shift.name, *clipped))
                for offset_start, offset_end in shift.break_offsets():
                    low = max(_wall_us(zone, day, shift.start_minute + offset_start), start_us)
                    high = min(_wall_us(zone, day, shift.start_minute + offset_end), end_us)
                    if low < high:
                        breaks.append(PlannedDowntime(low, high, DowntimeKind.BREAK))
        day += timedelta(days=1)
    shifts.sort(key=lambda instance: instance.start_us)
    return tuple(shifts), tuple(breaks)


def expand(
    calendar: WorkCalendar,
    downtime: Sequence[PlannedDowntime],
    start_us: int,
    end_us: int,
    *,
    field: str = "planned_downtime",
) -> CalendarWindows:
    """The shift instances and planned-downtime windows (breaks plus ``downtime``) of [start_us, end_us).

    ``field`` names the downtime list in error messages (``planned_downtime[2]``)."""
    if end_us <= start_us:
        raise InputError.for_field("period", "the period ends before it starts")
    windows: list[PlannedDowntime] = []
    for index, window in enumerate(downtime):
        if window.end_us <= window.start_us:
            raise InputError.for_field(f"{field}[{index}]", "planned downtime ends before it starts")
        low, high = max(window.start_us, start_us), min(window.end_us, end_us)
        if low < high:
            windows.append(PlannedDowntime(low, high, DowntimeKind(window.kind)))
    shifts, breaks = _shifts_and_breaks(calendar, start_us, end_us)
    names = tuple(shift.name for shift in sorted(calendar.shifts, key=lambda shift: shift.start_minute))
    planned = tuple(sorted((*breaks, *windows), key=lambda window: (window.start_us, window.end_us)))
    return CalendarWindows(calendar.timezone, start_us, end_us, shifts, planned, names)

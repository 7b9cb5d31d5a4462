"""Shift calendars: segments in local time, and the calendars that are refused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from zhizao.simulator import CalendarStatus, Shift, ShiftCalendar, segment_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, zone: ZoneInfo = SHANGHAI) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=zone).timestamp() * 1000)


@pytest.mark.parametrize(
    ("moment", "status", "start", "end", "shift"),
    [
        ((2024, 5, 6, 0, 0), CalendarStatus.OFF_SHIFT, (2024, 5, 6, 0, 0), (2024, 5, 6, 8, 0), None),
        ((2024, 5, 6, 7, 59), CalendarStatus.OFF_SHIFT, (2024, 5, 6, 0, 0), (2024, 5, 6, 8, 0), None),
        ((2024, 5, 6, 8, 0), CalendarStatus.WORKING, (2024, 5, 6, 8, 0), (2024, 5, 6, 16, 0), "A"),
        ((2024, 5, 6, 16, 0), CalendarStatus.WORKING, (2024, 5, 6, 16, 0), (2024, 5, 7, 0, 0), "B"),
        ((2024, 5, 6, 23, 59), CalendarStatus.WORKING, (2024, 5, 6, 16, 0), (2024, 5, 7, 0, 0), "B"),
        ((2024, 5, 11, 20, 0), CalendarStatus.WORKING, (2024, 5, 11, 16, 0), (2024, 5, 12, 0, 0), "B"),  # Saturday
        ((2024, 5, 12, 12, 0), CalendarStatus.OFF_DAY, (2024, 5, 12, 0, 0), (2024, 5, 13, 0, 0), None),  # Sunday
    ],
)
def test_default_calendar_two_shifts_monday_to_saturday(
    moment: tuple[int, ...], status: CalendarStatus, start: tuple[int, ...], end: tuple[int, ...], shift: str | None
) -> None:
    segment = segment_at(ShiftCalendar(), ms(*moment))
    assert segment == (status, ms(*start), ms(*end), shift)


def test_last_millisecond_of_a_shift_belongs_to_it() -> None:
    segment = segment_at(ShiftCalendar(), ms(2024, 5, 6, 16) - 1)
    assert segment.shift == "A"


def test_calendar_in_a_zone_with_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    calendar = ShiftCalendar(timezone="Europe/Berlin", shifts=(Shift.of("early", "06:00", "14:00"),))
    # 31 March 2024: clocks go forward at 02:00; the shift still starts at 06:00 local time.
    segment = segment_at(calendar, ms(2024, 3, 31, 7, zone=berlin))
    assert segment == (CalendarStatus.OFF_DAY, ms(2024, 3, 31, zone=berlin), ms(2024, 4, 1, zone=berlin), None)
    segment = segment_at(calendar, ms(2024, 4, 1, 7, zone=berlin))
    assert segment.start_ms == ms(2024, 4, 1, 6, zone=berlin)


def test_three_shifts_every_day_leave_no_gap() -> None:
    calendar = ShiftCalendar(
        shifts=(Shift.of("N", "00:00", "08:00"), Shift.of("A", "08:00", "16:00"), Shift.of("B", "16:00", "24:00")),
        work_days=frozenset(range(7)),
    )
    t = ms(2024, 5, 12)
    for _ in range(9):
        segment = segment_at(calendar, t)
        assert segment.status is CalendarStatus.WORKING
        t = segment.end_ms


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"shifts": (Shift.of("A", "08:00", "16:00"), Shift.of("B", "15:00", "20:00"))}, "overlap"),
        ({"shifts": (Shift.of("A", "08:00", "12:00"), Shift.of("A", "13:00", "17:00"))}, "unique"),
        ({"shifts": ()}, "at least one shift"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"work_days": frozenset({7})}, "0 \\(Monday\\) to 6"),
    ],
)
def test_calendar_refuses(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ShiftCalendar.model_validate(fields)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("22:00", "06:00", "split a night shift"), ("8h", "16:00", "HH:MM"), ("08:00", "24:01", "less than or equal")],
)
def test_shift_refuses(start: str, end: str, message: str) -> None:
    with pytest.raises((ValidationError, ValueError), match=message):
        Shift.of("X", start, end)

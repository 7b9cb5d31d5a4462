"""Work calendars: shift expansion in local time, night shifts, breaks, holidays and make-up days, refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from zhizao.errors import InputError
from zhizao.production.calendar import (
    Break,
    DowntimeKind,
    HolidayRegion,
    PlannedDowntime,
    Shift,
    WorkCalendar,
    cn_public_calendar,
    expand,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def us(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, zone: ZoneInfo = SHANGHAI) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=zone).timestamp()) * 1_000_000


NIGHT = WorkCalendar(
    shifts=(
        Shift(name="D", start="08:00", end="20:00"),
        Shift(name="N", start="20:00", end="08:00", breaks=(Break(start="23:30", end="00:30"),)),
    )
)


def test_a_night_shift_belongs_to_the_day_it_starts_and_its_break_crosses_midnight() -> None:
    # Thursday 16 to Saturday 18 May 2024: Thursday's night shift reaches into Friday, Friday's into Saturday.
    windows = expand(NIGHT, [], us(2024, 5, 17), us(2024, 5, 19))
    assert [(shift.local_date, shift.name, shift.start_us, shift.end_us) for shift in windows.shifts] == [
        (date(2024, 5, 16), "N", us(2024, 5, 17), us(2024, 5, 17, 8)),
        (date(2024, 5, 17), "D", us(2024, 5, 17, 8), us(2024, 5, 17, 20)),
        (date(2024, 5, 17), "N", us(2024, 5, 17, 20), us(2024, 5, 18, 8)),
    ]
    assert [(window.start_us, window.end_us, window.kind) for window in windows.planned_downtime] == [
        (us(2024, 5, 17), us(2024, 5, 17, 0, 30), DowntimeKind.BREAK),
        (us(2024, 5, 17, 23, 30), us(2024, 5, 18, 0, 30), DowntimeKind.BREAK),
    ]
    assert windows.pot_us == 32 * 3_600_000_000


def test_a_utc_calendar_expands_in_utc() -> None:
    calendar = WorkCalendar(
        timezone="UTC", shifts=(Shift(name="A", start="06:00", end="14:00"),), public_holidays=HolidayRegion.NONE
    )
    windows = expand(calendar, [], us(2024, 1, 1, zone=UTC), us(2024, 1, 8, zone=UTC))
    assert [shift.start_us for shift in windows.shifts] == [us(2024, 1, day, 6, zone=UTC) for day in range(1, 6)]


def test_public_holidays_make_up_days_and_the_enterprise_s_own_dates() -> None:
    calendar = WorkCalendar(
        shifts=(Shift(name="A", start="08:00", end="16:00"),),
        holidays=frozenset({date(2024, 9, 30)}),
        working_days=frozenset({date(2024, 10, 2)}),
    )
    assert not calendar.is_working_day(date(2024, 9, 28))  # Saturday
    assert calendar.is_working_day(date(2024, 9, 29))  # Sunday, a make-up working day
    assert not calendar.is_working_day(date(2024, 9, 30))  # Monday, the enterprise's day off
    assert not calendar.is_working_day(date(2024, 10, 1))  # National Day
    assert calendar.is_working_day(date(2024, 10, 2))  # a public holiday the enterprise works through
    assert calendar.is_working_day(date(2024, 10, 12))  # Saturday, a make-up working day
    ignoring = calendar.model_copy(update={"public_holidays": HolidayRegion.NONE})
    assert ignoring.is_working_day(date(2024, 10, 1)) and not ignoring.is_working_day(date(2024, 10, 12))


def test_the_holiday_table_is_consistent() -> None:
    days_off, make_up = cn_public_calendar()
    assert not days_off & make_up
    assert all(day.weekday() >= 5 for day in make_up), "make-up working days fall on weekends"
    for year in range(2020, 2027):
        assert date(year, 1, 1) in days_off and date(year, 10, 1) in days_off and date(year, 5, 1) in days_off
    assert date(2020, 2, 1) not in make_up  # cancelled when the 2020 Spring Festival was extended to 2 February
    assert {date(2026, 2, 14), date(2026, 2, 28)} <= make_up


def test_explicit_planned_downtime_is_clipped_and_a_reversed_window_is_named() -> None:
    windows = expand(
        NIGHT,
        [PlannedDowntime(us(2024, 5, 16), us(2024, 5, 17, 2), DowntimeKind.MAINTENANCE)],
        us(2024, 5, 17),
        us(2024, 5, 18),
    )
    assert (us(2024, 5, 17), us(2024, 5, 17, 2), DowntimeKind.MAINTENANCE) in [
        (window.start_us, window.end_us, window.kind) for window in windows.planned_downtime
    ]
    with pytest.raises(InputError) as raised:
        expand(NIGHT, [PlannedDowntime(us(2024, 5, 17, 3), us(2024, 5, 17, 2))], us(2024, 5, 17), us(2024, 5, 18))
    assert raised.value.fields[0].field == "planned_downtime[0]"


def test_a_period_without_working_time_is_refused_when_asked() -> None:
    windows = expand(NIGHT.model_copy(update={"weekdays": frozenset()}), [], us(2024, 5, 17), us(2024, 5, 18))
    assert windows.shifts == ()
    with pytest.raises(InputError, match="no working time"):
        windows.require_working_time()


@pytest.mark.parametrize(
    ("shifts", "message"),
    [
        ([{"name": "A", "start": "08:00", "end": "16:00"}, {"name": "B", "start": "15:00", "end": "23:00"}], "overlap"),
        ([{"name": "A", "start": "08:00", "end": "08:00"}], "no length"),
        ([{"name": "N", "start": "20:00", "end": "09:00"}, {"name": "D", "start": "08:00", "end": "16:00"}], "overlap"),
        ([{"name": "A", "start": "8:00", "end": "16:00"}], "HH:MM"),
        ([{"name": "A", "start": "08:00", "end": "16:00", "breaks": [{"start": "17:00", "end": "17:30"}]}], "inside"),
        ([{"name": "A", "start": "08:00", "end": "16:00"}, {"name": "A", "start": "16:00", "end": "20:00"}], "unique"),
        ([], "at least one shift"),
    ],
)
def test_inconsistent_calendars_are_refused(shifts: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WorkCalendar.model_validate({"shifts": shifts})


def test_a_calendar_round_trips_through_json() -> None:
    calendar = NIGHT.model_copy(update={"holidays": frozenset({date(2024, 5, 20)})})
    assert WorkCalendar.model_validate_json(calendar.model_dump_json()) == calendar


def test_expansion_is_exact_to_the_microsecond_far_from_1970() -> None:
    windows = expand(NIGHT, [], us(2024, 5, 17) + 1, us(2024, 5, 17) + timedelta(hours=1) // timedelta(microseconds=1))
    assert windows.shifts[0].start_us == us(2024, 5, 17) + 1

"""When preventive plans come due: calendar (days, weeks, months without drift) and counters, with lead."""

from __future__ import annotations

from datetime import date

import pytest

from zhizao.errors import InputError
from zhizao.maintenance.workorders.schedule import CalendarUnit, Due, add_months, calendar_due, counter_due, due_date


@pytest.mark.parametrize(
    ("unit", "interval", "occurrence", "expected"),
    [
        (CalendarUnit.DAY, 10, 0, date(2026, 1, 31)),
        (CalendarUnit.DAY, 10, 3, date(2026, 3, 2)),
        (CalendarUnit.WEEK, 2, 1, date(2026, 2, 14)),
        (CalendarUnit.MONTH, 1, 1, date(2026, 2, 28)),
        (CalendarUnit.MONTH, 1, 2, date(2026, 3, 31)),  # counted from the start: no drift to the 28th
        (CalendarUnit.MONTH, 3, 4, date(2027, 1, 31)),
    ],
)
def test_due_dates(unit: CalendarUnit, interval: int, occurrence: int, expected: date) -> None:
    assert due_date(date(2026, 1, 31), interval, unit, occurrence) == expected


def test_leap_years() -> None:
    assert add_months(date(2027, 1, 29), 13) == date(2028, 2, 29)


def test_calendar_plan_with_lead() -> None:
    start = date(2026, 3, 1)
    # Weekly, 2 days lead: occurrence 1 is due 8 March and triggers from 6 March.
    assert calendar_due(start, 1, CalendarUnit.WEEK, 2, 1, date(2026, 3, 5)) is None
    assert calendar_due(start, 1, CalendarUnit.WEEK, 2, 1, date(2026, 3, 6)) == Due(1, 0)
    # The job was down for three weeks: one order for the latest occurrence, two missed.
    assert calendar_due(start, 1, CalendarUnit.WEEK, 2, 1, date(2026, 3, 23)) == Due(3, 2)
    assert calendar_due(start, 1, CalendarUnit.WEEK, 0, 0, date(2026, 3, 1)) == Due(0, 0)


def test_counter_plan_with_lead() -> None:
    # Every 500 h with 20 h lead (in seconds as the job counts): occurrence 1 triggers at 480 h.
    hour = 3600
    assert counter_due(479 * hour, 500 * hour, 20 * hour, 1) is None
    assert counter_due(480 * hour, 500 * hour, 20 * hour, 1) == Due(1, 0)
    assert counter_due(990 * hour, 500 * hour, 20 * hour, 2) == Due(2, 0)
    assert counter_due(2000 * hour, 500 * hour, 0, 2) == Due(4, 2)
    assert counter_due(100, 1000, 0, 1) is None


def test_bad_intervals_name_the_field() -> None:
    with pytest.raises(InputError) as caught:
        counter_due(1, 0, 0, 1)
    assert caught.value.fields[0].field == "body.interval"

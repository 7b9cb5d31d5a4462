"""When a preventive maintenance plan comes due. Pure.

A plan's occurrences are numbered. A calendar plan's occurrence k is due on ``start + k·interval`` (k = 0, 1, …),
always counted from the start date so that monthly plans do not drift (31 January + 1 month is 28/29 February,
+ 2 months is 31 March). A counter plan's occurrence k is due when the usage counted since the plan began reaches
``k·interval`` (k = 1, 2, …): operating seconds from the state ledger, or good parts from the counter signal.

An occurrence triggers ``lead`` ahead of its due point (days, or seconds / parts), so the order exists before the
work is due. When the job has not run for a while and several occurrences have passed, one order is made for the
latest of them and the missed ones are counted, never a burst of orders for work that is done once.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from zhizao.errors import InputError
from zhizao.ui.i18n import N_


class Trigger(StrEnum):
    CALENDAR = "calendar"
    OPERATING_HOURS = "operating_hours"
    CYCLES = "cycles"


class CalendarUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


TRIGGER_LABELS: dict[str, str] = {
    Trigger.CALENDAR: N_("By calendar"),
    Trigger.OPERATING_HOURS: N_("By operating hours"),
    Trigger.CYCLES: N_("By cycles (good parts)"),
}
UNIT_LABELS: dict[str, str] = {
    CalendarUnit.DAY: N_("days"),
    CalendarUnit.WEEK: N_("weeks"),
    CalendarUnit.MONTH: N_("months"),
}

MAX_OCCURRENCES = 100_000  # a guard: a plan never has more occurrences than that in its life


class Due(NamedTuple):
    occurrence: int
    missed: int  # earlier occurrences that passed without an order


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(start: date, interval: int, unit: CalendarUnit, occurrence: int) -> date:
    """The day occurrence ``occurrence`` (0-based) of a calendar plan is due."""
    if interval < 1:
        raise InputError.for_field("body.interval", "must be at least 1")
    steps = interval * occurrence
    if unit is CalendarUnit.MONTH:
        return add_months(start, steps)
    return start + timedelta(days=steps * (7 if unit is CalendarUnit.WEEK else 1))


def calendar_due(
    start: date, interval: int, unit: CalendarUnit, lead_days: int, next_occurrence: int, today: date
) -> Due | None:
    """The occurrence to make an order for on ``today`` (a local date), or None when nothing is due yet."""
    if due_date(start, interval, unit, next_occurrence) - timedelta(days=lead_days) > today:
        return None
    occurrence = next_occurrence
    while (
        occurrence - next_occurrence < MAX_OCCURRENCES
        and due_date(start, interval, unit, occurrence + 1) - timedelta(days=lead_days) <= today
    ):
        occurrence += 1
    return Due(occurrence, occurrence - next_occurrence)


def counter_due(usage: int, interval: int, lead: int, next_occurrence: int) -> Due | None:
    """The occurrence (1-based) due at ``usage`` counted since the plan began, or None when nothing is due."""
    if interval < 1:
        raise InputError.for_field("body.interval", "must be at least 1")
    if usage < 0:
        raise InputError.for_field("usage", "usage must not be negative")
    if usage < next_occurrence * interval - lead:
        return None
    occurrence = max(next_occurrence, (usage + lead) // interval)
    return Due(occurrence, occurrence - next_occurrence)


def due_point(interval: int, occurrence: int) -> int:
    """The usage at which counter occurrence ``occurrence`` is due."""
    return interval * occurrence

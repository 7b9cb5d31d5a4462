"""Defect figures of the inspection stations: a Pareto of defect classes and the defect rate per day and shift.

Verdicts count as reviewed: a reviewer's verdict replaces the model's. A defect without a class is counted under
"anomalous" (an anomaly model names none). Shifts: when every station in the figures sits on equipment with the
same production work calendar (``production.equipment_plan.calendar_of``), its shifts, with the day a shift
belongs to as the calendar says (a night shift belongs to the day it starts); otherwise three fixed shifts in the
platform's time zone, 08:00–16:00, 16:00–24:00 and 00:00–08:00, each on its local day. An inspection outside every
calendar shift is counted under "off shift".
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import InputError
from zhizao.production.calendar import ShiftInstance, WorkCalendar, expand
from zhizao.production.equipment_plan import calendar_of
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.timeutil import to_us
from zhizao.vision import stations
from zhizao.vision.station_models import VisionInspection, VisionStation
from zhizao.vision.station_schemas import ParetoRow, QualityFigures, TrendRow
from zhizao.vision.types import VerdictKind

MAX_DAYS = 92
MAX_ROWS = 500_000
FIXED_SHIFTS = (("08–16", 8), ("16–24", 16), ("00–08", 0))  # (name, first hour); listed in the day's order
FIXED_SOURCE = "fixed 08–16 / 16–24 / 00–08"
OFF_SHIFT = "off shift"
UNCLASSIFIED = "anomalous"
ShiftOf = Callable[[datetime], tuple[str, str]]  # a moment → (local day, shift name)


def figures(
    session: Session,
    actor: Principal,
    start: datetime,
    end: datetime,
    *,
    timezone: str,
    product_code: str | None = None,
    station_id: int | None = None,
    organisation_id: int | None = None,
) -> QualityFigures:
    stations.require_roles(actor, stations.READERS)
    if end <= start:
        raise InputError.for_field("query.end", "the period ends before it starts")
    if end - start > timedelta(days=MAX_DAYS):
        raise InputError.for_field("query.end", f"at most {MAX_DAYS} days at once")
    scope = select(VisionStation.id, VisionStation.equipment_id)
    if actor.role == Role.ENTERPRISE:
        scope = scope.where(VisionStation.organisation_id == actor.organisation_id)
    elif organisation_id is not None:
        scope = scope.where(VisionStation.organisation_id == organisation_id)
    if station_id is not None:
        scope = scope.where(VisionStation.id == stations.get_station(session, actor, station_id).id)
    equipment_of = dict(session.execute(scope).all())
    base = select(VisionInspection).where(VisionInspection.station_id.in_(list(equipment_of) or [0]))
    products = sorted(set(session.scalars(base.with_only_columns(VisionInspection.product_code).distinct())))
    query = base.with_only_columns(
        VisionInspection.station_id, VisionInspection.received_at, VisionInspection.verdict_kind,
        VisionInspection.label, VisionInspection.reviewed_kind, VisionInspection.reviewed_label,
    ).where(VisionInspection.received_at >= start, VisionInspection.received_at < end)  # fmt: skip
    if product_code:
        query = query.where(VisionInspection.product_code == product_code)
    rows = session.execute(query.order_by(VisionInspection.received_at).limit(MAX_ROWS)).all()
    used_equipment = {equipment_of[row[0]] for row in rows} or set(equipment_of.values())
    calendar, calendar_name = _common_calendar(session, used_equipment)
    shift_of = _calendar_shifts(calendar, start, end) if calendar else _fixed_shifts(ZoneInfo(timezone))
    shift_names = [shift.name for shift in calendar.shifts] if calendar else [name for name, _hour in FIXED_SHIFTS]
    defects: Counter[str] = Counter()
    inspected: Counter[tuple[str, str]] = Counter()
    flagged: Counter[tuple[str, str]] = Counter()
    for _station, received_at, kind, label, reviewed_kind, reviewed_label in rows:
        key = shift_of(received_at)
        inspected[key] += 1
        final_kind = reviewed_kind or kind
        if final_kind is not VerdictKind.PASS:
            flagged[key] += 1
            defects[(reviewed_label if reviewed_kind else label) or UNCLASSIFIED] += 1
    if OFF_SHIFT in {shift for _day, shift in inspected}:
        shift_names.append(OFF_SHIFT)
    total_defects = sum(defects.values())
    pareto, running = [], 0
    for label, count in sorted(defects.items(), key=lambda item: (-item[1], item[0])):
        running += count
        pareto.append(ParetoRow(label=label, count=count, cumulative_share=running / total_defects))
    order = {name: index for index, name in enumerate(shift_names)}
    trend = [
        TrendRow(
            day=day,
            shift=shift,
            inspected=count,
            defects=flagged[(day, shift)],
            defect_rate=flagged[(day, shift)] / count,
        )
        for (day, shift), count in sorted(inspected.items(), key=lambda item: (item[0][0], order[item[0][1]]))
    ]
    return QualityFigures(
        product_code=product_code or None, start=start, end=end, shifts=shift_names,
        shift_source=f"calendar: {calendar_name}" if calendar else FIXED_SOURCE, inspected=sum(inspected.values()),
        defects=total_defects, pareto=pareto, trend=trend, products=products,
    )  # fmt: skip


def _common_calendar(session: Session, equipment_ids: set[int]) -> tuple[WorkCalendar | None, str]:
    """The work calendar every one of the equipment has (the same definition), or None."""
    found: list[WorkCalendar | None] = []
    for equipment_id in sorted(equipment_ids):
        equipment = session.get(Equipment, equipment_id)
        found.append(calendar_of(session, equipment)[0] if equipment is not None else None)
    first = found[0] if found else None
    if first is None or any(other != first for other in found):
        return None, ""
    names = ", ".join(shift.name for shift in first.shifts)
    return first, names


def _calendar_shifts(calendar: WorkCalendar, start: datetime, end: datetime) -> ShiftOf:
    windows = expand(calendar, [], to_us(start) - 86_400_000_000, to_us(end) + 86_400_000_000)
    instances: list[ShiftInstance] = list(windows.shifts)
    starts = [instance.start_us for instance in instances]

    def shift_of(moment: datetime) -> tuple[str, str]:
        ts_us = to_us(moment)
        index = bisect.bisect_right(starts, ts_us) - 1
        if index >= 0 and ts_us < instances[index].end_us:
            return instances[index].local_date.isoformat(), instances[index].name
        local = moment.astimezone(ZoneInfo(calendar.timezone))
        return local.date().isoformat(), OFF_SHIFT

    return shift_of


def _fixed_shifts(zone: ZoneInfo) -> ShiftOf:
    def shift_of(moment: datetime) -> tuple[str, str]:
        local = moment.astimezone(zone)
        name = next(name for name, hour in FIXED_SHIFTS if hour <= local.hour < hour + 8)
        return local.date().isoformat(), name

    return shift_of

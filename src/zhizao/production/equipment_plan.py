"""One piece of equipment's plan as the time model needs it: its work calendar, its micro-stop threshold (set in
one place, ``EquipmentSetting``) and its planned downtime (its own and the enterprise-wide windows)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhizao.production.calendar import CalendarWindows, PlannedDowntime, WorkCalendar, expand
from zhizao.production.models import EquipmentSetting, PlannedDowntimeRecord, WorkCalendarRecord
from zhizao.telemetry.models import Equipment

DEFAULT_MICRO_STOP_S = 120  # the column's default: two minutes, a common choice for machining
US = 1_000_000


def work_calendar(record: WorkCalendarRecord) -> WorkCalendar:
    """The stored definition as the engine's model."""
    return WorkCalendar.model_validate(record.definition)


def micro_stop_us(session: Session, equipment_id: int) -> int:
    setting = session.get(EquipmentSetting, equipment_id)
    return (setting.micro_stop_s if setting is not None else DEFAULT_MICRO_STOP_S) * US


def calendar_of(session: Session, equipment: Equipment) -> tuple[WorkCalendar | None, int]:
    """The equipment's calendar (None without one) and its micro-stop threshold in µs."""
    setting = session.get(EquipmentSetting, equipment.id)
    threshold_us = (setting.micro_stop_s if setting is not None else DEFAULT_MICRO_STOP_S) * US
    record = session.get(WorkCalendarRecord, setting.calendar_id) if setting and setting.calendar_id else None
    return (work_calendar(record) if record is not None else None), threshold_us


def planned_downtime(session: Session, equipment: Equipment, start_us: int, end_us: int) -> list[PlannedDowntime]:
    rows = session.scalars(
        select(PlannedDowntimeRecord).where(
            PlannedDowntimeRecord.enterprise_id == equipment.enterprise_id,
            or_(PlannedDowntimeRecord.equipment_id.is_(None), PlannedDowntimeRecord.equipment_id == equipment.id),
            PlannedDowntimeRecord.end_us > start_us,
            PlannedDowntimeRecord.start_us < end_us,
        )
    )
    return [PlannedDowntime(row.start_us, row.end_us, row.kind) for row in rows]


def windows_for(
    session: Session, equipment: Equipment, calendar: WorkCalendar, start_us: int, end_us: int
) -> CalendarWindows:
    """``calendar`` (the equipment's) expanded over [start_us, end_us) with the equipment's planned downtime."""
    return expand(calendar, planned_downtime(session, equipment, start_us, end_us), start_us, end_us)


def planned_windows(session: Session, equipment: Equipment, start_us: int, end_us: int) -> CalendarWindows | None:
    """The equipment's calendar expanded over [start_us, end_us) with its planned downtime; None without one."""
    calendar, _threshold = calendar_of(session, equipment)
    return None if calendar is None else windows_for(session, equipment, calendar, start_us, end_us)

"""Work calendars, the production settings of equipment (calendar, micro-stop threshold) and planned downtime.

Calendars are stored as ``calendar.WorkCalendar`` JSON, validated on the way in; the micro-stop threshold of a
piece of equipment is set here and nowhere else (``EquipmentSetting.micro_stop_s``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.production import calendar
from zhizao.production.equipment_plan import DEFAULT_MICRO_STOP_S, work_calendar
from zhizao.production.models import EquipmentSetting, PlannedDowntimeRecord, WorkCalendarRecord
from zhizao.production.schemas import (
    CalendarCreate,
    CalendarDayChange,
    CalendarDayKind,
    CalendarRead,
    CalendarUpdate,
    DowntimeCreate,
    DowntimeRead,
    DowntimeUpdate,
    EquipmentSettingRead,
    EquipmentSettingUpdate,
)
from zhizao.telemetry.assets import flush_unique
from zhizao.telemetry.models import AssetNode, Equipment
from zhizao.telemetry.scope import enterprise_for_write, get_scoped, same_enterprise, tenant_clauses
from zhizao.telemetry.timeutil import from_us, to_us

CALENDAR_FIELDS = ("enterprise_id", "name", "definition")
SETTING_FIELDS = ("equipment_id", "calendar_id", "micro_stop_s")
DOWNTIME_FIELDS = ("enterprise_id", "equipment_id", "start_us", "end_us", "kind", "note")


# --- calendars ---------------------------------------------------------------------------------------------


def calendar_read(record: WorkCalendarRecord) -> CalendarRead:
    return CalendarRead(
        id=record.id,
        enterprise_id=record.enterprise_id,
        name=record.name,
        definition=work_calendar(record),
        updated_at=record.updated_at,
    )


def list_calendars(
    session: Session, actor: Principal, enterprise_id: int | None = None
) -> Sequence[WorkCalendarRecord]:
    query = select(WorkCalendarRecord).where(*tenant_clauses(actor, WorkCalendarRecord.enterprise_id, enterprise_id))
    return session.scalars(query.order_by(WorkCalendarRecord.enterprise_id, WorkCalendarRecord.name)).all()


def create_calendar(session: Session, actor: Principal, data: CalendarCreate) -> WorkCalendarRecord:
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        record = WorkCalendarRecord(
            enterprise_id=enterprise_id, name=data.name, definition=data.definition.model_dump(mode="json")
        )
        session.add(record)
        flush_unique(session, "body.name", f"a calendar named {data.name!r} already exists in this enterprise")
        audit.record(
            session, actor, action="work_calendar.create", entity_type="work_calendar", entity_id=record.id,
            organisation_id=enterprise_id, after=audit.snapshot(record, CALENDAR_FIELDS),
        )  # fmt: skip
    return record


def update_calendar(session: Session, actor: Principal, calendar_id: int, data: CalendarUpdate) -> WorkCalendarRecord:
    with session.begin():
        record = get_scoped(session, actor, WorkCalendarRecord, calendar_id, "calendar")
        before = audit.snapshot(record, CALENDAR_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        for required in ("name", "definition"):
            if required in changes and changes[required] is None:
                raise InputError.for_field(f"body.{required}", "must not be null")
        if data.name is not None:
            record.name = data.name
        if data.definition is not None:
            record.definition = data.definition.model_dump(mode="json")
        flush_unique(session, "body.name", f"a calendar named {record.name!r} already exists in this enterprise")
        audit.record(
            session, actor, action="work_calendar.update", entity_type="work_calendar", entity_id=record.id,
            organisation_id=record.enterprise_id, before=before, after=audit.snapshot(record, CALENDAR_FIELDS),
        )  # fmt: skip
    return record


def add_calendar_day(
    session: Session, actor: Principal, calendar_id: int, change: CalendarDayChange
) -> WorkCalendarRecord:
    """Make a date a holiday (a day off) or a make-up working day (调休) of this calendar."""

    def apply(holidays: set[date], working_days: set[date]) -> None:
        added, other = (holidays, working_days) if change.kind == CalendarDayKind.HOLIDAY else (working_days, holidays)
        added.add(change.day)
        other.discard(change.day)

    return _change_days(session, actor, calendar_id, apply, f"{change.kind.value} {change.day.isoformat()}")


def remove_calendar_day(session: Session, actor: Principal, calendar_id: int, day: date) -> WorkCalendarRecord:
    """Take back a date the enterprise added: the public holiday calendar and the weekdays decide it again."""

    def apply(holidays: set[date], working_days: set[date]) -> None:
        if day not in holidays and day not in working_days:
            raise InputError.for_field("path.day", f"{day} is neither a holiday nor a working day of this calendar")
        holidays.discard(day)
        working_days.discard(day)

    return _change_days(session, actor, calendar_id, apply, f"removed {day.isoformat()}")


def _change_days(
    session: Session,
    actor: Principal,
    calendar_id: int,
    apply: Callable[[set[date], set[date]], None],
    detail: str,
) -> WorkCalendarRecord:
    with session.begin():
        record = get_scoped(session, actor, WorkCalendarRecord, calendar_id, "calendar")
        current = work_calendar(record)
        holidays, working_days = set(current.holidays), set(current.working_days)
        apply(holidays, working_days)
        definition = current.model_dump() | {"holidays": holidays, "working_days": working_days}
        before = audit.snapshot(record, CALENDAR_FIELDS)
        record.definition = calendar.WorkCalendar.model_validate(definition).model_dump(mode="json")
        audit.record(
            session, actor, action="work_calendar.change_day", entity_type="work_calendar", entity_id=record.id,
            organisation_id=record.enterprise_id, before=before, after=audit.snapshot(record, CALENDAR_FIELDS),
            detail=detail,
        )  # fmt: skip
    return record


def delete_calendar(session: Session, actor: Principal, calendar_id: int) -> None:
    """Remove a calendar; equipment that used it keeps running without one (its settings' calendar is cleared)."""
    with session.begin():
        record = get_scoped(session, actor, WorkCalendarRecord, calendar_id, "calendar")
        for setting in session.scalars(select(EquipmentSetting).where(EquipmentSetting.calendar_id == record.id)):
            setting.calendar_id = None
        audit.record(
            session, actor, action="work_calendar.delete", entity_type="work_calendar", entity_id=record.id,
            organisation_id=record.enterprise_id, before=audit.snapshot(record, CALENDAR_FIELDS),
        )  # fmt: skip
        session.delete(record)


# --- equipment settings ------------------------------------------------------------------------------------


def _setting_read(equipment: Equipment, setting: EquipmentSetting | None) -> EquipmentSettingRead:
    return EquipmentSettingRead(
        equipment_id=equipment.id,
        enterprise_id=equipment.enterprise_id,
        calendar_id=setting.calendar_id if setting else None,
        micro_stop_s=setting.micro_stop_s if setting else DEFAULT_MICRO_STOP_S,
    )


def read_setting(session: Session, actor: Principal, equipment_id: int) -> EquipmentSettingRead:
    """The settings of one piece of equipment; the defaults (no calendar, 120 s) until any is set."""
    equipment = get_scoped(session, actor, Equipment, equipment_id, "equipment")
    return _setting_read(equipment, session.get(EquipmentSetting, equipment.id))


def list_settings(
    session: Session, actor: Principal, *, enterprise_id: int | None = None, node_id: int | None = None
) -> list[EquipmentSettingRead]:
    clauses = tenant_clauses(actor, Equipment.enterprise_id, enterprise_id)
    if node_id is not None:
        node = session.get(AssetNode, node_id)
        clauses.append(Equipment.node_id.in_(_subtree(session, node) if node else []))
    rows = session.execute(
        select(Equipment, EquipmentSetting)
        .outerjoin(EquipmentSetting, EquipmentSetting.equipment_id == Equipment.id)
        .where(*clauses)
        .order_by(Equipment.enterprise_id, Equipment.code)
    ).all()
    return [_setting_read(equipment, setting) for equipment, setting in rows]


def _setting_for_change(session: Session, equipment: Equipment) -> EquipmentSetting:
    setting = session.get(EquipmentSetting, equipment.id)
    if setting is None:
        setting = EquipmentSetting(
            equipment_id=equipment.id, enterprise_id=equipment.enterprise_id, micro_stop_s=DEFAULT_MICRO_STOP_S
        )
        session.add(setting)
    return setting


def update_setting(
    session: Session, actor: Principal, equipment_id: int, data: EquipmentSettingUpdate
) -> EquipmentSettingRead:
    with session.begin():
        equipment = get_scoped(session, actor, Equipment, equipment_id, "equipment")
        changes = data.model_dump(exclude_unset=True)
        if "micro_stop_s" in changes and changes["micro_stop_s"] is None:
            raise InputError.for_field("body.micro_stop_s", "must not be null")
        same_enterprise(
            session, WorkCalendarRecord, changes.get("calendar_id"), equipment.enterprise_id, "body.calendar_id"
        )
        setting = _setting_for_change(session, equipment)
        before = audit.snapshot(setting, SETTING_FIELDS)
        for name, value in changes.items():
            setattr(setting, name, value)
        session.flush()
        audit.record(
            session, actor, action="equipment_setting.update", entity_type="equipment", entity_id=equipment.id,
            organisation_id=equipment.enterprise_id, before=before, after=audit.snapshot(setting, SETTING_FIELDS),
        )  # fmt: skip
        return _setting_read(equipment, setting)


def _subtree(session: Session, root: AssetNode) -> list[int]:
    """The node and every node below it."""
    children: dict[int | None, list[int]] = {}
    rows = session.execute(
        select(AssetNode.id, AssetNode.parent_id).where(AssetNode.enterprise_id == root.enterprise_id)
    )
    for node_id, parent_id in rows:
        children.setdefault(parent_id, []).append(node_id)
    found, pending = [], [root.id]
    while pending:
        node_id = pending.pop()
        found.append(node_id)
        pending.extend(children.get(node_id, []))
    return found


def assign_calendar_to_node(
    session: Session, actor: Principal, node_id: int, calendar_id: int | None
) -> list[EquipmentSettingRead]:
    """Give every piece of equipment under an asset node (at any depth) the same calendar, or none."""
    with session.begin():
        node = get_scoped(session, actor, AssetNode, node_id, "asset node")
        same_enterprise(session, WorkCalendarRecord, calendar_id, node.enterprise_id, "body.calendar_id")
        equipment = session.scalars(
            select(Equipment).where(Equipment.node_id.in_(_subtree(session, node))).order_by(Equipment.code)
        ).all()
        results = []
        for item in equipment:
            setting = _setting_for_change(session, item)
            setting.calendar_id = calendar_id
            results.append(_setting_read(item, setting))
        session.flush()
        audit.record(
            session, actor, action="equipment_setting.assign_calendar", entity_type="asset_node", entity_id=node.id,
            organisation_id=node.enterprise_id,
            after={"calendar_id": calendar_id, "equipment_ids": [item.id for item in equipment]},
        )  # fmt: skip
    return results


# --- planned downtime --------------------------------------------------------------------------------------


def downtime_read(record: PlannedDowntimeRecord) -> DowntimeRead:
    return DowntimeRead(
        id=record.id,
        enterprise_id=record.enterprise_id,
        equipment_id=record.equipment_id,
        start=from_us(record.start_us),
        end=from_us(record.end_us),
        kind=record.kind,
        note=record.note,
    )


def list_downtime(
    session: Session,
    actor: Principal,
    *,
    enterprise_id: int | None = None,
    equipment_id: int | None = None,
    start_us: int | None = None,
    end_us: int | None = None,
) -> Sequence[PlannedDowntimeRecord]:
    """Windows in scope; for one piece of equipment, its own and the enterprise-wide ones; those overlapping
    [start_us, end_us) when given."""
    clauses = tenant_clauses(actor, PlannedDowntimeRecord.enterprise_id, enterprise_id)
    if equipment_id is not None:
        equipment = get_scoped(session, actor, Equipment, equipment_id, "equipment")
        clauses.append(PlannedDowntimeRecord.enterprise_id == equipment.enterprise_id)
        clauses.append(
            or_(PlannedDowntimeRecord.equipment_id == equipment.id, PlannedDowntimeRecord.equipment_id.is_(None))
        )
    if start_us is not None:
        clauses.append(PlannedDowntimeRecord.end_us > start_us)
    if end_us is not None:
        clauses.append(PlannedDowntimeRecord.start_us < end_us)
    query = select(PlannedDowntimeRecord).where(*clauses)
    return session.scalars(query.order_by(PlannedDowntimeRecord.start_us, PlannedDowntimeRecord.id)).all()


def _check_window(record: PlannedDowntimeRecord) -> None:
    if record.end_us <= record.start_us:
        raise InputError.for_field("body.end", "planned downtime must end after it starts")


def create_downtime(session: Session, actor: Principal, data: DowntimeCreate) -> PlannedDowntimeRecord:
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        same_enterprise(session, Equipment, data.equipment_id, enterprise_id, "body.equipment_id")
        record = PlannedDowntimeRecord(
            enterprise_id=enterprise_id, equipment_id=data.equipment_id, start_us=to_us(data.start),
            end_us=to_us(data.end), kind=data.kind, note=data.note,
        )  # fmt: skip
        _check_window(record)
        session.add(record)
        session.flush()
        audit.record(
            session, actor, action="planned_downtime.create", entity_type="planned_downtime", entity_id=record.id,
            organisation_id=enterprise_id, after=audit.snapshot(record, DOWNTIME_FIELDS),
        )  # fmt: skip
    return record


def update_downtime(
    session: Session, actor: Principal, downtime_id: int, data: DowntimeUpdate
) -> PlannedDowntimeRecord:
    with session.begin():
        record = get_scoped(session, actor, PlannedDowntimeRecord, downtime_id, "planned downtime")
        before = audit.snapshot(record, DOWNTIME_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        for required in ("start", "end", "kind"):
            if required in changes and changes[required] is None:
                raise InputError.for_field(f"body.{required}", "must not be null")
        if data.start is not None:
            record.start_us = to_us(data.start)
        if data.end is not None:
            record.end_us = to_us(data.end)
        if data.kind is not None:
            record.kind = data.kind
        if "note" in changes:
            record.note = data.note
        _check_window(record)
        audit.record(
            session, actor, action="planned_downtime.update", entity_type="planned_downtime", entity_id=record.id,
            organisation_id=record.enterprise_id, before=before, after=audit.snapshot(record, DOWNTIME_FIELDS),
        )  # fmt: skip
    return record


def delete_downtime(session: Session, actor: Principal, downtime_id: int) -> None:
    with session.begin():
        record = get_scoped(session, actor, PlannedDowntimeRecord, downtime_id, "planned downtime")
        audit.record(
            session, actor, action="planned_downtime.delete", entity_type="planned_downtime", entity_id=record.id,
            organisation_id=record.enterprise_id, before=audit.snapshot(record, DOWNTIME_FIELDS),
        )  # fmt: skip
        session.delete(record)

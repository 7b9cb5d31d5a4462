"""Work orders: create (by hand, from an alarm event, a maintenance case or a plan), change, list, read, delete
while still open; spare parts. Transitions live in ``transitions``. Every change is audited and every status
change is also in the order's own timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, InputError, NotFound
from zhizao.maintenance.models_health import MaintenanceCase
from zhizao.maintenance.models_workorders import WorkOrder, WorkOrderEvent, WorkOrderPart
from zhizao.maintenance.workorders import access, codes
from zhizao.maintenance.workorders.lifecycle import EDITABLE_STATUSES, INITIAL_STATUS, Status
from zhizao.maintenance.workorders.schemas import PartCreate, WorkOrderCreate, WorkOrderUpdate
from zhizao.maintenance.workorders.types import OrderKind, OrderSource
from zhizao.telemetry.alarms.models import AlarmEvent
from zhizao.telemetry.scope import enterprise_for_write

ORDER_FIELDS = (
    "enterprise_id", "equipment_id", "title", "source", "alarm_event_id", "case_id", "plan_id", "priority", "kind",
    "status", "assignee_user_id", "assignee_name", "planned_start", "planned_end", "actual_start", "actual_end",
    "failure_mode", "failure_cause", "remedy", "labour_hours", "worked_by", "verified_by",
)  # fmt: skip
MAX_EXPORT = 20_000


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def add_event(
    session: Session,
    order: WorkOrder,
    actor: Principal | None,
    action: str,
    before: Status | None,
    comment: str | None = None,
    *,
    at: datetime | None = None,
) -> None:
    session.add(
        WorkOrderEvent(
            order_id=order.id, enterprise_id=order.enterprise_id, action=action,
            from_status=before.value if before else None, to_status=order.status.value,
            user_id=actor.user_id if actor else None, user_name=actor.display_name if actor else "system",
            comment=comment, at=_now(at),
        )
    )  # fmt: skip


def record(
    session: Session, actor: Principal | None, order: WorkOrder, action: str, before: dict[str, Any] | None = None
) -> None:
    audit.record(
        session, actor, action=f"work_order.{action}", entity_type="work_order", entity_id=order.id,
        organisation_id=order.enterprise_id, before=before, after=audit.snapshot(order, ORDER_FIELDS),
    )  # fmt: skip


def check_assignee(session: Session, enterprise_id: int, user_id: int | None, field: str) -> None:
    """An assignee named by id is an active user of the order's enterprise."""
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is None or user.organisation_id != enterprise_id or not user.is_active:
        raise InputError.for_field(field, f"user {user_id} is not an active user of this enterprise")


def _alarm_event(session: Session, enterprise_id: int, equipment_id: int, event_id: int | None) -> AlarmEvent | None:
    if event_id is None:
        return None
    event = session.get(AlarmEvent, event_id)
    if event is None or event.enterprise_id != enterprise_id:
        raise InputError.for_field("body.alarm_event_id", f"{event_id} is not an alarm event of this enterprise")
    if event.equipment_id is not None and event.equipment_id != equipment_id:
        raise InputError.for_field("body.alarm_event_id", f"alarm event {event_id} is of other equipment")
    return event


def _check_case(session: Session, enterprise_id: int, equipment_id: int, case_id: int | None) -> None:
    if case_id is None:
        return
    case = session.get(MaintenanceCase, case_id)
    if case is None or case.enterprise_id != enterprise_id:
        raise InputError.for_field("body.case_id", f"{case_id} is not a maintenance case of this enterprise")
    if case.equipment_id != equipment_id:
        raise InputError.for_field("body.case_id", f"maintenance case {case_id} is of other equipment")


def create_order(session: Session, actor: Principal, data: WorkOrderCreate, now: datetime | None = None) -> WorkOrder:
    now = _now(now)
    with session.begin():
        equipment = access.equipment_for(session, actor, data.equipment_id, now, write=True)
        if actor.role == Role.ADMIN:
            enterprise_id = enterprise_for_write(session, actor, data.enterprise_id or equipment.enterprise_id)
        else:
            enterprise_id = equipment.enterprise_id
        if data.enterprise_id is not None and data.enterprise_id != enterprise_id:
            raise InputError.for_field("body.enterprise_id", "the equipment belongs to another enterprise")
        event = _alarm_event(session, enterprise_id, equipment.id, data.alarm_event_id)
        _check_case(session, enterprise_id, equipment.id, data.case_id)
        check_assignee(session, enterprise_id, data.assignee_user_id, "body.assignee_user_id")
        source = OrderSource.ALARM if event else OrderSource.CASE if data.case_id else OrderSource.MANUAL
        order = WorkOrder(
            enterprise_id=enterprise_id, equipment_id=equipment.id, title=data.title, description=data.description,
            source=source, alarm_event_id=event.id if event else None, case_id=data.case_id,
            priority=data.priority, kind=data.kind, status=INITIAL_STATUS,
            assignee_user_id=data.assignee_user_id, assignee_name=data.assignee_name,
            planned_start=data.planned_start, planned_end=data.planned_end, notes=data.notes,
            onset_us=event.ts_us if event else None, created_by=actor.user_id, created_by_name=actor.display_name,
        )  # fmt: skip
        session.add(order)
        session.flush()
        add_event(session, order, actor, "create", None, at=now)
        record(session, actor, order, "create")
    return order


def add_plan_order(
    session: Session, plan_id: int, occurrence: int, values: dict[str, Any], comment: str, now: datetime
) -> WorkOrder:
    """A preventive order made by the plan job (inside its transaction), with the system as its author."""
    order = WorkOrder(
        source=OrderSource.PLAN, kind=OrderKind.PREVENTIVE, status=INITIAL_STATUS, plan_id=plan_id,
        plan_occurrence=occurrence, created_by=None, created_by_name="system", **values,
    )  # fmt: skip
    session.add(order)
    session.flush()
    add_event(session, order, None, "create", None, comment, at=now)
    record(session, None, order, "create")
    return order


def get_order(session: Session, actor: Principal, order_id: int, now: datetime | None = None) -> WorkOrder:
    clauses = access.clauses(session, actor, WorkOrder.enterprise_id, WorkOrder.equipment_id, _now(now))
    order = session.scalar(select(WorkOrder).where(WorkOrder.id == order_id, *clauses))
    if order is None:
        raise NotFound(f"work order {order_id} not found")
    return order


def editable_order(session: Session, actor: Principal, order_id: int, now: datetime | None = None) -> WorkOrder:
    order = get_order(session, actor, order_id, now)
    access.equipment_for(session, actor, order.equipment_id, _now(now), write=True)
    if order.status not in EDITABLE_STATUSES:
        raise Conflict(f"work order {order_id} is {order.status.value}: it is history now and is not changed")
    return order


def _check_times(order: WorkOrder) -> None:
    for start, end, field in (
        (order.planned_start, order.planned_end, "body.planned_end"),
        (order.actual_start, order.actual_end, "body.actual_end"),
    ):
        if start is not None and end is not None and end <= start:
            raise InputError.for_field(field, "must be after the start")


def update_order(
    session: Session, actor: Principal, order_id: int, data: WorkOrderUpdate, now: datetime | None = None
) -> WorkOrder:
    changes = data.model_dump(exclude_unset=True)
    for kind in ("failure_mode", "failure_cause", "remedy"):
        if kind in changes:
            codes.check_code(kind, changes[kind], f"body.{kind}")
    with session.begin():
        order = editable_order(session, actor, order_id, now)
        before = audit.snapshot(order, ORDER_FIELDS)
        for name, value in changes.items():
            setattr(order, name, value)
        _check_times(order)
        record(session, actor, order, "update", before)
    return order


def delete_order(session: Session, actor: Principal, order_id: int, now: datetime | None = None) -> None:
    """Only an open order that nobody has worked on yet goes; later ones are cancelled, so history stays."""
    with session.begin():
        order = editable_order(session, actor, order_id, now)
        if order.status is not Status.OPEN:
            raise Conflict(f"work order {order_id} is {order.status.value}: cancel it instead of deleting it")
        before = audit.snapshot(order, ORDER_FIELDS)
        audit.record(
            session, actor, action="work_order.delete", entity_type="work_order", entity_id=order.id,
            organisation_id=order.enterprise_id, before=before,
        )  # fmt: skip
        session.delete(order)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    enterprise_id: int | None = None
    equipment_id: int | None = None
    status: Status | None = None
    kind: OrderKind | None = None
    source: OrderSource | None = None
    priority: int | None = None
    start: datetime | None = None  # created at or after
    end: datetime | None = None  # created before
    text: str | None = None


def _where(session: Session, actor: Principal, where: OrderFilter, now: datetime) -> list[ColumnElement[bool]]:
    if where.start and where.end and where.end <= where.start:
        raise InputError.for_field("query.end", "the period ends before it starts")
    clauses = access.clauses(session, actor, WorkOrder.enterprise_id, WorkOrder.equipment_id, now)
    for column, value in (
        (WorkOrder.enterprise_id, where.enterprise_id), (WorkOrder.equipment_id, where.equipment_id),
        (WorkOrder.status, where.status), (WorkOrder.kind, where.kind), (WorkOrder.source, where.source),
        (WorkOrder.priority, where.priority),
    ):  # fmt: skip
        if value is not None:
            clauses.append(column == value)
    if where.start is not None:
        clauses.append(WorkOrder.created_at >= where.start)
    if where.end is not None:
        clauses.append(WorkOrder.created_at < where.end)
    if where.text:
        pattern = f"%{where.text}%"
        clauses.append(or_(WorkOrder.title.ilike(pattern), WorkOrder.description.ilike(pattern)))
    return clauses


def list_orders(
    session: Session, actor: Principal, where: OrderFilter, *, offset: int = 0, limit: int = 50,
    now: datetime | None = None,
) -> tuple[Sequence[WorkOrder], int]:  # fmt: skip
    clauses = _where(session, actor, where, _now(now))
    total = session.scalar(select(func.count()).select_from(WorkOrder).where(*clauses)) or 0
    rows = session.scalars(
        select(WorkOrder).where(*clauses).order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).offset(offset)
        .limit(limit)
    ).all()  # fmt: skip
    return rows, total


def orders_for_export(
    session: Session, actor: Principal, where: OrderFilter, now: datetime | None = None
) -> Sequence[WorkOrder]:
    clauses = _where(session, actor, where, _now(now))
    query = select(WorkOrder).where(*clauses).order_by(WorkOrder.created_at, WorkOrder.id)
    rows = session.scalars(query.limit(MAX_EXPORT + 1)).all()
    if len(rows) > MAX_EXPORT:
        raise InputError.for_field("query", f"more than {MAX_EXPORT} orders: narrow the filters")
    return rows


def timeline(session: Session, order: WorkOrder) -> Sequence[WorkOrderEvent]:
    return session.scalars(
        select(WorkOrderEvent).where(WorkOrderEvent.order_id == order.id).order_by(WorkOrderEvent.id)
    ).all()


def parts(session: Session, order_ids: Sequence[int]) -> dict[int, list[WorkOrderPart]]:
    found: dict[int, list[WorkOrderPart]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        rows = session.scalars(
            select(WorkOrderPart).where(WorkOrderPart.order_id.in_(order_ids)).order_by(WorkOrderPart.id)
        )
        for part in rows:
            found[part.order_id].append(part)
    return found


def line_cost(part: WorkOrderPart) -> Decimal:
    """Quantity × unit cost, to the fen (CNY)."""
    return (part.quantity * part.unit_cost).quantize(Decimal("0.01"))


def add_part(
    session: Session, actor: Principal, order_id: int, data: PartCreate, now: datetime | None = None
) -> WorkOrderPart:
    with session.begin():
        order = editable_order(session, actor, order_id, now)
        part = WorkOrderPart(order_id=order.id, enterprise_id=order.enterprise_id, **data.model_dump())
        session.add(part)
        session.flush()
        audit.record(
            session, actor, action="work_order.add_part", entity_type="work_order", entity_id=order.id,
            organisation_id=order.enterprise_id, after={"part_id": part.id, **audit.snapshot(part, _PART_FIELDS)},
        )  # fmt: skip
    return part


_PART_FIELDS = ("part_number", "name", "quantity", "unit_cost")


def remove_part(session: Session, actor: Principal, order_id: int, part_id: int, now: datetime | None = None) -> None:
    with session.begin():
        order = editable_order(session, actor, order_id, now)
        part = session.get(WorkOrderPart, part_id)
        if part is None or part.order_id != order.id:
            raise NotFound(f"part {part_id} not found on work order {order_id}")
        audit.record(
            session, actor, action="work_order.remove_part", entity_type="work_order", entity_id=order.id,
            organisation_id=order.enterprise_id, before={"part_id": part.id, **audit.snapshot(part, _PART_FIELDS)},
        )  # fmt: skip
        session.delete(part)

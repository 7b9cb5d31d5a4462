"""MTTR, MTBF and availability per equipment and per failure mode over a period, from corrective work orders'
repair intervals and the ledger's operating time (the maths is in ``reliability``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import InputError, NotFound
from zhizao.maintenance.models_workorders import WorkOrder
from zhizao.maintenance.workorders import access, ledger_link
from zhizao.maintenance.workorders.lifecycle import Status
from zhizao.maintenance.workorders.reliability import (
    Reliability,
    RepairInterval,
    RepairSource,
    by_failure_mode,
    reliability,
)
from zhizao.maintenance.workorders.types import OrderKind
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.scope import enterprise_for_read
from zhizao.telemetry.timeutil import to_us

MAX_PERIOD = timedelta(days=366)
COUNTED = (Status.DONE, Status.VERIFIED)


@dataclass(frozen=True, slots=True)
class Figures:
    enterprise_id: int
    equipment: list[tuple[Equipment, Reliability]]
    failure_modes: dict[str | None, Reliability]
    from_order_times: int  # repairs timed by the orders (no ledger data), so that readers can weigh the figures


def _equipment(
    session: Session, actor: Principal, enterprise_id: int | None, equipment_id: int | None, now: datetime
) -> tuple[int, list[Equipment]]:
    if equipment_id is not None:
        row = access.equipment_for(session, actor, equipment_id, now, write=False)
        return row.enterprise_id, [row]
    if actor.role == Role.PLATFORM:
        if enterprise_id is None:
            raise InputError.for_field("query.enterprise_id", "name the enterprise or the equipment")
        rows = [row for row in _all(session, enterprise_id) if row.id in access.consented_ids(session, actor, now)]
        if not rows:
            raise NotFound(f"enterprise {enterprise_id} not found")
        return enterprise_id, rows
    enterprise = enterprise_for_read(session, actor, enterprise_id)
    return enterprise, _all(session, enterprise)


def _all(session: Session, enterprise_id: int) -> list[Equipment]:
    return list(
        session.scalars(select(Equipment).where(Equipment.enterprise_id == enterprise_id).order_by(Equipment.code))
    )


def figures(
    session: Session,
    actor: Principal,
    start: datetime,
    end: datetime,
    *,
    enterprise_id: int | None = None,
    equipment_id: int | None = None,
    now: datetime | None = None,
) -> Figures:
    if end <= start:
        raise InputError.for_field("query.end", "the period ends before it starts")
    if end - start > MAX_PERIOD:
        raise InputError.for_field("query.end", "ask for at most 366 days at a time")
    now = now or datetime.now(UTC)
    enterprise, equipment = _equipment(session, actor, enterprise_id, equipment_id, now)
    start_us, end_us = to_us(start), to_us(end)
    ids = [row.id for row in equipment]
    orders = session.scalars(
        select(WorkOrder).where(
            WorkOrder.equipment_id.in_(ids), WorkOrder.kind == OrderKind.CORRECTIVE, WorkOrder.status.in_(COUNTED),
            WorkOrder.repair_start_us < end_us, WorkOrder.repair_end_us > start_us,
        )
    ).all()  # fmt: skip
    repairs = [
        RepairInterval(order.equipment_id, order.repair_start_us, order.repair_end_us, order.failure_mode)
        for order in orders
        if order.repair_start_us is not None and order.repair_end_us is not None
    ]
    operating = ledger_link.operating_by_equipment(session, ids, start_us, end_us)
    per_equipment = [
        (row, reliability([r for r in repairs if r.equipment_id == row.id], operating[row.id], start_us, end_us))
        for row in equipment
    ]
    modes = by_failure_mode(repairs, operating, start_us, end_us)
    from_orders = sum(1 for order in orders if order.repair_source is not RepairSource.LEDGER)
    return Figures(enterprise, per_equipment, modes, from_orders)

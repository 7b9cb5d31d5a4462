"""Preventive maintenance plans: create, change, list, delete; and ``due_plans``, the periodic job that makes an
order when a plan comes due (once: the order is unique per plan and occurrence) and advances the plan.

Counter plans count as the job runs: operating seconds from the state ledger up to where production has built it
(so a ledger that is still catching up is counted when it arrives, not skipped), good parts from the equipment's
``good_parts`` counter signal in whole minutes. Each plan is handled in its own transaction, its row locked on
PostgreSQL, so replicas running the job at once neither double an order nor block each other for long.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.db.engine import Database
from zhizao.errors import NotFound
from zhizao.maintenance.models_workorders import MaintenancePlan
from zhizao.maintenance.workorders import access, ledger_link, schedule
from zhizao.maintenance.workorders.schedule import CalendarUnit, Due, Trigger
from zhizao.maintenance.workorders.schemas import PlanCreate, PlanUpdate
from zhizao.maintenance.workorders.service import add_plan_order
from zhizao.production.calendar import local_midnight_us
from zhizao.production.sources import MINUTE_US, counter_increments, production_signals
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import to_us

log = logging.getLogger(__name__)
ZONE = ZoneInfo("Asia/Shanghai")
HOUR_S = 3600
PLAN_FIELDS = ("enterprise_id", "equipment_id", "title", "trigger", "interval_value", "calendar_unit", "start_date",
               "lead", "priority", "assignee_name", "active", "next_occurrence", "usage")  # fmt: skip


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _record(session: Session, actor: Principal | None, plan: MaintenancePlan, action: str, before: Any = None) -> None:
    audit.record(
        session, actor, action=f"maintenance_plan.{action}", entity_type="maintenance_plan", entity_id=plan.id,
        organisation_id=plan.enterprise_id, before=before, after=audit.snapshot(plan, PLAN_FIELDS),
    )  # fmt: skip


def create_plan(session: Session, actor: Principal, data: PlanCreate, now: datetime | None = None) -> MaintenancePlan:
    access.check_plan_writer(actor)
    with session.begin():
        equipment = access.equipment_for(session, actor, data.equipment_id, _now(now), write=True)
        if data.enterprise_id is not None and data.enterprise_id != equipment.enterprise_id:
            raise NotFound(f"equipment {data.equipment_id} not found")
        counter = data.trigger is not Trigger.CALENDAR
        plan = MaintenancePlan(
            enterprise_id=equipment.enterprise_id, equipment_id=equipment.id, title=data.title,
            description=data.description, trigger=data.trigger, interval_value=data.interval,
            calendar_unit=data.calendar_unit, start_date=data.start_date, lead=data.lead, priority=data.priority,
            assignee_name=data.assignee_name, next_occurrence=1 if counter else 0, usage=0,
            counted_until_us=local_midnight_us(ZONE, data.start_date) if counter else None, created_by=actor.user_id,
        )  # fmt: skip
        session.add(plan)
        session.flush()
        _record(session, actor, plan, "create")
    return plan


def get_plan(session: Session, actor: Principal, plan_id: int, now: datetime | None = None) -> MaintenancePlan:
    clauses = access.clauses(session, actor, MaintenancePlan.enterprise_id, MaintenancePlan.equipment_id, _now(now))
    plan = session.scalar(select(MaintenancePlan).where(MaintenancePlan.id == plan_id, *clauses))
    if plan is None:
        raise NotFound(f"maintenance plan {plan_id} not found")
    return plan


def list_plans(
    session: Session, actor: Principal, *, enterprise_id: int | None = None, equipment_id: int | None = None,
    now: datetime | None = None,
) -> Sequence[MaintenancePlan]:  # fmt: skip
    clauses = access.clauses(session, actor, MaintenancePlan.enterprise_id, MaintenancePlan.equipment_id, _now(now))
    if enterprise_id is not None:
        clauses.append(MaintenancePlan.enterprise_id == enterprise_id)
    if equipment_id is not None:
        clauses.append(MaintenancePlan.equipment_id == equipment_id)
    return session.scalars(select(MaintenancePlan).where(*clauses).order_by(MaintenancePlan.id)).all()


def update_plan(
    session: Session, actor: Principal, plan_id: int, data: PlanUpdate, now: datetime | None = None
) -> MaintenancePlan:
    access.check_plan_writer(actor)
    with session.begin():
        plan = get_plan(session, actor, plan_id, now)
        before = audit.snapshot(plan, PLAN_FIELDS)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(plan, name, value)
        _record(session, actor, plan, "update", before)
    return plan


def delete_plan(session: Session, actor: Principal, plan_id: int, now: datetime | None = None) -> None:
    """The plan goes; orders it made stay (their ``plan_id`` is cleared)."""
    access.check_plan_writer(actor)
    with session.begin():
        plan = get_plan(session, actor, plan_id, now)
        audit.record(
            session, actor, action="maintenance_plan.delete", entity_type="maintenance_plan", entity_id=plan.id,
            organisation_id=plan.enterprise_id, before=audit.snapshot(plan, PLAN_FIELDS),
        )  # fmt: skip
        session.delete(plan)


def next_due_text(plan: MaintenancePlan) -> str:
    """The next due point for people: a date for calendar plans, what is left to run for counter plans."""
    if plan.trigger is Trigger.CALENDAR:
        assert plan.calendar_unit is not None
        return schedule.due_date(
            plan.start_date, plan.interval_value, plan.calendar_unit, plan.next_occurrence
        ).isoformat()
    if plan.trigger is Trigger.OPERATING_HOURS:
        left_s = schedule.due_point(plan.interval_value * HOUR_S, plan.next_occurrence) - plan.usage
        return f"{max(0, left_s) / HOUR_S:.1f} h"
    return f"{max(0, schedule.due_point(plan.interval_value, plan.next_occurrence) - plan.usage)} pcs"


# -- the periodic job -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class DueSummary:
    plans: int = 0
    created: list[int] = field(default_factory=list)  # ids of the orders made
    skipped: list[str] = field(default_factory=list)  # "plan 3: why"


def due_plans(database: Database, now: datetime, store: TelemetryStore | None = None) -> DueSummary:
    """Make an order for every active plan that is due at ``now``, once, and advance the plan. ``store``: the
    telemetry store for cycle counts (opened on ``database`` when not given)."""
    summary = DueSummary()
    owned = store is None
    if store is None:
        from zhizao.telemetry.store.factory import open_store  # the store only when a cycle plan needs it

        store = open_store(database)
    try:
        with database.session() as session:
            ids = list(session.scalars(select(MaintenancePlan.id).where(MaintenancePlan.active.is_(True))))
        for plan_id in ids:
            summary.plans += 1
            try:
                with database.session() as session, session.begin():
                    _run_plan(session, store, plan_id, now, summary)
            except IntegrityError:  # another replica made this occurrence's order first: nothing to do
                summary.skipped.append(f"plan {plan_id}: already made elsewhere")
    finally:
        if owned:
            store.close()
    log.info("maintenance plans: %d checked, %d orders made", summary.plans, len(summary.created))
    return summary


def _run_plan(session: Session, store: TelemetryStore, plan_id: int, now: datetime, summary: DueSummary) -> None:
    plan = session.scalar(
        select(MaintenancePlan).where(MaintenancePlan.id == plan_id).with_for_update(skip_locked=True)
    )
    if plan is None or not plan.active:
        return
    due, why = _due(session, store, plan, now)
    if due is None:
        if why:
            summary.skipped.append(f"plan {plan.id}: {why}")
        return
    before = audit.snapshot(plan, PLAN_FIELDS)
    comment = f"plan {plan.id}, occurrence {due.occurrence}" + (f"; {due.missed} missed" if due.missed else "")
    order = add_plan_order(session, plan.id, due.occurrence, _order_values(plan, due), comment, now)
    plan.next_occurrence = due.occurrence + 1
    plan.last_order_id = order.id
    _record(session, None, plan, "trigger", before)
    summary.created.append(order.id)


def _order_values(plan: MaintenancePlan, due: Due) -> dict[str, Any]:
    planned: datetime | None = None
    if plan.trigger is Trigger.CALENDAR:
        assert plan.calendar_unit is not None
        day = schedule.due_date(plan.start_date, plan.interval_value, plan.calendar_unit, due.occurrence)
        planned = datetime(day.year, day.month, day.day, 8, tzinfo=ZONE)  # the morning of the due day
    return {
        "enterprise_id": plan.enterprise_id, "equipment_id": plan.equipment_id, "title": plan.title,
        "description": plan.description, "priority": plan.priority, "assignee_name": plan.assignee_name,
        "planned_start": planned,
    }  # fmt: skip


def _due(session: Session, store: TelemetryStore, plan: MaintenancePlan, now: datetime) -> tuple[Due | None, str]:
    if plan.trigger is Trigger.CALENDAR:
        assert plan.calendar_unit is not None
        today = now.astimezone(ZONE).date()
        return schedule.calendar_due(
            plan.start_date, plan.interval_value, CalendarUnit(plan.calendar_unit), plan.lead, plan.next_occurrence,
            today,
        ), ""  # fmt: skip
    assert plan.counted_until_us is not None
    if plan.trigger is Trigger.OPERATING_HOURS:
        built = ledger_link.built_until_us(session, plan.equipment_id)
        horizon = min(to_us(now), built) if built is not None else None
        if horizon is None:
            return None, "the equipment has no state ledger yet"
        if horizon > plan.counted_until_us:
            plan.usage += ledger_link.operating_seconds(session, plan.equipment_id, plan.counted_until_us, horizon)
            plan.counted_until_us = horizon
        return schedule.counter_due(
            plan.usage, plan.interval_value * HOUR_S, plan.lead * HOUR_S, plan.next_occurrence
        ), ""  # fmt: skip
    good = production_signals(session, [plan.equipment_id])[plan.equipment_id].good
    if good is None:
        return None, "the equipment has no good_parts counter signal"
    horizon = to_us(now) - to_us(now) % MINUTE_US
    if horizon > plan.counted_until_us:
        counted = sum(delta for _ts, delta in counter_increments(store, good, plan.counted_until_us, horizon))
        plan.usage += round(counted)
        plan.counted_until_us = horizon
    return schedule.counter_due(plan.usage, plan.interval_value, plan.lead, plan.next_occurrence), ""

"""Moving a work order through its lifecycle, with what each step records.

- assign: the assignee (a user of the enterprise, or a technician's name);
- start: the actual start (default now); finish: the actual end, who did the work, and the repair interval matched
  to the state ledger (``ledger_link``);
- verify: who verified; the repair interval is matched again (the ledger is built some minutes behind, so at
  finish time it may not yet cover the repair); a verified corrective order writes a failure label;
- reopen: verification failed, back to in progress; cancel: with a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, InputError
from zhizao.maintenance import cases
from zhizao.maintenance.health.kinds import CaseState
from zhizao.maintenance.models_health import MaintenanceCase
from zhizao.maintenance.models_workorders import FailureLabel, WorkOrder
from zhizao.maintenance.workorders import access, ledger_link
from zhizao.maintenance.workorders.lifecycle import Action, next_transition
from zhizao.maintenance.workorders.reliability import RepairSource
from zhizao.maintenance.workorders.schemas import TransitionIn
from zhizao.maintenance.workorders.service import ORDER_FIELDS, add_event, check_assignee, get_order, record
from zhizao.maintenance.workorders.types import OrderKind
from zhizao.telemetry.timeutil import to_us

FAILURE_KINDS = frozenset({OrderKind.CORRECTIVE})


def transition(
    session: Session, actor: Principal, order_id: int, data: TransitionIn, now: datetime | None = None
) -> WorkOrder:
    now = now or datetime.now(UTC)
    with session.begin():
        order = get_order(session, actor, order_id, now)
        access.equipment_for(session, actor, order.equipment_id, now, write=True)
        found = next_transition(
            order.status, data.action, actor.role, actor_id=actor.user_id, worked_by=order.worked_by,
            comment=data.comment,
        )  # fmt: skip
        before = audit.snapshot(order, ORDER_FIELDS)
        previous = order.status
        _apply(session, actor, order, data, data.at or now)
        order.status = found.target
        add_event(session, order, actor, data.action.value, previous, data.comment, at=now)
        record(session, actor, order, data.action.value, before)
    return order


def _apply(session: Session, actor: Principal, order: WorkOrder, data: TransitionIn, at: datetime) -> None:
    if data.action is Action.ASSIGN:
        if data.assignee_user_id is None and data.assignee_name is None:
            raise InputError.for_field("body.assignee_name", "name the technician or choose a user")
        check_assignee(session, order.enterprise_id, data.assignee_user_id, "body.assignee_user_id")
        order.assignee_user_id, order.assignee_name = data.assignee_user_id, data.assignee_name
    elif data.action is Action.START:
        order.actual_start = at
        order.actual_end = None
    elif data.action is Action.FINISH:
        if order.actual_start is None or at <= order.actual_start:
            raise InputError.for_field("body.at", "the work must end after it started")
        order.actual_end = at
        order.worked_by = actor.user_id
        link_repair(session, order)
    elif data.action is Action.VERIFY:
        order.verified_by = actor.user_id
        if order.repair_source is not RepairSource.LEDGER:
            link_repair(session, order)
        if order.kind in FAILURE_KINDS:
            write_label(session, order)
        _close_case(session, actor, order)
    elif data.action is Action.REOPEN:
        order.actual_end = None


def _close_case(session: Session, actor: Principal, order: WorkOrder) -> None:
    """The case the order was made from is resolved by the verified repair (unless someone closed it already)."""
    if order.case_id is None:
        return
    case = session.get(MaintenanceCase, order.case_id)
    if case is None or case.state is CaseState.CLOSED:
        return
    remedy = f" ({order.remedy})" if order.remedy else ""
    cases.close_case(session, actor, order.case_id, f"work order {order.id} verified{remedy}: {order.title}")


def link_repair(session: Session, order: WorkOrder) -> None:
    """Set the order's repair interval from the ledger (or its own times, marked as such)."""
    if order.actual_start is None or order.actual_end is None:
        raise Conflict(f"work order {order.id} has no actual start and end to match with the ledger")
    matched = ledger_link.match_order(session, order.equipment_id, to_us(order.actual_start), to_us(order.actual_end))
    order.repair_start_us, order.repair_end_us, order.repair_source = matched


def write_label(session: Session, order: WorkOrder) -> FailureLabel:
    """The failure label of a verified corrective order (once: a second verification is impossible, a row
    already there is kept)."""
    existing = session.scalar(select(FailureLabel).where(FailureLabel.order_id == order.id))
    if existing is not None:
        return existing
    assert order.repair_start_us is not None and order.repair_end_us is not None and order.repair_source is not None
    label = FailureLabel(
        enterprise_id=order.enterprise_id, equipment_id=order.equipment_id, order_id=order.id,
        failure_mode=order.failure_mode, onset_us=order.onset_us, failure_us=order.repair_start_us,
        repair_end_us=order.repair_end_us, source=order.repair_source,
    )  # fmt: skip
    session.add(label)
    return label

"""The maker's schedule as the Gantt chart and the API show it: each work centre (and whether it is down), the
operations planned on it in a window around now, and the recent scheduler runs with their reasons."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.c2m.machine_state import down_since
from zhizao.c2m.models import ConsumerOrder, OrderOperation, ScheduleRun
from zhizao.c2m.planning import PlanOutcome
from zhizao.c2m.planning_data import work_centres
from zhizao.errors import InputError, NotFound, PermissionDenied

MAX_BARS = 5000
MAX_WINDOW_HOURS = 24 * 31


class WorkCentreRead(BaseModel):
    equipment_id: int
    code: str
    kind: str
    station: str
    down_since: datetime | None


class BarRead(BaseModel):
    operation_id: int
    equipment_id: int
    order_number: str
    seq: int
    code: str
    start: datetime
    end: datetime
    state: str  # planned, running, done
    due_at: datetime
    late: bool  # the order's last operation is planned to end after its due date


class ScheduleRunRead(BaseModel):
    id: int
    created_at: datetime
    reason: str
    solver_status: str
    operations: int
    tardiness_min: int
    makespan_min: int
    time_limit_s: float
    wall_s: float


class ScheduleRead(BaseModel):
    now: datetime
    since: datetime
    until: datetime
    work_centres: list[WorkCentreRead]
    bars: list[BarRead]
    truncated: bool  # more than MAX_BARS operations fell in the window
    runs: list[ScheduleRunRead]


class PlanRead(BaseModel):
    run: ScheduleRunRead | None  # None: nothing to plan
    planned: int
    kept: int
    interrupted: int
    scheduled_orders: int
    unplanned: list[tuple[str, str]]  # (order number, why)
    notes: list[str]


def maker_of(principal: Principal, enterprise_id: int | None) -> int:
    """The maker a call is about: an enterprise user's own enterprise (another's id is 404), or for an
    administrator the enterprise named by ``enterprise_id``."""
    if principal.sees_all_tenants:
        if enterprise_id is None:
            raise InputError.for_field("enterprise_id", "name the maker (an enterprise id)")
        return enterprise_id
    if principal.organisation_id is None:  # an enterprise user always has one; refuse rather than guess
        raise PermissionDenied("an enterprise user without an enterprise has no schedule")
    if enterprise_id is not None and enterprise_id != principal.organisation_id:
        raise NotFound(f"enterprise {enterprise_id} not found")
    return principal.organisation_id


def check_window(hours_before: int, hours_after: int) -> None:
    for field, value in (("hours_before", hours_before), ("hours_after", hours_after)):
        if not 0 <= value <= MAX_WINDOW_HOURS:
            raise InputError.for_field(field, f"must be between 0 and {MAX_WINDOW_HOURS}")


def schedule(
    session: Session, maker_id: int, now: datetime, hours_before: int = 24, hours_after: int = 72, runs: int = 20
) -> ScheduleRead:
    check_window(hours_before, hours_after)
    since, until = now - timedelta(hours=hours_before), now + timedelta(hours=hours_after)
    centres = work_centres(session, maker_id)
    down = down_since(session, [centre.equipment_id for centre in centres], now)
    rows = session.execute(
        select(OrderOperation, ConsumerOrder.number, ConsumerOrder.due_at)
        .join(ConsumerOrder, ConsumerOrder.id == OrderOperation.order_id)
        .where(
            ConsumerOrder.maker_id == maker_id,
            OrderOperation.equipment_id.is_not(None),
            OrderOperation.planned_start < until,
            OrderOperation.planned_end > since,
        )
        .order_by(OrderOperation.planned_start, OrderOperation.id)
        .limit(MAX_BARS + 1)
    ).all()
    order_ids = list({row[0].order_id for row in rows})
    ends = dict(
        session.execute(
            select(OrderOperation.order_id, func.max(OrderOperation.planned_end))
            .where(OrderOperation.order_id.in_(order_ids[:MAX_BARS]))
            .group_by(OrderOperation.order_id)
        ).all()
    ) if order_ids else {}  # fmt: skip
    bars = [
        BarRead(
            operation_id=op.id,
            equipment_id=op.equipment_id,
            order_number=number,
            seq=op.seq,
            code=op.code,
            start=op.planned_start,
            end=op.planned_end,
            state=_state(op),
            due_at=due_at,
            late=_late(ends.get(op.order_id), due_at),
        )
        for op, number, due_at in rows[:MAX_BARS]
    ]
    return ScheduleRead(
        now=now, since=since, until=until,
        work_centres=[
            WorkCentreRead(equipment_id=c.equipment_id, code=c.code, kind=c.kind, station=c.station,
                           down_since=down.get(c.equipment_id))
            for c in centres
        ],
        bars=bars, truncated=len(rows) > MAX_BARS, runs=recent_runs(session, maker_id, runs),
    )  # fmt: skip


def _late(planned_end: datetime | None, due_at: datetime) -> bool:
    return planned_end is not None and planned_end > due_at


def _state(op: OrderOperation) -> str:
    if op.finished_at is not None:
        return "done"
    return "running" if op.started_at is not None else "planned"


def recent_runs(session: Session, maker_id: int, limit: int = 20) -> list[ScheduleRunRead]:
    rows = session.scalars(
        select(ScheduleRun)
        .where(ScheduleRun.maker_id == maker_id)
        .order_by(ScheduleRun.created_at.desc(), ScheduleRun.id.desc())
        .limit(limit)
    )
    return [run_read(row) for row in rows]


def run_read(row: ScheduleRun) -> ScheduleRunRead:
    return ScheduleRunRead.model_validate(row, from_attributes=True)


def get_run(session: Session, maker_id: int, run_id: int) -> ScheduleRunRead:
    row = session.get(ScheduleRun, run_id)
    if row is None or row.maker_id != maker_id:
        raise NotFound(f"schedule run {run_id} not found")
    return run_read(row)


def plan_read(session: Session, outcome: PlanOutcome) -> PlanRead:
    row = session.get(ScheduleRun, outcome.run_id) if outcome.run_id is not None else None
    return PlanRead(
        run=run_read(row) if row is not None else None, planned=outcome.planned, kept=outcome.kept,
        interrupted=outcome.interrupted, scheduled_orders=outcome.scheduled_orders,
        unplanned=list(outcome.unplanned), notes=list(outcome.notes),
    )  # fmt: skip

"""Planning a maker's C2M work: every open order's unfinished operations scheduled on the maker's work centres.

One run reads the open orders (confirmed, scheduled, in production) and their operations not yet finished, builds
the scheduling problem (:mod:`.planning_problem`: eligible machines are the work centres of the operation's kind,
due dates from the orders, nothing new before now, running operations fixed, machines that are down kept free),
solves it with CP-SAT within a time limit (tardiness first, then makespan), and writes, in one transaction: each
operation's work centre and planned times, one production order of the factory per operation
(:mod:`.factory_orders`), ``confirmed`` orders moved to ``scheduled`` with a timeline event, and a ``ScheduleRun``
saying why it ran and how well it did. A maker's lock (:mod:`.locks`) keeps two planners from writing at once.

``reschedule_if_down`` runs a plan when a work centre is down (production's state ledger) and still holds work that
has not started, with the reason "HG-PR-01 down since 2026-03-02 10:42"; ``plan_new_orders`` when confirmed orders
wait for a plan. The services (:mod:`.services`) call both every minute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.c2m import factory_orders
from zhizao.c2m.locks import maker_lock
from zhizao.c2m.machine_state import down_since
from zhizao.c2m.models import ConsumerOrder, OrderEvent, OrderOperation, OrderStatus, ScheduleRun
from zhizao.c2m.planning_data import PLANNABLE, open_order, plannable_orders, unfinished_operations, work_centres
from zhizao.c2m.planning_problem import DEFAULT_ASSUMED_REPAIR, Centre, PlanningProblem, build_problem
from zhizao.c2m.scheduling.cpsat import SolveOptions, SolveResult, SolveStatus, solve
from zhizao.c2m.scheduling.verify import verify
from zhizao.db.engine import Database
from zhizao.errors import InputError

DEFAULT_TIME_LIMIT_S = 10.0
MAX_TIME_LIMIT_S = 300.0
FALLBACK_STATUS = "dispatching fallback"  # CP-SAT found nothing better in time: the best dispatching rule's plan
_REASON_LENGTH = 300
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class PlanOutcome:
    """What one call did; ``run_id`` None when nothing was written (nothing to plan, or another planner busy)."""

    reason: str
    run_id: int | None = None
    solver_status: str = ""
    planned: int = 0  # operations given a work centre and times
    kept: int = 0  # running operations left where they are
    interrupted: int = 0  # running operations on a down machine, to be done again
    scheduled_orders: int = 0  # orders moved from confirmed to scheduled
    tardiness_min: int = 0
    makespan_min: int = 0  # from now to the end of the last operation
    wall_s: float = 0.0
    unplanned: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())
    busy: bool = False  # another planner held the maker's lock


def check_time_limit(time_limit_s: float) -> float:
    if not 0 < time_limit_s <= MAX_TIME_LIMIT_S:
        raise InputError.for_field("time_limit", f"must be more than 0 and at most {MAX_TIME_LIMIT_S:g} seconds")
    return time_limit_s


def plan(
    database: Database,
    maker_id: int,
    now: datetime | None = None,
    *,
    reason: str = "manual",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    assumed_repair: timedelta = DEFAULT_ASSUMED_REPAIR,
    zone: tzinfo = SHANGHAI,
) -> PlanOutcome:
    """Plan the maker's open operations from ``now`` (default: the clock); ``zone`` is for times in the reason."""
    check_time_limit(time_limit_s)
    moment = now or datetime.now(UTC)
    with database.session() as session, session.begin(), maker_lock(session, maker_id) as held:
        if not held:
            return PlanOutcome(reason, busy=True, notes=("another planner is working on this maker",))
        return _plan_locked(session, maker_id, moment, reason, time_limit_s, assumed_repair, zone)


def _plan_locked(
    session: Session,
    maker_id: int,
    now: datetime,
    reason: str,
    time_limit_s: float,
    assumed_repair: timedelta,
    zone: tzinfo,
) -> PlanOutcome:
    cancelled = factory_orders.cancel_for_cancelled_orders(session, maker_id)
    centres = work_centres(session, maker_id)
    orders = plannable_orders(session, maker_id)
    operations = unfinished_operations(session, [order.id for order in orders])
    down = down_since(session, [centre.equipment_id for centre in centres], now)
    planning = build_problem([open_order(order, operations[order.id]) for order in orders], centres, down, now,
                             assumed_repair, name=f"maker {maker_id}")  # fmt: skip
    notes = (f"{cancelled} production orders of cancelled orders cancelled",) if cancelled else ()
    if planning is None:
        return PlanOutcome(reason, notes=(*notes, "nothing to plan"))
    began = time.perf_counter()
    result = solve(planning.problem, SolveOptions(time_limit_s=time_limit_s), planning.frame)
    wall_s = time.perf_counter() - began
    problems = verify(result.schedule, planning.problem, planning.frame)
    if problems:  # never write a schedule that breaks the routing, a machine or the frame
        raise RuntimeError(f"the solver's schedule is infeasible: {'; '.join(problems[:3])}")

    by_id = {op.id: op for ops in operations.values() for op in ops}
    for op_id in planning.interrupted:
        by_id[op_id].started_at = None
    placements = planning.placements(result.schedule)
    for placement in placements:
        op = by_id[placement.operation_id]
        op.equipment_id, op.planned_start, op.planned_end = placement.equipment_id, placement.start, placement.end
    orders_by_id = {order.id: order for order in orders}
    factory_orders.sync_planned(session, maker_id, (by_id[p.operation_id] for p in placements), orders_by_id)
    scheduled = _mark_scheduled(session, planning, now)

    status = FALLBACK_STATUS if result.status is SolveStatus.WARM_START else result.status.value
    full_reason = _reason_with_assumptions(reason, planning, centres, zone)
    run = ScheduleRun(
        maker_id=maker_id,
        reason=full_reason,
        solver_status=status,
        operations=len(placements),
        tardiness_min=result.objective.weighted_tardiness,
        makespan_min=max(0, result.schedule.makespan - planning.not_before),
        time_limit_s=time_limit_s,
        wall_s=round(wall_s, 3),
        created_at=now,
    )
    session.add(run)
    session.flush()
    return PlanOutcome(
        reason=full_reason,
        run_id=run.id,
        solver_status=status,
        planned=len(placements),
        kept=len(planning.frame.fixed),
        interrupted=len(planning.interrupted),
        scheduled_orders=scheduled,
        tardiness_min=run.tardiness_min,
        makespan_min=run.makespan_min,
        wall_s=run.wall_s,
        unplanned=planning.unplanned,
        notes=(*notes, *_solver_notes(result)),
    )


def _mark_scheduled(session: Session, planning: PlanningProblem, now: datetime) -> int:
    moved = 0
    for order in planning.orders:
        row = session.get(ConsumerOrder, order.id)
        if row is not None and row.status == OrderStatus.CONFIRMED:
            row.status = OrderStatus.SCHEDULED
            session.add(OrderEvent(order_id=row.id, status=OrderStatus.SCHEDULED, at=now))
            moved += 1
    return moved


def _reason_with_assumptions(reason: str, planning: PlanningProblem, centres: list[Centre], zone: tzinfo) -> str:
    codes = {centre.equipment_id: centre.code for centre in centres}
    assumed = [
        f"{codes[eid]} assumed back {back.astimezone(zone):%H:%M}"
        for eid, back in sorted(planning.assumed_back.items())
    ]
    text = reason if not assumed else f"{reason} (every work centre of its kind down: {', '.join(assumed)})"
    return text[:_REASON_LENGTH]


def _solver_notes(result: SolveResult) -> tuple[str, ...]:
    how = f"warm start: {result.warm_start}"
    return (how, *result.notes) if result.status is SolveStatus.WARM_START else (how,)


def plan_new_orders(
    database: Database, maker_id: int, now: datetime | None = None, *, time_limit_s: float = DEFAULT_TIME_LIMIT_S
) -> PlanOutcome | None:
    """Plan when some confirmed order still waits for its plan and can have one (every kind of its routing has a
    work centre: an order that cannot be planned must not make the services plan again every minute); None when
    none does."""
    with database.session() as session:
        kinds = {centre.kind for centre in work_centres(session, maker_id)}
        rows = session.execute(
            select(ConsumerOrder.id, OrderOperation.kind, OrderOperation.planned_start)
            .join(OrderOperation, OrderOperation.order_id == ConsumerOrder.id)
            .where(ConsumerOrder.maker_id == maker_id, ConsumerOrder.status == OrderStatus.CONFIRMED)
        ).all()
    unplaced = {row.id for row in rows if row.planned_start is None}
    blocked = {row.id for row in rows if row.kind not in kinds}
    waiting = len(unplaced - blocked)
    if not waiting:
        return None
    return plan(database, maker_id, now, reason=f"new orders ({waiting})", time_limit_s=time_limit_s)


def reschedule_if_down(
    database: Database,
    maker_id: int,
    now: datetime | None = None,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    zone: tzinfo = SHANGHAI,
    assumed_repair: timedelta = DEFAULT_ASSUMED_REPAIR,
) -> PlanOutcome | None:
    """Re-plan around the work centres that are down and hold work that has not finished; None when none does.

    A down machine's work moves at once when another work centre of its kind is up. When every one of its kind is
    down the work waits for them (assumed back after ``assumed_repair``); it is re-planned again only once an
    operation's planned start has passed, so that a long outage re-plans every ``assumed_repair``, not every minute.
    """
    moment = now or datetime.now(UTC)
    with database.session() as session:
        centres = work_centres(session, maker_id)
        down = down_since(session, [centre.equipment_id for centre in centres], moment)
        if not down:
            return None
        held = session.execute(
            select(OrderOperation.equipment_id, OrderOperation.planned_start, OrderOperation.started_at)
            .join(ConsumerOrder, ConsumerOrder.id == OrderOperation.order_id)
            .where(
                ConsumerOrder.maker_id == maker_id,
                ConsumerOrder.status.in_(PLANNABLE),
                OrderOperation.equipment_id.in_(list(down)),
                OrderOperation.finished_at.is_(None),
                OrderOperation.planned_start.is_not(None),
            )
        ).all()
    kinds = {centre.equipment_id: centre.kind for centre in centres}
    up_kinds = {centre.kind for centre in centres if centre.equipment_id not in down}
    triggering = sorted(
        {
            row.equipment_id
            for row in held
            if kinds[row.equipment_id] in up_kinds or row.started_at is not None or row.planned_start <= moment
        }
    )
    if not triggering:
        return None
    codes = {centre.equipment_id: centre.code for centre in centres}
    reason = "; ".join(f"{codes[eid]} down since {down[eid].astimezone(zone):%Y-%m-%d %H:%M}" for eid in triggering)
    return plan(
        database, maker_id, moment, reason=reason, time_limit_s=time_limit_s, assumed_repair=assumed_repair, zone=zone
    )

"""Moving orders along their timeline as the clock passes their schedule.

What drives it, honestly: the schedule and the machines' state ledger, not production events per order. The virtual
factory reports each machine's state (running, idle, out of service) but not which order a machine is working on,
so an operation is taken to start at its planned start and finish at its planned end, unless its machine is down:
a down machine starts nothing and holds the operation it is running (the reschedule then moves that work, see
:func:`zhizao.c2m.planning.reschedule_if_down`). Once machines report per-order events, those would replace the
planned times here.

``advance`` walks each open order's operations in routing order:

- an operation starts at its planned start (or when the one before it finished, if that was later) once that time
  has passed, its machine is up and not busy with another operation; the order goes ``in_production`` at the work
  centre's station, with a timeline event for each new station;
- a started operation finishes ``minutes`` after it started, once that time has passed and its machine is up;
- when the last operation (the end-of-line test) finishes, the order is ``quality_checked``; ``ship_after`` later
  (a day by default; the demo uses less) it is ``shipped``.

Times written are those of the schedule, never "now", so running it again, every minute or from several processes
(the maker's lock lets one through at a time), writes the same result. Each step's production order follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.c2m import factory_orders
from zhizao.c2m.locks import maker_lock
from zhizao.c2m.machine_state import down_since
from zhizao.c2m.models import ConsumerOrder, OrderEvent, OrderOperation, OrderStatus
from zhizao.c2m.planning_data import work_centres
from zhizao.db.engine import Database

DEFAULT_SHIP_AFTER = timedelta(days=1)
DEMO_SHIP_AFTER = timedelta(minutes=30)  # for a demo: shipped within one visit
_MAX_PASSES = 100
_MOVING = (OrderStatus.SCHEDULED, OrderStatus.IN_PRODUCTION, OrderStatus.QUALITY_CHECKED)


@dataclass(slots=True)
class Advanced:
    started: int = 0
    finished: int = 0
    quality_checked: int = 0
    shipped: int = 0
    busy: bool = False  # a planner or another progress writer held the maker's lock

    @property
    def changed(self) -> bool:
        return bool(self.started or self.finished or self.quality_checked or self.shipped)


def advance(
    database: Database, maker_id: int, now: datetime | None = None, *, ship_after: timedelta = DEFAULT_SHIP_AFTER
) -> Advanced:
    """Bring the maker's open orders up to ``now`` (default: the clock)."""
    moment = now or datetime.now(UTC)
    summary = Advanced()
    with database.session() as session, session.begin(), maker_lock(session, maker_id) as held:
        if not held:
            summary.busy = True
            return summary
        centres = {centre.equipment_id: centre for centre in work_centres(session, maker_id)}
        down = down_since(session, centres, moment)
        orders = session.scalars(
            select(ConsumerOrder)
            .where(ConsumerOrder.maker_id == maker_id, ConsumerOrder.status.in_(_MOVING))
            .order_by(ConsumerOrder.id)
        ).all()
        operations = _operations(session, [order.id for order in orders])
        machines = _Machines(down, {eid: centre.station for eid, centre in centres.items()})
        for ops in operations.values():
            machines.note(ops)
        # Passes until nothing moves: an operation that waited for its machine in one pass may start in the next.
        # Earliest planned start first, so that orders waiting for one machine take it in the schedule's order.
        for _ in range(_MAX_PASSES):
            before = (summary.started, summary.finished, summary.quality_checked)
            for order in sorted(orders, key=lambda order: _next_start(operations[order.id])):
                _advance_order(session, order, operations[order.id], moment, machines, summary)
            if (summary.started, summary.finished, summary.quality_checked) == before:
                break
        for order in orders:
            _ship_if_due(session, order, operations[order.id], moment, ship_after, summary)
    return summary


def _operations(session: Session, order_ids: Sequence[int]) -> dict[int, list[OrderOperation]]:
    found: dict[int, list[OrderOperation]] = {order_id: [] for order_id in order_ids}
    for start in range(0, len(order_ids), 500):
        for op in session.scalars(
            select(OrderOperation)
            .where(OrderOperation.order_id.in_(order_ids[start : start + 500]))
            .order_by(OrderOperation.order_id, OrderOperation.seq)
        ):
            found[op.order_id].append(op)
    return found


def _next_start(operations: Sequence[OrderOperation]) -> datetime:
    pending = [op.planned_start for op in operations if op.started_at is None and op.planned_start is not None]
    return min(pending, default=datetime.max.replace(tzinfo=UTC))


@dataclass
class _Machines:
    """The work centres as progress sees them: down since when, which operation each is running, free from when."""

    down: dict[int, datetime]
    stations: dict[int, str]
    running: dict[int, int] = field(default_factory=dict)  # equipment id → operation id
    free_from: dict[int, datetime] = field(default_factory=dict)

    def note(self, operations: Sequence[OrderOperation]) -> None:
        for op in operations:
            if op.equipment_id is None or op.started_at is None:
                continue
            if op.finished_at is None:
                self.running[op.equipment_id] = op.id
            else:
                self.free_from[op.equipment_id] = max(
                    op.finished_at, self.free_from.get(op.equipment_id, op.finished_at)
                )

    def can_start(self, equipment_id: int, op_id: int, at: datetime) -> bool:
        since = self.down.get(equipment_id)
        return self.running.get(equipment_id, op_id) == op_id and (since is None or at < since)

    def can_finish(self, equipment_id: int, at: datetime) -> bool:
        since = self.down.get(equipment_id)
        return since is None or at <= since


def _advance_order(
    session: Session,
    order: ConsumerOrder,
    operations: Sequence[OrderOperation],
    now: datetime,
    machines: _Machines,
    summary: Advanced,
) -> None:
    if order.status == OrderStatus.QUALITY_CHECKED:
        return
    previous_end: datetime | None = None
    for op in operations:
        if op.finished_at is not None:
            previous_end = op.finished_at
            continue
        if op.equipment_id is None:
            return  # not planned yet
        if op.started_at is None:
            if op.planned_start is None:
                return
            start = max([op.planned_start, *(t for t in (previous_end, machines.free_from.get(op.equipment_id)) if t)])
            if start > now or not machines.can_start(op.equipment_id, op.id, start):
                return
            op.started_at = start
            machines.running[op.equipment_id] = op.id
            summary.started += 1
            _enter_station(session, order, op, start, machines.stations.get(op.equipment_id))
            factory_orders.follow(session, op)
        end = op.started_at + timedelta(minutes=op.minutes)
        if end > now or not machines.can_finish(op.equipment_id, end):
            return  # still running, or held by a machine that is down
        op.finished_at = end
        machines.running.pop(op.equipment_id, None)
        machines.free_from[op.equipment_id] = end
        summary.finished += 1
        factory_orders.follow(session, op)
        previous_end = end
    if previous_end is not None:
        order.status, order.station = OrderStatus.QUALITY_CHECKED, None
        session.add(OrderEvent(order_id=order.id, status=OrderStatus.QUALITY_CHECKED, at=previous_end))
        summary.quality_checked += 1


def _enter_station(
    session: Session, order: ConsumerOrder, op: OrderOperation, at: datetime, station: str | None
) -> None:
    """The order is in production at this operation's station; an event only when the station changes."""
    if order.status == OrderStatus.IN_PRODUCTION and order.station == station:
        return
    order.status, order.station = OrderStatus.IN_PRODUCTION, station
    session.add(OrderEvent(order_id=order.id, status=OrderStatus.IN_PRODUCTION, station=station, at=at, detail=op.code))


def _ship_if_due(
    session: Session,
    order: ConsumerOrder,
    operations: Sequence[OrderOperation],
    now: datetime,
    ship_after: timedelta,
    summary: Advanced,
) -> None:
    if order.status != OrderStatus.QUALITY_CHECKED:
        return
    checked_at = max((op.finished_at for op in operations if op.finished_at is not None), default=None)
    if checked_at is None:  # quality checked with no operations on record: nothing tells when it was
        return
    shipped_at = checked_at + ship_after
    if shipped_at <= now:
        order.status = OrderStatus.SHIPPED
        session.add(OrderEvent(order_id=order.id, status=OrderStatus.SHIPPED, at=shipped_at))
        summary.shipped += 1

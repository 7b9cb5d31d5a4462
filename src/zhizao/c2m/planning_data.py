"""What planning and progress read from the tables: a maker's work centres and its open orders' unfinished
operations, as the plain records of :mod:`zhizao.c2m.planning_problem`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.c2m.models import ConsumerOrder, OrderOperation, OrderStatus, WorkCentre
from zhizao.c2m.planning_problem import Centre, OpenOperation, OpenOrder
from zhizao.telemetry.models import Equipment

# Orders whose operations the scheduler places: placed but not yet through the last operation.
PLANNABLE = (OrderStatus.CONFIRMED, OrderStatus.SCHEDULED, OrderStatus.IN_PRODUCTION)


def work_centres(session: Session, maker_id: int) -> list[Centre]:
    rows = session.execute(
        select(WorkCentre.equipment_id, WorkCentre.kind, WorkCentre.station, Equipment.code)
        .join(Equipment, Equipment.id == WorkCentre.equipment_id)
        .where(WorkCentre.enterprise_id == maker_id, Equipment.enterprise_id == maker_id)
        .order_by(WorkCentre.id)
    ).all()
    return [Centre(row.equipment_id, row.kind, row.station, row.code) for row in rows]


def plannable_orders(session: Session, maker_id: int) -> list[ConsumerOrder]:
    return list(
        session.scalars(
            select(ConsumerOrder)
            .where(ConsumerOrder.maker_id == maker_id, ConsumerOrder.status.in_(PLANNABLE))
            .order_by(ConsumerOrder.due_at, ConsumerOrder.id)
        )
    )


def unfinished_operations(session: Session, order_ids: Sequence[int]) -> dict[int, list[OrderOperation]]:
    """Per order, its operations not finished yet, in routing order."""
    found: dict[int, list[OrderOperation]] = {order_id: [] for order_id in order_ids}
    for start in range(0, len(order_ids), 500):  # bounded IN lists
        chunk = order_ids[start : start + 500]
        for op in session.scalars(
            select(OrderOperation)
            .where(OrderOperation.order_id.in_(chunk), OrderOperation.finished_at.is_(None))
            .order_by(OrderOperation.order_id, OrderOperation.seq)
        ):
            found[op.order_id].append(op)
    return found


def open_order(order: ConsumerOrder, operations: Sequence[OrderOperation]) -> OpenOrder:
    return OpenOrder(
        id=order.id,
        number=order.number,
        due_at=order.due_at,
        operations=tuple(
            OpenOperation(op.id, op.seq, op.kind, op.minutes, op.equipment_id, op.started_at) for op in operations
        ),
    )

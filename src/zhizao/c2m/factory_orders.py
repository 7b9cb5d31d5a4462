"""Each planned C2M operation as one of the factory's production orders (``production.models.ProductionOrder``), so
that the factory's order list and everything built on it (plans, OEE by order) shows the C2M work.

The order number is ``C2M-<consumer order number>-<operation seq>``, the product a ``Product`` of the maker whose
code is the product model's code (made on first use), quantity one. The production order follows its operation:
planned while it waits (also after an interruption sends it back), running once started, done once finished, and
cancelled with its consumer order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.c2m.models import ConsumerOrder, OrderOperation, OrderStatus, ProductModelRow
from zhizao.production.models import OrderStatus as FactoryStatus
from zhizao.production.models import Product, ProductionOrder

ORDER_NO_PREFIX = "C2M-"


def order_no(order_number: str, seq: int) -> str:
    """``C2M-<order number>-<seq>``; a consumer order number that already starts with ``C2M-`` is not prefixed
    twice (``C2M-20261129-000042-10``, not ``C2M-C2M-…``)."""
    return f"{ORDER_NO_PREFIX}{order_number.removeprefix(ORDER_NO_PREFIX)}-{seq}"


def product_for(session: Session, maker_id: int, model: ProductModelRow, cache: dict[str, int]) -> int:
    """The id of the maker's product for the model's code, made on first use."""
    if model.code in cache:
        return cache[model.code]
    product_id = session.scalar(select(Product.id).where(Product.enterprise_id == maker_id, Product.code == model.code))
    if product_id is None:
        product = Product(enterprise_id=maker_id, code=model.code, name=model.name[:200], unit="pcs")
        session.add(product)
        session.flush()
        product_id = product.id
    cache[model.code] = product_id
    return product_id


def sync_planned(
    session: Session,
    maker_id: int,
    operations: Iterable[OrderOperation],
    orders: Mapping[int, ConsumerOrder],
) -> int:
    """Create or update the production order of each operation (planned times set); the number written."""
    models: dict[int, ProductModelRow] = {}
    products: dict[str, int] = {}
    written = 0
    for op in operations:
        if op.planned_start is None or op.planned_end is None:
            continue
        order = orders[op.order_id]
        model = models.get(order.model_id) or session.get(ProductModelRow, order.model_id)
        if model is None:  # the model row is RESTRICT-protected; a missing one is a broken database
            raise LookupError(f"order {order.number} names product model {order.model_id}, which does not exist")
        models[order.model_id] = model
        number = order_no(order.number, op.seq)
        product_id = product_for(session, maker_id, model, products)
        factory = session.get(ProductionOrder, op.production_order_id) if op.production_order_id else None
        if factory is None:
            factory = session.scalar(
                select(ProductionOrder).where(
                    ProductionOrder.enterprise_id == maker_id, ProductionOrder.order_no == number
                )
            )
        if factory is None:
            factory = ProductionOrder(enterprise_id=maker_id, order_no=number, quantity=1)
        factory.product_id = product_id
        factory.equipment_id = op.equipment_id
        factory.planned_start = op.planned_start
        factory.planned_end = op.planned_end
        factory.status = _status_of(op)
        session.add(factory)
        session.flush()
        op.production_order_id = factory.id
        written += 1
    return written


def follow(session: Session, op: OrderOperation) -> None:
    """Bring the operation's production order to the operation's state (started → running, finished → done)."""
    if op.production_order_id is None:
        return
    factory = session.get(ProductionOrder, op.production_order_id)
    if factory is not None and factory.status != FactoryStatus.CANCELLED:
        factory.status = _status_of(op)


def cancel_for_cancelled_orders(session: Session, maker_id: int) -> int:
    """Cancel the waiting production orders of consumer orders that were cancelled; the number cancelled."""
    waiting = session.scalars(
        select(ProductionOrder)
        .join(OrderOperation, OrderOperation.production_order_id == ProductionOrder.id)
        .join(ConsumerOrder, ConsumerOrder.id == OrderOperation.order_id)
        .where(
            ConsumerOrder.maker_id == maker_id,
            ConsumerOrder.status == OrderStatus.CANCELLED,
            ProductionOrder.status.in_((FactoryStatus.PLANNED, FactoryStatus.RELEASED)),
        )
    ).all()
    for factory in waiting:
        factory.status = FactoryStatus.CANCELLED
    return len(waiting)


def _status_of(op: OrderOperation) -> FactoryStatus:
    if op.finished_at is not None:
        return FactoryStatus.DONE
    if op.started_at is not None:
        return FactoryStatus.RUNNING
    return FactoryStatus.PLANNED

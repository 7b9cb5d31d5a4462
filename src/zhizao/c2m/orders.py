"""Consumer orders: placed from a valid configuration of the current released version, exploded into the BOM and
routing, stored with their routing operations and the first step of their timeline — in one transaction, so that
a refused order leaves nothing behind. Read back by the consumer who placed it, by the maker's enterprise users,
and by administrators and officers; anyone else gets 404.

The planning and progress services move an order on (scheduled, in production at a station, quality checked,
shipped) by writing ``OrderEvent`` rows and the order's ``status`` and ``station``; this module only reads those.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.c2m.definitions import model_of
from zhizao.c2m.models import ConsumerOrder, OrderEvent, OrderOperation, OrderStatus, ProductModelRow
from zhizao.c2m.product.bom import Explosion, RoutingStep, explode
from zhizao.c2m.product.release import validate_order
from zhizao.c2m.regions import Region
from zhizao.c2m.versions import current_released
from zhizao.errors import InputError, NotFound, PermissionDenied
from zhizao.fields import MAX_ID

ENTITY = "c2m_order"
DEFAULT_LEAD_DAYS = 21  # the product model has no lead time of its own yet
ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class OrderRequest:
    model_code: str
    version: int
    chosen: Sequence[str]
    region: Region


@dataclass(frozen=True)
class OrderFilter:
    status: OrderStatus | None = None
    region: Region | None = None
    week: date | None = None  # the Monday of an ISO week, Asia/Shanghai


def operation_minutes(step: RoutingStep) -> int:
    """Whole minutes a routing step takes on its machine (scheduling works in minutes): rounded up."""
    return math.ceil(step.minutes)


def routing_operations(order_id: int, explosion: Explosion) -> list[OrderOperation]:
    """The order's operations in routing order; a step of no time occupies no machine and is left out."""
    return [
        OrderOperation(
            order_id=order_id,
            seq=step.sequence,
            code=step.code,
            kind=step.equipment_type,
            minutes=operation_minutes(step),
        )
        for step in explosion.routing
        if operation_minutes(step) > 0
    ]


def order_number(order_id: int, created_at: datetime) -> str:
    return f"C2M-{created_at.astimezone(ZONE):%Y%m%d}-{order_id:06d}"


def place_order(
    session: Session, actor: Principal, request: OrderRequest, now: datetime | None = None
) -> ConsumerOrder:
    """Validate, explode and store an order with its operations and its "confirmed" event, or nothing at all."""
    if actor.role != Role.CONSUMER:
        raise PermissionDenied("only consumers place orders")
    placed_at = now or datetime.now(UTC)
    with session.begin():
        row = current_released(session, request.model_code)
        if row is None:
            raise InputError.for_field("body.model_code", f"no released product model {request.model_code!r}")
        model = model_of(row)
        validated = validate_order(model, request.version, request.chosen)
        explosion = explode(model, validated.chosen)
        order = ConsumerOrder(
            number=f"pending-{uuid4().hex}", maker_id=row.enterprise_id,
            consumer_id=actor.user_id, model_id=row.id, chosen=sorted(validated.chosen), price_cny=validated.price,
            region=request.region.value, status=OrderStatus.CONFIRMED, due_at=placed_at + timedelta(DEFAULT_LEAD_DAYS),
            created_at=placed_at, updated_at=placed_at,
        )  # fmt: skip
        session.add(order)
        session.flush()
        order.number = order_number(order.id, placed_at)  # from the id: unique without a retry
        session.add_all(routing_operations(order.id, explosion))
        detail = f"{model.code} v{model.version}, {len(explosion.bom)} BOM lines, {len(explosion.routing)} operations"
        session.add(OrderEvent(order_id=order.id, status=OrderStatus.CONFIRMED, at=placed_at, detail=detail))
        audit.record(
            session, actor, action="c2m_order.place", entity_type=ENTITY, entity_id=order.id,
            organisation_id=row.enterprise_id,
            after={"number": order.number, "model": model.code, "version": model.version,
                   "price_cny": str(order.price_cny)},
        )  # fmt: skip
    return order


def _visible(actor: Principal) -> ColumnElement[bool] | None:
    """The orders the caller may see, as a clause (None: all of them)."""
    if actor.sees_all_tenants:
        return None
    if actor.role == Role.CONSUMER:
        return ConsumerOrder.consumer_id == actor.user_id
    if actor.role == Role.ENTERPRISE and actor.organisation_id is not None:
        return ConsumerOrder.maker_id == actor.organisation_id
    return ConsumerOrder.id.is_(None)  # nothing


def _scoped(query: Select[ConsumerOrder], actor: Principal) -> Select[ConsumerOrder]:
    clause = _visible(actor)
    return query if clause is None else query.where(clause)


def get_order(session: Session, actor: Principal, order_id: int) -> ConsumerOrder:
    order = (
        session.scalar(_scoped(select(ConsumerOrder), actor).where(ConsumerOrder.id == order_id))
        if order_id <= MAX_ID
        else None
    )
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


def get_order_by_number(session: Session, actor: Principal, number: str) -> ConsumerOrder:
    order = session.scalar(_scoped(select(ConsumerOrder), actor).where(ConsumerOrder.number == number[:40]))
    if order is None:
        raise NotFound(f"order {number} not found")
    return order


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    start = datetime(monday.year, monday.month, monday.day, tzinfo=ZONE).astimezone(UTC)
    return start, start + timedelta(days=7)


def parse_week(text: str, field: str) -> date:
    """An ISO week (``2026-W48``) as its Monday, from 2000 to 2100 (far from the calendar's ends, where a week's
    bounds in UTC would not be dates)."""
    try:
        year, _, week = text.strip().upper().partition("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError as exc:
        raise InputError.for_field(field, f"not an ISO week (YYYY-Www): {text[:20]!r}") from exc
    if not 2000 <= monday.year <= 2100:
        raise InputError.for_field(field, "a week from 2000 to 2100")
    return monday


def list_orders(
    session: Session, actor: Principal, where: OrderFilter, *, offset: int = 0, limit: int = 50
) -> tuple[Sequence[ConsumerOrder], int]:
    """The orders the caller may see, newest first, with the number matching the filters."""
    query = _scoped(select(ConsumerOrder), actor)
    if where.status is not None:
        query = query.where(ConsumerOrder.status == where.status)
    if where.region is not None:
        query = query.where(ConsumerOrder.region == where.region.value)
    if where.week is not None:
        start, end = week_bounds(where.week)
        query = query.where(ConsumerOrder.created_at >= start, ConsumerOrder.created_at < end)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ConsumerOrder.created_at.desc(), ConsumerOrder.id.desc()).offset(offset).limit(limit)
    ).all()
    return rows, total


def events(session: Session, order_id: int) -> Sequence[OrderEvent]:
    return session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.at, OrderEvent.id)
    ).all()


def operations(session: Session, order_id: int) -> Sequence[OrderOperation]:
    return session.scalars(
        select(OrderOperation).where(OrderOperation.order_id == order_id).order_by(OrderOperation.seq)
    ).all()


def explosion_of(session: Session, order: ConsumerOrder) -> Explosion:
    """The order's BOM and routing, from the exact version it was ordered on (never edited after release)."""
    row = session.get(ProductModelRow, order.model_id)
    assert row is not None  # the foreign key restricts deleting an ordered version
    return explode(model_of(row), order.chosen, field="order.chosen")

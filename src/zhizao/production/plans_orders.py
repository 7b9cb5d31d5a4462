"""Products, operations (how a product is made on equipment, with its planned run time per unit) and production
orders (which product runs where and when): the small MES layer OEE's effectiveness and plans rest on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.production import order_status
from zhizao.production.models import Operation, OrderStatus, Product, ProductionOrder
from zhizao.production.schemas import (
    OperationCreate,
    OperationUpdate,
    OrderCreate,
    OrderStatusChange,
    OrderUpdate,
    ProductCreate,
    ProductUpdate,
)
from zhizao.telemetry.assets import flush_unique
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.scope import enterprise_for_write, get_scoped, same_enterprise, tenant_clauses

PRODUCT_FIELDS = ("enterprise_id", "code", "name", "unit")
OPERATION_FIELDS = ("enterprise_id", "product_id", "equipment_id", "equipment_type", "program", "pru_ms")
ORDER_FIELDS = (
    "enterprise_id", "order_no", "product_id", "equipment_id", "quantity", "planned_start", "planned_end", "status",
)  # fmt: skip


# --- products ----------------------------------------------------------------------------------------------


def list_products(session: Session, actor: Principal, enterprise_id: int | None = None) -> Sequence[Product]:
    query = select(Product).where(*tenant_clauses(actor, Product.enterprise_id, enterprise_id))
    return session.scalars(query.order_by(Product.enterprise_id, Product.code)).all()


def create_product(session: Session, actor: Principal, data: ProductCreate) -> Product:
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        product = Product(enterprise_id=enterprise_id, code=data.code, name=data.name, unit=data.unit)
        session.add(product)
        flush_unique(session, "body.code", f"product code {data.code!r} is already used in this enterprise")
        audit.record(
            session, actor, action="product.create", entity_type="product", entity_id=product.id,
            organisation_id=enterprise_id, after=audit.snapshot(product, PRODUCT_FIELDS),
        )  # fmt: skip
    return product


def update_product(session: Session, actor: Principal, product_id: int, data: ProductUpdate) -> Product:
    with session.begin():
        product = get_scoped(session, actor, Product, product_id, "product")
        before = audit.snapshot(product, PRODUCT_FIELDS)
        for name, value in data.model_dump(exclude_unset=True).items():
            if value is None:
                raise InputError.for_field(f"body.{name}", "must not be null")
            setattr(product, name, value)
        audit.record(
            session, actor, action="product.update", entity_type="product", entity_id=product.id,
            organisation_id=product.enterprise_id, before=before, after=audit.snapshot(product, PRODUCT_FIELDS),
        )  # fmt: skip
    return product


def delete_product(session: Session, actor: Principal, product_id: int) -> None:
    """Remove a product and its operations; refused while production orders refer to it."""
    with session.begin():
        product = get_scoped(session, actor, Product, product_id, "product")
        orders = session.scalars(select(ProductionOrder.order_no).where(ProductionOrder.product_id == product.id))
        order_numbers = list(orders)
        if order_numbers:
            listed = ", ".join(order_numbers[:5])
            raise Conflict(f"product {product.code} is used by {len(order_numbers)} production orders ({listed})")
        audit.record(
            session, actor, action="product.delete", entity_type="product", entity_id=product.id,
            organisation_id=product.enterprise_id, before=audit.snapshot(product, PRODUCT_FIELDS),
        )  # fmt: skip
        session.delete(product)
        try:
            session.flush()
        except IntegrityError as exc:  # an order added by a concurrent request since the check above
            raise Conflict(f"product {product.code} is used by production orders") from exc


# --- operations --------------------------------------------------------------------------------------------


def list_operations(
    session: Session,
    actor: Principal,
    *,
    enterprise_id: int | None = None,
    product_id: int | None = None,
    equipment_id: int | None = None,
) -> Sequence[Operation]:
    clauses = tenant_clauses(actor, Operation.enterprise_id, enterprise_id)
    if product_id is not None:
        clauses.append(Operation.product_id == product_id)
    if equipment_id is not None:
        clauses.append(Operation.equipment_id == equipment_id)
    return session.scalars(select(Operation).where(*clauses).order_by(Operation.product_id, Operation.id)).all()


def _same_operation_exists(session: Session, operation: Operation) -> bool:
    """Whether another operation has the same product, equipment (or type) and program: which PRU applies would
    then be ambiguous."""
    query = select(Operation.id).where(
        Operation.product_id == operation.product_id,
        Operation.equipment_id.is_(None)
        if operation.equipment_id is None
        else Operation.equipment_id == operation.equipment_id,
        Operation.equipment_type.is_(None)
        if operation.equipment_type is None
        else Operation.equipment_type == operation.equipment_type,
        Operation.program.is_(None) if operation.program is None else Operation.program == operation.program,
    )
    if operation.id is not None:
        query = query.where(Operation.id != operation.id)
    return session.scalar(query.limit(1)) is not None


def create_operation(session: Session, actor: Principal, data: OperationCreate) -> Operation:
    with session.begin():
        product = get_scoped(session, actor, Product, data.product_id, "product")
        if data.equipment_id is not None and data.equipment_type is not None:
            raise InputError.for_field(
                "body.equipment_type", "name either a piece of equipment or an equipment type, not both"
            )
        same_enterprise(session, Equipment, data.equipment_id, product.enterprise_id, "body.equipment_id")
        operation = Operation(enterprise_id=product.enterprise_id, **data.model_dump())
        if _same_operation_exists(session, operation):
            message = f"product {product.code} already has an operation for this equipment and program"
            raise Conflict(message, fields=[FieldProblem("body.program", message)])
        session.add(operation)
        session.flush()
        audit.record(
            session, actor, action="operation.create", entity_type="operation", entity_id=operation.id,
            organisation_id=operation.enterprise_id, after=audit.snapshot(operation, OPERATION_FIELDS),
        )  # fmt: skip
    return operation


def update_operation(session: Session, actor: Principal, operation_id: int, data: OperationUpdate) -> Operation:
    with session.begin():
        operation = get_scoped(session, actor, Operation, operation_id, "operation")
        before = audit.snapshot(operation, OPERATION_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        if "pru_ms" in changes and changes["pru_ms"] is None:
            raise InputError.for_field("body.pru_ms", "must not be null")
        for name, value in changes.items():
            setattr(operation, name, value)
        if _same_operation_exists(session, operation):
            raise Conflict(f"another operation of this product already uses program {operation.program!r} here")
        audit.record(
            session, actor, action="operation.update", entity_type="operation", entity_id=operation.id,
            organisation_id=operation.enterprise_id, before=before, after=audit.snapshot(operation, OPERATION_FIELDS),
        )  # fmt: skip
    return operation


def delete_operation(session: Session, actor: Principal, operation_id: int) -> None:
    with session.begin():
        operation = get_scoped(session, actor, Operation, operation_id, "operation")
        audit.record(
            session, actor, action="operation.delete", entity_type="operation", entity_id=operation.id,
            organisation_id=operation.enterprise_id, before=audit.snapshot(operation, OPERATION_FIELDS),
        )  # fmt: skip
        session.delete(operation)


# --- production orders -------------------------------------------------------------------------------------


def list_orders(
    session: Session,
    actor: Principal,
    *,
    enterprise_id: int | None = None,
    status: OrderStatus | None = None,
    product_id: int | None = None,
    equipment_id: int | None = None,
) -> Sequence[ProductionOrder]:
    clauses = tenant_clauses(actor, ProductionOrder.enterprise_id, enterprise_id)
    if status is not None:
        clauses.append(ProductionOrder.status == status)
    if product_id is not None:
        clauses.append(ProductionOrder.product_id == product_id)
    if equipment_id is not None:
        clauses.append(ProductionOrder.equipment_id == equipment_id)
    query = select(ProductionOrder).where(*clauses)
    return session.scalars(query.order_by(ProductionOrder.planned_start, ProductionOrder.order_no)).all()


def check_order_window(order: ProductionOrder, field: str = "body.planned_end") -> None:
    if order.planned_end <= order.planned_start:
        raise InputError.for_field(field, f"order {order.order_no}: planned end must be after planned start")


def create_order(session: Session, actor: Principal, data: OrderCreate) -> ProductionOrder:
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        same_enterprise(session, Product, data.product_id, enterprise_id, "body.product_id")
        same_enterprise(session, Equipment, data.equipment_id, enterprise_id, "body.equipment_id")
        order = ProductionOrder(
            enterprise_id=enterprise_id, status=OrderStatus.PLANNED, **data.model_dump(exclude={"enterprise_id"})
        )
        check_order_window(order)
        session.add(order)
        flush_unique(session, "body.order_no", f"order number {data.order_no!r} is already used in this enterprise")
        audit.record(
            session, actor, action="production_order.create", entity_type="production_order", entity_id=order.id,
            organisation_id=enterprise_id, after=audit.snapshot(order, ORDER_FIELDS),
        )  # fmt: skip
    return order


def update_order(session: Session, actor: Principal, order_id: int, data: OrderUpdate) -> ProductionOrder:
    with session.begin():
        order = get_scoped(session, actor, ProductionOrder, order_id, "production order")
        order_status.check_editable(order.order_no, order.status)
        before = audit.snapshot(order, ORDER_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        for required in ("product_id", "quantity", "planned_start", "planned_end"):
            if required in changes and changes[required] is None:
                raise InputError.for_field(f"body.{required}", "must not be null")
        same_enterprise(session, Product, changes.get("product_id"), order.enterprise_id, "body.product_id")
        same_enterprise(session, Equipment, changes.get("equipment_id"), order.enterprise_id, "body.equipment_id")
        for name, value in changes.items():
            setattr(order, name, value)
        check_order_window(order)
        audit.record(
            session, actor, action="production_order.update", entity_type="production_order", entity_id=order.id,
            organisation_id=order.enterprise_id, before=before, after=audit.snapshot(order, ORDER_FIELDS),
        )  # fmt: skip
    return order


def change_order_status(session: Session, actor: Principal, order_id: int, data: OrderStatusChange) -> ProductionOrder:
    with session.begin():
        order = get_scoped(session, actor, ProductionOrder, order_id, "production order")
        order_status.check_transition(order.order_no, order.status, data.status)
        before = order.status
        order.status = data.status
        audit.record(
            session, actor, action="production_order.status", entity_type="production_order", entity_id=order.id,
            organisation_id=order.enterprise_id, before={"status": before.value}, after={"status": data.status.value},
        )  # fmt: skip
    return order


def delete_order(session: Session, actor: Principal, order_id: int) -> None:
    """Only a planned order is deleted; one that was released has a history and is cancelled instead."""
    with session.begin():
        order = get_scoped(session, actor, ProductionOrder, order_id, "production order")
        if order.status != OrderStatus.PLANNED:
            raise Conflict(f"order {order.order_no} is {order.status.value}: cancel it instead of deleting it")
        audit.record(
            session, actor, action="production_order.delete", entity_type="production_order", entity_id=order.id,
            organisation_id=order.enterprise_id, before=audit.snapshot(order, ORDER_FIELDS),
        )  # fmt: skip
        session.delete(order)

"""Which product a piece of equipment made at a given time, and its planned run time per unit (PRU) there.

A production order running on the equipment names the product; otherwise the program loaded does, through the
operations (program → product). The PRU is that of the most specific operation of the product: one for this
piece of equipment, else one for its equipment type, else one for any equipment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.production.models import Operation, OrderStatus, Product, ProductionOrder
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.timeutil import to_us

ACTIVE_ORDER = (OrderStatus.RELEASED, OrderStatus.RUNNING, OrderStatus.DONE)


@dataclass(frozen=True, slots=True)
class OrderWindow:
    start_us: int
    end_us: int
    product_code: str


@dataclass(frozen=True, slots=True)
class ProductResolver:
    """Product and PRU lookup for one piece of equipment."""

    by_program: dict[str, str]  # program → product code
    pru_us: dict[str, int]  # product code → PRU on this equipment (µs)
    orders: tuple[OrderWindow, ...]

    def product_at(self, ts_us: int, program: str | None) -> str | None:
        for order in self.orders:
            if order.start_us <= ts_us < order.end_us:
                return order.product_code
        return self.by_program.get(program) if program is not None else None


def _specificity(operation: Operation, equipment: Equipment) -> int | None:
    """2: this equipment, 1: its type, 0: any equipment; None: not applicable here."""
    if operation.equipment_id is not None:
        return 2 if operation.equipment_id == equipment.id else None
    if operation.equipment_type is not None:
        return 1 if operation.equipment_type == equipment.equipment_type else None
    return 0


def resolver_for(session: Session, equipment: Equipment, start_us: int, end_us: int) -> ProductResolver:
    rows: Sequence[tuple[Operation, str]] = session.execute(
        select(Operation, Product.code)
        .join(Product, Product.id == Operation.product_id)
        .where(Operation.enterprise_id == equipment.enterprise_id)
    ).all()
    best_pru: dict[str, tuple[int, int]] = {}
    best_program: dict[str, tuple[int, str]] = {}
    for operation, product_code in rows:
        rank = _specificity(operation, equipment)
        if rank is None:
            continue
        if product_code not in best_pru or rank > best_pru[product_code][0]:
            best_pru[product_code] = (rank, operation.pru_ms * 1000)
        if operation.program and (operation.program not in best_program or rank > best_program[operation.program][0]):
            best_program[operation.program] = (rank, product_code)
    orders = session.execute(
        select(ProductionOrder.planned_start, ProductionOrder.planned_end, Product.code)
        .join(Product, Product.id == ProductionOrder.product_id)
        .where(
            ProductionOrder.equipment_id == equipment.id,
            ProductionOrder.status.in_(ACTIVE_ORDER),
        )
        .order_by(ProductionOrder.planned_start)
    ).all()
    windows = tuple(
        OrderWindow(to_us(start), to_us(end), code)
        for start, end, code in orders
        if to_us(start) < end_us and start_us < to_us(end)
    )
    return ProductResolver(
        by_program={program: code for program, (_rank, code) in best_program.items()},
        pru_us={code: pru for code, (_rank, pru) in best_pru.items()},
        orders=windows,
    )

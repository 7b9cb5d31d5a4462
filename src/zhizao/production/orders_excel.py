"""Import production orders from Excel, for enterprises that keep their plans in another system or a spreadsheet.

One sheet, one row per order. Every row is checked first; then all of them are committed in one transaction, or
none. Headers may be English codes or the Chinese names of the template. A product unknown by code is created
when the row names it; an order number already present updates that order (unless it is done or cancelled), so
re-importing a corrected plan is safe. Times without an offset are local times of the platform's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem, InputError
from zhizao.production.models import OrderStatus, Product, ProductionOrder
from zhizao.production.order_status import FINAL
from zhizao.production.schemas import Moment, OrderImportReport, ProductCreate, Quantity
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.schemas import Code
from zhizao.telemetry.scope import enterprise_for_write
from zhizao.ui import spreadsheet

# column code → header shown in the template (zh-CN), in template order
COLUMNS: dict[str, str] = {
    "order_no": "订单号", "product_code": "产品编码", "product_name": "产品名称", "equipment_code": "设备编码",
    "quantity": "数量", "planned_start": "计划开始", "planned_end": "计划结束",
}  # fmt: skip
REQUIRED = ("order_no", "product_code", "quantity", "planned_start", "planned_end")


class OrderRow(BaseModel):
    """One row's order fields, checked with the same types as the JSON API."""

    order_no: Code
    quantity: Quantity
    planned_start: Moment
    planned_end: Moment


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    products: int = 0


def _moment(text: str, column: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date and time (``2026-12-01 08:00``, ``2026/12/01 08:00``, with or without an offset)."""
    try:
        moment = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError as exc:
        raise ValueError(f"{COLUMNS[column]}: not a date and time like 2026-12-01 08:00: {text!r}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _quantity(text: str) -> float | str:
    """Excel stores numbers as floats: 100.0 is the integer 100; anything else is left for the schema to refuse."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def import_orders(
    session: Session, actor: Principal, content: bytes, enterprise_id: int | None, timezone: str
) -> OrderImportReport:
    rows = spreadsheet.read_rows(content, COLUMNS, REQUIRED)
    if not rows:
        raise InputError.for_field("file", "has no data rows")
    zone = ZoneInfo(timezone)
    problems: list[FieldProblem] = []
    counts = _Counts()
    with session.begin():
        enterprise = enterprise_for_write(session, actor, enterprise_id)
        products = {
            row.code: row for row in session.scalars(select(Product).where(Product.enterprise_id == enterprise))
        }
        equipment = {
            row.code: row.id for row in session.scalars(select(Equipment).where(Equipment.enterprise_id == enterprise))
        }
        orders = {
            row.order_no: row
            for row in session.scalars(select(ProductionOrder).where(ProductionOrder.enterprise_id == enterprise))
        }
        seen: set[str] = set()
        for number, row in enumerate(rows, start=2):  # row 1 is the header
            try:
                spec = OrderRow(
                    order_no=row["order_no"],
                    quantity=_quantity(row["quantity"]),
                    planned_start=_moment(row["planned_start"], "planned_start", zone),
                    planned_end=_moment(row["planned_end"], "planned_end", zone),
                )
                if spec.planned_end <= spec.planned_start:
                    raise ValueError(f"{COLUMNS['planned_end']} must be after {COLUMNS['planned_start']}")
                if spec.order_no in seen:
                    raise ValueError(f"order {spec.order_no} appears twice in the workbook")
                seen.add(spec.order_no)
                equipment_code = row.get("equipment_code", "")
                if equipment_code and equipment_code not in equipment:
                    raise ValueError(f"{COLUMNS['equipment_code']}: no equipment {equipment_code!r} in this enterprise")
                existing = orders.get(spec.order_no)
                if existing is not None and existing.status in FINAL:
                    raise ValueError(f"order {spec.order_no} is {existing.status.value} and is not changed")
                product = products.get(row["product_code"]) or _new_product(session, enterprise, row, counts)
                products[product.code] = product
            except ValidationError as exc:
                problems.extend(spreadsheet.row_problems(number, exc))
                continue
            except ValueError as exc:
                problems.append(FieldProblem(f"row {number}", str(exc)))
                continue
            values = {
                "product_id": product.id,
                "equipment_id": equipment.get(equipment_code) if equipment_code else None,
                "quantity": spec.quantity,
                "planned_start": spec.planned_start,
                "planned_end": spec.planned_end,
            }
            if existing is None:
                order = ProductionOrder(
                    enterprise_id=enterprise, order_no=spec.order_no, status=OrderStatus.PLANNED, **values
                )
                session.add(order)
                orders[spec.order_no] = order
                counts.created += 1
            else:
                for name, value in values.items():
                    setattr(existing, name, value)
                counts.updated += 1
        if problems:
            raise InputError(f"{len(problems)} problems in the workbook; nothing was imported", fields=problems[:200])
        report = OrderImportReport(
            rows=len(rows), orders_created=counts.created, orders_updated=counts.updated,
            products_created=counts.products,
        )  # fmt: skip
        audit.record(
            session, actor, action="production_orders.import", entity_type="production_order",
            organisation_id=enterprise, after=report.model_dump(),
        )  # fmt: skip
    return report


def _new_product(session: Session, enterprise_id: int, row: dict[str, str], counts: _Counts) -> Product:
    """A product first named in the workbook; its name is required so that it is not a bare code."""
    if not row.get("product_name"):
        raise ValueError(
            f"{COLUMNS['product_code']}: no product {row['product_code']!r}; "
            f"give its {COLUMNS['product_name']} to create it"
        )
    spec = ProductCreate(code=row["product_code"], name=row["product_name"])
    product = Product(enterprise_id=enterprise_id, code=spec.code, name=spec.name, unit=spec.unit)
    session.add(product)
    session.flush()  # the orders of the following rows refer to its id
    counts.products += 1
    return product


def template_workbook() -> bytes:
    """The import template: headers and two example rows (a day shift and a night shift across midnight)."""
    start = datetime(2026, 12, 1, 8, 0)  # noqa: DTZ001 - Excel cells hold local wall-clock times
    examples = [
        ["MO-20261201-01", "CYL-4A", "缸体 4A", "L1-CNC-01", 480, start, start + timedelta(hours=9)],
        ["MO-20261201-02", "CYL-4A", "缸体 4A", "L1-CNC-01", 400, start + timedelta(hours=14),
         start + timedelta(hours=22)],
    ]  # fmt: skip
    return spreadsheet.template_workbook("生产订单", list(COLUMNS.values()), examples)

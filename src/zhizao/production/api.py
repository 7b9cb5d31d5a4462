"""JSON API of calendars, equipment settings, planned downtime, products, operations, orders, reasons and stops."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, UploadFile, status

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.fields import IdPath, IdQuery
from zhizao.production import orders_excel, plans, plans_orders, reasons, stops, suggestions
from zhizao.production.models import (
    Operation,
    OrderStatus,
    PlannedDowntimeRecord,
    Product,
    ProductionOrder,
    WorkCalendarRecord,
)
from zhizao.production.schemas import (
    CalendarCreate,
    CalendarDayChange,
    CalendarRead,
    CalendarUpdate,
    DowntimeCreate,
    DowntimeRead,
    DowntimeUpdate,
    EquipmentSettingRead,
    EquipmentSettingUpdate,
    NodeCalendarAssignment,
    OperationCreate,
    OperationRead,
    OperationUpdate,
    OrderCreate,
    OrderImportReport,
    OrderRead,
    OrderStatusChange,
    OrderUpdate,
    ProductCreate,
    ProductRead,
    ProductUpdate,
    ReasonSuggestion,
    ReasonTreeCreate,
    ReasonTreeRead,
    ReasonTreeSummary,
    StopClassification,
    StopRead,
)
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.scope import ASSET_READERS, ASSET_WRITERS, get_scoped
from zhizao.telemetry.timeutil import to_us
from zhizao.ui.spreadsheet import DEFAULT_MAX_BYTES, XLSX_MEDIA_TYPE

router = APIRouter(prefix="/api/production", tags=["production plans"])

Reader = Annotated[Principal, Depends(require_role(*ASSET_READERS))]
Writer = Annotated[Principal, Depends(require_role(*ASSET_WRITERS))]
OptionalMoment = Annotated[datetime | None, Query(description="ISO 8601 with a time-zone offset.")]
Moment = Annotated[datetime, Query(description="ISO 8601 with a time-zone offset.")]
NO_CONTENT = status.HTTP_204_NO_CONTENT


def _moment_us(moment: datetime | None, field: str) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise InputError.for_field(field, "include a time-zone offset, e.g. 2026-11-28T08:00:00+08:00")
    return to_us(moment)


def _range_us(start: datetime, end: datetime) -> tuple[int, int]:
    start_us, end_us = _moment_us(start, "query.start"), _moment_us(end, "query.end")
    assert start_us is not None and end_us is not None
    if end_us <= start_us:
        raise InputError.for_field("query.end", "must be after start")
    return start_us, end_us


# --- calendars ---------------------------------------------------------------------------------------------


@router.get("/calendars")
def list_calendars(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> list[CalendarRead]:
    return [plans.calendar_read(row) for row in plans.list_calendars(session, principal, enterprise_id)]


@router.post("/calendars", status_code=status.HTTP_201_CREATED)
def create_calendar(data: CalendarCreate, principal: Writer, session: SessionDep) -> CalendarRead:
    return plans.calendar_read(plans.create_calendar(session, principal, data))


@router.get("/calendars/{calendar_id}")
def read_calendar(calendar_id: IdPath, principal: Reader, session: SessionDep) -> CalendarRead:
    return plans.calendar_read(get_scoped(session, principal, WorkCalendarRecord, calendar_id, "calendar"))


@router.patch("/calendars/{calendar_id}")
def update_calendar(calendar_id: IdPath, data: CalendarUpdate, principal: Writer, session: SessionDep) -> CalendarRead:
    return plans.calendar_read(plans.update_calendar(session, principal, calendar_id, data))


@router.delete("/calendars/{calendar_id}", status_code=NO_CONTENT)
def delete_calendar(calendar_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    plans.delete_calendar(session, principal, calendar_id)
    return Response(status_code=NO_CONTENT)


@router.post("/calendars/{calendar_id}/days")
def add_calendar_day(
    calendar_id: IdPath, data: CalendarDayChange, principal: Writer, session: SessionDep
) -> CalendarRead:
    """Make a date a holiday (day off) or a make-up working day (调休) of this calendar."""
    return plans.calendar_read(plans.add_calendar_day(session, principal, calendar_id, data))


@router.delete("/calendars/{calendar_id}/days/{day}")
def remove_calendar_day(calendar_id: IdPath, day: date, principal: Writer, session: SessionDep) -> CalendarRead:
    """Take back a date added with the call above; the public holidays and weekdays decide that day again."""
    return plans.calendar_read(plans.remove_calendar_day(session, principal, calendar_id, day))


# --- equipment settings ------------------------------------------------------------------------------------


@router.get("/equipment-settings")
def list_equipment_settings(
    principal: Reader, session: SessionDep, enterprise_id: IdQuery = None, node_id: IdQuery = None
) -> list[EquipmentSettingRead]:
    """Calendar and micro-stop threshold of every piece of equipment in scope (under a node, when given)."""
    return plans.list_settings(session, principal, enterprise_id=enterprise_id, node_id=node_id)


@router.get("/equipment/{equipment_id}/settings")
def read_equipment_settings(equipment_id: IdPath, principal: Reader, session: SessionDep) -> EquipmentSettingRead:
    return plans.read_setting(session, principal, equipment_id)


@router.patch("/equipment/{equipment_id}/settings")
def update_equipment_settings(
    equipment_id: IdPath, data: EquipmentSettingUpdate, principal: Writer, session: SessionDep
) -> EquipmentSettingRead:
    """The one place the micro-stop threshold is set; also the equipment's calendar."""
    return plans.update_setting(session, principal, equipment_id, data)


@router.put("/nodes/{node_id}/calendar")
def assign_node_calendar(
    node_id: IdPath, data: NodeCalendarAssignment, principal: Writer, session: SessionDep
) -> list[EquipmentSettingRead]:
    """Give every piece of equipment under an asset node (at any depth) this calendar (null: none)."""
    return plans.assign_calendar_to_node(session, principal, node_id, data.calendar_id)


# --- planned downtime --------------------------------------------------------------------------------------


@router.get("/downtime")
def list_downtime(
    principal: Reader,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    equipment_id: IdQuery = None,
    start: OptionalMoment = None,
    end: OptionalMoment = None,
) -> list[DowntimeRead]:
    """Planned downtime windows; for one piece of equipment its own and the enterprise-wide ones."""
    rows = plans.list_downtime(
        session, principal, enterprise_id=enterprise_id, equipment_id=equipment_id,
        start_us=_moment_us(start, "query.start"), end_us=_moment_us(end, "query.end"),
    )  # fmt: skip
    return [plans.downtime_read(row) for row in rows]


@router.post("/downtime", status_code=status.HTTP_201_CREATED)
def create_downtime(data: DowntimeCreate, principal: Writer, session: SessionDep) -> DowntimeRead:
    return plans.downtime_read(plans.create_downtime(session, principal, data))


@router.get("/downtime/{downtime_id}")
def read_downtime(downtime_id: IdPath, principal: Reader, session: SessionDep) -> DowntimeRead:
    return plans.downtime_read(get_scoped(session, principal, PlannedDowntimeRecord, downtime_id, "planned downtime"))


@router.patch("/downtime/{downtime_id}")
def update_downtime(downtime_id: IdPath, data: DowntimeUpdate, principal: Writer, session: SessionDep) -> DowntimeRead:
    return plans.downtime_read(plans.update_downtime(session, principal, downtime_id, data))


@router.delete("/downtime/{downtime_id}", status_code=NO_CONTENT)
def delete_downtime(downtime_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    plans.delete_downtime(session, principal, downtime_id)
    return Response(status_code=NO_CONTENT)


# --- products and operations -------------------------------------------------------------------------------


@router.get("/products")
def list_products(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> list[ProductRead]:
    return [ProductRead.model_validate(row) for row in plans_orders.list_products(session, principal, enterprise_id)]


@router.post("/products", status_code=status.HTTP_201_CREATED)
def create_product(data: ProductCreate, principal: Writer, session: SessionDep) -> ProductRead:
    return ProductRead.model_validate(plans_orders.create_product(session, principal, data))


@router.get("/products/{product_id}")
def read_product(product_id: IdPath, principal: Reader, session: SessionDep) -> ProductRead:
    return ProductRead.model_validate(get_scoped(session, principal, Product, product_id, "product"))


@router.patch("/products/{product_id}")
def update_product(product_id: IdPath, data: ProductUpdate, principal: Writer, session: SessionDep) -> ProductRead:
    return ProductRead.model_validate(plans_orders.update_product(session, principal, product_id, data))


@router.delete("/products/{product_id}", status_code=NO_CONTENT)
def delete_product(product_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    plans_orders.delete_product(session, principal, product_id)
    return Response(status_code=NO_CONTENT)


@router.get("/operations")
def list_operations(
    principal: Reader,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    product_id: IdQuery = None,
    equipment_id: IdQuery = None,
) -> list[OperationRead]:
    rows = plans_orders.list_operations(
        session, principal, enterprise_id=enterprise_id, product_id=product_id, equipment_id=equipment_id
    )
    return [OperationRead.model_validate(row) for row in rows]


@router.post("/operations", status_code=status.HTTP_201_CREATED)
def create_operation(data: OperationCreate, principal: Writer, session: SessionDep) -> OperationRead:
    """How a product is made: on a piece of equipment, on a type of equipment or anywhere, with its PRU."""
    return OperationRead.model_validate(plans_orders.create_operation(session, principal, data))


@router.get("/operations/{operation_id}")
def read_operation(operation_id: IdPath, principal: Reader, session: SessionDep) -> OperationRead:
    return OperationRead.model_validate(get_scoped(session, principal, Operation, operation_id, "operation"))


@router.patch("/operations/{operation_id}")
def update_operation(
    operation_id: IdPath, data: OperationUpdate, principal: Writer, session: SessionDep
) -> OperationRead:
    return OperationRead.model_validate(plans_orders.update_operation(session, principal, operation_id, data))


@router.delete("/operations/{operation_id}", status_code=NO_CONTENT)
def delete_operation(operation_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    plans_orders.delete_operation(session, principal, operation_id)
    return Response(status_code=NO_CONTENT)


# --- production orders -------------------------------------------------------------------------------------


@router.get("/orders")
def list_orders(
    principal: Reader,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    status: OrderStatus | None = None,
    product_id: IdQuery = None,
    equipment_id: IdQuery = None,
) -> list[OrderRead]:
    rows = plans_orders.list_orders(
        session, principal, enterprise_id=enterprise_id, status=status, product_id=product_id,
        equipment_id=equipment_id,
    )  # fmt: skip
    return [OrderRead.model_validate(row) for row in rows]


@router.post("/orders", status_code=201)
def create_order(data: OrderCreate, principal: Writer, session: SessionDep) -> OrderRead:
    return OrderRead.model_validate(plans_orders.create_order(session, principal, data))


@router.post("/orders/import")
def import_orders(
    file: UploadFile, principal: Writer, session: SessionDep, settings: SettingsDep, enterprise_id: IdQuery = None
) -> OrderImportReport:
    """Import production orders (.xlsx): all rows or none; every problem is reported as `row N: column`."""
    content = file.file.read(DEFAULT_MAX_BYTES + 1)
    return orders_excel.import_orders(session, principal, content, enterprise_id, settings.timezone)


@router.get("/orders/import/template", response_class=Response)
def order_import_template(principal: Writer) -> Response:
    headers = {"Content-Disposition": 'attachment; filename="zhizao-order-import.xlsx"'}
    return Response(orders_excel.template_workbook(), media_type=XLSX_MEDIA_TYPE, headers=headers)


@router.get("/orders/{order_id}")
def read_order(order_id: IdPath, principal: Reader, session: SessionDep) -> OrderRead:
    return OrderRead.model_validate(get_scoped(session, principal, ProductionOrder, order_id, "production order"))


@router.patch("/orders/{order_id}")
def update_order(order_id: IdPath, data: OrderUpdate, principal: Writer, session: SessionDep) -> OrderRead:
    """Change a planned, released or running order; done and cancelled orders are final."""
    return OrderRead.model_validate(plans_orders.update_order(session, principal, order_id, data))


@router.post("/orders/{order_id}/status")
def change_order_status(order_id: IdPath, data: OrderStatusChange, principal: Writer, session: SessionDep) -> OrderRead:
    """planned → released → running → done; any of the first three → cancelled."""
    return OrderRead.model_validate(plans_orders.change_order_status(session, principal, order_id, data))


@router.delete("/orders/{order_id}", status_code=NO_CONTENT)
def delete_order(order_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    """Only a planned order is deleted; cancel one that was released."""
    plans_orders.delete_order(session, principal, order_id)
    return Response(status_code=NO_CONTENT)


# --- downtime reasons and stops ----------------------------------------------------------------------------


@router.get("/reason-trees")
def list_reason_trees(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> list[ReasonTreeSummary]:
    """Every version of the reason trees in scope, newest first."""
    return reasons.list_versions(session, principal, enterprise_id)


@router.post("/reason-trees", status_code=status.HTTP_201_CREATED)
def create_reason_tree(data: ReasonTreeCreate, principal: Writer, session: SessionDep) -> ReasonTreeRead:
    """A new version holding the full tree; it becomes the current one."""
    return reasons.create_version(session, principal, data)


@router.get("/reason-trees/current")
def read_current_reason_tree(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> ReasonTreeRead:
    """The enterprise's current tree (the default tree is seeded on first use)."""
    return reasons.read_current(session, principal, enterprise_id)


@router.get("/reason-trees/{tree_id}")
def read_reason_tree(tree_id: IdPath, principal: Reader, session: SessionDep) -> ReasonTreeRead:
    return reasons.read_tree(session, principal, tree_id)


@router.get("/equipment/{equipment_id}/stops")
def list_stops(
    equipment_id: IdPath,
    start: Moment,
    end: Moment,
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=stops.MAX_STOPS)] = 1000,
) -> list[StopRead]:
    """Every non-producing ledger interval overlapping [start, end), with its reason and planned-time flag."""
    start_us, end_us = _range_us(start, end)
    return stops.list_stops(session, principal, equipment_id, start_us, end_us, limit=limit)


@router.get("/stops/{stop_id}")
def read_stop(stop_id: IdPath, principal: Reader, session: SessionDep) -> StopRead:
    return stops.read_stop(session, principal, stop_id)


@router.put("/stops/{stop_id}/reason")
def classify_stop(stop_id: IdPath, data: StopClassification, principal: Writer, session: SessionDep) -> StopRead:
    """Set the stop's reason (from the current reason tree), or clear it with null."""
    return stops.classify_stop(session, principal, stop_id, data)


@router.get("/stops/{stop_id}/suggestions")
def suggest_reasons(stop_id: IdPath, principal: Reader, session: SessionDep, store: StoreDep) -> list[ReasonSuggestion]:
    """Reasons ranked by the alarm active at the stop's start, its state and mode, and past classifications."""
    return suggestions.suggest(session, principal, stop_id, store)

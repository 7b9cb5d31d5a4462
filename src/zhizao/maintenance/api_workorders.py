"""JSON API of maintenance work orders (``/api/maintenance/workorders``): orders, transitions, spare parts,
Excel export, reliability figures (MTTR, MTBF, availability) and preventive plans.

Enterprise users and administrators write; officers read; platform operators read and work on orders of equipment
whose owner consented to remote maintenance (plans they only read); anyone else gets 404 for a row of another
tenant. The routes are thin: the services in ``maintenance.workorders`` check scope and own the transactions.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.fields import IdPath, IdQuery, Limit, Offset, TextQuery
from zhizao.maintenance.models_workorders import MaintenancePlan, WorkOrder
from zhizao.maintenance.workorders import access, codes, excel, plans, reliability_service, service, transitions
from zhizao.maintenance.workorders.lifecycle import Status, available_actions
from zhizao.maintenance.workorders.reliability import Reliability
from zhizao.maintenance.workorders.schemas import (
    CodeLists,
    CodeRead,
    EventRead,
    FigureRead,
    PartCreate,
    PartRead,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    ReliabilityReport,
    TransitionIn,
    WorkOrderCreate,
    WorkOrderDetail,
    WorkOrderPage,
    WorkOrderRead,
    WorkOrderUpdate,
)
from zhizao.maintenance.workorders.types import OrderKind, OrderSource
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.timeutil import from_us

router = APIRouter(prefix="/api/maintenance/workorders", tags=["maintenance work orders"])

Reader = Annotated[Principal, Depends(require_role(*access.READERS))]
Writer = Annotated[Principal, Depends(require_role(*access.WRITERS))]
PlanWriter = Annotated[Principal, Depends(require_role(*access.PLAN_WRITERS))]
PriorityQuery = Annotated[int | None, Query(ge=1, le=4)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def order_read(order: WorkOrder) -> WorkOrderRead:
    return WorkOrderRead.model_validate(order).model_copy(
        update={
            "repair_start": from_us(order.repair_start_us) if order.repair_start_us is not None else None,
            "repair_end": from_us(order.repair_end_us) if order.repair_end_us is not None else None,
        }
    )


def order_detail(session: Session, principal: Principal, order: WorkOrder) -> WorkOrderDetail:
    parts = service.parts(session, [order.id])[order.id]
    part_reads = [
        PartRead(
            id=part.id,
            part_number=part.part_number,
            name=part.name,
            quantity=part.quantity,
            unit_cost=part.unit_cost,
            line_cost=service.line_cost(part),
        )
        for part in parts
    ]
    may_write = principal.role in access.WRITERS
    actions = (
        available_actions(order.status, principal.role, actor_id=principal.user_id, worked_by=order.worked_by)
        if may_write
        else []
    )
    return WorkOrderDetail(
        **order_read(order).model_dump(),
        parts=part_reads,
        parts_cost=sum((p.line_cost for p in part_reads), Decimal("0.00")),
        timeline=[EventRead.model_validate(event) for event in service.timeline(session, order)],
        actions=actions,
    )


def plan_read(plan: MaintenancePlan) -> PlanRead:
    fields = {name: getattr(plan, name) for name in PlanRead.model_fields if name != "next_due"}
    return PlanRead(**fields, next_due=plans.next_due_text(plan))


def order_filter(
    enterprise_id: IdQuery = None,
    equipment_id: IdQuery = None,
    status: Status | None = None,
    kind: OrderKind | None = None,
    source: OrderSource | None = None,
    priority: PriorityQuery = None,
    start: datetime | None = None,
    end: datetime | None = None,
    q: TextQuery = None,
) -> service.OrderFilter:
    return service.OrderFilter(enterprise_id, equipment_id, status, kind, source, priority, start, end, q or None)


Filter = Annotated[service.OrderFilter, Depends(order_filter)]


@router.get("")
def list_orders(
    principal: Reader, session: SessionDep, where: Filter, offset: Offset = 0, limit: Limit = 50
) -> WorkOrderPage:
    rows, total = service.list_orders(session, principal, where, offset=offset, limit=limit)
    return WorkOrderPage(total=total, offset=offset, limit=limit, items=[order_read(row) for row in rows])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_order(data: WorkOrderCreate, principal: Writer, session: SessionDep) -> WorkOrderDetail:
    order = service.create_order(session, principal, data)
    return order_detail(session, principal, order)


@router.get("/codes")
def failure_codes(principal: Reader) -> CodeLists:
    """The ISO 14224-style failure mode, cause and remedy codes (English labels; pages show them translated)."""
    lists = {name: [CodeRead(code=c.code, label=c.label) for c in values] for name, values in codes.LISTS.items()}
    return CodeLists(**lists)


@router.get("/export", response_class=Response)
def export_orders(request: Request, principal: Reader, session: SessionDep, where: Filter) -> Response:
    """The filtered orders and their spare parts as .xlsx (zh-CN headers, Asia/Shanghai times, CNY)."""
    return Response(
        export_bytes(request, session, principal, where),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="zhizao-work-orders.xlsx"'},
    )


def export_bytes(request: Request, session: Session, principal: Principal, where: service.OrderFilter) -> bytes:
    rows = service.orders_for_export(session, principal, where)
    ids = {row.equipment_id for row in rows}
    names = dict(session.execute(select(Equipment.id, Equipment.name).where(Equipment.id.in_(ids))).all())
    parts = service.parts(session, [row.id for row in rows])
    return excel.orders_workbook(rows, parts, names, request.app.state.settings.timezone)


def _figure(key: str, label: str, figures: Reliability) -> FigureRead:
    return FigureRead(
        key=key, label=label, failures=figures.failures, repair_h=figures.repair_us / 3_600_000_000,
        operating_h=None if figures.operating_us is None else figures.operating_us / 3_600_000_000,
        mttr_h=figures.mttr_h, mtbf_h=figures.mtbf_h, availability=figures.availability, status=figures.status,
    )  # fmt: skip


def reliability_report(
    session: Session, principal: Principal, start: datetime, end: datetime, enterprise_id: int | None,
    equipment_id: int | None,
) -> ReliabilityReport:  # fmt: skip
    found = reliability_service.figures(
        session, principal, start, end, enterprise_id=enterprise_id, equipment_id=equipment_id
    )
    return ReliabilityReport(
        enterprise_id=found.enterprise_id, start=start, end=end,
        equipment=[_figure(str(row.id), f"{row.code} {row.name}", fig) for row, fig in found.equipment],
        failure_modes=[
            _figure(mode or "", codes.label_of("failure_mode", mode) if mode else "", fig)
            for mode, fig in found.failure_modes.items()
        ],
        orders_from_order_times=found.from_order_times,
    )  # fmt: skip


@router.get("/reliability")
def reliability(
    principal: Reader,
    session: SessionDep,
    start: datetime,
    end: datetime,
    enterprise_id: IdQuery = None,
    equipment_id: IdQuery = None,
) -> ReliabilityReport:
    """MTTR, MTBF and availability per equipment and per failure mode over [start, end) (at most 366 days), from
    corrective orders done or verified and the ledger's operating time."""
    return reliability_report(session, principal, start, end, enterprise_id, equipment_id)


# -- plans ------------------------------------------------------------------------------------------------------


@router.get("/plans")
def list_plans(
    principal: Reader, session: SessionDep, enterprise_id: IdQuery = None, equipment_id: IdQuery = None
) -> list[PlanRead]:
    rows = plans.list_plans(session, principal, enterprise_id=enterprise_id, equipment_id=equipment_id)
    return [plan_read(row) for row in rows]


@router.post("/plans", status_code=status.HTTP_201_CREATED)
def create_plan(data: PlanCreate, principal: PlanWriter, session: SessionDep) -> PlanRead:
    return plan_read(plans.create_plan(session, principal, data))


@router.get("/plans/{plan_id}")
def read_plan(plan_id: IdPath, principal: Reader, session: SessionDep) -> PlanRead:
    return plan_read(plans.get_plan(session, principal, plan_id))


@router.patch("/plans/{plan_id}")
def update_plan(plan_id: IdPath, data: PlanUpdate, principal: PlanWriter, session: SessionDep) -> PlanRead:
    return plan_read(plans.update_plan(session, principal, plan_id, data))


@router.delete("/plans/{plan_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_plan(plan_id: IdPath, principal: PlanWriter, session: SessionDep) -> Response:
    plans.delete_plan(session, principal, plan_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- one order --------------------------------------------------------------------------------------------------


@router.get("/{order_id}")
def read_order(order_id: IdPath, principal: Reader, session: SessionDep) -> WorkOrderDetail:
    return order_detail(session, principal, service.get_order(session, principal, order_id))


@router.patch("/{order_id}")
def update_order(order_id: IdPath, data: WorkOrderUpdate, principal: Writer, session: SessionDep) -> WorkOrderDetail:
    return order_detail(session, principal, service.update_order(session, principal, order_id, data))


@router.delete("/{order_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_order(order_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    """Only an open order goes; later ones are cancelled (409)."""
    service.delete_order(session, principal, order_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{order_id}/transitions")
def transition(order_id: IdPath, data: TransitionIn, principal: Writer, session: SessionDep) -> WorkOrderDetail:
    """assign, start, finish, verify (another user than the one who did the work), reopen (with a reason),
    cancel (with a reason). 409 when the status does not allow it, 403 when the caller may not."""
    return order_detail(session, principal, transitions.transition(session, principal, order_id, data))


@router.post("/{order_id}/parts", status_code=status.HTTP_201_CREATED)
def add_part(order_id: IdPath, data: PartCreate, principal: Writer, session: SessionDep) -> WorkOrderDetail:
    service.add_part(session, principal, order_id, data)
    return order_detail(session, principal, service.get_order(session, principal, order_id))


@router.delete("/{order_id}/parts/{part_id}")
def remove_part(order_id: IdPath, part_id: IdPath, principal: Writer, session: SessionDep) -> WorkOrderDetail:
    service.remove_part(session, principal, order_id, part_id)
    return order_detail(session, principal, service.get_order(session, principal, order_id))

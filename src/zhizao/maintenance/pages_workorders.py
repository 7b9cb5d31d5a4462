"""Work-order pages: the list with filters and status colours, the create form (``/maintenance/workorders/new``,
which other pages link to with ``?equipment_id=&alarm_event_id=&case_id=`` filled in), the detail with its timeline,
parts, codes and transition buttons, the reliability page and the preventive plans page."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem, InputError
from zhizao.fields import IdPath, IdQuery, NoNul, Offset, TextQuery
from zhizao.maintenance.api_workorders import order_detail, plan_read, reliability_report
from zhizao.maintenance.workorders import access, codes, plans, service, transitions
from zhizao.maintenance.workorders.lifecycle import ACTION_LABELS, STATUS_LABELS, Status
from zhizao.maintenance.workorders.schedule import TRIGGER_LABELS, UNIT_LABELS, CalendarUnit, Trigger
from zhizao.maintenance.workorders.schemas import PartCreate, PlanCreate, TransitionIn, WorkOrderCreate, WorkOrderUpdate
from zhizao.maintenance.workorders.types import KIND_LABELS, PRIORITY_LABELS, SOURCE_LABELS, OrderKind, OrderSource
from zhizao.telemetry.models import Equipment
from zhizao.ui.forms import attempt, form_day, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/maintenance/workorders"
NAV = (NavItem(N_("Work orders"), BASE, roles=frozenset(r.value for r in access.READERS), order=245),)

Reader = Annotated[Principal, Depends(require_role(*access.READERS))]
Writer = Annotated[Principal, Depends(require_role(*access.WRITERS))]
PlanWriter = Annotated[Principal, Depends(require_role(*access.PLAN_WRITERS))]
Field = Annotated[str | None, Form(max_length=5000), NoNul]
ZONE = ZoneInfo("Asia/Shanghai")


def _labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS, "source_labels": SOURCE_LABELS,
        "priority_labels": PRIORITY_LABELS, "action_labels": ACTION_LABELS, "code_lists": codes.LISTS,
        "trigger_labels": TRIGGER_LABELS, "unit_labels": UNIT_LABELS, "statuses": list(Status),
        "kinds": list(OrderKind), "sources": list(OrderSource), "triggers": list(Trigger), "units": list(CalendarUnit),
        "code_label": codes.label_of,
    }  # fmt: skip


def _equipment(session: Session, principal: Principal) -> list[Equipment]:
    rows = session.scalars(select(Equipment).order_by(Equipment.enterprise_id, Equipment.code)).all()
    now = datetime.now(UTC)
    return [row for row in rows if access.may_see_equipment(session, principal, row, now)]


def _moment(text: str | None, field: str) -> datetime | None:
    """A local time typed into a form (YYYY-MM-DD HH:MM, Asia/Shanghai)."""
    if not text or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError as exc:
        raise InputError.for_field(field, f"not a time (YYYY-MM-DD HH:MM): {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=ZONE)


@router.get(BASE)
def list_page(
    request: Request, principal: Reader, session: SessionDep, enterprise_id: IdQuery = None,
    equipment_id: IdQuery = None, status: TextQuery = None, kind: TextQuery = None, q: TextQuery = None,
    offset: Offset = 0,
) -> Response:  # fmt: skip
    chosen = {"status": status if status in set(Status) else None, "kind": kind if kind in set(OrderKind) else None}
    where = service.OrderFilter(
        enterprise_id, equipment_id, Status(chosen["status"]) if chosen["status"] else None,
        OrderKind(chosen["kind"]) if chosen["kind"] else None, text=q or None,
    )  # fmt: skip
    rows, total = service.list_orders(session, principal, where, offset=offset, limit=50)
    names = {row.id: f"{row.code} {row.name}" for row in _equipment(session, principal)}
    query = "&".join(
        f"{key}={value}"
        for key, value in (("enterprise_id", enterprise_id), ("equipment_id", equipment_id), *chosen.items(), ("q", q))
        if value
    )
    context = {
        "orders": rows, "page": {"total": total, "offset": offset, "limit": 50}, "names": names, "query": query,
        "filters": {"equipment_id": equipment_id or "", "q": q or "", **chosen},
        "can_write": principal.role in access.WRITERS, **_labels(),
    }  # fmt: skip
    return render(request, "maintenance/workorders/list.html", context)


@router.get(BASE + "/new")
def new_page(
    request: Request, principal: Writer, session: SessionDep, equipment_id: IdQuery = None,
    alarm_event_id: IdQuery = None, case_id: IdQuery = None,
) -> Response:  # fmt: skip
    """The create form; other pages link here with the equipment, alarm event or case filled in."""
    values = {"equipment_id": equipment_id, "alarm_event_id": alarm_event_id, "case_id": case_id}
    kind = OrderKind.PREDICTIVE if case_id else OrderKind.CORRECTIVE
    return _form(request, principal, session, {**values, "kind": kind.value, "priority": 3}, [])


def _form(
    request: Request, principal: Principal, session: Session, values: dict[str, Any], problems: list[FieldProblem]
) -> Response:
    context = {"values": values, "problems": problems, "equipment": _equipment(session, principal), **_labels()}
    return render(request, "maintenance/workorders/new.html", context, status_code=422 if problems else 200)


@router.post(BASE + "/new")
def create_page(
    request: Request, principal: Writer, session: SessionDep,
    equipment_id: Field = None, title: Field = None, description: Field = None, kind: Field = None,
    priority: Field = None, alarm_event_id: Field = None, case_id: Field = None, assignee_name: Field = None,
    planned_start: Field = None, planned_end: Field = None,
) -> Response:  # fmt: skip
    values = {
        "equipment_id": optional_int(equipment_id), "title": title, "description": description or None,
        "kind": kind or OrderKind.CORRECTIVE.value, "priority": optional_int(priority) or 3,
        "alarm_event_id": optional_int(alarm_event_id), "case_id": optional_int(case_id),
        "assignee_name": assignee_name or None,
    }  # fmt: skip

    def create() -> int:
        start = _moment(planned_start, "body.planned_start")
        end = _moment(planned_end, "body.planned_end")
        data = WorkOrderCreate.model_validate({**values, "planned_start": start, "planned_end": end})
        return service.create_order(session, principal, data).id

    order_id, problems = attempt(create)
    if order_id is None:
        session.rollback()
        return _form(
            request,
            principal,
            session,
            {**values, "planned_start": planned_start, "planned_end": planned_end},
            problems,
        )
    return RedirectResponse(f"{BASE}/{order_id}", status_code=303)


@router.get(BASE + "/reliability")
def reliability_page(
    request: Request, principal: Reader, session: SessionDep, enterprise_id: IdQuery = None,
    equipment_id: IdQuery = None, start: TextQuery = None, end: TextQuery = None,
) -> Response:  # fmt: skip
    today = datetime.now(ZONE).date()
    first, last = today - timedelta(days=30), today

    def compute() -> Any:
        low = form_day(start, "query.start") if start else first
        high = form_day(end, "query.end") if end else last
        window = (datetime.combine(low, time(), ZONE), datetime.combine(high + timedelta(days=1), time(), ZONE))
        return reliability_report(session, principal, *window, enterprise_id, equipment_id)

    report, problems = attempt(compute)
    context = {
        "report": report, "problems": problems, "start": start or first.isoformat(), "end": end or last.isoformat(),
        "enterprise_id": enterprise_id or "", "equipment_id": equipment_id or "", **_labels(),
    }  # fmt: skip
    return render(request, "maintenance/workorders/reliability.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/plans")
def plans_page(request: Request, principal: Reader, session: SessionDep) -> Response:
    return _plans(request, principal, session, {}, [])


def _plans(
    request: Request, principal: Principal, session: Session, values: dict[str, Any], problems: list[FieldProblem]
) -> Response:
    rows = [plan_read(row) for row in plans.list_plans(session, principal)]
    names = {row.id: f"{row.code} {row.name}" for row in _equipment(session, principal)}
    context = {
        "plans": rows, "names": names, "values": values, "problems": problems,
        "can_write": principal.role in access.PLAN_WRITERS, "equipment": _equipment(session, principal), **_labels(),
    }  # fmt: skip
    return render(request, "maintenance/workorders/plans.html", context, status_code=422 if problems else 200)


@router.post(BASE + "/plans")
def create_plan_page(
    request: Request, principal: PlanWriter, session: SessionDep,
    equipment_id: Field = None, title: Field = None, trigger: Field = None, interval: Field = None,
    calendar_unit: Field = None, start_date: Field = None, lead: Field = None, assignee_name: Field = None,
) -> Response:  # fmt: skip
    values = {
        "equipment_id": optional_int(equipment_id), "title": title, "trigger": trigger,
        "interval": optional_int(interval), "calendar_unit": calendar_unit or None, "start_date": start_date,
        "lead": optional_int(lead) or 0, "assignee_name": assignee_name or None,
    }  # fmt: skip

    def create() -> int:
        day: date | None = form_day(start_date, "body.start_date") if start_date else None
        return plans.create_plan(session, principal, PlanCreate.model_validate({**values, "start_date": day})).id

    done, problems = attempt(create)
    if done is None:
        session.rollback()
        return _plans(request, principal, session, values, problems)
    return RedirectResponse(BASE + "/plans", status_code=303)


@router.get(BASE + "/{order_id}")
def detail_page(request: Request, order_id: IdPath, principal: Reader, session: SessionDep) -> Response:
    return _detail(request, principal, session, order_id, [])


def _detail(
    request: Request, principal: Principal, session: Session, order_id: int, problems: list[FieldProblem]
) -> Response:
    order = service.get_order(session, principal, order_id)
    equipment = session.get(Equipment, order.equipment_id)
    context = {
        "order": order_detail(session, principal, order), "equipment": equipment, "problems": problems,
        "can_write": principal.role in access.WRITERS, **_labels(),
    }  # fmt: skip
    return render(request, "maintenance/workorders/detail.html", context, status_code=422 if problems else 200)


def _after(request: Request, principal: Principal, session: Session, order_id: int, action: Any) -> Response:
    done, problems = attempt(action)
    session.rollback()
    if done is None:
        return _detail(request, principal, session, order_id, problems)
    return RedirectResponse(f"{BASE}/{order_id}", status_code=303)


@router.post(BASE + "/{order_id}/transition")
def transition_page(
    request: Request, order_id: IdPath, principal: Writer, session: SessionDep,
    action: Annotated[str, Form(max_length=40)], comment: Field = None, assignee_name: Field = None,
) -> Response:  # fmt: skip
    data = {"action": action, "comment": comment or None, "assignee_name": assignee_name or None}
    return _after(
        request, principal, session, order_id,
        lambda: transitions.transition(session, principal, order_id, TransitionIn.model_validate(data)),
    )  # fmt: skip


@router.post(BASE + "/{order_id}/edit")
def edit_page(
    request: Request, order_id: IdPath, principal: Writer, session: SessionDep,
    failure_mode: Field = None, failure_cause: Field = None, remedy: Field = None, labour_hours: Field = None,
    notes: Field = None,
) -> Response:  # fmt: skip
    data = {"failure_mode": failure_mode or None, "failure_cause": failure_cause or None, "remedy": remedy or None,
            "labour_hours": labour_hours or None, "notes": notes or None}  # fmt: skip
    return _after(
        request, principal, session, order_id,
        lambda: service.update_order(session, principal, order_id, WorkOrderUpdate.model_validate(data)),
    )  # fmt: skip


@router.post(BASE + "/{order_id}/parts")
def part_page(
    request: Request, order_id: IdPath, principal: Writer, session: SessionDep,
    part_number: Field = None, name: Field = None, quantity: Field = None, unit_cost: Field = None,
) -> Response:  # fmt: skip
    data = {"part_number": part_number, "name": name, "quantity": quantity, "unit_cost": unit_cost}
    return _after(
        request, principal, session, order_id,
        lambda: service.add_part(session, principal, order_id, PartCreate.model_validate(data)),
    )  # fmt: skip

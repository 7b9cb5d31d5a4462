"""Maker pages of C2M: the product model versions (upload a draft from a YAML or JSON file, view a version's
families, rules, BOM and routing, release it after the checks — errors block it and the report is shown — or
retire it), and the customers' orders with filters, each with its configuration, BOM, operations and timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.c2m import orders, versions
from zhizao.c2m.definitions import MAX_UPLOAD_BYTES, model_of, parse_upload
from zhizao.c2m.models import ModelStatus, OrderStatus, ProductModelRow
from zhizao.c2m.pages import labels, order_by_number, timeline_context
from zhizao.c2m.product.release import ReleaseReport
from zhizao.c2m.regions import Region
from zhizao.c2m.summaries import bom_lines, chosen_names, version_detail
from zhizao.c2m.versions import VersionAction
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.fields import IdPath, NoNul
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/c2m/maker"
NAV = (
    NavItem(N_("Product models"), BASE + "/models", roles=frozenset({Role.ENTERPRISE.value}), order=282),
    NavItem(N_("Customer orders"), BASE + "/orders", roles=frozenset({Role.ENTERPRISE.value}), order=283),
)
Maker = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
FormText = Annotated[str | None, Form(max_length=100), NoNul]
MODEL_STATUS_LABELS: dict[str, str] = {
    ModelStatus.DRAFT: N_("Draft"),
    ModelStatus.RELEASED: N_("Released"),
    ModelStatus.RETIRED: N_("Retired"),
}
PAGE_SIZE = 50


def _versions_page(request: Request, principal: Principal, session: Session, problems: list[FieldProblem]) -> Response:
    context = {
        "versions": versions.list_versions(session, principal), "problems": problems,
        "model_status_labels": MODEL_STATUS_LABELS, "is_admin": principal.role == Role.ADMIN,
    }  # fmt: skip
    return render(request, "c2m/maker_models.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/models")
def versions_page(request: Request, principal: Maker, session: SessionDep) -> Response:
    return _versions_page(request, principal, session, [])


@router.post(BASE + "/models")
def upload_page(
    request: Request, principal: Maker, session: SessionDep, file: Annotated[UploadFile, File()],
    enterprise_id: FormText = None,
) -> Response:  # fmt: skip
    """A draft from the uploaded file; what is wrong with it is listed by field, and nothing is stored."""
    target = optional_int(enterprise_id)

    def create() -> ProductModelRow:
        model = parse_upload(file.file.read(MAX_UPLOAD_BYTES + 1), file.filename)
        if target is not None and target < 1:
            raise InputError.for_field("enterprise_id", "not an enterprise id")
        return versions.create_draft(session, principal, model, enterprise_id=target, field="file")

    row, problems = attempt(create)
    if row is not None:
        return RedirectResponse(f"{BASE}/versions/{row.id}", status_code=303)
    session.rollback()
    return _versions_page(request, principal, session, problems)


def _version_page(
    request: Request, principal: Principal, session: Session, version_id: int, *,
    problems: list[FieldProblem] | None = None, released: bool = False,
) -> Response:  # fmt: skip
    row = versions.get_version(session, principal, version_id)
    report: ReleaseReport | None = None
    if row.status is ModelStatus.DRAFT:  # what a release would find now (10 ms for the demo vehicle)
        report = versions.release_check(session, row)
    context: dict[str, Any] = {
        "row": row, "detail": version_detail(row), "report": report, "problems": problems or [],
        "stored_report": row.release_report, "released": released, "model_status_labels": MODEL_STATUS_LABELS,
        "can_release": (row.status, VersionAction.RELEASE) in versions.TRANSITIONS,
        "can_retire": (row.status, VersionAction.RETIRE) in versions.TRANSITIONS, **labels(),
    }  # fmt: skip
    return render(request, "c2m/maker_version.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/versions/{version_id}")
def version_page(
    request: Request, version_id: IdPath, principal: Maker, session: SessionDep, released: str = ""
) -> Response:
    return _version_page(request, principal, session, version_id, released=released == "1")


@router.post(BASE + "/versions/{version_id}/release")
def release_page(request: Request, version_id: IdPath, principal: Maker, session: SessionDep) -> Response:
    _done, problems = attempt(lambda: versions.release(session, principal, version_id))
    if not problems:
        return RedirectResponse(f"{BASE}/versions/{version_id}?released=1", status_code=303)
    session.rollback()
    return _version_page(request, principal, session, version_id, problems=problems)


@router.post(BASE + "/versions/{version_id}/retire")
def retire_page(request: Request, version_id: IdPath, principal: Maker, session: SessionDep) -> Response:
    try:
        versions.retire(session, principal, version_id)
    except Conflict as exc:
        session.rollback()
        return _version_page(request, principal, session, version_id, problems=[FieldProblem("", exc.message)])
    return RedirectResponse(f"{BASE}/versions/{version_id}", status_code=303)


def _filter(status: str, region: str, week: str) -> tuple[orders.OrderFilter, dict[str, str]]:
    """Filters that cannot be read filter nothing rather than failing the page."""
    chosen_status = next((member for member in OrderStatus if member.value == status), None)
    chosen_region = next((member for member in Region if member.value == region), None)
    monday = None
    if week.strip():
        monday, _ = attempt(lambda: orders.parse_week(week[:10], "week"))
    where = orders.OrderFilter(chosen_status, chosen_region, monday)
    shown = {
        "status": chosen_status.value if chosen_status else "",
        "region": chosen_region.value if chosen_region else "",
        "week": week[:10] if monday else "",
    }
    return where, shown


@router.get(BASE + "/orders")
def orders_page(
    request: Request, principal: Maker, session: SessionDep, status: str = "", region: str = "", week: str = "",
    offset: str = "",
) -> Response:  # fmt: skip
    where, shown = _filter(status, region, week)
    start = optional_int(offset) or 0
    start = start if 0 <= start <= 10_000_000 else 0
    rows, total = orders.list_orders(session, principal, where, offset=start, limit=PAGE_SIZE)
    context = {
        "orders": rows, "page": {"total": total, "offset": start, "limit": PAGE_SIZE}, "filters": shown,
        "statuses": list(OrderStatus), "regions": list(Region), **labels(),
    }  # fmt: skip
    return render(request, "c2m/maker_orders.html", context)


@router.get(BASE + "/orders/{order_number}")
def order_page(request: Request, order_number: str, principal: Maker, session: SessionDep) -> Response:
    order = order_by_number(session, principal, order_number)
    row = session.get(ProductModelRow, order.model_id)
    assert row is not None
    context = {
        "row": row, "configuration": chosen_names(model_of(row), order.chosen), "bom": bom_lines(session, order),
        "operations": orders.operations(session, order.id), **timeline_context(session, order),
    }  # fmt: skip
    return render(request, "c2m/maker_order.html", context)

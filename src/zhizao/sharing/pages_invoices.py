"""Invoice pages (``/sharing/invoices``): the caller's invoices as owner and as lessee; one invoice with its lines by
booking, meter intervals, the tariff versions that priced it, its recomputation, PDF and Excel downloads; the
lessee disputes a line, the owner answers (accept with a credit note, or reject with an explanation); the owner
issues a month's invoice to a lessee. Every change goes through the services the API uses, so the checks are the
same; what the user got wrong is shown on the page, never as an error page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem, InputError, plain_message
from zhizao.fields import MAX_ID, IdPath, NoNul
from zhizao.sharing import disputes, invoices
from zhizao.sharing.api_invoices import telemetry_store, zone_of
from zhizao.sharing.bookings import Side
from zhizao.sharing.invoice_issue import issue_with_metering, owner_of
from zhizao.sharing.invoice_views import (
    DISPUTE_STATUS_LABELS,
    INVOICE_STATUS_LABELS,
    LINE_KIND_LABELS,
    UNIT_LABELS,
    dispute_in_scope,
    intervals_text,
    invoice_view,
    invoiceable_lessees,
    list_invoices,
    organisation_names,
    rates_text,
    side_of,
)
from zhizao.sharing.schemas_invoices import DisputeAnswer, DisputeCreate
from zhizao.ui.forms import attempt
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/sharing/invoices"
NAV = (NavItem(N_("Invoices"), BASE, roles=frozenset({Role.ENTERPRISE.value}), order=264),)

Reader = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE))]
Party = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Field = Annotated[str | None, Form(max_length=1000), NoNul]
SHOWN_INTERVALS = 6  # per line on the page; the rest behind "more"


def _labels() -> dict[str, Any]:
    return {"kind_labels": LINE_KIND_LABELS, "unit_labels": UNIT_LABELS, "status_labels": INVOICE_STATUS_LABELS,
            "dispute_labels": DISPUTE_STATUS_LABELS}  # fmt: skip


def _form_id(value: str | None, field: str) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise InputError.for_field(field, f"choose one from the list, not {value!r}")
    return int(text)


def _last_month(zone: ZoneInfo) -> str:
    today = datetime.now(zone)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@router.get(BASE)
def invoice_list(
    request: Request, principal: Reader, session: SessionDep, side: str = "", period: str = ""
) -> Response:
    """Filters that cannot be read filter nothing rather than failing the page."""
    chosen = next((member for member in Side if member.value == side), None)
    wanted = period.strip()[:7].replace("\x00", "") or None
    rows, total = list_invoices(session, principal, side=chosen, period=wanted, limit=200)
    names = organisation_names(session, {org for row in rows for org in (row.owner_id, row.lessee_id)})
    context = {
        "invoices": rows, "total": total, "names": names, "side": chosen.value if chosen else "",
        "period": wanted or "", "sides": {row.id: side_of(principal, row) for row in rows}, **_labels(),
    }  # fmt: skip
    return render(request, "sharing/invoices/list.html", context)


def _issue_form(
    request: Request, session: Session, principal: Principal, values: dict[str, Any], problems: list[FieldProblem]
) -> Response:
    context = {
        "parties": invoiceable_lessees(session, principal), "values": values, "problems": problems,
        "names_owner": principal.sees_all_tenants,
    }  # fmt: skip
    return render(request, "sharing/invoices/new.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/new")
def new_invoice(request: Request, principal: Party, session: SessionDep) -> Response:
    values = {"period": _last_month(zone_of(request))}
    return _issue_form(request, session, principal, values, [])


@router.post(BASE + "/new")
def issue_page(
    request: Request, principal: Party, session: SessionDep, lessee_id: Field = None, period: Field = None,
    owner_id: Field = None,
) -> Response:  # fmt: skip
    """Runs the owner's meters, then issues; the invoice's page follows."""
    values = {"lessee_id": lessee_id, "period": period, "owner_id": owner_id}

    def issue() -> int:
        owner = owner_of(principal, _form_id(owner_id, "body.owner_id") if owner_id else None)
        lessee = _form_id(lessee_id, "body.lessee_id")
        database, zone = request.app.state.database, zone_of(request)
        now = datetime.now(UTC)
        return issue_with_metering(database, telemetry_store(request), principal, owner, lessee, period or "", now,
                                   zone).id  # fmt: skip

    issued, problems = attempt(issue)
    if issued is not None:
        return RedirectResponse(f"{BASE}/{issued}", status_code=303)
    return _issue_form(request, session, principal, values, problems)


def _detail(
    request: Request, session: Session, principal: Principal, invoice_id: int, problems: list[FieldProblem],
    values: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    view = invoice_view(session, invoices.get_invoice(session, principal, invoice_id))
    zone = zone_of(request)
    side = side_of(principal, view.invoice)
    admin = principal.role == Role.ADMIN  # acts for either party
    spans = {
        line.id: (intervals_text(line.intervals, zone, SHOWN_INTERVALS), intervals_text(line.intervals, zone))
        for line in view.lines
    }
    context = {
        "view": view, "invoice": view.invoice, "recomputation": invoices.recompute(session, view.invoice),
        "spans": spans, "rates": {t.id: rates_text(t.rates) for t in view.tariffs},
        "can_dispute": side is Side.LESSEE or admin, "can_answer": side is Side.OWNER or admin,
        "problems": problems, "values": values or {}, **_labels(),
    }  # fmt: skip
    return render(request, "sharing/invoices/detail.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/{invoice_id}")
def invoice_page(request: Request, invoice_id: IdPath, principal: Reader, session: SessionDep) -> Response:
    return _detail(request, session, principal, invoice_id, [])


def _validated(model: Any, data: dict[str, Any]) -> Any:
    """A schema's verdict on a form, with problems named ``body.<field>`` like the API's."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            FieldProblem("body." + ".".join(str(p) for p in e["loc"]), plain_message(e["msg"])) for e in error.errors()
        ]
        raise InputError(problems[0].message, fields=problems) from None


@router.post(BASE + "/{invoice_id}/disputes")
def dispute_page(
    request: Request, invoice_id: IdPath, principal: Party, session: SessionDep, line_id: Field = None,
    reason: Field = None,
) -> Response:  # fmt: skip
    def raise_it() -> None:
        data = _validated(DisputeCreate, {"line_id": _form_id(line_id, "body.line_id"), "reason": reason or ""})
        disputes.raise_dispute(session, principal, invoice_id, data.line_id, data.reason, datetime.now(UTC))

    _, problems = attempt(raise_it)
    if not problems:
        return RedirectResponse(f"{BASE}/{invoice_id}", status_code=303)
    session.rollback()
    return _detail(request, session, principal, invoice_id, problems, {"reason": reason, "line_id": line_id})


@router.post("/sharing/disputes/{dispute_id}/answer")
def answer_page(
    request: Request, dispute_id: IdPath, principal: Party, session: SessionDep, decision: Field = None,
    answer: Field = None, credit: Field = None,
) -> Response:  # fmt: skip
    """``decision=accept`` with a credit (CNY), or ``decision=reject``; then the invoice's page."""
    dispute = dispute_in_scope(session, principal, dispute_id)
    session.rollback()

    def answer_it() -> None:
        if decision not in ("accept", "reject"):
            raise InputError.for_field("body.decision", "accept or reject the dispute")
        body = {"accept": decision == "accept", "answer": answer or "",
                "credit": (credit or "").strip() or None if decision == "accept" else None}  # fmt: skip
        data = _validated(DisputeAnswer, body)
        disputes.answer_dispute(session, principal, dispute_id, accept=data.accept, answer=data.answer,
                                credit=data.credit, now=datetime.now(UTC))  # fmt: skip

    _, problems = attempt(answer_it)
    if not problems:
        return RedirectResponse(f"{BASE}/{dispute.invoice_id}", status_code=303)
    session.rollback()
    values = {"answer": answer, "credit": credit, "dispute_id": dispute_id}
    return _detail(request, session, principal, dispute.invoice_id, problems, values)

"""Capacity-sharing pages: the public listing with filters (no login), a machine's detail with its availability,
tariff and a booking form that shows the quote, "my bookings" for lessees and "bookings on my equipment" for
owners with confirm / reject (and start, complete, no-show)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, optional_principal, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem, InputError
from zhizao.fields import IdPath, NoNul
from zhizao.sharing import bookings, catalogue, dispatch
from zhizao.sharing.api import DISPATCHING, listing_detail, quote_of
from zhizao.sharing.models import SharedEquipment
from zhizao.sharing.schemas import Action, BookingCreate, TransitionIn
from zhizao.telemetry.commands.api import environment
from zhizao.telemetry.kinds import EquipmentType
from zhizao.ui.forms import attempt
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/sharing"
NAV = (
    NavItem(N_("Shared equipment"), BASE, roles=None, order=260),
    NavItem(N_("My bookings"), BASE + "/bookings/mine", roles=frozenset({Role.ENTERPRISE.value}), order=261),
    NavItem(
        N_("Bookings on my equipment"), BASE + "/bookings/owner", roles=frozenset({Role.ENTERPRISE.value}), order=262
    ),
)

Visitor = Annotated[Principal | None, Depends(optional_principal)]
# Administrators reach the booking pages too (they act for either side; they book nothing themselves).
Enterprise = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Field = Annotated[str | None, Form(max_length=1000), NoNul]
ZONE = ZoneInfo("Asia/Shanghai")


def _labels() -> dict[str, Any]:
    return {"status_labels": bookings.STATUS_LABELS, "action_labels": bookings.ACTION_LABELS}


def _moment(text: str | None, field: str) -> datetime:
    """A local time typed into a form (YYYY-MM-DD HH:MM, Asia/Shanghai)."""
    try:
        value = datetime.fromisoformat((text or "").strip().replace(" ", "T"))
    except ValueError as exc:
        raise InputError.for_field(field, f"not a time (YYYY-MM-DD HH:MM): {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=ZONE)


def _number(text: str | None, field: str, kind: type[int] | type[Decimal]) -> Any:
    if text is None or not text.strip():
        return None
    try:
        return kind(text.strip())
    except (ValueError, InvalidOperation) as exc:
        raise InputError.for_field(field, f"not a number: {text!r}") from exc


def _int_query(value: str, largest: int) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= largest else None


@router.get(BASE)
def public_listing(
    request: Request, session: SessionDep, visitor: Visitor, q: str = "", equipment_type: str = "",
    material: str = "", min_axes: str = "", min_x_mm: str = "",
) -> Response:  # fmt: skip
    """Published shared equipment; filters that cannot be read filter nothing rather than failing the page."""
    chosen = next((kind for kind in EquipmentType if kind.value == equipment_type), None)
    where = catalogue.ListingFilter(
        equipment_type=chosen, min_axes=_int_query(min_axes, 12), material=material.strip()[:64] or None,
        min_x_mm=_int_query(min_x_mm, 100_000), text=q.strip()[:64].replace("\x00", "") or None,
    )  # fmt: skip
    rows = catalogue.search(session, visitor, where)
    filters = {
        "q": where.text or "", "equipment_type": chosen.value if chosen else "", "material": where.material or "",
        "min_axes": where.min_axes or "", "min_x_mm": where.min_x_mm or "",
    }  # fmt: skip
    context = {"listings": [listing_detail(session, row) for row in rows], "filters": filters,
               "equipment_types": list(EquipmentType)}  # fmt: skip
    return render(request, "sharing/list.html", context)


def _detail(
    request: Request, session: Session, visitor: Principal | None, listing: SharedEquipment,
    values: dict[str, Any], problems: list[FieldProblem], quote: Any = None,
) -> Response:  # fmt: skip
    now = datetime.now(UTC)
    can_book = (
        visitor is not None and visitor.role == Role.ENTERPRISE and visitor.organisation_id != listing.enterprise_id
    )
    context = {
        "listing": listing_detail(session, listing), "windows": catalogue.windows(session, listing.id, now),
        "free": catalogue.free_spans(session, listing.id, now), "values": values, "problems": problems,
        "quote": quote, "can_book": can_book, "is_owner": catalogue.is_owner(visitor, listing),
    }  # fmt: skip
    return render(request, "sharing/detail.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/equipment/{listing_id}")
def detail_page(request: Request, listing_id: IdPath, session: SessionDep, visitor: Visitor) -> Response:
    listing = catalogue.get_listing(session, visitor, listing_id)
    return _detail(request, session, visitor, listing, {}, [])


@router.post(BASE + "/equipment/{listing_id}")
def book_page(
    request: Request, listing_id: IdPath, principal: Enterprise, session: SessionDep, start_at: Field = None,
    end_at: Field = None, part_name: Field = None, quantity: Field = None, estimated_hours: Field = None,
    note: Field = None, intent: Field = None,
) -> Response:  # fmt: skip
    """``intent=quote`` shows the quote; ``intent=request`` requests the booking (then "my bookings")."""
    values = {"start_at": start_at, "end_at": end_at, "part_name": part_name, "quantity": quantity,
              "estimated_hours": estimated_hours, "note": note}  # fmt: skip

    def data() -> BookingCreate:
        return BookingCreate.model_validate({
            "listing_id": listing_id, "start_at": _moment(start_at, "body.start_at"),
            "end_at": _moment(end_at, "body.end_at"), "part_name": part_name or None,
            "quantity": _number(quantity, "body.quantity", int), "note": note or None,
            "estimated_hours": _number(estimated_hours, "body.estimated_hours", Decimal),
        })  # fmt: skip

    if intent == "request":  # the service opens its own transaction, so nothing is read before it
        booking, problems = attempt(lambda: bookings.request_booking(session, principal, data()))
        if booking is not None:
            return RedirectResponse(f"{BASE}/bookings/mine", status_code=303)
        session.rollback()
    listing = catalogue.get_listing(session, principal, listing_id)
    if intent == "request":
        return _detail(request, session, principal, listing, values, problems)
    quote, problems = attempt(lambda: quote_of(session, listing, data()))
    named = [FieldProblem(p.field.replace("query.", "body.", 1), p.message) for p in problems]
    return _detail(request, session, principal, listing, values, named, quote)


def _bookings_page(request: Request, session: Session, principal: Principal, side: bookings.Side) -> Response:
    rows, total = bookings.list_bookings(session, principal, side=side, limit=200)
    sides = frozenset({side})
    context = {
        "bookings": rows, "total": total, "side": side.value,
        "actions": {row.id: bookings.available_actions(row.status, sides) for row in rows}, **_labels(),
    }  # fmt: skip
    return render(request, "sharing/bookings.html", context)


@router.get(BASE + "/bookings/mine")
def my_bookings(request: Request, principal: Enterprise, session: SessionDep) -> Response:
    return _bookings_page(request, session, principal, bookings.Side.LESSEE)


@router.get(BASE + "/bookings/owner")
def owner_bookings(request: Request, principal: Enterprise, session: SessionDep) -> Response:
    return _bookings_page(request, session, principal, bookings.Side.OWNER)


@router.post(BASE + "/bookings/{booking_id}/action")
def act_page(
    request: Request, booking_id: IdPath, principal: Enterprise, session: SessionDep, action: Field = None,
    reason: Field = None, back: Field = None,
) -> Response:  # fmt: skip
    chosen = next((member for member in Action if member.value == action), None)
    if chosen is None:
        raise InputError.for_field("body.action", f"unknown action {action!r}")
    bookings.transition(session, principal, booking_id, TransitionIn(action=chosen, reason=reason or None))
    if chosen in DISPATCHING:
        dispatch.dispatch_job(session, principal, booking_id, environment(request))
    target = "owner" if back == "owner" else "mine"
    return RedirectResponse(f"{BASE}/bookings/{target}", status_code=303)

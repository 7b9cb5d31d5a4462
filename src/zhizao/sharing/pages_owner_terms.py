"""Owner pages of a listing's terms: its tariff versions (the list, and a form for the next version started from
the latest: hourly and setup rates, a wear rate per configured component, incident rates, SLA credit, no-show share,
cancellation bands) and its availability windows (add, delete). Included by ``pages_owner``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem, InputError
from zhizao.fields import IdPath, NoNul
from zhizao.sharing import catalogue, owner_forms, owner_submit
from zhizao.sharing.api import listing_detail
from zhizao.sharing.models import SharedEquipment
from zhizao.sharing.schemas import TariffRates, WindowCreate
from zhizao.sharing.tariffs import IncidentKind
from zhizao.ui.forms import posted_strings
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/sharing/owner"
Owner = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Field = Annotated[str | None, Form(max_length=1000), NoNul]
TARIFF_FIELDS = (
    "hourly_rate", "setup_rate", "sla_credit_rate", "no_show_share", "wear_rates", "incident_rates", "cancellation",
)  # fmt: skip
WINDOW_FIELDS = ("start_at", "end_at", "note")
PAST_WINDOWS = timedelta(days=31)  # windows that ended within this are still listed (what recent bookings used)


def _components(listing: SharedEquipment) -> list[str]:
    return [str(component["component_id"]) for component in listing.wear_components]


def _tariffs_page(
    request: Request, session: Session, listing: SharedEquipment, values: dict[str, str],
    problems: list[FieldProblem],
) -> Response:  # fmt: skip
    errors, other = owner_forms.split_problems(problems, TARIFF_FIELDS)
    context = {
        "listing": listing_detail(session, listing), "versions": list(reversed(catalogue.tariffs(session, listing.id))),
        "components": _components(listing), "incident_kinds": [kind.value for kind in IncidentKind],
        "values": values, "errors": errors, "problems": other, "band_slots": range(owner_forms.BAND_SLOTS),
    }  # fmt: skip
    return render(request, "sharing/owner/tariffs.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/listings/{listing_id}/tariffs")
def tariffs_page(request: Request, listing_id: IdPath, principal: Owner, session: SessionDep) -> Response:
    listing = catalogue.owned_listing(session, principal, listing_id)
    latest = catalogue.current_tariff(session, listing.id)
    values = owner_forms.tariff_values(latest.rates if latest else None, _components(listing))
    return _tariffs_page(request, session, listing, values, [])


@router.post(BASE + "/listings/{listing_id}/tariffs")
async def add_tariff(request: Request, listing_id: IdPath, principal: Owner, session: SessionDep) -> Response:
    form = await posted_strings(request)
    with session.begin():
        components = _components(catalogue.owned_listing(session, principal, listing_id))

    def add() -> Any:
        rates = TariffRates.model_validate(owner_forms.tariff_input(form, components))
        return catalogue.add_tariff(session, principal, listing_id, rates)

    return owner_submit.submit(
        session, principal, listing_id, add, f"{BASE}/listings/{listing_id}/tariffs",
        lambda listing, problems: _tariffs_page(request, session, listing, form, problems),
    )  # fmt: skip


def _availability_page(
    request: Request, session: Session, listing: SharedEquipment, values: dict[str, Any],
    problems: list[FieldProblem],
) -> Response:  # fmt: skip
    errors, other = owner_forms.split_problems(problems, WINDOW_FIELDS)
    now = datetime.now(UTC)
    recent = catalogue.windows(session, listing.id, now - PAST_WINDOWS)
    context = {
        "listing": listing_detail(session, listing), "windows": recent,
        "free": catalogue.free_spans(session, listing.id, now), "values": values, "errors": errors, "problems": other,
    }  # fmt: skip
    return render(request, "sharing/owner/availability.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/listings/{listing_id}/availability")
def availability_page(request: Request, listing_id: IdPath, principal: Owner, session: SessionDep) -> Response:
    listing = catalogue.owned_listing(session, principal, listing_id)
    return _availability_page(request, session, listing, {}, [])


@router.post(BASE + "/listings/{listing_id}/availability")
def add_window(
    request: Request, listing_id: IdPath, principal: Owner, session: SessionDep, settings: SettingsDep,
    start_at: Field = None, end_at: Field = None, note: Field = None,
) -> Response:  # fmt: skip
    """A window in local time (YYYY-MM-DD HH:MM); an overlap with another window is shown at its start."""
    values = {"start_at": start_at, "end_at": end_at, "note": note}
    zone = ZoneInfo(settings.timezone)

    def add() -> Any:
        start = owner_forms.moment(start_at, "body.start_at", zone)
        end = owner_forms.moment(end_at, "body.end_at", zone)
        if end <= start:  # the schema says so too, but for the window as a whole: named here, beside "until"
            raise InputError.for_field("body.end_at", "must be after the start")
        data = WindowCreate.model_validate({"start_at": start, "end_at": end, "note": (note or "").strip() or None})
        return catalogue.add_window(session, principal, listing_id, data)

    return owner_submit.submit(
        session, principal, listing_id, add, f"{BASE}/listings/{listing_id}/availability",
        lambda listing, problems: _availability_page(request, session, listing, values, problems),
    )  # fmt: skip


@router.post(BASE + "/availability/{window_id}/delete")
def delete_window(window_id: IdPath, principal: Owner, session: SessionDep, listing_id: Field = None) -> Response:
    """Remove a window (bookings already in it stay); back to its listing's availability page."""
    catalogue.delete_window(session, principal, window_id)
    back = listing_id if listing_id and listing_id.isascii() and listing_id.isdigit() else None
    return RedirectResponse(f"{BASE}/listings/{back}/availability" if back else BASE, status_code=303)

"""Owner pages (``/sharing/owner``): my listings; offering a machine and editing its listing (catalogue fields,
published, spindle wear components, which of the machine's alarms are billable incidents) and its photo.
Tariff versions and availability windows are in ``pages_owner_terms``, wear components and their replacements in
``pages_owner_components``; the photo itself is served here to whoever
may see the listing. Every change goes through the catalogue services the API uses, so the checks are the same;
what the owner got wrong is shown beside its input, never as an error page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep, optional_principal, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath
from zhizao.sharing import (
    catalogue,
    listing_checks,
    owner_forms,
    owner_submit,
    pages_owner_components,
    pages_owner_terms,
    photos,
)
from zhizao.sharing.api import listing_detail
from zhizao.sharing.models import SharedEquipment
from zhizao.sharing.schemas import ListingCreate, ListingUpdate
from zhizao.telemetry.models import Equipment
from zhizao.ui.forms import attempt, posted_strings
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(pages_owner_terms.router)
router.include_router(pages_owner_components.router)
BASE = "/sharing/owner"
NAV = (NavItem(N_("My shared equipment"), BASE, roles=frozenset({Role.ENTERPRISE.value}), order=263),)

Owner = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Visitor = Annotated[Principal | None, Depends(optional_principal)]
LISTING_FIELDS = (
    *owner_forms.LISTING_TEXT, *owner_forms.LISTING_NUMBERS, "precision_mm", "materials", "published",
    "equipment_id", "wear_components", "incident_alarms", *(f"wear_{slot}" for slot in range(owner_forms.WEAR_SLOTS)),
)  # fmt: skip


def _mine(session: Session, principal: Principal) -> list[SharedEquipment]:
    """The caller's enterprise's listings, published or not (an administrator acts for every owner)."""
    query = select(SharedEquipment).order_by(SharedEquipment.id)
    if principal.role != Role.ADMIN:
        query = query.where(SharedEquipment.enterprise_id == principal.organisation_id)
    return list(session.scalars(query.limit(500)))


def _offerable(session: Session, principal: Principal) -> list[Equipment]:
    """Machines of the caller's enterprise not offered yet."""
    offered = select(SharedEquipment.equipment_id)
    query = select(Equipment).where(Equipment.id.not_in(offered)).order_by(Equipment.enterprise_id, Equipment.code)
    if principal.role != Role.ADMIN:
        query = query.where(Equipment.enterprise_id == principal.organisation_id)
    return list(session.scalars(query.limit(500)))


@router.get(BASE)
def my_listings(request: Request, principal: Owner, session: SessionDep) -> Response:
    rows = [listing_detail(session, row) for row in _mine(session, principal)]
    return render(request, "sharing/owner/listings.html", {"listings": rows})


def _new_form(
    request: Request, session: Session, principal: Principal, values: dict[str, Any], problems: list[FieldProblem]
) -> Response:
    slots = owner_forms.wear_slots(values)
    errors, other = owner_forms.split_problems(problems, LISTING_FIELDS, slots)
    context = {
        "values": values, "errors": errors, "problems": other, "equipment": _offerable(session, principal),
        "wear_slots": range(owner_forms.WEAR_SLOTS), "rules": [], "listing": None,
    }  # fmt: skip
    return render(request, "sharing/owner/listing.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/new")
def new_listing(request: Request, principal: Owner, session: SessionDep) -> Response:
    return _new_form(request, session, principal, {}, [])


@router.post(BASE + "/new")
async def create_listing(request: Request, principal: Owner, session: SessionDep) -> Response:
    """Offer a machine; its alarms are chosen as incidents on the listing's page afterwards (they are the machine's)."""
    form = await posted_strings(request)
    equipment_id = form.get("equipment_id", "").strip()
    values = {
        **owner_forms.listing_input(form, None),
        "equipment_id": int(equipment_id) if equipment_id.isascii() and equipment_id.isdigit() else equipment_id,
    }
    created, problems = attempt(
        lambda: catalogue.create_listing(session, principal, ListingCreate.model_validate(values))
    )
    if created is not None:
        return RedirectResponse(f"{BASE}/listings/{created.id}", status_code=303)
    session.rollback()
    return _new_form(request, session, principal, form, problems)


def _edit_form(
    request: Request, session: Session, listing: SharedEquipment, values: dict[str, str],
    problems: list[FieldProblem], status_code: int = 200,
) -> Response:  # fmt: skip
    detail = listing_detail(session, listing)
    slots = owner_forms.wear_slots(values)
    errors, other = owner_forms.split_problems(problems, (*LISTING_FIELDS, "file"), slots)
    rules = listing_checks.equipment_rules(session, listing.equipment_id)
    signals = sorted(listing_checks.signal_names(session, listing.equipment_id))
    rates = detail.tariff.rates if detail.tariff else None
    context = {
        "listing": detail, "values": values, "errors": errors, "problems": other, "rules": rules,
        "wear_slots": range(owner_forms.WEAR_SLOTS), "signals": signals,
        "unpriced": listing_checks.unpriced(listing.wear_components, listing.incident_alarms, rates),
    }  # fmt: skip
    return render(request, "sharing/owner/listing.html", context, status_code=422 if problems else status_code)


def _values(session: Session, listing: SharedEquipment) -> dict[str, str]:
    """The stored listing as the form shows it; the incident selects are named by rule pk (``incident:<pk>``)."""
    values = owner_forms.listing_values(listing)
    for rule in listing_checks.equipment_rules(session, listing.equipment_id):
        if rule.rule_id in listing.incident_alarms:
            values[f"incident:{rule.id}"] = listing.incident_alarms[rule.rule_id]
    return values


@router.get(BASE + "/listings/{listing_id}")
def edit_listing(request: Request, listing_id: IdPath, principal: Owner, session: SessionDep) -> Response:
    listing = catalogue.owned_listing(session, principal, listing_id)
    return _edit_form(request, session, listing, _values(session, listing), [])


@router.post(BASE + "/listings/{listing_id}")
async def update_listing(request: Request, listing_id: IdPath, principal: Owner, session: SessionDep) -> Response:
    form = await posted_strings(request)
    with session.begin():
        listing = catalogue.owned_listing(session, principal, listing_id)  # 404 for anyone but the owner
        rules = listing_checks.equipment_rules(session, listing.equipment_id)

    def update() -> SharedEquipment:
        data = ListingUpdate.model_validate(owner_forms.listing_input(form, rules))
        return catalogue.update_listing(session, principal, listing_id, data)

    return owner_submit.submit(
        session, principal, listing_id, update, f"{BASE}/listings/{listing_id}",
        lambda listing, problems: _edit_form(request, session, listing, form, problems),
    )  # fmt: skip


@router.post(BASE + "/listings/{listing_id}/photo")
def upload_photo(
    request: Request, listing_id: IdPath, principal: Owner, session: SessionDep, settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:  # fmt: skip
    content = file.file.read(photos.MAX_PHOTO_BYTES + 1) if file is not None else None
    return owner_submit.submit(
        session, principal, listing_id,
        lambda: photos.upload_photo(session, principal, settings.data_dir, listing_id, content),
        f"{BASE}/listings/{listing_id}",
        lambda listing, problems: _edit_form(request, session, listing, _values(session, listing), problems),
    )  # fmt: skip


@router.get("/sharing/equipment/{listing_id}/photo")
def listing_photo(listing_id: IdPath, session: SessionDep, settings: SettingsDep, visitor: Visitor) -> Response:
    """The listing's photo for whoever may see the listing (published ones: anyone, signed in or not)."""
    path, media_type = photos.photo_file(session, visitor, settings.data_dir, listing_id)
    # The name changes with the content, so a browser may keep it; private listings' photos stay private.
    cache = "public, max-age=86400" if catalogue.get_listing(session, visitor, listing_id).published else "private"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache})

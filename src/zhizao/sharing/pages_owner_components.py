"""Owner page of a listing's wear components (``/sharing/owner/listings/{id}/components``): each component's
damage and remaining life since its last replacement, the replacements recorded, and a form to record one.
Included by ``pages_owner``; the checks are those of the API (``components.record_replacement``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath, NoNul
from zhizao.sharing import catalogue, components, owner_forms, owner_submit
from zhizao.sharing.api import listing_detail
from zhizao.sharing.models import SharedEquipment
from zhizao.sharing.schemas import ReplacementCreate
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/sharing/owner"
Owner = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Field = Annotated[str | None, Form(max_length=1000), NoNul]
REPLACEMENT_FIELDS = ("component_id", "replaced_at", "note")


def _page(
    request: Request, session: Session, listing: SharedEquipment, values: dict[str, Any],
    problems: list[FieldProblem],
) -> Response:  # fmt: skip
    errors, other = owner_forms.split_problems(problems, REPLACEMENT_FIELDS)
    context = {
        "listing": listing_detail(session, listing), "lives": components.lives(session, [listing])[listing.id],
        "known": components.known_components(session, listing),
        "replacements": components.replacements(session, listing.id), "values": values, "errors": errors,
        "problems": other,
    }  # fmt: skip
    return render(request, "sharing/owner/components.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/listings/{listing_id}/components")
def components_page(request: Request, listing_id: IdPath, principal: Owner, session: SessionDep) -> Response:
    listing = catalogue.owned_listing(session, principal, listing_id)
    return _page(request, session, listing, {}, [])


@router.post(BASE + "/listings/{listing_id}/components")
def record_replacement(
    request: Request, listing_id: IdPath, principal: Owner, session: SessionDep, settings: SettingsDep,
    component_id: Field = None, replaced_at: Field = None, note: Field = None,
) -> Response:  # fmt: skip
    """The replacement time in local time (YYYY-MM-DD HH:MM); a problem is shown beside its input."""
    values = {"component_id": component_id, "replaced_at": replaced_at, "note": note}
    zone = ZoneInfo(settings.timezone)

    def record() -> Any:
        moment = owner_forms.moment(replaced_at, "body.replaced_at", zone)
        data = ReplacementCreate.model_validate(
            {"component_id": (component_id or "").strip(), "replaced_at": moment, "note": (note or "").strip() or None}
        )
        return components.record_replacement(session, principal, listing_id, data, datetime.now(UTC))

    return owner_submit.submit(
        session, principal, listing_id, record, f"{BASE}/listings/{listing_id}/components",
        lambda listing, problems: _page(request, session, listing, values, problems),
    )  # fmt: skip

"""Wear components of a listing (``/api/sharing/listings/{id}/components``): their life since the last
replacement, the replacements recorded, and recording one (owners only; another tenant's listing is 404)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, status
from pydantic import BaseModel

from zhizao.accounts.deps import CurrentUser, SessionDep
from zhizao.accounts.principal import Principal
from zhizao.fields import IdPath
from zhizao.sharing import catalogue, components
from zhizao.sharing.api import Owner
from zhizao.sharing.dashboard_schemas import ComponentLife
from zhizao.sharing.models import SharedEquipment
from zhizao.sharing.schemas import ReplacementCreate, ReplacementRead

router = APIRouter(prefix="/api/sharing", tags=["capacity sharing"])


class ComponentsRead(BaseModel):
    listing_id: int
    components: list[ComponentLife]
    replacements: list[ReplacementRead]  # newest first


def _readable(session: SessionDep, principal: Principal, listing_id: int) -> SharedEquipment:
    """The owner's listing, or any for administrators and officers: maintenance history is not for lessees."""
    if principal.sees_all_tenants:
        return catalogue.get_listing(session, principal, listing_id)
    return catalogue.owned_listing(session, principal, listing_id)


@router.get("/listings/{listing_id}/components")
def list_components(listing_id: IdPath, principal: CurrentUser, session: SessionDep) -> ComponentsRead:
    with session.begin():
        listing = _readable(session, principal, listing_id)
        return ComponentsRead(
            listing_id=listing.id,
            components=components.lives(session, [listing])[listing.id],
            replacements=[ReplacementRead.model_validate(row) for row in components.replacements(session, listing.id)],
        )


@router.post("/listings/{listing_id}/components/replacements", status_code=status.HTTP_201_CREATED)
def record_replacement(
    listing_id: IdPath, data: ReplacementCreate, principal: Owner, session: SessionDep
) -> ReplacementRead:
    """A wear component fitted new: its remaining life restarts at 1 from ``replaced_at`` on (422 naming the
    field for an unknown component or a time in the future; 409 inside a lessee's job or when already recorded)."""
    row = components.record_replacement(session, principal, listing_id, data, datetime.now(UTC))
    return ReplacementRead.model_validate(row)

"""``PUT /api/sharing/listings/{id}/photo``: the owner uploads the listing's photo (JPEG or PNG, at most 5 MiB,
checked by content). The public sees it on the listing pages (``/sharing/equipment/{id}/photo``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, UploadFile

from zhizao.accounts.deps import SessionDep, SettingsDep
from zhizao.fields import IdPath
from zhizao.sharing import catalogue, photos
from zhizao.sharing.api import Owner, listing_detail
from zhizao.sharing.schemas import ListingDetail

router = APIRouter(prefix="/api/sharing", tags=["capacity sharing"])


def owned_listing_id(listing_id: IdPath, principal: Owner, session: SessionDep) -> int:
    """The caller's own listing, checked before the upload is looked at (another tenant's id: 404 at once)."""
    with session.begin():
        return catalogue.owned_listing(session, principal, listing_id).id


@router.put("/listings/{listing_id}/photo")
def upload_photo(
    listing_id: Annotated[int, Depends(owned_listing_id)], principal: Owner, session: SessionDep,
    settings: SettingsDep, file: UploadFile | None = None,
) -> ListingDetail:  # fmt: skip
    """Multipart field ``file``; 422 naming ``body.file`` when it is missing, empty, over 5 MiB, not a JPEG or PNG
    (whatever its name says), too many pixels, or damaged. It is stored re-encoded, without metadata."""
    content = file.file.read(photos.MAX_PHOTO_BYTES + 1) if file is not None else None
    listing = photos.upload_photo(session, principal, settings.data_dir, listing_id, content)
    return listing_detail(session, listing)

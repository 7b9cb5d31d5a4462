"""Listing photos: checked by content (Pillow decodes the whole image), re-encoded without metadata, kept under
``<data dir>/sharing/photos/<listing id>-<hash>.<jpg|png>`` and served to whoever may see the listing.

Accepted: JPEG or PNG of at most ``MAX_PHOTO_BYTES`` and ``MAX_PIXELS``; the bytes decide, never the name or the
client's content type. Re-encoding drops EXIF (a phone photo carries the GPS position of the workshop) and
anything appended to the image, and applies the EXIF orientation first so the photo still stands upright.
The file is written before the row commits and removed if the commit fails; the previous photo is removed after.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError, NotFound
from zhizao.sharing import catalogue
from zhizao.sharing.models import SharedEquipment

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 7000 × 5700 photo; decoding more costs memory no catalogue picture needs
MAX_SIDE = 12_000
PHOTO_DIR = "sharing/photos"
FIELD = "body.file"
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
_FORMATS = {"JPEG": "jpg", "PNG": "png"}
_STORED = re.compile(r"^sharing/photos/(\d+)-[0-9a-f]{16}\.(jpg|png)$")


@dataclass(frozen=True, slots=True)
class Photo:
    extension: str  # "jpg" or "png"
    content: bytes  # re-encoded, without metadata
    width: int
    height: int


def _decoded(content: bytes) -> Image.Image:
    """The fully decoded image, or InputError: not JPEG/PNG, too many pixels, corrupt or truncated."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd metadata warns; what matters is whether the pixels decode
            with Image.open(io.BytesIO(content), formats=list(_FORMATS)) as probe:
                width, height = probe.size
                if width < 1 or height < 1 or max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
                    raise InputError.for_field(
                        FIELD, f"{width} × {height} pixels: at most {MAX_PIXELS // 1_000_000} megapixels, "
                        f"{MAX_SIDE} pixels a side"
                    )  # fmt: skip
                probe.verify()  # structure and checksums (PNG CRCs)
            image = Image.open(io.BytesIO(content), formats=list(_FORMATS))
            image.load()  # every pixel: a truncated or damaged JPEG fails here
            return image
    except InputError:
        raise
    except UnidentifiedImageError:
        raise InputError.for_field(FIELD, "not a JPEG or PNG image") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, EOFError) as exc:
        raise InputError.for_field(FIELD, f"the image is damaged or truncated ({exc})") from None


def check_photo(content: bytes | None) -> Photo:
    """A photo fit to keep, or InputError at ``body.file``."""
    if content is None:
        raise InputError.for_field(FIELD, "attach the photo (multipart field 'file')")
    if len(content) > MAX_PHOTO_BYTES:
        raise InputError.for_field(FIELD, f"the file is larger than {MAX_PHOTO_BYTES // 2**20} MiB")
    if not content:
        raise InputError.for_field(FIELD, "the file is empty")
    image = _decoded(content)
    extension = _FORMATS[str(image.format)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        upright = ImageOps.exif_transpose(image)
    if extension == "jpg" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    upright.save(out, format="JPEG" if extension == "jpg" else "PNG", **({"quality": 90} if extension == "jpg" else {}))
    return Photo(extension, out.getvalue(), upright.width, upright.height)


def stored_name(listing_id: int, photo: Photo) -> str:
    return f"{PHOTO_DIR}/{listing_id}-{hashlib.sha256(photo.content).hexdigest()[:16]}.{photo.extension}"


def upload_photo(
    session: Session, actor: Principal, data_dir: Path, listing_id: int, content: bytes | None
) -> SharedEquipment:
    """Replace the listing's photo (its owner only; anyone else gets 404)."""
    catalogue.require_owner_role(actor)
    written: Path | None = None
    try:
        with session.begin():
            listing = catalogue.owned_listing(session, actor, listing_id)
            session.refresh(listing, with_for_update=True)  # PostgreSQL: two uploads to one listing take turns
            photo = check_photo(content)
            previous, name = listing.photo_path, stored_name(listing.id, photo)
            path = data_dir / name
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(photo.content)
                written = path
            listing.photo_path = name
            audit.record(
                session, actor, action="share_listing.photo", entity_type="share_listing", entity_id=listing.id,
                organisation_id=listing.enterprise_id, before={"photo_path": previous},
                after={"photo_path": name, "width": photo.width, "height": photo.height},
            )  # fmt: skip
    except BaseException:
        if written is not None:  # the row did not commit: nobody can reach the file
            written.unlink(missing_ok=True)
        raise
    if previous and previous != name and _STORED.match(previous):
        (data_dir / previous).unlink(missing_ok=True)
    return listing


def photo_file(session: Session, visitor: Principal | None, data_dir: Path, listing_id: int) -> tuple[Path, str]:
    """The photo's file and media type, if the caller may see the listing (published ones: anyone)."""
    listing = catalogue.get_listing(session, visitor, listing_id)
    stored = _STORED.match(listing.photo_path or "")
    # Only a name this module wrote for this listing: never a path that leads elsewhere in the data dir.
    if stored is None or int(stored.group(1)) != listing.id:
        raise NotFound(f"shared equipment {listing_id} has no photo")
    path = data_dir / (listing.photo_path or "")
    if not path.is_file():
        raise NotFound(f"shared equipment {listing_id}: the photo is missing from the data directory")
    return path, MEDIA_TYPES[stored.group(2)]

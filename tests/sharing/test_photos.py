"""Listing photos: uploaded by the owner (API and page), checked by content, stored re-encoded without metadata
under the data dir, shown in the catalogue and on the listing, served only to those who may see the listing."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import update

from tests.conftest import World
from tests.sharing.owner_helpers import field_errors, sign_in
from tests.sharing.tenant_cases import API, bearer, build_offer
from zhizao.accounts.roles import Role
from zhizao.settings import Settings
from zhizao.sharing.models import SharedEquipment

GPS_TAG = 0x8825


def image(kind: str, size: tuple[int, int] = (64, 48), *, exif_gps: bool = False) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", size, (40, 90, 160))
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "phone maker"
        exif[GPS_TAG] = {1: "N", 2: (31.0, 14.0, 0.0)}  # where the workshop is
        picture.save(out, format=kind, exif=exif)
    else:
        picture.save(out, format=kind)
    return out.getvalue()


def huge_png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels (no decoder should ever allocate them)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def put(client: TestClient, listing_id: int, headers: dict[str, str], name: str, content: bytes, kind: str) -> object:
    files = {"file": (name, content, kind)}
    return client.put(f"{API}/listings/{listing_id}/photo", files=files, headers=headers)


def photos_in(data_dir: Path) -> list[str]:
    folder = data_dir / "sharing" / "photos"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_an_uploaded_photo_is_shown_in_the_catalogue_and_stripped_of_metadata(
    client: TestClient, world: World, settings: Settings
) -> None:
    offer = build_offer(world, client)
    owner = bearer(client, offer.owner)
    first = put(client, offer.listing_id, owner, "机床.png", image("PNG"), "image/png")
    assert first.status_code == 200, first.text  # type: ignore[attr-defined]
    path = first.json()["photo_path"]  # type: ignore[attr-defined]
    assert path.startswith(f"sharing/photos/{offer.listing_id}-") and path.endswith(".png")
    assert photos_in(settings.data_dir) == [path.rsplit("/", 1)[1]]

    client.cookies.clear()
    served = client.get(f"/sharing/equipment/{offer.listing_id}/photo")  # anyone: the listing is published
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (64, 48)
    img = f'src="/sharing/equipment/{offer.listing_id}/photo"'
    assert img in client.get("/sharing").text and img in client.get(f"/sharing/equipment/{offer.listing_id}").text

    # A phone's JPEG with the workshop's GPS position in its EXIF: stored without it; the PNG it replaces is gone.
    second = put(client, offer.listing_id, owner, "photo.jpeg", image("JPEG", (120, 90), exif_gps=True), "image/jpeg")
    assert second.status_code == 200  # type: ignore[attr-defined]
    stored = settings.data_dir / second.json()["photo_path"]  # type: ignore[attr-defined]
    assert photos_in(settings.data_dir) == [stored.name]
    with Image.open(stored) as kept:
        assert kept.format == "JPEG" and kept.size == (120, 90) and GPS_TAG not in kept.getexif()
    assert client.get(f"/sharing/equipment/{offer.listing_id}/photo").headers["content-type"] == "image/jpeg"


def test_bad_photos_are_refused_naming_the_field(client: TestClient, world: World, settings: Settings) -> None:
    offer = build_offer(world, client)
    owner = bearer(client, offer.owner)
    jpeg = image("JPEG", (200, 150))
    cases = {
        "truncated": ("photo.jpg", jpeg[: len(jpeg) // 2], "image/jpeg"),
        "damaged PNG": ("photo.png", image("PNG")[:-20] + b"\x00" * 20, "image/png"),
        "oversize": ("photo.jpg", jpeg + b"\x00" * (5 * 1024 * 1024), "image/jpeg"),
        "GIF named .jpg": ("photo.jpg", image("GIF"), "image/jpeg"),
        "text": ("photo.png", b"not an image at all", "image/png"),
        "empty": ("photo.png", b"", "image/png"),
        "too many pixels": ("photo.png", huge_png_header(20_000, 20_000), "image/png"),
    }
    for label, (name, content, kind) in cases.items():
        response = put(client, offer.listing_id, owner, name, content, kind)
        assert response.status_code == 422, label  # type: ignore[attr-defined]
        fields = [problem["field"] for problem in response.json()["error"]["fields"]]  # type: ignore[attr-defined]
        assert fields == ["body.file"], label
    missing = client.put(f"{API}/listings/{offer.listing_id}/photo", headers=owner)
    assert missing.status_code == 422 and missing.json()["error"]["fields"][0]["field"] == "body.file"
    assert photos_in(settings.data_dir) == []
    assert client.get(f"/sharing/equipment/{offer.listing_id}/photo").status_code == 404


def test_photos_follow_the_listing_s_visibility(client: TestClient, world: World, settings: Settings) -> None:
    draft = build_offer(world, client, published=False)
    owner = bearer(client, draft.owner)
    assert put(client, draft.listing_id, owner, "a.png", image("PNG"), "image/png").status_code == 200  # type: ignore[attr-defined]
    photo = f"/sharing/equipment/{draft.listing_id}/photo"
    stranger, officer = world.user(Role.ENTERPRISE), world.user(Role.OFFICER)
    stranger_token, officer_token = bearer(client, stranger), bearer(client, officer)
    client.cookies.clear()
    assert client.get(photo).status_code == 404  # a draft: the public does not see it
    assert client.get(photo, headers=stranger_token).status_code == 404
    assert client.get(photo, headers=owner).status_code == 200
    assert client.get(photo, headers=officer_token).status_code == 200
    assert client.get(photo, headers=owner).headers["cache-control"] == "private"
    # Only the owner uploads: another enterprise gets 404 before its file is looked at, an officer 403.
    assert put(client, draft.listing_id, stranger_token, "b.png", b"junk", "image/png").status_code == 404  # type: ignore[attr-defined]
    assert put(client, draft.listing_id, officer_token, "b.png", image("PNG"), "image/png").status_code == 403  # type: ignore[attr-defined]

    # The path is set only by an upload; one pointing elsewhere in the data dir is never served.
    ignored = client.patch(f"{API}/listings/{draft.listing_id}", json={"photo_path": "zhizao.db"}, headers=owner)
    assert ignored.status_code == 200 and ignored.json()["photo_path"].startswith("sharing/photos/")
    with world.database.session() as session, session.begin():
        session.execute(update(SharedEquipment).values(photo_path="zhizao.db"))
    assert client.get(photo, headers=owner).status_code == 404


def test_the_owner_page_uploads_a_photo_and_shows_what_is_wrong(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    page = f"/sharing/owner/listings/{offer.listing_id}"
    csrf = sign_in(client, offer.owner, page)
    bad = client.post(f"{page}/photo", data={"csrf_token": csrf}, files={"file": ("x.jpg", b"GIF89a...", "image/jpeg")})
    assert bad.status_code == 422 and "JPEG or PNG" in field_errors(bad.text)["file"]
    good = client.post(
        f"{page}/photo", data={"csrf_token": csrf}, files={"file": ("x.png", image("PNG"), "image/png")},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303
    assert f'src="/sharing/equipment/{offer.listing_id}/photo"' in client.get(page).text
    stranger_csrf = sign_in(client, world.user(Role.ENTERPRISE), "/sharing/owner")
    files = {"file": ("x.png", image("PNG"), "image/png")}
    assert client.post(f"{page}/photo", data={"csrf_token": stranger_csrf}, files=files).status_code == 404

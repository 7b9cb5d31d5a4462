"""The stations' JSON API: upload by a user and by a camera gateway, clear 4xx for bad images and for another
tenant's station (never counted), reviews, and the defect figures. The model is a stand-in (``station_support``)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import World, bearer
from tests.vision.station_support import PRODUCT, model_row, produced, store, tenant, use_stand_in
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.vision import synthetic
from zhizao.vision.types import Task

__all__ = ["store"]
API = "/api/vision"


def _png(kind: str, seed: int, size: tuple[int, int] = (128, 128)) -> bytes:
    return synthetic.to_png(synthetic.generate(kind, seed, size).image)


def _colour() -> bytes:
    pixels = np.zeros((128, 128, 3), dtype=np.uint8)
    pixels[..., 2] = 180
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _station(client: TestClient, headers: dict[str, str], equipment_id: int, model_id: int | None) -> int:
    body = {"name": "Camera 1", "equipment_id": equipment_id, "product_code": PRODUCT, "model_id": model_id}
    response = client.post(f"{API}/stations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_upload_inspect_review_and_figures(
    client: TestClient, world: World, database: Database, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    headers = bearer(client, owner.account)
    station_id = _station(client, headers, owner.equipment_id, model_row(database, owner.organisation_id))
    made = []
    for kind, seed in (("good", 1), ("spot", 2), ("scratch", 0)):
        response = client.post(f"{API}/stations/{station_id}/inspections", headers=headers,
                               files={"file": (f"{kind}.png", _png(kind, seed), "image/png")})  # fmt: skip
        assert response.status_code == 201, response.text
        made.append(response.json())
    assert [(m["verdict_kind"], m["counted_as"], m["source"]) for m in made] == [
        ("pass", "good", "upload"), ("defect", "scrap", "upload"), ("pass", "good", "upload"),
    ]  # fmt: skip
    assert made[1]["boxes"] and made[1]["label"] == "spot"
    picture = client.get(made[1]["image_url"], headers=headers)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert np.asarray(Image.open(io.BytesIO(picture.content))).shape == (128, 128)
    assert produced(database, store, owner.equipment_id) == (2, 1)

    queue = client.get(f"{API}/review", headers=headers).json()
    assert [item["id"] for item in queue] == [made[1]["id"]]  # the confident passes need no review
    corrected = client.post(f"{API}/inspections/{made[2]['id']}/review", headers=headers,
                            json={"kind": "defect", "label": "scratch", "note": "faint"})  # fmt: skip
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["reviewed_kind"], corrected.json()["counted_as"]) == ("defect", "scrap")
    assert produced(database, store, owner.equipment_id) == (1, 2)  # the part moved from good to scrap

    figures = client.get(f"{API}/quality", headers=headers, params={"product_code": PRODUCT}).json()
    assert (figures["inspected"], figures["defects"]) == (3, 2)
    assert [(row["label"], row["count"]) for row in figures["pareto"]] == [("scratch", 1), ("spot", 1)]
    assert figures["pareto"][-1]["cumulative_share"] == 1.0
    assert sum(row["inspected"] for row in figures["trend"]) == 3
    assert figures["shift_source"] == "fixed 08–16 / 16–24 / 00–08" and figures["products"] == [PRODUCT]

    station = client.get(f"{API}/stations/{station_id}", headers=headers).json()
    # the station's totals are what it inspected (the review moved production's count, not the counters)
    assert (station["good_total"], station["scrap_total"], station["has_token"]) == (2, 1, False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n broken", "not a readable"),
        (b"", "empty file"),
        (_png("good", 1, (128, 96)), "this model takes 128 × 128"),
        (_colour(), "colour image"),
    ],
    ids=["corrupt", "empty", "wrong size", "colour"],
)
def test_bad_uploads_get_422_and_are_never_counted(
    client: TestClient, world: World, database: Database, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch,
    content: bytes, message: str,
) -> None:  # fmt: skip
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    headers = bearer(client, owner.account)
    station_id = _station(client, headers, owner.equipment_id, model_row(database, owner.organisation_id))
    response = client.post(f"{API}/stations/{station_id}/inspections", headers=headers,
                           files={"file": ("x.png", content, "image/png")})  # fmt: skip
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["fields"][0]["field"] == "body.file" and message in error["message"]
    assert client.get(f"{API}/stations/{station_id}/inspections", headers=headers).json() == []
    assert produced(database, store, owner.equipment_id) == (0, 0)


def test_a_model_for_another_product_gets_422(client: TestClient, world: World, database: Database) -> None:
    owner = tenant(world, database)
    headers = bearer(client, owner.account)
    station_id = _station(client, headers, owner.equipment_id, None)
    other = model_row(database, owner.organisation_id, product="P-OTHER")
    response = client.put(f"{API}/stations/{station_id}/model", json={"model_id": other}, headers=headers)
    assert response.status_code == 422 and "model for another product" in response.json()["error"]["message"]
    upload = client.post(f"{API}/stations/{station_id}/inspections", headers=headers,
                         files={"file": ("x.png", _png("good", 1), "image/png")})  # fmt: skip
    assert upload.status_code == 422 and "no model deployed" in upload.json()["error"]["message"]


def test_a_station_threshold_is_deployed_and_bad_ones_get_422(
    client: TestClient, world: World, database: Database
) -> None:
    owner = tenant(world, database)
    headers = bearer(client, owner.account)
    station_id = _station(client, headers, owner.equipment_id, None)
    detector = model_row(database, owner.organisation_id, task=Task.DETECT, classes=("scratch",))
    url = f"{API}/stations/{station_id}/model"
    deployed = client.put(url, json={"model_id": detector, "threshold": 0.4}, headers=headers)
    assert deployed.status_code == 200, deployed.text
    assert (deployed.json()["model_id"], deployed.json()["threshold"]) == (detector, 0.4)
    for body, message in [
        ({"model_id": detector, "threshold": 1.2}, "at most 1"),
        ({"model_id": model_row(database, owner.organisation_id), "threshold": 0.4}, "most probable class"),
        ({"model_id": detector, "threshold": "high"}, "number"),
    ]:
        refused = client.put(url, json=body, headers=headers)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["fields"][0]["field"] == "body.threshold" and message in error["message"], error
    kept = client.get(f"{API}/stations/{station_id}", headers=headers).json()
    assert (kept["model_id"], kept["threshold"]) == (detector, 0.4)


def test_another_tenants_station_is_404_and_officers_may_not_upload(
    client: TestClient, world: World, database: Database, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner, other = tenant(world, database), tenant(world, database, "VIS-2")
    station_id = _station(client, bearer(client, owner.account), owner.equipment_id,
                          model_row(database, owner.organisation_id))  # fmt: skip
    files = {"file": ("x.png", _png("good", 1), "image/png")}
    response = client.post(f"{API}/stations/{station_id}/inspections", headers=bearer(client, other.account),
                           files=files)  # fmt: skip
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    officer = client.post(f"{API}/stations/{station_id}/inspections",
                          headers=bearer(client, world.user(Role.OFFICER)), files=files)  # fmt: skip
    assert officer.status_code == 403
    assert produced(database, store, owner.equipment_id) == (0, 0)


def test_a_camera_gateway_uploads_with_its_station_token_only(
    client: TestClient, world: World, database: Database, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner, other = tenant(world, database), tenant(world, database, "VIS-2")
    mine = _station(client, bearer(client, owner.account), owner.equipment_id,
                    model_row(database, owner.organisation_id))  # fmt: skip
    theirs = _station(client, bearer(client, other.account), other.equipment_id,
                      model_row(database, other.organisation_id))  # fmt: skip
    issued = client.post(f"{API}/stations/{mine}/token", headers=bearer(client, owner.account))
    assert issued.status_code == 201
    token = issued.json()["token"]
    path = f"{API}/gateway/stations/{{}}/inspections"
    files = {"file": ("cam.png", _png("spot", 3), "image/png")}

    assert client.post(path.format(mine), files=files).status_code == 401
    assert client.post(path.format(mine), files=files, headers={"Authorization": "Bearer zzv_wrong"}).status_code == 401
    user_token = bearer(client, owner.account)  # a user's token is not a station's
    assert client.post(path.format(mine), files=files, headers=user_token).status_code == 401
    gateway = {"Authorization": f"Bearer {token}"}
    elsewhere = client.post(path.format(theirs), files=files, headers=gateway)
    assert elsewhere.status_code == 404 and elsewhere.json()["error"]["code"] == "not_found"
    assert produced(database, store, other.equipment_id) == (0, 0)

    sent = client.post(path.format(mine), files=files, headers=gateway,
                       data={"taken_at": "2024-05-01T08:30:00+08:00"})  # fmt: skip
    assert sent.status_code == 201, sent.text
    assert (sent.json()["source"], sent.json()["verdict_kind"]) == ("gateway", "defect")
    assert sent.json()["received_at"].startswith("2024-05-01T00:30:00")
    bad = client.post(path.format(mine), files={"file": ("cam.png", b"garbage", "image/png")}, headers=gateway)
    assert bad.status_code == 422
    assert produced(database, store, owner.equipment_id) == (0, 1)

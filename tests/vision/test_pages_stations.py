"""The stations' pages: list and create, the live view with its overlays, uploads with problems shown on the page,
an inspection's review with its audit trail, the queue, the defect figures, and the live event stream."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.pages import csrf_field, sign_in_page
from tests.vision.station_support import PRODUCT, HeatModel, model_row, produced, store, tenant, use_stand_in
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.vision import pages_stations, synthetic
from zhizao.vision.models import VisionModel
from zhizao.vision.types import Task

__all__ = ["store"]


def _png(kind: str, seed: int, size: tuple[int, int] = (128, 128)) -> bytes:
    return synthetic.to_png(synthetic.generate(kind, seed, size).image)


def _create(client: TestClient, equipment_id: int, **extra: str) -> str:
    page = client.get("/vision/stations")
    assert page.status_code == 200
    form = {"csrf_token": csrf_field(page.text), "name": "Camera A", "equipment_id": str(equipment_id),
            "product_code": PRODUCT, "source_kind": "upload", **extra}  # fmt: skip
    response = client.post("/vision/stations", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_a_station_page_inspects_uploads_shows_overlays_and_reviews_with_an_audit_trail(
    client: TestClient, world: World, database: Database, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch, HeatModel())
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id)
    sign_in_page(client, owner.account)
    station_url = _create(client, owner.equipment_id)
    page = client.get(station_url)
    token = csrf_field(page.text)
    deploy = client.post(f"{station_url}/deploy", data={"csrf_token": token, "model_id": str(model_id)},
                         follow_redirects=False)  # fmt: skip
    assert deploy.status_code == 303

    bad = client.post(f"{station_url}/upload", data={"csrf_token": token},
                      files={"file": ("x.png", _png("good", 1, (64, 128)), "image/png")})  # fmt: skip
    assert bad.status_code == 422 and "this model takes 128 × 128" in bad.text
    sent = client.post(f"{station_url}/upload", data={"csrf_token": token},
                       files={"file": ("spot.png", _png("spot", 2), "image/png")}, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    live = client.get(sent.headers["location"])
    assert live.status_code == 200
    assert 'class="vi-heatmap"' in live.text and "vi-anomalous" in live.text
    inspection_id = re.search(r'data-inspection="(\d+)"', live.text)
    assert inspection_id is not None
    detail_url = f"/vision/inspections/{inspection_id.group(1)}"
    assert client.get(f"{detail_url}/heatmap").headers["content-type"] == "image/png"
    assert produced(database, store, owner.equipment_id) == (0, 1)

    detail = client.get(detail_url)
    assert detail.status_code == 200 and 'id="audit-trail"' in detail.text
    reviewed = client.post(f"{detail_url}/review", data={"csrf_token": csrf_field(detail.text), "kind": "pass",
                                                          "label": "", "note": "a stain, wiped off"})  # fmt: skip
    assert reviewed.status_code == 200  # followed to the inspection page
    assert 'id="reviewed-notice"' in reviewed.text
    trail = reviewed.text[reviewed.text.index('id="audit-trail"') :]
    assert owner.account.username in trail and "anomalous" in trail and "pass" in trail
    assert produced(database, store, owner.equipment_id) == (1, 0)  # the unit moved from scrap to good

    queue = client.get("/vision/review")
    assert queue.status_code == 200 and detail_url not in queue.text
    quality = client.get("/vision/quality?days=7")
    assert quality.status_code == 200 and "echarts" in quality.text and PRODUCT in quality.text


def test_form_problems_are_shown_on_the_page(client: TestClient, world: World, database: Database) -> None:
    owner = tenant(world, database)
    sign_in_page(client, owner.account)
    page = client.get("/vision/stations")
    bad = client.post("/vision/stations", data={"csrf_token": csrf_field(page.text), "name": "x",
                                                "equipment_id": str(owner.equipment_id), "product_code": PRODUCT,
                                                "source_kind": "folder", "folder": "../etc"})  # fmt: skip
    assert bad.status_code == 422 and "body.folder" in bad.text
    station_url = _create(client, owner.equipment_id)
    other = model_row(database, owner.organisation_id, product="P-OTHER")
    token = csrf_field(client.get(station_url).text)
    wrong = client.post(f"{station_url}/deploy", data={"csrf_token": token, "model_id": str(other)})
    assert wrong.status_code == 422 and "model for another product" in wrong.text
    no_model = client.post(f"{station_url}/upload", data={"csrf_token": token},
                           files={"file": ("a.png", _png("good", 1), "image/png")})  # fmt: skip
    assert no_model.status_code == 422 and "no model deployed" in no_model.text
    issued = client.post(f"{station_url}/token", data={"csrf_token": token})
    assert issued.status_code == 200 and re.search(r"zzv_[\w-]{20,}", issued.text)
    assert re.search(r"zzv_[\w-]{20,}", client.get(station_url).text) is None  # shown once


def test_other_tenants_get_404_and_officers_read_without_forms(
    client: TestClient, world: World, database: Database
) -> None:
    owner, other = tenant(world, database), tenant(world, database, "VIS-2")
    sign_in_page(client, owner.account)
    station_url = _create(client, owner.equipment_id)
    sign_in_page(client, other.account)
    assert client.get(station_url).status_code == 404
    assert client.get(f"{station_url}/live").status_code == 404
    sign_in_page(client, world.user(Role.OFFICER))
    page = client.get(station_url)
    assert page.status_code == 200 and 'id="upload"' not in page.text


def test_the_live_stream_sends_new_inspections_and_counts(
    client: TestClient, world: World, database: Database, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    monkeypatch.setattr(pages_stations, "LIVE_MAX_S", 0.001)
    monkeypatch.setattr(pages_stations, "LIVE_INTERVAL_S", 0.001)
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id)
    sign_in_page(client, owner.account)
    station_url = _create(client, owner.equipment_id)
    token = csrf_field(client.get(station_url).text)
    client.post(f"{station_url}/deploy", data={"csrf_token": token, "model_id": str(model_id)})
    for kind, seed in (("good", 1), ("spot", 2)):
        client.post(f"{station_url}/upload", data={"csrf_token": token},
                    files={"file": ("a.png", _png(kind, seed), "image/png")})  # fmt: skip
    stream = client.get(f"{station_url}/live").text
    assert stream.count("event: inspection") == 2 and '"verdict_kind": "defect"' in stream
    assert 'event: counts\ndata: {"good": 1, "scrap": 1}' in stream
    first_id = re.search(r'"id": (\d+)', stream)
    assert first_id is not None
    newer = client.get(f"{station_url}/live?after={first_id.group(1)}").text
    assert newer.count("event: inspection") == 1


def test_a_threshold_is_chosen_beside_the_models_operating_points(
    client: TestClient, world: World, database: Database
) -> None:
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id, task=Task.ANOMALY, classes=())
    with database.session() as session, session.begin():
        row = session.get(VisionModel, model_id)
        assert row is not None
        row.metrics = {
            "operating_points": [
                {"threshold": 10.05, "good_passed": 1.0, "defects_flagged": 0.208},
                {"threshold": 7.5, "good_passed": 0.9, "defects_flagged": 0.55},
            ]
        }
    sign_in_page(client, owner.account)
    station_url = _create(client, owner.equipment_id)
    token = csrf_field(client.get(station_url).text)
    bad = client.post(f"{station_url}/deploy", data={"csrf_token": token, "model_id": str(model_id),
                                                      "threshold": "lower"})  # fmt: skip
    assert bad.status_code == 422 and "valid number" in bad.text
    assert 'id="operating-points"' not in bad.text  # nothing was deployed
    done = client.post(f"{station_url}/deploy", data={"csrf_token": token, "model_id": str(model_id),
                                                       "threshold": " 7.5 "}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    page = client.get(station_url).text
    assert '<span id="current-threshold">7.5</span>' in page
    table = page[page.index('id="operating-points"') :]
    assert "10.0500" in table and "20.8%" in table and "90.0%" in table and "55.0%" in table
    # "none" takes the model off, with whatever the threshold field holds
    off = client.post(f"{station_url}/deploy", data={"csrf_token": token, "model_id": "", "threshold": "7.5"},
                      follow_redirects=False)  # fmt: skip
    assert off.status_code == 303
    page = client.get(station_url).text
    assert 'id="current-threshold"' not in page and 'id="operating-points"' not in page

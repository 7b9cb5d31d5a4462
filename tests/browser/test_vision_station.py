"""End-to-end, in a real Chromium: a quality engineer sets up an inspection station on the line's inspection
equipment, deploys a defect detector trained on the platform (synthetic surface images, ``detect``), uploads an
image and sees its verdict with the defect box drawn over it; a camera gateway then sends an image with the station's
token and it appears on the open page by itself (server-sent events); the engineer corrects a verdict, and the
correction is recorded, counted and shown in the inspection's audit trail.

What no page makes is prepared on the live server's database: the enterprise, its user and equipment, and the
trained model (the training pipeline run in-process: import, version, train). Everything else is clicked through.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import World
from tests.vision.station_support import PRODUCT, produced, tenant, trained_model
from zhizao.accounts.models import AuditEntry
from zhizao.db.engine import Database
from zhizao.telemetry.store.factory import open_store
from zhizao.vision import synthetic
from zhizao.vision.metrics import box_iou
from zhizao.vision.station_models import CountedAs, VisionInspection
from zhizao.vision.types import Box, Task

from .conftest import LiveData
from .live import LiveServer
from .test_programme_journey import sign_in

SCREENSHOT = "/tmp/vision-station.png"  # noqa: S108 - a fixed place for humans to look at; not asserted
LIVE_TIMEOUT_MS = 20_000  # the station page's stream looks every two seconds


class StationWorld(World):
    """Names of its own: the live database is shared with other browser tests' worlds."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self._count = 9_000


def _image(tmp_path: Path, kind: str, seed: int) -> Path:
    path = tmp_path / f"{kind}-{seed}.png"
    path.write_bytes(synthetic.to_png(synthetic.generate(kind, seed).image))
    return path


@pytest.mark.browser
def test_an_engineer_inspects_sees_the_overlay_and_corrects_a_verdict(
    page: Any, live_data: LiveData, live_server: LiveServer, tmp_path: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    database = live_data.database
    owner = tenant(StationWorld(database), database, code="QC-CAM-1")
    model_id = trained_model(database, live_data.settings, owner, tmp_path / "train", task=Task.DETECT)

    sign_in(page, owner.account.username, owner.account.password)
    page.goto("/vision/stations")
    form = page.locator("#new-station")
    form.locator("input[name=name]").fill("Surface camera 1")
    form.locator("select[name=equipment_id]").select_option(str(owner.equipment_id))
    form.locator("input[name=product_code]").fill(PRODUCT)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/vision/stations/\d+$"))
    station_path = page.url.split(live_server.base_url, 1)[1]
    page.locator("#deploy select[name=model_id]").select_option(str(model_id))
    page.locator("#deploy button[type=submit]").click()

    page.locator("#upload input[name=file]").set_input_files(str(_image(tmp_path, "spot", 4242)))
    page.locator("#upload button[type=submit]").click()
    figure = page.locator("#latest-grid figure").first
    uploaded = figure.get_attribute("data-inspection")
    expect(figure.locator(".vi-verdict")).to_have_class(re.compile(r"vi-defect"))
    expect(figure.locator("svg rect.vi-box")).to_have_count(1)
    expect(figure.locator("figcaption")).to_contain_text("spot")
    expect(figure.locator("img.vi-image")).to_have_js_property("naturalWidth", 128)  # loaded, at its size
    drawn = figure.locator("svg rect.vi-box")
    x, y = int(drawn.get_attribute("x") or 0), int(drawn.get_attribute("y") or 0)
    width, height = int(drawn.get_attribute("width") or 0), int(drawn.get_attribute("height") or 0)
    truth = synthetic.generate("spot", 4242).box
    assert truth is not None
    assert box_iou(Box(x, y, x + width, y + height, "spot"), truth) >= 0.3  # the box is on the spot

    # a camera gateway sends an image with the station's token: the open page shows it without a reload
    page.locator(f"form[action='{station_path}/token'] button").click()
    token = page.locator("#token .secret").inner_text().strip()
    assert token.startswith("zzv_")
    expect(page.locator("#live-status")).not_to_have_text(re.compile("connecting"), timeout=LIVE_TIMEOUT_MS)
    before = page.locator("#latest-grid figure").count()
    sent = httpx2.post(
        live_server.url(f"/api/vision/gateway/stations/{station_path.rsplit('/', 1)[1]}/inspections"),
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("gateway.png", _image(tmp_path, "good", 4243).read_bytes(), "image/png")},
        timeout=30,
    )
    assert sent.status_code == 201, sent.text
    gateway_id, gateway_counted = sent.json()["id"], sent.json()["counted_as"]
    expect(page.locator(f'#latest-grid figure[data-inspection="{gateway_id}"]')).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert page.locator("#latest-grid figure").count() == before + 1

    # the engineer opens the defect and corrects it: it was a stain, the part is good
    page.locator(f'#latest-grid figure[data-inspection="{uploaded}"] figcaption a').click()
    expect(page).to_have_url(re.compile(rf"/vision/inspections/{uploaded}$"))
    inspection_id = int(str(uploaded))
    expect(page.locator("#inspection-figure svg rect.vi-box")).to_have_count(1)
    page.locator("#review-form select[name=kind]").select_option("pass")
    page.locator("#review-form input[name=label]").fill("")
    page.locator("#review-form input[name=note]").fill("a stain, wiped off")
    page.locator("#review-form button[type=submit]").click()
    expect(page.locator("#reviewed-notice")).to_be_visible()
    row = page.locator('#audit-trail tr[data-action="vision_inspection.correct"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text(owner.account.username)
    expect(page.locator("#counted-as")).not_to_have_text("")
    page.screenshot(path=SCREENSHOT, full_page=True)

    with database.session() as session:
        corrected = session.get(VisionInspection, inspection_id)
        assert corrected is not None and corrected.counted_as is CountedAs.GOOD
        assert corrected.review_note == "a stain, wiped off" and corrected.reviewed_by == owner.account.user_id
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "vision_inspection", AuditEntry.entity_id == str(inspection_id)
            )
        ).one()
        assert (entry.action, entry.actor_id) == ("vision_inspection.correct", owner.account.user_id)
    # the upload (counted scrap, moved to good by the review) and the gateway's part
    expected = (1 + (gateway_counted == "good"), int(gateway_counted == "scrap"))
    store = open_store(database)
    try:
        deadline = time.monotonic() + 5
        while produced(database, store, owner.equipment_id) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert produced(database, store, owner.equipment_id) == expected
    finally:
        store.close()
    assert errors == []

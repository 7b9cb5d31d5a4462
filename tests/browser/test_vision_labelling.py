"""End-to-end, in a real Chromium: an enterprise user creates a detection dataset, uploads two images, draws two
boxes with the mouse on the labelling canvas, saves, marks the next image good, and finds both labels stored and
counted on the dataset page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import World
from tests.vision.vision_world import png, spots, surface
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.vision.models import VisionDataset, VisionImage

from .conftest import LiveData
from .live import LiveServer
from .test_programme_journey import sign_in


class LabellingWorld(World):
    """Names of its own: the live database is shared with other browser tests' worlds."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self._count = 9_500


def drag(page: Any, canvas: Any, start: tuple[int, int], end: tuple[int, int], image_side: int = 32) -> None:
    """Drag over the canvas from one image pixel to another (the canvas shows the image enlarged)."""
    box = canvas.bounding_box()
    scale = (box["width"] - 2) / image_side  # the canvas's 1 px border on each side

    def point(pixel: tuple[int, int], inward: float) -> tuple[float, float]:
        return box["x"] + 1 + (pixel[0] + inward) * scale, box["y"] + 1 + (pixel[1] + inward) * scale

    page.mouse.move(*point(start, 0.25))
    page.mouse.down()
    page.mouse.move(*point(end, -0.25), steps=4)
    page.mouse.up()


@pytest.mark.browser
def test_boxes_drawn_with_the_mouse_are_saved(
    page: Any, live_data: LiveData, live_server: LiveServer, tmp_path: Path
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    world = LabellingWorld(live_data.database)
    account = world.user(Role.ENTERPRISE)
    sign_in(page, account.username, account.password)

    page.goto("/vision/datasets")
    page.fill("#new-dataset input[name=name]", "浏览器标注")
    page.select_option("#new-dataset select[name=task]", "detect")
    page.fill("#new-dataset input[name=product_code]", "PLATE-1")
    page.fill("#new-dataset input[name=classes]", "spot, crack")
    page.click("#new-dataset button[type=submit]")
    expect(page.locator("#upload-form")).to_be_visible()

    files = [tmp_path / "a.png", tmp_path / "b.png"]
    files[0].write_bytes(png(spots(1)))
    files[1].write_bytes(png(surface(2)))
    page.set_input_files("#upload-form input[name=files]", [str(path) for path in files])
    page.click("#upload-form button[type=submit]")
    canvas = page.locator("#label-canvas")  # unlabelled uploads lead to the labelling page
    expect(canvas).to_be_visible()
    expect(page.locator("#image-name")).to_contain_text("a.png")
    page.wait_for_function("document.getElementById('label-canvas').width > 32")

    page.select_option("#box-class", "spot")
    drag(page, canvas, (4, 6), (12, 20))
    page.select_option("#box-class", "crack")
    drag(page, canvas, (20, 2), (30, 8))
    expect(page.locator("#box-list li")).to_have_count(2)
    page.click("#save-boxes")
    expect(page.locator("#image-name")).to_contain_text("b.png")
    page.click("#save-good")
    expect(page.locator("#all-labelled")).to_be_visible()

    with live_data.database.session() as session:
        dataset = session.scalars(select(VisionDataset).where(VisionDataset.name == "浏览器标注")).one()
        images = session.scalars(select(VisionImage).where(VisionImage.dataset_id == dataset.id)
                                 .order_by(VisionImage.id)).all()  # fmt: skip
        stored = [(image.labelled, image.label, image.boxes) for image in images]
    assert stored == [
        (True, "crack", [{"x0": 4, "y0": 6, "x1": 12, "y1": 20, "label": "spot"},
                         {"x0": 20, "y0": 2, "x1": 30, "y1": 8, "label": "crack"}]),
        (True, None, []),
    ]  # fmt: skip
    page.goto(f"/vision/datasets/{dataset.id}")
    expect(page.locator('#class-counts tr[data-class="crack"] td').nth(1)).to_have_text("1")
    expect(page.locator('#class-counts tr[data-class="good"] td').nth(1)).to_have_text("1")
    assert errors == []

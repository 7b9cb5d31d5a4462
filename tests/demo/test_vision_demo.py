"""The vision demo: a station on line L1 with a model trained on the project's synthetic images, a first hour of
verdicts counted as the station's good and scrap parts, and a camera feed that the folder watch inspects."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tests.vision.station_support import produced
from zhizao.accounts import demo as accounts_demo
from zhizao.db.engine import Database
from zhizao.demo import SEEDERS
from zhizao.demo import vision as vision_demo
from zhizao.settings import Settings
from zhizao.simulator import seed as factory_demo
from zhizao.telemetry.store.factory import open_store
from zhizao.vision import sources
from zhizao.vision.models import VisionModel
from zhizao.vision.station_models import VisionInspection, VisionStation
from zhizao.vision.stations import station_folder
from zhizao.vision.types import VerdictKind


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def seeded(database: Database, settings: Settings) -> Iterator[Database]:
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    vision_demo.seed(database, settings)
    yield database


def test_the_seeder_runs_after_the_plant() -> None:
    assert SEEDERS.index(vision_demo.seed) > SEEDERS.index(factory_demo.seed)


@pytest.mark.slow
def test_the_station_inspects_and_counts_the_camera_images(seeded: Database, settings: Settings) -> None:
    with seeded.session() as session:
        station = session.scalars(select(VisionStation)).one()
        model = session.get(VisionModel, station.model_id)
        assert model is not None and model.product_code == station.product_code == vision_demo.PRODUCT
        assert model.metrics["accuracy"] >= 0.9  # five synthetic classes are easy; a broken pipeline is not
        query = select(VisionInspection.verdict_kind, func.count()).group_by(VisionInspection.verdict_kind)
        kinds: dict[VerdictKind, int] = {row[0]: row[1] for row in session.execute(query)}
        folder = station_folder(settings.data_dir, station)
        equipment_id = station.equipment_id
    assert sum(kinds.values()) == vision_demo.HISTORY_IMAGES
    assert kinds.get(VerdictKind.PASS, 0) > kinds.get(VerdictKind.DEFECT, 0) > 0
    store = open_store(seeded)
    try:
        good, scrap = produced(seeded, store, equipment_id)
        assert (good, scrap) == (kinds[VerdictKind.PASS], kinds[VerdictKind.DEFECT])

        async def one_image() -> None:
            stop = asyncio.Event()
            feed = asyncio.create_task(vision_demo.feed_station(seeded, settings, stop, interval_s=60))
            await asyncio.sleep(0.2)
            stop.set()
            await feed

        asyncio.run(one_image())
        assert folder is not None and len(list(folder.glob("cam-*.png"))) == 1
        assert sources.scan_folder(seeded, settings, store, station.id, settle_s=0).inspected == 1
        assert sum(produced(seeded, store, equipment_id)) == vision_demo.HISTORY_IMAGES + 1
    finally:
        store.close()

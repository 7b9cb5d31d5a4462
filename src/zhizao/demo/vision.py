"""Demo seeder and live feed: an AI inspection station at the end of line L1 (缸体加工线), checking the machined
surface of finished cylinder blocks (product O1002).

The images are the project's own synthetic surfaces (``zhizao.vision.synthetic``), never the benchmark images. The
seeder does what a plant's quality engineer would: registers the station as equipment on the line, imports labelled
images (good, scratch, spot, patch, crack), freezes a dataset version, trains a classifier on it (on the CPU, a few
seconds), deploys it to a folder station, and inspects a first shift's images so the pages have history — some
verdicts left for review. While ``zhizao demo`` runs, ``feed_station`` drops a new camera image into the station's
folder every few seconds; the folder watch inspects it and the verdict becomes the line's good or scrap count.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.seeding import SeedReport
from zhizao.settings import Settings
from zhizao.simulator.seed import demo_enterprise_id
from zhizao.telemetry import assets
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.models import AssetNode
from zhizao.telemetry.schemas import EquipmentCreate
from zhizao.telemetry.store.factory import open_store
from zhizao.vision import datasets, inspection, synthetic, training, versions
from zhizao.vision.datasets import Incoming
from zhizao.vision.schemas import DatasetCreate, VersionCreate
from zhizao.vision.station_models import InspectionSource, SourceKind, VisionStation
from zhizao.vision.station_schemas import StationCreate
from zhizao.vision.stations import create_station, station_folder
from zhizao.vision.types import Task

PRODUCT = "O1002"  # 缸体精加工: the demo plant's finished cylinder blocks
STATION_CODE = "L1-VIS-01"
STATION_NAME = "缸体表面视觉检测站"
FOLDER = "L1-VIS-01"
TRAINING_IMAGES_PER_CLASS = 36
HISTORY_IMAGES = 48
DEFECT_SHARE = 0.12  # of the camera's images: enough scrap to see in a shift's Pareto
FEED_INTERVAL_S = 6.0
# Seeds of the training images start here and the camera's after them, so no camera image is a training image.
CAMERA_SEED_BASE = 10_000


def seed(database: Database, settings: Settings) -> SeedReport:
    began = time.monotonic()
    enterprise_id = demo_enterprise_id(database)
    with database.session() as session:
        engineer = _engineer(session, enterprise_id)
        equipment_id = _station_equipment(session, engineer, enterprise_id)
    with database.session() as session:
        dataset = datasets.create_dataset(
            session, engineer,
            DatasetCreate(name="缸体表面缺陷（合成图像）", task=Task.CLASSIFY, product_code=PRODUCT,
                          classes=list(synthetic.CLASSES)),
        )  # fmt: skip
        dataset_id = dataset.id
    with database.session() as session:
        datasets.add_images(session, settings, engineer, dataset_id, _training_images())
    with database.session() as session:
        version_id = versions.create_version(session, engineer, dataset_id, VersionCreate()).id
    with database.session() as session:
        model = training.train_model(session, settings, engineer, version_id)
        model_id, accuracy = model.id, (model.metrics or {}).get("accuracy")
    with database.session() as session:
        station = create_station(
            session, engineer,
            StationCreate(name=STATION_NAME, equipment_id=equipment_id, product_code=PRODUCT,
                          source_kind=SourceKind.FOLDER, folder=FOLDER, model_id=model_id),
        )  # fmt: skip
        station_id = station.id
    verdicts = _history(database, settings, station_id)
    return SeedReport(
        title="AI visual inspection (a station on line L1, synthetic surface images)",
        headers=("what", "figure"),
        rows=[
            ("station", f"{STATION_NAME} ({STATION_CODE}), product {PRODUCT}, folder {FOLDER}"),
            (
                "training images",
                f"{TRAINING_IMAGES_PER_CLASS * len(synthetic.CLASSES)} in {len(synthetic.CLASSES)} classes",
            ),
            ("model accuracy on its test split", f"{accuracy:.3f}" if isinstance(accuracy, float) else "—"),
            ("inspected", ", ".join(f"{kind} {count}" for kind, count in sorted(verdicts.items()))),
            ("seconds", f"{time.monotonic() - began:.1f}"),
        ],
    )


async def feed_station(database: Database, settings: Settings, stop: asyncio.Event,
                       interval_s: float = FEED_INTERVAL_S) -> None:  # fmt: skip
    """Until ``stop``: write a camera image into the demo station's folder every ``interval_s`` (the station
    services' folder watch inspects and counts it)."""
    with database.session() as session:
        station = session.scalar(select(VisionStation).where(VisionStation.name == STATION_NAME))
        folder = station_folder(settings.data_dir, station) if station is not None else None
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(CAMERA_SEED_BASE)  # noqa: S311 - a reproducible demo, not a secret
    number = HISTORY_IMAGES
    while not stop.is_set():
        number += 1
        content = _camera_image(rng, number)
        partial = folder / f".part-{number}.png"  # written aside, then renamed: the watch never sees half a file
        partial.write_bytes(content)
        partial.rename(folder / f"cam-{number:06d}.png")
        try:
            await asyncio.wait_for(stop.wait(), interval_s)
        except TimeoutError:
            continue


def _engineer(session: Session, enterprise_id: int) -> Principal:
    user = session.scalar(
        select(User).where(User.role == Role.ENTERPRISE, User.organisation_id == enterprise_id).order_by(User.id)
    )
    assert user is not None, "accounts are seeded first"
    session.rollback()
    return principal_of(user)


def _station_equipment(session: Session, actor: Principal, enterprise_id: int) -> int:
    line = session.scalar(select(AssetNode.id).where(AssetNode.enterprise_id == enterprise_id, AssetNode.code == "L1"))
    session.rollback()
    equipment = assets.create_equipment(
        session, actor,
        EquipmentCreate(enterprise_id=enterprise_id, node_id=line, code=STATION_CODE, name=STATION_NAME,
                        equipment_type=EquipmentType.INSPECTION_STATION, manufacturer="海康机器人",
                        model="MV-CS050-10GM + 智造 texture-linsvm", year=2022),
    )  # fmt: skip
    return equipment.id


def _training_images() -> list[Incoming]:
    return [
        Incoming(synthetic.to_png(sample.image), f"{kind}-{number:03d}.png", f"images.{kind}.{number}", True, kind)
        for kind in synthetic.CLASSES
        for number, sample in enumerate(synthetic.generate_many(kind, TRAINING_IMAGES_PER_CLASS, seed=1))
    ]


def _camera_image(rng: random.Random, number: int) -> bytes:
    kind = rng.choice(synthetic.DEFECTS) if rng.random() < DEFECT_SHARE else synthetic.GOOD
    return synthetic.to_png(synthetic.generate(kind, CAMERA_SEED_BASE + number).image)


def _history(database: Database, settings: Settings, station_id: int) -> dict[str, int]:
    """The last hour's images, inspected as they came in."""
    rng = random.Random(CAMERA_SEED_BASE)  # noqa: S311 - a reproducible demo, not a secret
    store = open_store(database)
    start = datetime.now(UTC) - timedelta(hours=1)
    verdicts: dict[str, int] = {}
    try:
        for number in range(1, HISTORY_IMAGES + 1):
            with database.session() as session:
                row = inspection.inspect(
                    session, settings, store, station_id, _camera_image(rng, number), source=InspectionSource.FOLDER,
                    received_at=start + timedelta(seconds=75 * number), original_name=f"cam-{number:06d}.png",
                )  # fmt: skip
                verdicts[row.verdict_kind.value] = verdicts.get(row.verdict_kind.value, 0) + 1
    finally:
        store.close()
    return verdicts

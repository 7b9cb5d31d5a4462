"""What the station tests share: a tenant with inspection equipment, model rows, a small stand-in model for the
tests of the stations' own logic (the end-to-end and browser tests train a real one), and production's view of the
counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Account, World
from zhizao.accounts.principal import Principal
from zhizao.db.engine import Database
from zhizao.production import corrections
from zhizao.production.calendar import Shift, WorkCalendar
from zhizao.production.models import DailyOutput, EquipmentSetting, WorkCalendarRecord
from zhizao.production.sources import counter_increments, production_signals
from zhizao.settings import Settings
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import now_us
from zhizao.vision import datasets, inspection, stations, synthetic, training, versions
from zhizao.vision.images import ImageSpec
from zhizao.vision.model import InspectionModel
from zhizao.vision.models import TrainingStatus, VisionDataset, VisionDatasetVersion, VisionModel
from zhizao.vision.schemas import DatasetCreate, VersionCreate
from zhizao.vision.station_models import VisionStation
from zhizao.vision.station_schemas import StationCreate
from zhizao.vision.types import Box, GreyImage, Task, Verdict, VerdictKind

PRODUCT = "P-STEEL"
SIZE = (128, 128)


class DarkSpotModel:
    """A stand-in classifier: where the image, smoothed, lies more than 0.12 below its median there is a "spot" (a
    box around those pixels, confidence 0.9); otherwise pass (confidence 0.95). Enough to tell synthetic spots
    from good surfaces."""

    task: Task = Task.CLASSIFY
    classes: tuple[str, ...] = ("spot", "scratch")
    spec: ImageSpec = ImageSpec(exact=SIZE)

    def inspect(self, image: GreyImage) -> Verdict:
        smooth = ndimage.gaussian_filter(image, 2.0)
        dark = smooth < float(np.median(smooth)) - 0.12
        if not dark.any():
            return Verdict(VerdictKind.PASS, None, 0.95)
        rows, cols = np.nonzero(dark)
        box = Box(int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1, "spot", 0.9)
        return Verdict(VerdictKind.DEFECT, "spot", 0.9, (box,))

    def save(self, folder: Path) -> None:
        raise NotImplementedError


class HeatModel(DarkSpotModel):
    """A stand-in anomaly model: the heat map is the smoothed image's distance from its median, the score its
    maximum, anomalous above 0.15."""

    task = Task.ANOMALY
    classes: tuple[str, ...] = ()

    def inspect(self, image: GreyImage) -> Verdict:
        smooth = ndimage.gaussian_filter(image, 2.0)
        heat = np.abs(smooth - np.median(smooth)).astype(np.float32)
        score = float(heat.max())
        kind = VerdictKind.ANOMALOUS if score > 0.15 else VerdictKind.PASS
        return Verdict(kind, None, score, heatmap=heat, threshold=0.15)


@dataclass(frozen=True)
class Tenant:
    account: Account
    principal: Principal
    equipment_id: int

    @property
    def organisation_id(self) -> int:
        assert self.account.organisation_id is not None
        return self.account.organisation_id


def principal_of(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


def tenant(world: World, database: Database, code: str = "VIS-1") -> Tenant:
    from zhizao.accounts.roles import Role

    account = world.user(Role.ENTERPRISE)
    with database.session() as session, session.begin():
        equipment = Equipment(
            enterprise_id=account.organisation_id, code=code, name=f"Inspection {code}",
            equipment_type=EquipmentType.INSPECTION_STATION,
        )  # fmt: skip
        session.add(equipment)
        session.flush()
        equipment_id = equipment.id
    return Tenant(account, principal_of(account), equipment_id)


def model_row(
    database: Database,
    organisation_id: int,
    *,
    product: str = PRODUCT,
    task: Task = Task.CLASSIFY,
    classes: tuple[str, ...] = ("good", "scratch", "spot"),
    status: TrainingStatus = TrainingStatus.DONE,
    dataset_id: int | None = None,
) -> int:
    """A registry row (with its dataset and version) that the stand-in model answers for."""
    with database.session() as session, session.begin():
        if dataset_id is None:
            dataset = VisionDataset(organisation_id=organisation_id, name=f"{product}-{task}-{_next()}", task=task,
                                    product_code=product, classes=list(classes))  # fmt: skip
            session.add(dataset)
            session.flush()
            dataset_id = dataset.id
        version = VisionDatasetVersion(dataset_id=dataset_id, number=_next(), seed=1, validation_share=0.15,
                                       test_share=0.15, classes=list(classes), counts={})  # fmt: skip
        session.add(version)
        session.flush()
        model = VisionModel(
            organisation_id=organisation_id, dataset_id=dataset_id, dataset_version_id=version.id, task=task,
            product_code=product, classes=list(classes), number=_next(), status=status,
        )  # fmt: skip
        session.add(model)
        session.flush()
        model.path = f"vision/models/{model.id}"
        return model.id


_counter = [0]


def _next() -> int:
    _counter[0] += 1
    return _counter[0]


def use_stand_in(monkeypatch: pytest.MonkeyPatch, model: InspectionModel | None = None) -> None:
    chosen = model or DarkSpotModel()
    monkeypatch.setattr(inspection, "load_deployed", lambda _settings, _row: chosen)


def station(
    database: Database, owner: Tenant, model_id: int | None, *, name: str = "Line 1 camera", **source: str
) -> int:
    with database.session() as session:
        created = stations.create_station(
            session, owner.principal,
            StationCreate(name=name, equipment_id=owner.equipment_id, product_code=PRODUCT, model_id=model_id,
                          **source),
        )  # fmt: skip
        return created.id


def produced(database: Database, store: TelemetryStore, equipment_id: int) -> tuple[int, int]:
    """Good and scrap units production counts for the equipment over the last hour: its counter increments and the
    count corrections of reviews (units moved between good and scrap)."""
    end = now_us() + 120_000_000
    start = end - 3_600_000_000
    with database.session() as session:
        signals = production_signals(session, [equipment_id])[equipment_id]
        moved = sum(corrections.minute_moves(session, equipment_id, start, end).values())
    good = sum(delta for _ts, delta in counter_increments(store, signals.good, start, end))
    scrap = sum(delta for _ts, delta in counter_increments(store, signals.scrap, start, end))
    return round(good) - moved, round(scrap) + moved


def daily_output(database: Database, equipment_id: int) -> tuple[int, int]:
    """Good and scrap units in production's stored daily output of the equipment (every day)."""
    with database.session() as session:
        rows = session.execute(
            select(DailyOutput.good, DailyOutput.scrap).where(DailyOutput.equipment_id == equipment_id)
        ).all()
    return sum(good for good, _ in rows), sum(scrap for _, scrap in rows)


def with_calendar(database: Database, owner: Tenant) -> None:
    """Give the station's equipment a work calendar, so that production stores its totals."""
    definition = WorkCalendar(
        shifts=(Shift(name="早", start="00:00", end="12:00"), Shift(name="晚", start="12:00", end="24:00"))
    )
    with database.session() as session, session.begin():
        record = WorkCalendarRecord(
            enterprise_id=owner.organisation_id, name=f"cal-{_next()}", definition=definition.model_dump(mode="json")
        )
        session.add(record)
        session.flush()
        setting = EquipmentSetting(
            equipment_id=owner.equipment_id, enterprise_id=owner.organisation_id, calendar_id=record.id
        )
        session.add(setting)


def station_row(session: Session, station_id: int) -> VisionStation:
    found = session.get(VisionStation, station_id)
    assert found is not None
    return found


@pytest.fixture
def store(database: Database) -> Iterator[TelemetryStore]:
    opened = open_store(database)
    yield opened
    opened.close()


def trained_model(
    database: Database, settings: Settings, owner: Tenant, folder: Path, *, task: Task = Task.CLASSIFY,
    classes: tuple[str, ...] = ("good", "patch", "spot"), per_class: int = 10, product: str = PRODUCT,
) -> int:  # fmt: skip
    """A real model, through the platform's own pipeline: synthetic images of ``classes`` imported into a dataset
    (class folders; with VOC boxes for detect), a version, and training in this process."""
    synthetic.write_folder(folder, per_class, seed=100, classes=classes, annotations=task is Task.DETECT)
    with database.session() as session:
        dataset = datasets.create_dataset(
            session, owner.principal, DatasetCreate(name=f"{product} {task} {_next()}", task=task, product_code=product)
        )
    with database.session() as session:
        datasets.import_folder(session, settings, owner.principal, dataset.id, folder)
    with database.session() as session:
        version = versions.create_version(session, owner.principal, dataset.id, VersionCreate())
    with database.session() as session:
        model = training.train_model(session, settings, owner.principal, version.id)
    assert model.status is TrainingStatus.DONE, model.error
    return model.id

"""Training a model from a dataset version, evaluating it on the version's test split and registering it.

A training is a ``vision_model`` row that goes queued → running → done (with its folder
``<data dir>/vision/models/<id>/``, metrics, training time and latency) or failed (with the error). The CLI trains in
its own process (``train_model``); the web queues the row and a background thread of the server trains it
(``TrainingQueue``), so no request waits for a training.

The models train on the version's train split only (the task's ``train``: classify and detect on every train image,
anomaly on its defect-free ones); the validation split is left to the training modules' own choices, unused here.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import queue
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.db.base import utcnow
from zhizao.db.engine import Database
from zhizao.errors import Conflict, InputError, NotFound, ZhizaoError
from zhizao.settings import Settings
from zhizao.vision import access, provenance, storage
from zhizao.vision.evaluation import TestImage, evaluate
from zhizao.vision.labelling import box_of
from zhizao.vision.model import InspectionModel
from zhizao.vision.models import (
    Split,
    TrainingStatus,
    VisionDatasetVersion,
    VisionImage,
    VisionModel,
    VisionVersionItem,
)
from zhizao.vision.splits import DEFAULT_SEED
from zhizao.vision.types import Box, GreyImage, Task

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    """What the caller may ask of a training beyond the dataset version; stored on the model row as asked."""

    learned_maps: bool = False  # detection only: add the class maps of small networks trained from scratch (PyTorch)

    def as_dict(self) -> dict[str, Any]:
        return {"learned_maps": True} if self.learned_maps else {}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> TrainingOptions:
        return cls(learned_maps=bool(stored.get("learned_maps", False)))

    def check(self, task: Task) -> None:
        """Refuse, by field, options that the task has not or that this installation cannot honour."""
        if not self.learned_maps:
            return
        if task is not Task.DETECT:
            raise InputError.for_field(
                "body.learned_maps", f"only detection models have learned maps, not {task.value}"
            )
        if importlib.util.find_spec("torch") is None:
            raise InputError.for_field("body.learned_maps", "needs PyTorch on the server: pip install 'zhizao[vision]'")


@dataclass(frozen=True, slots=True)
class _Item:
    path: str
    split: Split
    label: str | None
    boxes: tuple[Box, ...]


def queue_training(
    session: Session, actor: Principal, version_id: int, options: TrainingOptions | None = None
) -> VisionModel:
    """Register a model of the version, to be trained: number n + 1 of its dataset, status queued."""
    options = options or TrainingOptions()
    with session.begin():
        version, dataset = access.get_version(session, actor, version_id)
        options.check(dataset.task)
        session.refresh(dataset, with_for_update=True)  # numbers of one dataset's models are taken in turn
        train = session.scalar(
            select(func.count()).where(
                VisionVersionItem.version_id == version.id, VisionVersionItem.split == Split.TRAIN
            )
        )
        if not train:
            raise InputError.for_field("body.version_id", f"version {version.number} has no training images")
        latest = session.scalar(select(func.max(VisionModel.number)).where(VisionModel.dataset_id == dataset.id))
        model = VisionModel(
            organisation_id=dataset.organisation_id, dataset_id=dataset.id, dataset_version_id=version.id,
            task=dataset.task, product_code=dataset.product_code, classes=list(version.classes),
            number=(latest or 0) + 1, status=TrainingStatus.QUEUED, created_by=actor.user_id,
            options=options.as_dict(),
        )  # fmt: skip
        session.add(model)
        session.flush()
        audit.record(
            session, actor, action="vision_model.train", entity_type="vision_model", entity_id=model.id,
            organisation_id=dataset.organisation_id,
            after={"dataset_id": dataset.id, "version": version.number, "number": model.number, **model.options},
        )  # fmt: skip
    return model


def train_model(
    session: Session, settings: Settings, actor: Principal, version_id: int, options: TrainingOptions | None = None
) -> VisionModel:
    """Queue and train at once, in this process (the CLI). A failure is recorded on the row, then raised."""
    model = queue_training(session, actor, version_id, options)
    return run_training(session, settings, model.id, actor)


def run_training(session: Session, settings: Settings, model_id: int, actor: Principal | None = None) -> VisionModel:
    """Train a queued model, evaluate it and save it; on failure the row says why and the error is raised."""
    with session.begin():
        model = session.get(VisionModel, model_id)
        if model is None:
            raise NotFound(f"inspection model {model_id} not found")
        session.refresh(model, with_for_update=True)
        if model.status is not TrainingStatus.QUEUED:
            raise Conflict(f"model {model_id} is {model.status.value}, not queued")
        model.status, model.started_at = TrainingStatus.RUNNING, utcnow()
        version = session.get(VisionDatasetVersion, model.dataset_version_id)
        seed = version.seed if version is not None else DEFAULT_SEED
        items = _items(session, model.dataset_version_id)
        options = TrainingOptions.from_dict(model.options or {})
    folder = settings.data_dir / storage.MODEL_DIR / str(model_id)
    try:
        trained, seconds, algorithm = _train(settings.data_dir, model.task, items, seed, options)
        test = [TestImage(storage.read(settings.data_dir, item.path), item.label, item.boxes)
                for item in items if item.split is Split.TEST]  # fmt: skip
        result = evaluate(trained, model.task, model.classes, test)
        _save(trained, folder)
    except Exception as error:
        _record_failure(session, model, actor, error)
        raise
    with session.begin():
        session.add(model)
        model.status, model.finished_at = TrainingStatus.DONE, utcnow()
        model.algorithm, model.train_seconds, model.latency_ms = algorithm[:400], seconds, result.latency_ms
        model.metrics = {**result.metrics, "environment": provenance.versions()}  # what the figures depend on
        model.path = folder.relative_to(settings.data_dir).as_posix()
        audit.record(
            session, actor, action="vision_model.done", entity_type="vision_model", entity_id=model.id,
            organisation_id=model.organisation_id, actor_name="training",
            after={"algorithm": model.algorithm, "train_seconds": round(seconds, 3), "metrics": _brief(result.metrics)},
        )  # fmt: skip
    return model


def _items(session: Session, version_id: int) -> list[_Item]:
    rows = session.execute(
        select(VisionImage.path, VisionVersionItem.split, VisionVersionItem.label, VisionVersionItem.boxes)
        .join(VisionImage, VisionImage.id == VisionVersionItem.image_id)
        .where(VisionVersionItem.version_id == version_id)
        .order_by(VisionVersionItem.image_id)
    ).all()
    return [_Item(path, split, label, tuple(box_of(box) for box in boxes)) for path, split, label, boxes in rows]


def _train(
    data_dir: Path, task: Task, items: list[_Item], seed: int, options: TrainingOptions
) -> tuple[InspectionModel, float, str]:
    train = [item for item in items if item.split is Split.TRAIN]
    if task is Task.ANOMALY:
        train = [item for item in train if item.label is None]  # defect-free images only
    images: list[GreyImage] = [storage.read(data_dir, item.path) for item in train]
    module: Any = importlib.import_module(f"zhizao.vision.{task.value}")
    started = time.perf_counter()
    algorithm = str(module.ALGORITHM)
    if task is Task.CLASSIFY:
        trained = module.train(images, [item.label or "" for item in train], seed=seed)
    elif task is Task.DETECT:
        detector_settings = module.Settings(learned_maps=options.learned_maps)
        trained = module.train(images, [list(item.boxes) for item in train], seed=seed, settings=detector_settings)
        algorithm = str(trained.algorithm)
    else:
        trained = module.train(images, seed=seed)
    seconds = time.perf_counter() - started
    return trained, seconds, algorithm


def _save(trained: InspectionModel, folder: Path) -> None:
    """Write the model into a fresh folder beside its place, then move it there whole."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    if folder.exists():
        raise Conflict(f"{folder} exists already; a model's folder is written once")
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        trained.save(work)
        work.rename(folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _record_failure(session: Session, model: VisionModel, actor: Principal | None, error: Exception) -> None:
    session.rollback()
    message = error.message if isinstance(error, ZhizaoError) else f"{type(error).__name__}: {error}"
    if isinstance(error, ZhizaoError) and error.fields:
        message += " (" + "; ".join(f"{p.field}: {p.message}" for p in error.fields[:5]) + ")"
    with session.begin():
        session.add(model)
        model.status, model.error, model.finished_at = TrainingStatus.FAILED, message[:4000], utcnow()
        audit.record(
            session, actor, action="vision_model.failed", entity_type="vision_model", entity_id=model.id,
            organisation_id=model.organisation_id, actor_name="training", detail=message[:1000],
        )  # fmt: skip


def _brief(figures: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in figures.items() if not isinstance(value, dict)}


class TrainingQueue:
    """One background thread per server process that trains queued models one after another (training takes the
    CPU; two at once would only both be slower). Rows queued by a process that stopped stay queued: train them
    again with ``zhizao vision train``."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database, self.settings = database, settings
        self._jobs: queue.Queue[tuple[int, Principal | None]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, model_id: int, actor: Principal | None) -> None:
        self._jobs.put((model_id, actor))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="vision-training", daemon=True)
                self._thread.start()

    def wait(self) -> None:
        """Until every submitted training has finished (tests, and an orderly shutdown)."""
        self._jobs.join()

    def _work(self) -> None:
        while True:
            model_id, actor = self._jobs.get()
            try:
                with self.database.session() as session:
                    run_training(session, self.settings, model_id, actor)
            except Exception:  # recorded on the row by run_training; the log keeps the traceback
                logger.exception("training of vision model %s failed", model_id)
            finally:
                self._jobs.task_done()

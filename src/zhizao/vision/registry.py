"""The model registry: trained models of a tenant, loading one from its folder (kept in memory by id), and the
comparison of a dataset's models side by side."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, InputError, NotFound
from zhizao.settings import Settings
from zhizao.vision import access, evaluation
from zhizao.vision.model import InspectionModel, load_model
from zhizao.vision.models import TrainingStatus, VisionDataset, VisionDatasetVersion, VisionModel

MAX_CACHED = 8  # models kept loaded per process; a station's model stays hot, rarely used ones are read again
_FOLDER = re.compile(r"^vision/models/(\d+)$")
_cache: OrderedDict[tuple[str, int], InspectionModel] = OrderedDict()
_cache_lock = threading.Lock()


def load(settings: Settings, model_row: VisionModel) -> InspectionModel:
    """The trained model of a registry row, loaded once per process and then served from memory."""
    if model_row.status is not TrainingStatus.DONE or not model_row.path:
        raise Conflict(f"model {model_row.id} is {model_row.status.value}: only a trained model can be used")
    found = _FOLDER.match(model_row.path)
    if found is None or int(found.group(1)) != model_row.id:  # only the folder training wrote for this row
        raise NotFound(f"model {model_row.id} has no model folder")
    key = (str(settings.data_dir.resolve()), model_row.id)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    folder = settings.data_dir / model_row.path
    if not folder.is_dir():
        raise NotFound(f"the folder of model {model_row.id} is missing from the data directory")
    model = load_model(folder)
    if model.task != model_row.task:
        raise InputError.for_field(str(folder), f"holds a {model.task} model; the registry says {model_row.task}")
    with _cache_lock:
        _cache[key] = model
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return model


def list_models(
    session: Session, actor: Principal, *, dataset_id: int | None = None, organisation_id: int | None = None
) -> list[VisionModel]:
    """The caller's models (administrators: every tenant's, or one's), newest first."""
    access.require_manager(actor)
    query = select(VisionModel).order_by(VisionModel.id.desc())
    if dataset_id is not None:
        query = query.where(VisionModel.dataset_id == access.get_dataset(session, actor, dataset_id).id)
    if actor.role != Role.ADMIN:
        query = query.where(VisionModel.organisation_id == actor.organisation_id)
    elif organisation_id is not None:
        query = query.where(VisionModel.organisation_id == organisation_id)
    return list(session.scalars(query.limit(500)))


@dataclass(frozen=True, slots=True)
class ComparedModel:
    model: VisionModel
    version_number: int
    headline_name: str
    headline: float | None
    per_class: dict[str, float]


@dataclass(frozen=True, slots=True)
class Comparison:
    dataset: VisionDataset
    models: list[ComparedModel]
    classes: list[str]  # the union of the per-class figures' classes, the comparison's columns


def compare(session: Session, actor: Principal, dataset_id: int) -> Comparison:
    """A dataset's models side by side: algorithm, version, headline and per-class figures, time, latency."""
    dataset = access.get_dataset(session, actor, dataset_id)
    rows = session.execute(
        select(VisionModel, VisionDatasetVersion.number)
        .join(VisionDatasetVersion, VisionDatasetVersion.id == VisionModel.dataset_version_id)
        .where(VisionModel.dataset_id == dataset.id)
        .order_by(VisionModel.number)
    ).all()
    compared = []
    for model, version_number in rows:
        name, value = evaluation.headline(model.task, model.metrics)
        compared.append(
            ComparedModel(model, version_number, name, value, evaluation.per_class(model.task, model.metrics))
        )
    classes = sorted({name for row in compared for name in row.per_class})
    return Comparison(dataset, compared, classes)

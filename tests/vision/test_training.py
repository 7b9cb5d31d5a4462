"""Training from a dataset version end to end on small synthetic images: the registry row's life (queued → running →
done or failed), the figures on the test split, the saved folder, loading through the registry, the background
queue, and the audit trail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import Account, World
from tests.vision.vision_world import anomaly_folder, png, principal, spot_at, spots, stripes, surface
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, InputError, NotFound
from zhizao.settings import Settings
from zhizao.vision import anomaly, datasets, detect, registry, training, versions
from zhizao.vision.models import TrainingStatus, VisionModel
from zhizao.vision.schemas import DatasetCreate, VersionCreate
from zhizao.vision.types import Box, Task, VerdictKind

GENERATORS = {"good": lambda i: surface(300 + i), "spots": lambda i: spots(100 + i), "stripes": stripes}


def classify_version(world: World, settings: Settings, per_class: int = 14, classes: tuple[str, ...] = ("good",
                     "spots", "stripes")) -> tuple[Principal, int, int]:  # fmt: skip
    owner = principal(world.user(Role.ENTERPRISE))
    data = DatasetCreate(name="表面", task=Task.CLASSIFY, product_code="P-1", classes=list(classes))
    with world.database.session() as session:
        dataset_id = datasets.create_dataset(session, owner, data).id
    incoming = [datasets.Incoming(png(GENERATORS[label](index)), f"{label}{index}.png", f"{label}{index}", True, label)
                for label in classes for index in range(per_class)]  # fmt: skip
    with world.database.session() as session:
        datasets.add_images(session, settings, owner, dataset_id, incoming)
    with world.database.session() as session:
        version = versions.create_version(session, owner, dataset_id, VersionCreate(seed=11))
    return owner, dataset_id, version.id


def test_a_classifier_is_trained_evaluated_saved_and_registered(world: World, settings: Settings) -> None:
    owner, dataset_id, version_id = classify_version(world, settings)
    with world.database.session() as session:
        model = training.train_model(session, settings, owner, version_id)
    assert model.status is TrainingStatus.DONE and model.error is None and model.number == 1
    assert model.algorithm and model.task is Task.CLASSIFY and model.product_code == "P-1"
    assert model.metrics["test_images"] == 6 and model.metrics["rejected_test_images"] == 0  # 2 per class
    assert model.metrics["accuracy"] == 1.0
    assert model.metrics["recall_per_class"] == {"good": 1.0, "spots": 1.0, "stripes": 1.0}
    assert model.train_seconds is not None and model.train_seconds > 0
    assert model.latency_ms is not None and model.latency_ms > 0 and model.metrics["latency_p95_ms"] > 0
    assert model.path == f"vision/models/{model.id}" and (settings.data_dir / model.path / "model.json").is_file()
    assert model.started_at is not None and model.finished_at is not None and model.finished_at >= model.started_at

    loaded = registry.load(settings, model)
    assert registry.load(settings, model) is loaded  # kept in memory by id
    fresh = [loaded.inspect(stripes(900 + index).astype(np.float32)).label for index in range(20)]
    assert fresh.count("stripes") >= 16
    assert loaded.inspect(surface(901).astype(np.float32)).kind is VerdictKind.PASS

    with world.database.session() as session:
        second = training.train_model(session, settings, owner, version_id)
        actions = [entry.action for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "vision_model").order_by(AuditEntry.id))]  # fmt: skip
    assert second.number == 2 and second.metrics["accuracy"] == model.metrics["accuracy"]  # same seed, same split
    assert actions == ["vision_model.train", "vision_model.done"] * 2
    with world.database.session() as session:
        rows = registry.list_models(session, owner, dataset_id=dataset_id)
        assert [row.id for row in rows] == [second.id, model.id]
        compared = registry.compare(session, owner, dataset_id)
    assert [row.headline for row in compared.models] == [1.0, 1.0]
    assert compared.classes == ["good", "spots", "stripes"]


def test_a_failed_training_says_why_on_the_row(world: World, settings: Settings) -> None:
    owner, _dataset_id, version_id = classify_version(world, settings, per_class=8, classes=("spots",))
    with world.database.session() as session, pytest.raises(InputError) as raised:
        training.train_model(session, settings, owner, version_id)
    assert "two classes" in raised.value.message
    with world.database.session() as session:
        model = session.scalars(select(VisionModel)).one()
        assert model.status is TrainingStatus.FAILED and model.error is not None and "two classes" in model.error
        assert model.path is None and not (settings.data_dir / "vision" / "models" / str(model.id)).exists()
        failed = session.scalars(select(AuditEntry).where(AuditEntry.action == "vision_model.failed")).one()
        assert failed.entity_id == str(model.id)
    with pytest.raises(Conflict):
        registry.load(settings, model)
    with world.database.session() as session, pytest.raises(Conflict):  # a failed row is not trained again
        training.run_training(session, settings, model.id)


def test_the_background_queue_trains_without_the_caller_waiting(world: World, settings: Settings) -> None:
    owner, _dataset_id, version_id = classify_version(world, settings, per_class=6)
    queue = training.TrainingQueue(world.database, settings)
    with world.database.session() as session:
        queued = training.queue_training(session, owner, version_id)
    assert queued.status is TrainingStatus.QUEUED and queued.path is None
    queue.submit(queued.id, owner)
    queue.wait()
    with world.database.session() as session:
        done = session.get(VisionModel, queued.id)
        assert done is not None and done.status is TrainingStatus.DONE and done.metrics["test_images"] == 3


def test_other_tenants_cannot_train_or_read_models(world: World, settings: Settings) -> None:
    owner, _dataset_id, version_id = classify_version(world, settings, per_class=4)
    stranger = principal(world.user(Role.ENTERPRISE))
    with world.database.session() as session, pytest.raises(NotFound):
        training.queue_training(session, stranger, version_id)
    with world.database.session() as session:
        model = training.queue_training(session, owner, version_id)
    with world.database.session() as session:
        assert registry.list_models(session, stranger) == []
    with world.database.session() as session:
        assert [row.id for row in registry.list_models(session, owner)] == [model.id]


def detect_version(world: World, settings: Settings, account: Account | None = None) -> tuple[Principal, int]:
    """A detection dataset's version (of a new enterprise user's unless ``account`` is given): 20 images, each with
    one bar or blob box (16 train, 4 test)."""
    owner = principal(account or world.user(Role.ENTERPRISE))
    data = DatasetCreate(name="boxes", task=Task.DETECT, product_code="P-2", classes=["bar", "blob"])
    with world.database.session() as session:
        dataset_id = datasets.create_dataset(session, owner, data).id
    incoming = []
    for index in range(10):
        for label, width in (("blob", 6), ("bar", 12)):
            box = Box(3 + index, 4 + index, 3 + index + width, 10 + index, label)
            image = spot_at(index, (box.x0, box.y0, box.x1, box.y1))
            incoming.append(datasets.Incoming(png(image), None, f"{label}{index}", True, label, (box,)))
    with world.database.session() as session:
        datasets.add_images(session, settings, owner, dataset_id, incoming)
    with world.database.session() as session:
        return owner, versions.create_version(session, owner, dataset_id, VersionCreate()).id


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the same rows as above; the model is what differs
def test_a_detector_is_evaluated_by_map(world: World, settings: Settings, tmp_path: Path) -> None:
    owner, version_id = detect_version(world, settings)
    with world.database.session() as session:
        model = training.train_model(session, settings, owner, version_id)
    assert model.status is TrainingStatus.DONE and model.metrics["test_images"] == 4
    assert model.options == {} and model.algorithm == (  # no learned maps
        detect.ALGORITHM
        + detect.FUSION_ALGORITHM
        + detect.SPREAD_ALGORITHM
        + detect.PRESENCE_ALGORITHM
        + detect.SCORER_SETS_ALGORITHM.format(sets=2)
    )
    assert set(model.metrics["ap_per_class"]) == {"bar", "blob"}
    assert 0.5 <= model.metrics["map50"] <= 1.0
    assert "operating_points" not in model.metrics  # every test image has a defect: no pass rate to weigh


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # training the anomaly model takes half a minute
def test_an_anomaly_model_trains_on_good_images_and_is_scored_by_auroc(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    owner = principal(world.user(Role.ENTERPRISE))
    with world.database.session() as session:
        dataset_id = datasets.create_dataset(
            session, owner, DatasetCreate(name="tiles", task=Task.ANOMALY, product_code="T")
        ).id
    with world.database.session() as session:
        datasets.import_folder(session, settings, owner, dataset_id, anomaly_folder(tmp_path / "mt", 12, 3))
    with world.database.session() as session:
        version = versions.create_version(session, owner, dataset_id, VersionCreate())
    assert version.counts["train"] == {"good": 8} and version.counts["test"] == {"Spot": 3, "good": 2}
    with world.database.session() as session:
        model = training.train_model(session, settings, owner, version.id)
    assert model.status is TrainingStatus.DONE, model.error
    figures = model.metrics
    assert (figures["good_test_images"], figures["defect_test_images"]) == (2, 3)
    assert figures["image_auroc"] == 1.0 and figures["auroc_per_class"] == {"Spot": 1.0}
    assert figures["defects_flagged"] == 1.0 and 0.0 <= figures["pass_rate"] <= 1.0
    with world.database.session() as session:
        compared = registry.compare(session, owner, dataset_id)
    assert (compared.models[0].headline_name, compared.models[0].headline) == ("image_auroc", 1.0)
    loaded = registry.load(settings, model)
    heatmap = loaded.inspect(spots(7).astype(np.float32)).heatmap
    assert heatmap is not None and heatmap.shape == (32, 32)
    # what a station chooses its threshold from: the model's own first, then the lowest that passes every good image
    assert isinstance(loaded, anomaly.AnomalyModel)
    own, *lowered = figures["operating_points"]
    assert own["threshold"] == loaded.threshold and own["good_passed"] == pytest.approx(figures["pass_rate"])
    assert (lowered[0]["good_passed"], lowered[0]["defects_flagged"]) == (1.0, 1.0)  # AUROC 1: they separate


def test_learned_maps_are_refused_by_field_where_they_cannot_be_honoured(
    world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, _dataset_id, version_id = classify_version(world, settings, per_class=4)
    maps = training.TrainingOptions(learned_maps=True)
    with world.database.session() as session, pytest.raises(InputError) as raised:
        training.queue_training(session, owner, version_id, maps)
    assert [problem.field for problem in raised.value.fields] == ["body.learned_maps"]
    assert "only detection models" in raised.value.fields[0].message

    detector_owner, detect_version_id = detect_version(world, settings)
    real_find_spec = training.importlib.util.find_spec
    monkeypatch.setattr(training.importlib.util, "find_spec",
                        lambda name, *rest: None if name == "torch" else real_find_spec(name, *rest))  # fmt: skip
    with world.database.session() as session, pytest.raises(InputError) as raised:
        training.queue_training(session, detector_owner, detect_version_id, maps)
    assert "needs PyTorch" in raised.value.fields[0].message
    with world.database.session() as session:
        assert session.scalars(select(VisionModel)).all() == []  # neither refusal left a row to train

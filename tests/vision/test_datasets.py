"""Datasets through the services: folder import all or nothing, stored files, labelling checks, versions with fixed
splits, tenants and roles, the audit log. On both backends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.vision.vision_world import (
    anomaly_folder,
    box_folder,
    class_folder,
    png,
    principal,
    spots,
    stripes,
    surface,
)
from zhizao.accounts import audit
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied
from zhizao.settings import Settings
from zhizao.vision import datasets, labelling, storage, versions
from zhizao.vision.images import decode_grey
from zhizao.vision.models import ImageSource, Split, VisionDatasetVersion, VisionImage, VisionVersionItem
from zhizao.vision.schemas import DatasetCreate, VersionCreate
from zhizao.vision.types import Box, Task

T = TypeVar("T")


def stored_files(settings: Settings) -> list[Path]:
    folder = settings.data_dir / storage.IMAGE_DIR
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def new_dataset(world: World, task: Task, classes: list[str] | None = None, name: str = "钢板表面") -> tuple:  # type: ignore[type-arg]
    owner = principal(world.user(Role.ENTERPRISE))
    with world.database.session() as session:
        data = DatasetCreate(name=name, task=task, product_code="P-100", classes=classes or [])
        dataset = datasets.create_dataset(session, owner, data)
    return owner, dataset.id


def within(world: World, action: Callable[[Session], T]) -> T:
    """Run one service call in a session of its own, closed afterwards."""
    with world.database.session() as session:
        return action(session)


def image_count(world: World) -> int:
    with world.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(VisionImage)) or 0)


def test_a_folder_import_stores_every_image_once_as_grey_png(world: World, settings: Settings, tmp_path: Path) -> None:
    owner, dataset_id = new_dataset(world, Task.CLASSIFY)
    root = class_folder(tmp_path / "plant", per_class=5)
    (root / "spots" / "p00.png").rename(root / "spots" / "p00.jpg")  # a JPEG named .png is read by its bytes
    with world.database.session() as session:
        result = datasets.import_folder(session, settings, owner, dataset_id, root)
        total, labelled, per_class = datasets.counts(session, dataset_id)
    assert len(result.added) == 10 and result.duplicates == 0 and result.classes == ["spots", "stripes"]
    assert (total, labelled, per_class) == (10, 10, {"spots": 5, "stripes": 5})
    files = stored_files(settings)
    assert len(files) == 10
    image = result.added[0]
    assert image.path == f"vision/images/{image.sha256[:2]}/{image.sha256}.png" and image.source is ImageSource.IMPORT
    with Image.open(settings.data_dir / image.path) as stored:
        assert stored.format == "PNG" and stored.mode == "L" and not stored.info  # no metadata
    original = decode_grey((root / "spots" / "p00.jpg").read_bytes())
    kept = decode_grey((settings.data_dir / result.added[0].path).read_bytes())
    assert np.array_equal(original, kept)  # the very same grey levels

    again = within(world, lambda session: datasets.import_folder(session, settings, owner, dataset_id, root))
    assert again.added == [] and again.duplicates == 10 and image_count(world) == 10
    with world.database.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "vision_dataset.import")).all()
    assert [entry.after["added"] for entry in sorted(entries, key=lambda e: e.id)] == [10, 0]  # type: ignore[index]


def test_one_corrupt_file_stops_the_import_and_nothing_is_stored(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    owner, dataset_id = new_dataset(world, Task.CLASSIFY)
    root = class_folder(tmp_path / "plant", per_class=4)
    (root / "stripes" / "s02.png").write_bytes(png(stripes(2))[:60])  # truncated
    rgb = np.stack([spots(1) * 255] * 2 + [np.zeros((32, 32))], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(root / "spots" / "colour.png")
    with world.database.session() as session, pytest.raises(InputError) as raised:
        datasets.import_folder(session, settings, owner, dataset_id, root)
    fields = {problem.field for problem in raised.value.fields}
    assert fields == {"stripes/s02.png", "spots/colour.png"}
    assert "nothing was stored" in raised.value.message
    assert image_count(world) == 0 and stored_files(settings) == []


def test_an_empty_class_folder_is_refused_naming_it(world: World, settings: Settings, tmp_path: Path) -> None:
    owner, dataset_id = new_dataset(world, Task.CLASSIFY)
    root = class_folder(tmp_path / "plant", per_class=2)
    (root / "scratches").mkdir()
    with world.database.session() as session, pytest.raises(InputError) as raised:
        datasets.import_folder(session, settings, owner, dataset_id, root)
    assert raised.value.fields[0].field == str(root / "scratches")
    assert image_count(world) == 0 and stored_files(settings) == []


def test_a_failed_commit_removes_the_files_it_wrote(
    world: World, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, dataset_id = new_dataset(world, Task.CLASSIFY)
    root = class_folder(tmp_path / "plant", per_class=3)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(audit, "record", broken)
    with world.database.session() as session, pytest.raises(RuntimeError):
        datasets.import_folder(session, settings, owner, dataset_id, root)
    assert image_count(world) == 0 and stored_files(settings) == []


def test_boxes_and_anomaly_folders_import_with_their_labels(world: World, settings: Settings, tmp_path: Path) -> None:
    owner, detect_id = new_dataset(world, Task.DETECT, name="boxes")
    with world.database.session() as session:
        result = datasets.import_folder(session, settings, owner, detect_id, box_folder(tmp_path / "neu", 3))
    assert result.classes == ["bar", "blob"]
    first = min(result.added, key=lambda image: image.original_name or "")
    assert first.original_name == "images/bar/bar0.png" and first.label == "bar"
    assert first.boxes == [{"x0": 3, "y0": 4, "x1": 15, "y1": 10, "label": "bar"}]  # VOC's 1-based inclusive box

    tiles = DatasetCreate(name="tiles", task=Task.ANOMALY, product_code="T")
    anomaly_id = within(world, lambda session: datasets.create_dataset(session, owner, tiles)).id
    with world.database.session() as session:
        result = datasets.import_folder(session, settings, owner, anomaly_id, anomaly_folder(tmp_path / "mt", 4, 2))
        assert datasets.counts(session, anomaly_id) == (6, 6, {"good": 4, "Spot": 2})
    assert result.classes == ["Spot"]


def test_labels_are_checked_against_the_dataset_and_the_image(world: World, settings: Settings) -> None:
    owner, classify_id = new_dataset(world, Task.CLASSIFY, ["spots", "stripes"], name="c")
    with world.database.session() as session:
        image = datasets.add_image(session, settings, owner, classify_id, png(spots(1)), label=None, boxes=(),
                                   source=ImageSource.UPLOAD, labelled=False)  # fmt: skip
    assert not image.labelled and image.label is None
    cases = [
        ("dents", (), "body.label"),
        (None, (), "body.label"),
        ("spots", (Box(0, 0, 4, 4, "spots"),), "body.boxes"),
    ]
    for label, boxes, field in cases:
        with world.database.session() as session, pytest.raises(InputError) as raised:
            labelling.label_image(session, owner, image.id, label, boxes)
        assert raised.value.fields[0].field == field, label
    with world.database.session() as session:
        assert labelling.label_image(session, owner, image.id, "stripes", ()).label == "stripes"

    detect_owner = principal(world.user(Role.ENTERPRISE, owner.organisation_id))
    data = DatasetCreate(name="d", task=Task.DETECT, product_code="P-100", classes=["blob"])
    detect_id = within(world, lambda session: datasets.create_dataset(session, detect_owner, data)).id
    with world.database.session() as session:
        boxed = datasets.add_image(session, settings, owner, detect_id, png(surface(3)), label=None, boxes=(),
                                   source="upload", labelled=False)  # fmt: skip
    bad = [Box(10, 10, 33, 20, "blob"), Box(5, 5, 9, 9, "crack"), Box(8, 8, 8, 12, "blob")]
    with world.database.session() as session, pytest.raises(InputError) as raised:
        labelling.label_image(session, owner, boxed.id, None, bad)
    assert [problem.field for problem in raised.value.fields] == ["body.boxes.0", "body.boxes.1.label", "body.boxes.2"]
    assert "outside the 32 × 32 image" in raised.value.fields[0].message
    assert "'crack' is not a class" in raised.value.fields[1].message
    with world.database.session() as session:
        done = labelling.label_image(session, owner, boxed.id, None, [Box(0, 0, 32, 32, "blob")])
    assert done.labelled and done.label == "blob" and done.boxes[0]["x1"] == 32
    with world.database.session() as session:
        good = labelling.label_image(session, owner, boxed.id, "good", [])
    assert good.labelled and good.label is None and good.boxes == []  # defect-free, not unlabelled
    with world.database.session() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "vision_image")))
    assert actions == {"vision_image.add", "vision_image.label"}


def test_the_same_image_twice_is_a_conflict_and_good_is_not_a_class(world: World, settings: Settings) -> None:
    owner, dataset_id = new_dataset(world, Task.ANOMALY, ["crack"])
    content = png(surface(1))
    with world.database.session() as session:
        first = datasets.add_image(session, settings, owner, dataset_id, content, label=None, boxes=(), source="review")
    assert first.labelled and first.label is None and first.source is ImageSource.REVIEW
    with world.database.session() as session, pytest.raises(Conflict):
        datasets.add_image(session, settings, owner, dataset_id, content, label="crack", boxes=(), source="review")
    with world.database.session() as session, pytest.raises(InputError) as raised:
        datasets.create_dataset(session, owner, DatasetCreate(name="x", task=Task.ANOMALY, product_code="P",
                                                              classes=["crack", "Good"]))  # fmt: skip
    assert raised.value.fields[0].field == "body.classes.1"
    assert len(stored_files(settings)) == 1


def test_a_caller_s_open_transaction_is_joined(world: World, settings: Settings) -> None:
    """A station's review service adds the corrected image inside its own transaction, which then commits."""
    owner, dataset_id = new_dataset(world, Task.CLASSIFY, ["spots"])
    with world.database.session() as session, session.begin():
        image = datasets.add_image(session, settings, owner, dataset_id, png(spots(4)), label="spots", boxes=(),
                                   source=ImageSource.REVIEW)  # fmt: skip
        assert session.in_transaction()
    assert image_count(world) == 1 and image.id is not None


def version_splits(world: World, version_id: int) -> dict[int, Split]:
    with world.database.session() as session:
        items = session.scalars(select(VisionVersionItem).where(VisionVersionItem.version_id == version_id))
        return {item.image_id: item.split for item in items}


def test_versions_freeze_fixed_stated_splits(world: World, settings: Settings, tmp_path: Path) -> None:
    owner, dataset_id = new_dataset(world, Task.CLASSIFY)
    with world.database.session() as session:
        datasets.import_folder(session, settings, owner, dataset_id, class_folder(tmp_path / "plant", per_class=20))

    def make(seed: int) -> VisionDatasetVersion:
        return within(
            world, lambda session: versions.create_version(session, owner, dataset_id, VersionCreate(seed=seed))
        )

    first, second, other = make(7), make(7), make(8)
    assert (first.number, second.number, other.number) == (1, 2, 3)
    assert first.counts == {"train": {"spots": 14, "stripes": 14}, "validation": {"spots": 3, "stripes": 3},
                            "test": {"spots": 3, "stripes": 3}}  # fmt: skip
    assert (first.seed, first.validation_share, first.test_share) == (7, 0.15, 0.15)
    assert version_splits(world, first.id) == version_splits(world, second.id)
    assert version_splits(world, first.id) != version_splits(world, other.id)

    # Relabelling an image later changes no version: each froze its labels.
    image_id = next(iter(version_splits(world, first.id)))
    with world.database.session() as session:
        before = session.get(VisionVersionItem, (first.id, image_id))
        assert before is not None
        label = before.label
    with world.database.session() as session:
        labelling.label_image(session, owner, image_id, "stripes" if label == "spots" else "spots", ())
    with world.database.session() as session:
        item = session.get(VisionVersionItem, (first.id, image_id))
        assert item is not None and item.label == label


def test_an_empty_class_stops_a_version(world: World, settings: Settings) -> None:
    owner, dataset_id = new_dataset(world, Task.CLASSIFY, ["spots", "stripes", "dents"])
    with world.database.session() as session, pytest.raises(InputError) as raised:
        versions.create_version(session, owner, dataset_id, VersionCreate())
    assert raised.value.fields[0].field == "dataset"
    for seed in range(3):
        for label, image in (("spots", spots(seed)), ("stripes", stripes(seed))):
            with world.database.session() as session:
                datasets.add_image(session, settings, owner, dataset_id, png(image), label=label, boxes=(),
                                   source="upload")  # fmt: skip
    with world.database.session() as session, pytest.raises(InputError) as raised:
        versions.create_version(session, owner, dataset_id, VersionCreate())
    assert [problem.field for problem in raised.value.fields] == ["classes.dents"]


def test_anomaly_versions_test_on_every_defect_image(world: World, settings: Settings, tmp_path: Path) -> None:
    owner, dataset_id = new_dataset(world, Task.ANOMALY)
    with world.database.session() as session:
        datasets.import_folder(session, settings, owner, dataset_id, anomaly_folder(tmp_path / "mt", 20, 5))
    version = within(world, lambda session: versions.create_version(session, owner, dataset_id, VersionCreate()))
    assert version.counts == {"train": {"good": 14}, "validation": {"good": 3}, "test": {"Spot": 5, "good": 3}}


def test_other_tenants_and_roles_are_kept_out(world: World, settings: Settings) -> None:
    _owner, dataset_id = new_dataset(world, Task.CLASSIFY, ["spots"])
    stranger = principal(world.user(Role.ENTERPRISE))
    with world.database.session() as session, pytest.raises(NotFound):
        datasets.add_image(session, settings, stranger, dataset_id, png(spots(1)), label="spots", boxes=(),
                           source="upload")  # fmt: skip
    with world.database.session() as session, pytest.raises(NotFound):
        versions.create_version(session, stranger, dataset_id, VersionCreate())
    assert within(world, lambda session: datasets.list_datasets(session, stranger)) == []
    for role in (Role.CONSUMER, Role.OFFICER, Role.PLATFORM):
        with world.database.session() as session, pytest.raises(PermissionDenied):
            datasets.list_datasets(session, principal(world.user(role)))
    admin = principal(world.user(Role.ADMIN))
    assert [row.id for row in within(world, lambda session: datasets.list_datasets(session, admin))] == [dataset_id]
    assert image_count(world) == 0 and stored_files(settings) == []


def test_deleting_a_dataset_removes_its_files_but_not_shared_ones(world: World, settings: Settings) -> None:
    owner, first_id = new_dataset(world, Task.CLASSIFY, ["spots"], name="a")
    data = DatasetCreate(name="b", task=Task.CLASSIFY, product_code="P", classes=["spots"])
    second_id = within(world, lambda session: datasets.create_dataset(session, owner, data)).id
    shared, own = png(spots(1)), png(spots(2))
    for dataset_id, content in ((first_id, shared), (second_id, shared), (first_id, own)):
        with world.database.session() as session:
            datasets.add_image(session, settings, owner, dataset_id, content, label="spots", boxes=(), source="upload")
    assert len(stored_files(settings)) == 2
    within(world, lambda session: datasets.delete_dataset(session, settings, owner, first_id))
    assert image_count(world) == 1 and len(stored_files(settings)) == 1

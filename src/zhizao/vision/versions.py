"""Dataset versions: the labelled images frozen with their labels into fixed, stated train / validation / test splits.

The splits are ``splits.three_way`` over the images in id order, stratified by label, with the version's seed and
shares: the same images, labels, seed and shares give the same splits on every machine. In an anomaly dataset the
models train on defect-free images only, so only those are split three ways; every defect image goes to test (the
usual protocol: train on part of the good images, test on the rest and on all defect images).

A class of the dataset without a labelled image refuses the version (a model could never learn or be tested on it).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem, InputError
from zhizao.vision import access, splits
from zhizao.vision.labelling import GOOD
from zhizao.vision.models import Split, VisionDatasetVersion, VisionImage, VisionVersionItem
from zhizao.vision.schemas import VersionCreate
from zhizao.vision.types import Task


def assign_splits(
    task: Task, labels: list[str | None], seed: int, validation_share: float, test_share: float
) -> list[Split]:
    """The split of each image (labels in image order; None: defect-free)."""
    result = [Split.TEST] * len(labels)
    if task is Task.ANOMALY:
        members = [index for index, label in enumerate(labels) if label is None]
    else:
        members = list(range(len(labels)))
    train, validation, _test = splits.three_way(
        [labels[index] for index in members], validation_share, test_share, seed
    )
    for position in train:
        result[members[position]] = Split.TRAIN
    for position in validation:
        result[members[position]] = Split.VALIDATION
    return result


def create_version(session: Session, actor: Principal, dataset_id: int, data: VersionCreate) -> VisionDatasetVersion:
    with session.begin():
        dataset = access.get_dataset(session, actor, dataset_id, lock=True)
        images = list(
            session.scalars(
                select(VisionImage)
                .where(VisionImage.dataset_id == dataset.id, VisionImage.labelled.is_(True))
                .order_by(VisionImage.id)
            )
        )
        labels = [image.label for image in images]
        box_labels = {str(box["label"]) for image in images for box in image.boxes}
        _check_classes(dataset.task, dataset.classes, labels, box_labels)
        chosen = assign_splits(dataset.task, labels, data.seed, data.validation_share, data.test_share)
        counts: dict[str, Counter[str]] = {split.value: Counter() for split in Split}
        for label, split in zip(labels, chosen, strict=True):
            counts[split.value][GOOD if label is None else label] += 1
        latest = session.scalar(
            select(func.max(VisionDatasetVersion.number)).where(VisionDatasetVersion.dataset_id == dataset.id)
        )
        version = VisionDatasetVersion(
            dataset_id=dataset.id, number=(latest or 0) + 1, seed=data.seed,
            validation_share=data.validation_share, test_share=data.test_share, classes=list(dataset.classes),
            counts={split: dict(sorted(counter.items())) for split, counter in counts.items()},
            created_by=actor.user_id,
        )  # fmt: skip
        session.add(version)
        session.flush()
        session.add_all(
            VisionVersionItem(
                version_id=version.id, image_id=image.id, split=split, label=image.label, boxes=list(image.boxes)
            )
            for image, split in zip(images, chosen, strict=True)
        )
        audit.record(
            session, actor, action="vision_version.create", entity_type="vision_dataset_version",
            entity_id=version.id, organisation_id=dataset.organisation_id,
            after={"dataset_id": dataset.id, "number": version.number, "seed": version.seed,
                   "validation_share": version.validation_share, "test_share": version.test_share,
                   "counts": version.counts},
        )  # fmt: skip
    return version


def _check_classes(task: Task, classes: list[str], labels: list[str | None], box_labels: set[str]) -> None:
    if not labels:
        raise InputError.for_field("dataset", "no labelled images: label some before making a version")
    present = Counter(labels)
    # A detect class is present when any box has it (an image's main class is only one of its boxes' classes).
    empty = [name for name in classes if not (name in box_labels if task is Task.DETECT else present[name])]
    problems = [FieldProblem(f"classes.{name}", f"class {name!r} has no labelled image") for name in empty]
    if task is Task.ANOMALY and not present[None]:  # anomaly models learn from defect-free images only
        problems.append(FieldProblem(f"classes.{GOOD}", "no labelled defect-free image to train on"))
    if problems:
        raise InputError(f"{problems[0].message}; an empty class stops the version", fields=problems)


def versions_of(session: Session, dataset_id: int) -> list[VisionDatasetVersion]:
    query = select(VisionDatasetVersion).where(VisionDatasetVersion.dataset_id == dataset_id)
    return list(session.scalars(query.order_by(VisionDatasetVersion.number)))


def items_of(session: Session, version_id: int, split: Split | None = None) -> list[VisionVersionItem]:
    query = select(VisionVersionItem).where(VisionVersionItem.version_id == version_id)
    if split is not None:
        query = query.where(VisionVersionItem.split == split)
    return list(session.scalars(query.order_by(VisionVersionItem.image_id)))

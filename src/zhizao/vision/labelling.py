"""Labels: what each task's label means (see ``models``), checking one against its dataset and image, labelling an
image, and the next image that still needs a label.

A label naming a class the dataset does not have, or a box reaching outside its image, is refused naming the field;
"good" stands for a defect-free image in detect and anomaly datasets (there it cannot be a class name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.db.base import utcnow
from zhizao.errors import FieldProblem, InputError
from zhizao.vision import access
from zhizao.vision.models import VisionDataset, VisionImage
from zhizao.vision.types import Box, Task

GOOD = "good"  # a defect-free image (detect, anomaly); in a classify dataset, an ordinary class name


@dataclass(frozen=True, slots=True)
class Label:
    """A checked label, as stored on the image."""

    label: str | None
    boxes: list[dict[str, Any]]


def box_json(box: Box) -> dict[str, Any]:
    return {"x0": box.x0, "y0": box.y0, "x1": box.x1, "y1": box.y1, "label": box.label}


def box_of(data: dict[str, Any]) -> Box:
    return Box(int(data["x0"]), int(data["y0"]), int(data["x1"]), int(data["y1"]), str(data["label"]))


def check_classes(task: Task, names: Sequence[str], field: str) -> list[str]:
    """A dataset's class names: stripped, distinct, sorted; "good" is reserved outside classify."""
    problems: list[FieldProblem] = []
    cleaned: list[str] = []
    for index, name in enumerate(names):
        text = name.strip()
        if not text:
            problems.append(FieldProblem(f"{field}.{index}", "a class needs a name"))
        elif task is not Task.CLASSIFY and text.casefold() == GOOD:
            problems.append(FieldProblem(f"{field}.{index}", f"{GOOD!r} means a defect-free image, not a class"))
        elif text in cleaned:
            problems.append(FieldProblem(f"{field}.{index}", f"class {text!r} is named twice"))
        else:
            cleaned.append(text)
    if problems:
        raise InputError(problems[0].message, fields=problems)
    return sorted(cleaned)


def check_label(
    dataset: VisionDataset, label: str | None, boxes: Sequence[Box], size: tuple[int, int], field: str = "body"
) -> Label:
    """The label to store for an image of ``size`` (width, height), or InputError naming the field at fault."""
    classes = set(dataset.classes)
    if dataset.task is Task.CLASSIFY:
        if boxes:
            raise InputError.for_field(f"{field}.boxes", "a classify dataset labels images by class, without boxes")
        if label is None:
            raise InputError.for_field(f"{field}.label", "choose the image's class")
        if label not in classes:
            raise InputError.for_field(f"{field}.label", _unknown(label, dataset))
        return Label(label, [])
    if dataset.task is Task.ANOMALY:
        if boxes:
            raise InputError.for_field(f"{field}.boxes", "an anomaly dataset labels images good or by defect class")
        if label is None or label == GOOD:
            return Label(None, [])
        if label not in classes:
            raise InputError.for_field(f"{field}.label", _unknown(label, dataset))
        return Label(label, [])
    if label is not None and label != GOOD and label not in classes:
        raise InputError.for_field(f"{field}.label", _unknown(label, dataset))
    if label is not None and label != GOOD and not boxes:
        raise InputError.for_field(f"{field}.boxes", f"an image of class {label!r} needs its boxes (or label it good)")
    width, height = size
    problems: list[FieldProblem] = []
    for index, box in enumerate(boxes):
        where = f"{field}.boxes.{index}"
        if box.label not in classes:
            problems.append(FieldProblem(f"{where}.label", _unknown(box.label, dataset)))
        if not (0 <= box.x0 < box.x1 <= width and 0 <= box.y0 < box.y1 <= height):
            problems.append(FieldProblem(where, f"box ({box.x0}, {box.y0})–({box.x1}, {box.y1}) is empty or "
                                         f"reaches outside the {width} × {height} image"))  # fmt: skip
    if problems:
        raise InputError(problems[0].message, fields=problems)
    # The image's main class (most boxes; ties: the first name) stratifies the splits; no box: defect-free.
    main = Counter(box.label for box in boxes).most_common()
    chosen = min((name for name, count in main if count == main[0][1]), default=None)
    return Label(chosen, [box_json(box) for box in boxes])


def _unknown(label: str, dataset: VisionDataset) -> str:
    known = ", ".join(dataset.classes) or "none yet"
    return f"class {label!r} is not a class of dataset {dataset.name!r} (classes: {known})"


def label_image(
    session: Session, actor: Principal, image_id: int, label: str | None, boxes: Sequence[Box]
) -> VisionImage:
    """Label (or relabel) one image; versions already made keep the label they froze."""
    with session.begin():
        image, dataset = access.get_image(session, actor, image_id)
        checked = check_label(dataset, label, boxes, (image.width, image.height))
        before = {"labelled": image.labelled, "label": image.label, "boxes": image.boxes}
        image.labelled, image.label, image.boxes = True, checked.label, checked.boxes
        image.labelled_at, image.labelled_by = utcnow(), actor.user_id
        audit.record(
            session, actor, action="vision_image.label", entity_type="vision_image", entity_id=image.id,
            organisation_id=dataset.organisation_id, before=before,
            after={"labelled": True, "label": checked.label, "boxes": checked.boxes},
        )  # fmt: skip
    return image


def next_unlabelled(session: Session, dataset_id: int, after_id: int = 0) -> VisionImage | None:
    """The first unlabelled image after ``after_id`` (wrapping round to the first one)."""
    query = select(VisionImage).where(VisionImage.dataset_id == dataset_id, VisionImage.labelled.is_(False))
    found = session.scalars(query.where(VisionImage.id > after_id).order_by(VisionImage.id).limit(1)).first()
    return found or session.scalars(query.order_by(VisionImage.id).limit(1)).first()

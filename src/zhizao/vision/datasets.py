"""Inspection datasets: creating and changing them, adding images (uploads, reviewed station images) and importing a
folder laid out like the public benchmarks (``folders``), all or nothing.

An import or an upload of several files decodes and checks every image first; any bad file (corrupt, colour, too
big, a label the dataset cannot take) stops it with one InputError that lists every such file, and nothing is
stored. The files are written before the rows commit and removed again if the commit fails (``storage.Staged``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.settings import Settings
from zhizao.vision import access, folders, labelling, storage
from zhizao.vision.models import ImageSource, VisionDataset, VisionDatasetVersion, VisionImage, VisionModel
from zhizao.vision.schemas import DatasetCreate, DatasetUpdate
from zhizao.vision.types import Box, LabelledImage, Task

MAX_IMPORT_PROBLEMS = 50  # listed in one error; a folder with more bad files is reported by its first ones


@dataclass(frozen=True, slots=True)
class Incoming:
    """One image to add: its bytes (or the file to read them from, when it is checked), the name it came with, the
    field errors name, and its label."""

    content: bytes
    name: str | None
    field: str
    labelled: bool
    label: str | None = None
    boxes: tuple[Box, ...] = ()
    path: Path | None = None  # a folder import reads each file only when it checks it: memory stays bounded


@dataclass(frozen=True, slots=True)
class AddResult:
    added: list[VisionImage]
    duplicates: int  # images the dataset held already (same pixels), not added twice
    classes: list[str]


def _snapshot(dataset: VisionDataset) -> dict[str, object]:
    return {"name": dataset.name, "task": dataset.task.value, "product_code": dataset.product_code,
            "classes": list(dataset.classes)}  # fmt: skip


def _organisation_for(session: Session, actor: Principal, requested: int | None) -> int:
    if actor.role == Role.ADMIN:
        if requested is None:
            raise InputError.for_field("body.organisation_id", "name the enterprise the dataset belongs to")
        organisation = session.get(Organisation, requested)
        if organisation is None or organisation.kind != OrganisationKind.ENTERPRISE:
            raise InputError.for_field("body.organisation_id", f"{requested} is not an enterprise")
        return organisation.id
    if actor.organisation_id is None or requested not in (None, actor.organisation_id):
        raise InputError.for_field("body.organisation_id", "datasets belong to your own enterprise")
    return actor.organisation_id


def list_datasets(session: Session, actor: Principal, organisation_id: int | None = None) -> list[VisionDataset]:
    access.require_manager(actor)
    query = select(VisionDataset).order_by(VisionDataset.id)
    if actor.role != Role.ADMIN:
        query = query.where(VisionDataset.organisation_id == actor.organisation_id)
    elif organisation_id is not None:
        query = query.where(VisionDataset.organisation_id == organisation_id)
    return list(session.scalars(query.limit(500)))


def create_dataset(session: Session, actor: Principal, data: DatasetCreate) -> VisionDataset:
    access.require_manager(actor)
    with session.begin():
        organisation_id = _organisation_for(session, actor, data.organisation_id)
        _free_name(session, organisation_id, data.name)
        dataset = VisionDataset(
            organisation_id=organisation_id, name=data.name.strip(), task=data.task,
            product_code=data.product_code.strip(), created_by=actor.user_id,
            classes=labelling.check_classes(data.task, data.classes, "body.classes"),
        )  # fmt: skip
        session.add(dataset)
        session.flush()
        audit.record(
            session, actor, action="vision_dataset.create", entity_type="vision_dataset", entity_id=dataset.id,
            organisation_id=organisation_id, after=_snapshot(dataset),
        )  # fmt: skip
    return dataset


def _free_name(session: Session, organisation_id: int, name: str, but: int | None = None) -> None:
    query = select(VisionDataset.id).where(
        VisionDataset.organisation_id == organisation_id, VisionDataset.name == name.strip()
    )
    taken = session.scalar(query)
    if taken is not None and taken != but:
        raise Conflict(f"a dataset named {name.strip()!r} exists already (id {taken})",
                       fields=[FieldProblem("body.name", "taken by another dataset of this enterprise")])  # fmt: skip


def _used_classes(session: Session, dataset_id: int) -> set[str]:
    labels = session.scalars(select(VisionImage.label).where(VisionImage.dataset_id == dataset_id).distinct())
    used = {label for label in labels if label is not None}
    for boxes in session.scalars(select(VisionImage.boxes).where(VisionImage.dataset_id == dataset_id)):
        used.update(str(box["label"]) for box in boxes)
    return used


def update_dataset(session: Session, actor: Principal, dataset_id: int, data: DatasetUpdate) -> VisionDataset:
    with session.begin():
        dataset = access.get_dataset(session, actor, dataset_id, lock=True)
        before = _snapshot(dataset)
        if data.name is not None:
            _free_name(session, dataset.organisation_id, data.name, but=dataset.id)
            dataset.name = data.name.strip()
        if data.product_code is not None:
            dataset.product_code = data.product_code.strip()
        if data.classes is not None:
            classes = labelling.check_classes(dataset.task, data.classes, "body.classes")
            still_used = sorted(_used_classes(session, dataset.id) - set(classes))
            if still_used:
                raise InputError.for_field("body.classes", f"images are labelled {', '.join(still_used)}: "
                                           "relabel them before removing the class")  # fmt: skip
            dataset.classes = classes
        audit.record(
            session, actor, action="vision_dataset.update", entity_type="vision_dataset", entity_id=dataset.id,
            organisation_id=dataset.organisation_id, before=before, after=_snapshot(dataset),
        )  # fmt: skip
    return dataset


def delete_dataset(session: Session, settings: Settings, actor: Principal, dataset_id: int) -> None:
    """Delete a dataset with its images and versions; refused while a model trained from it exists."""
    with session.begin():
        dataset = access.get_dataset(session, actor, dataset_id, lock=True)
        if session.scalar(select(VisionModel.id).where(VisionModel.dataset_id == dataset.id).limit(1)):
            raise Conflict(f"models were trained from dataset {dataset_id}; it is kept for them")
        paths = set(session.scalars(select(VisionImage.path).where(VisionImage.dataset_id == dataset.id)))
        versions = select(VisionDatasetVersion).where(VisionDatasetVersion.dataset_id == dataset.id)
        for version in session.scalars(versions):
            session.delete(version)  # its items first: they refer to the images
        session.flush()
        for image in session.scalars(select(VisionImage).where(VisionImage.dataset_id == dataset.id)):
            session.delete(image)
        session.flush()
        session.delete(dataset)
        audit.record(
            session, actor, action="vision_dataset.delete", entity_type="vision_dataset", entity_id=dataset_id,
            organisation_id=dataset.organisation_id, before=_snapshot(dataset),
        )  # fmt: skip
    elsewhere = set(session.scalars(select(VisionImage.path).where(VisionImage.path.in_(paths)))) if paths else set()
    session.rollback()
    storage.remove_unused(settings.data_dir, paths - elsewhere)


def counts(session: Session, dataset_id: int) -> tuple[int, int, dict[str, int]]:
    """(images, labelled images, labelled images per class) — "good" counts the defect-free ones."""
    rows = session.execute(
        select(VisionImage.labelled, VisionImage.label, func.count())
        .where(VisionImage.dataset_id == dataset_id)
        .group_by(VisionImage.labelled, VisionImage.label)
    ).all()
    total = sum(count for _labelled, _label, count in rows)
    labelled = sum(count for is_labelled, _label, count in rows if is_labelled)
    per_class: dict[str, int] = {}
    for is_labelled, label, count in rows:
        if is_labelled:
            key = labelling.GOOD if label is None else label
            per_class[key] = per_class.get(key, 0) + count
    return total, labelled, per_class


def add_image(
    session: Session, settings: Settings, actor: Principal, dataset_id: int, content: bytes, *,
    label: str | None, boxes: Sequence[Box], source: ImageSource | str, labelled: bool = True,
    original_name: str | None = None, field: str = "body.file",
) -> VisionImage:  # fmt: skip
    """Add one image with its label (``labelled=False``: to be labelled later; ``label`` None in a detect or anomaly
    dataset: defect-free). Opens and commits its own transaction, or joins the caller's open one (the caller then
    commits; a file this wrote stays unreferenced if that commit fails). The same image twice is a Conflict."""
    incoming = Incoming(content, original_name, field, labelled, label, tuple(boxes))
    result = _add(
        session, settings, actor, dataset_id, [incoming], ImageSource(source), extend_classes=False,
        refuse_duplicates=True,
    )  # fmt: skip
    return result.added[0]


def add_images(
    session: Session, settings: Settings, actor: Principal, dataset_id: int, incoming: Sequence[Incoming],
    source: ImageSource = ImageSource.UPLOAD,
) -> AddResult:  # fmt: skip
    """Add several images, all or nothing; images the dataset holds already are skipped and counted."""
    return _add(session, settings, actor, dataset_id, incoming, source, extend_classes=False)


def import_folder(session: Session, settings: Settings, actor: Principal, dataset_id: int, root: Path) -> AddResult:
    """Import a folder by the dataset's task (class folders; with Pascal-VOC boxes; a good folder and defect
    folders); its classes join the dataset's. All or nothing."""
    with session.begin():
        task = access.get_dataset(session, actor, dataset_id).task
    read = {Task.CLASSIFY: folders.read_classes, Task.DETECT: folders.read_boxes, Task.ANOMALY: folders.read_anomaly}
    found = read[task](root)
    incoming = [_from_folder(root, item) for item in found]
    return _add(session, settings, actor, dataset_id, incoming, ImageSource.IMPORT, extend_classes=True)


def _from_folder(root: Path, item: LabelledImage) -> Incoming:
    name = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else str(item.path)
    return Incoming(b"", name, name, True, item.label, item.boxes, item.path)


def _add(
    session: Session, settings: Settings, actor: Principal, dataset_id: int, incoming: Sequence[Incoming],
    source: ImageSource, *, extend_classes: bool, refuse_duplicates: bool = False,
) -> AddResult:  # fmt: skip
    joined = session.in_transaction()
    with _transaction(session, joined):
        access.get_dataset(session, actor, dataset_id)  # another tenant's dataset: 404 before any work
    staged = storage.Staged(settings.data_dir)
    try:
        prepared, problems = _prepare_all(incoming, staged)
        with _transaction(session, joined):
            dataset = access.get_dataset(session, actor, dataset_id, lock=True)
            before_classes = list(dataset.classes)
            if extend_classes:
                _extend_classes(dataset, incoming)
            held = set(session.scalars(select(VisionImage.sha256).where(VisionImage.dataset_id == dataset.id)))
            rows, duplicates = _rows(dataset, actor, source, prepared, held, problems)
            if problems:
                shown = problems[:MAX_IMPORT_PROBLEMS]
                listed = f" (the first {len(shown)} listed)" if len(problems) > len(shown) else ""
                raise InputError(f"{len(problems)} image(s) cannot be used{listed}; nothing was stored", fields=shown)
            if refuse_duplicates and duplicates:
                field = incoming[0].field if incoming else "body.file"
                raise Conflict("this image is in the dataset already",
                               fields=[FieldProblem(field, "already in the dataset")])  # fmt: skip
            session.add_all(rows)
            session.flush()
            _audit(session, actor, dataset, rows, duplicates, source, before_classes)
    except IntegrityError as error:  # the same image added by another request at the same moment
        staged.discard(_still_used(session, staged))
        raise Conflict(f"another change to dataset {dataset_id} happened at the same time; try again") from error
    except BaseException:
        staged.discard(_still_used(session, staged))
        raise
    return AddResult(rows, duplicates, list(dataset.classes))


def _prepare_all(
    incoming: Sequence[Incoming], staged: storage.Staged
) -> tuple[list[tuple[Incoming, storage.PreparedImage]], list[FieldProblem]]:
    """Decode and check every image; each good one is written at once (so that a large import never holds all its
    images in memory) and only its hash and size kept; the caller discards the files when anything fails."""
    prepared: list[tuple[Incoming, storage.PreparedImage]] = []
    problems: list[FieldProblem] = []
    for item in incoming:
        try:
            image, _grey = storage.prepare(_content(item), item.field)
        except InputError as error:
            problems.extend(error.fields or [FieldProblem(item.field, error.message)])
            continue
        if not problems:  # once anything failed nothing will be kept: only the checks go on
            staged.write(image)
        prepared.append((item, replace(image, content=b"")))
    return prepared, problems


def _content(item: Incoming) -> bytes:
    if item.path is None:
        return item.content
    try:
        return item.path.read_bytes()
    except OSError as error:
        raise InputError.for_field(item.field, f"cannot read the file ({error.strerror})") from None


@contextmanager
def _transaction(session: Session, joined: bool) -> Iterator[None]:
    """The caller's open transaction (the caller commits), or one of our own."""
    if joined:
        yield
        return
    with session.begin():
        yield


def _still_used(session: Session, staged: storage.Staged) -> set[str]:
    """Of the files just written, those a committed row names (another dataset wrote the same file meanwhile)."""
    if not staged.written:
        return set()
    names = [path.relative_to(staged.data_dir).as_posix() for path in staged.written]
    with Session(session.get_bind()) as probe:
        return set(probe.scalars(select(VisionImage.path).where(VisionImage.path.in_(names))))


def _extend_classes(dataset: VisionDataset, incoming: Sequence[Incoming]) -> None:
    names = {item.label for item in incoming if item.label is not None and dataset.task is not Task.DETECT}
    names |= {box.label for item in incoming for box in item.boxes}
    names -= {labelling.GOOD} if dataset.task is not Task.CLASSIFY else set()
    if names - set(dataset.classes):
        dataset.classes = labelling.check_classes(dataset.task, sorted(set(dataset.classes) | names), "classes")


def _rows(
    dataset: VisionDataset, actor: Principal, source: ImageSource,
    prepared: Sequence[tuple[Incoming, storage.PreparedImage]], held: set[str], problems: list[FieldProblem],
) -> tuple[list[VisionImage], int]:  # fmt: skip
    rows: list[VisionImage] = []
    first_of: dict[str, Incoming] = {}
    duplicates = 0
    now = utcnow()
    for item, image in prepared:
        label: labelling.Label | None = None
        if item.labelled:
            try:
                label = labelling.check_label(dataset, item.label, item.boxes, (image.width, image.height), item.field)
            except InputError as error:
                problems.extend(error.fields)
                continue
        earlier = first_of.get(image.sha256)
        if earlier is not None:  # the same pixels twice in one import: fine once, an error with two labels
            if (earlier.label, earlier.boxes) != (item.label, item.boxes):
                problems.append(FieldProblem(item.field, f"the same image as {earlier.name} with another label"))
            duplicates += 1
            continue
        first_of[image.sha256] = item
        if image.sha256 in held:
            duplicates += 1
            continue
        rows.append(VisionImage(
            dataset_id=dataset.id, sha256=image.sha256, path=image.relative_path, width=image.width,
            height=image.height, original_name=(item.name or "")[:255] or None, labelled=label is not None,
            label=label.label if label else None, boxes=label.boxes if label else [], source=source,
            created_by=actor.user_id, labelled_at=now if label else None,
            labelled_by=actor.user_id if label else None,
        ))  # fmt: skip
    return rows, duplicates


def _audit(
    session: Session, actor: Principal, dataset: VisionDataset, rows: Sequence[VisionImage], duplicates: int,
    source: ImageSource, before_classes: list[str],
) -> None:  # fmt: skip
    if len(rows) == 1 and source is not ImageSource.IMPORT:
        image = rows[0]
        audit.record(
            session, actor, action="vision_image.add", entity_type="vision_image", entity_id=image.id,
            organisation_id=dataset.organisation_id, after={"dataset_id": dataset.id, "sha256": image.sha256,
            "source": source.value, "labelled": image.labelled, "label": image.label, "boxes": image.boxes},
        )  # fmt: skip
        return
    if not rows and not duplicates:
        return
    audit.record(
        session, actor, action=f"vision_dataset.{'import' if source is ImageSource.IMPORT else 'upload'}",
        entity_type="vision_dataset", entity_id=dataset.id, organisation_id=dataset.organisation_id,
        before={"classes": before_classes},
        after={"added": len(rows), "duplicates": duplicates, "classes": list(dataset.classes),
               "image_ids": [row.id for row in rows][:1000]},
    )  # fmt: skip

"""Dataset pages (``/vision/datasets``): the list with a form for a new dataset; a dataset's counts per class and
per split of each version, uploads, classes, versions and training; the labelling page (the image, its class, boxes
drawn with the mouse, then the next unlabelled image). Every change goes through the services the API uses, so the
checks are the same; what the user got wrong is shown on the page, never as an error page."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.errors import FieldProblem, InputError, NotFound
from zhizao.fields import IdPath, NoNul
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render
from zhizao.vision import access, datasets, labelling, training, versions
from zhizao.vision.api_models import TrainingQueueDep
from zhizao.vision.images import MAX_IMAGE_BYTES
from zhizao.vision.models import VisionDataset, VisionImage, VisionModel
from zhizao.vision.schemas import DatasetCreate, DatasetUpdate, VersionCreate
from zhizao.vision.splits import DEFAULT_SEED
from zhizao.vision.types import Box, Task

router = APIRouter(include_in_schema=False)
BASE = "/vision/datasets"
MANAGERS = frozenset({Role.ENTERPRISE.value, Role.ADMIN.value})
NAV = (
    NavItem(N_("Inspection datasets"), BASE, roles=MANAGERS, order=292),
    NavItem(N_("Inspection models"), "/vision/models", roles=MANAGERS, order=293),
)
TASK_LABELS = {Task.CLASSIFY: N_("Defect classification"), Task.DETECT: N_("Defect detection (boxes)"),
               Task.ANOMALY: N_("Anomaly detection (trained on good images)")}  # fmt: skip

Manager = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Field = Annotated[str | None, Form(max_length=1000), NoNul]
LongField = Annotated[str | None, Form(max_length=100_000), NoNul]  # the boxes of one image, as JSON


def _names(text: str | None) -> list[str]:
    """Class names typed into one field, separated by commas (either width) or new lines."""
    for separator in ("，", "\n", "、"):
        text = (text or "").replace(separator, ",")
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def _list_page(
    request: Request, session: Session, principal: Principal, values: dict[str, Any], problems: list[FieldProblem]
) -> Response:
    rows = datasets.list_datasets(session, principal)
    summaries = {row.id: datasets.counts(session, row.id) for row in rows}
    enterprises = []
    if principal.role == Role.ADMIN:
        query = select(Organisation).where(Organisation.kind == OrganisationKind.ENTERPRISE).order_by(Organisation.name)
        enterprises = list(session.scalars(query.limit(1000)))
    context = {"datasets": rows, "summaries": summaries, "values": values, "problems": problems,
               "tasks": TASK_LABELS, "enterprises": enterprises}  # fmt: skip
    return render(request, "vision/datasets.html", context, status_code=422 if problems else 200)


@router.get(BASE)
def dataset_list(request: Request, principal: Manager, session: SessionDep) -> Response:
    return _list_page(request, session, principal, {}, [])


@router.post(BASE)
def create_dataset(
    request: Request, principal: Manager, session: SessionDep, name: Field = None, task: Field = None,
    product_code: Field = None, classes: Field = None, organisation_id: Field = None,
) -> Response:  # fmt: skip
    values = {"name": name, "task": task, "product_code": product_code, "classes": classes,
              "organisation_id": organisation_id}  # fmt: skip

    def create() -> VisionDataset:
        data = DatasetCreate.model_validate({
            "name": name or "", "task": task or "", "product_code": product_code or "", "classes": _names(classes),
            "organisation_id": optional_int(organisation_id),
        })  # fmt: skip
        return datasets.create_dataset(session, principal, data)

    created, problems = attempt(create)
    if created is not None:
        return RedirectResponse(f"{BASE}/{created.id}", status_code=303)
    session.rollback()
    return _list_page(request, session, principal, values, problems)


def _detail(
    request: Request, session: Session, principal: Principal, dataset_id: int, problems: list[FieldProblem],
    values: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    dataset = access.get_dataset(session, principal, dataset_id)
    total, labelled, per_class = datasets.counts(session, dataset.id)
    rows = versions.versions_of(session, dataset.id)
    models = session.scalars(select(VisionModel).where(VisionModel.dataset_id == dataset.id)).all()
    trained = {version.id: sum(model.dataset_version_id == version.id for model in models) for version in rows}
    splits = ("train", "validation", "test")
    columns = sorted({name for row in rows for split in splits for name in row.counts.get(split, {})})
    context = {
        "dataset": dataset, "total": total, "labelled": labelled, "per_class": per_class, "versions": rows,
        "trained": trained, "splits": splits, "columns": columns, "problems": problems, "values": values or {},
        "tasks": TASK_LABELS, "models": len(models), "default_seed": DEFAULT_SEED, "good": labelling.GOOD,
        "class_list": [*dataset.classes, *([labelling.GOOD] if dataset.task is not Task.CLASSIFY else [])],
    }  # fmt: skip
    return render(request, "vision/dataset.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/{dataset_id}")
def dataset_detail(request: Request, dataset_id: IdPath, principal: Manager, session: SessionDep) -> Response:
    return _detail(request, session, principal, dataset_id, [])


@router.post(BASE + "/{dataset_id}/upload")
def upload(
    request: Request, dataset_id: IdPath, principal: Manager, session: SessionDep, settings: SettingsDep,
    files: Annotated[list[UploadFile] | None, File()] = None, label: Field = None,
) -> Response:  # fmt: skip
    def add() -> datasets.AddResult:
        with session.begin():
            access.get_dataset(session, principal, dataset_id)  # 404 before the files are read
        if not files:
            raise InputError.for_field("files", "choose one or more images")
        chosen = (label or "").strip() or None
        incoming = [datasets.Incoming(file.file.read(MAX_IMAGE_BYTES + 1), file.filename or None,
                                      file.filename or f"files.{index}", chosen is not None, chosen)
                    for index, file in enumerate(files)]  # fmt: skip
        return datasets.add_images(session, settings, principal, dataset_id, incoming)

    added, problems = attempt(add)
    if added is not None:
        target = f"{BASE}/{dataset_id}/label" if added.added and label in (None, "") else f"{BASE}/{dataset_id}"
        return RedirectResponse(target, status_code=303)
    session.rollback()
    return _detail(request, session, principal, dataset_id, problems, {"label": label})


@router.post(BASE + "/{dataset_id}/classes")
def add_classes(
    request: Request, dataset_id: IdPath, principal: Manager, session: SessionDep, classes: Field = None
) -> Response:
    def change() -> VisionDataset:
        with session.begin():
            current = list(access.get_dataset(session, principal, dataset_id).classes)
        data = DatasetUpdate(classes=[*current, *(name for name in _names(classes) if name not in current)])
        return datasets.update_dataset(session, principal, dataset_id, data)

    changed, problems = attempt(change)
    if changed is not None:
        return RedirectResponse(f"{BASE}/{dataset_id}", status_code=303)
    session.rollback()
    return _detail(request, session, principal, dataset_id, problems, {"classes": classes})


@router.post(BASE + "/{dataset_id}/versions")
def create_version(
    request: Request, dataset_id: IdPath, principal: Manager, session: SessionDep, seed: Field = None
) -> Response:
    def make() -> object:
        chosen = optional_int(seed)
        data = VersionCreate.model_validate({"seed": DEFAULT_SEED if chosen is None else chosen})
        return versions.create_version(session, principal, dataset_id, data)

    made, problems = attempt(make)
    if made is not None:
        return RedirectResponse(f"{BASE}/{dataset_id}", status_code=303)
    session.rollback()
    return _detail(request, session, principal, dataset_id, problems, {"seed": seed})


@router.post("/vision/versions/{version_id}/train")
def train(
    request: Request, version_id: IdPath, principal: Manager, session: SessionDep, trainer: TrainingQueueDep,
    learned_maps: Field = None,
) -> Response:  # fmt: skip
    """Queue a training; the comparison page shows it queued, running, then with its figures."""
    with session.begin():
        dataset_id = access.get_version(session, principal, version_id)[1].id
    options = training.TrainingOptions(learned_maps=bool(learned_maps))
    model, problems = attempt(lambda: training.queue_training(session, principal, version_id, options))
    if model is not None:
        trainer.submit(model.id, principal)
        return RedirectResponse(f"{BASE}/{dataset_id}/models", status_code=303)
    session.rollback()
    return _detail(request, session, principal, dataset_id, problems)


def _label_page(
    request: Request, session: Session, principal: Principal, dataset_id: int, image_id: int | None,
    problems: list[FieldProblem], after: int = 0,
) -> Response:  # fmt: skip
    dataset = access.get_dataset(session, principal, dataset_id)
    image: VisionImage | None
    if image_id is not None:
        image, owner = access.get_image(session, principal, image_id)
        if owner.id != dataset.id:
            raise NotFound(f"image {image_id} is not in dataset {dataset.id}")
    else:
        image = labelling.next_unlabelled(session, dataset.id, after)
    total, labelled, _per_class = datasets.counts(session, dataset.id)
    context = {"dataset": dataset, "image": image, "problems": problems, "total": total, "labelled": labelled,
               "good": labelling.GOOD, "tasks": TASK_LABELS}  # fmt: skip
    return render(request, "vision/label.html", context, status_code=422 if problems else 200)


@router.get(BASE + "/{dataset_id}/label")
def label_page(
    request: Request, dataset_id: IdPath, principal: Manager, session: SessionDep, image: str = "", after: str = ""
) -> Response:
    """The image named by ``image`` (an id), else the first unlabelled one after ``after`` (Skip)."""
    chosen, skipped = optional_int(image), optional_int(after)
    return _label_page(request, session, principal, dataset_id, chosen if chosen and chosen > 0 else None, [],
                       skipped if skipped and skipped > 0 else 0)  # fmt: skip


def _boxes(text: str | None) -> list[Box]:
    """The boxes the labelling page's canvas sends: ``[{"x0", "y0", "x1", "y1", "label"}, …]`` in image pixels."""
    if not text or not text.strip():
        return []
    try:
        data = json.loads(text)
        if not isinstance(data, list) or len(data) > 200:
            raise ValueError("a list of at most 200 boxes")
        return [Box(_pixel(item["x0"]), _pixel(item["y0"]), _pixel(item["x1"]), _pixel(item["y1"]),
                    str(item["label"]).strip()[:100]) for item in data]  # fmt: skip
    except (ValueError, TypeError, KeyError) as error:
        raise InputError.for_field("boxes", f"not a list of boxes ({error})") from None


def _pixel(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100_000:
        raise ValueError(f"{value!r} is not a pixel position")
    return round(value)


@router.post("/vision/images/{image_id}/label")
def save_label(
    request: Request, image_id: IdPath, principal: Manager, session: SessionDep, label: Field = None,
    boxes: LongField = None,
) -> Response:  # fmt: skip
    """Save the label, then on to the next unlabelled image."""
    with session.begin():
        dataset_id = access.get_image(session, principal, image_id)[1].id
    chosen = (label or "").strip() or None
    # "No defect: good" clears the boxes drawn; anything else keeps them.
    saved, problems = attempt(lambda: labelling.label_image(
        session, principal, image_id, chosen, [] if chosen == labelling.GOOD else _boxes(boxes)))  # fmt: skip
    if saved is not None:
        with session.begin():
            following = labelling.next_unlabelled(session, dataset_id, image_id)
        query = f"?image={following.id}" if following is not None else ""
        return RedirectResponse(f"{BASE}/{dataset_id}/label{query}", status_code=303)
    session.rollback()
    return _label_page(request, session, principal, dataset_id, image_id, problems)

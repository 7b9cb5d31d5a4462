"""The review queue: a quality engineer confirms or corrects a station's verdicts.

Awaiting review: every unreviewed inspection that is a defect or anomalous, or whose confidence is below
``REVIEW_CONFIDENCE`` — the least sure first (then the newest). Enterprise users of the station's enterprise (its
quality engineers) and administrators review; officers may read the queue; another tenant's inspection is 404.

A review states the verdict (kind and class). The same as the model's is a confirmation; anything else is a
correction. Either is audited. A correction
- moves the unit between good and scrap when it changes what the inspection counts as (a count correction:
  ``inspection.correct_count``, whose module note says how and why) and recomputes production's totals of that
  day in the same transaction, and
- feeds the next dataset version: the image joins the dataset the station's model was trained from
  (``datasets.add_image(..., source="review")``) labelled as the reviewer said, in the same transaction (an image
  the dataset holds already is relabelled instead). A defect in a detect dataset needs boxes, and a defect without
  a class in an anomaly dataset needs one: such images join unlabelled, for the labelling page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.db.base import utcnow
from zhizao.errors import InputError, NotFound
from zhizao.fields import MAX_ID
from zhizao.production import materialise
from zhizao.settings import Settings
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.vision import datasets, inspection, labelling, stations, storage
from zhizao.vision.models import ImageSource, VisionDataset, VisionImage, VisionModel
from zhizao.vision.station_models import VisionInspection
from zhizao.vision.station_schemas import ReviewIn
from zhizao.vision.types import Task, VerdictKind

REVIEW_CONFIDENCE = 0.8
PASS_CLASSES = frozenset({"good", "ok", "free"})
REVIEW_FIELDS = ("reviewed_kind", "reviewed_label", "review_note", "counted_as")


def awaiting_review(
    session: Session,
    actor: Principal,
    *,
    station_id: int | None = None,
    defects_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[VisionInspection]:
    stations.require_roles(actor, stations.READERS)
    query = select(VisionInspection).where(VisionInspection.reviewed_at.is_(None))
    if not actor.sees_all_tenants:
        query = query.where(VisionInspection.organisation_id == actor.organisation_id)
    if station_id is not None:
        query = query.where(VisionInspection.station_id == stations.get_station(session, actor, station_id).id)
    uncertain = VisionInspection.confidence < REVIEW_CONFIDENCE
    flagged = VisionInspection.verdict_kind != VerdictKind.PASS
    query = query.where(flagged if defects_only else or_(flagged, uncertain))
    order = (VisionInspection.confidence, VisionInspection.id.desc())
    return session.scalars(query.order_by(*order).offset(offset).limit(limit)).all()


def get_inspection(session: Session, actor: Principal, inspection_id: int, *, manage: bool = False) -> VisionInspection:
    """The inspection if the caller may read (``manage``: review) its station's; another tenant's: 404."""
    stations.require_roles(actor, stations.MANAGERS if manage else stations.READERS)
    found = session.get(VisionInspection, inspection_id) if 0 < inspection_id <= MAX_ID else None
    if found is None or not actor.may_access_tenant(found.organisation_id):
        raise NotFound(f"inspection {inspection_id} not found")
    return found


def review(
    session: Session, settings: Settings, store: TelemetryStore, actor: Principal, inspection_id: int, data: ReviewIn
) -> VisionInspection:
    """Confirm or correct one verdict (see the module's note)."""
    with session.begin():
        found = get_inspection(session, actor, inspection_id, manage=True)
        session.refresh(found, with_for_update=True)
        model = session.get(VisionModel, found.model_id) if found.model_id else None
        label = _checked_label(data, model)
        before = audit.snapshot(found, REVIEW_FIELDS)
        model_label = None if found.verdict_kind is VerdictKind.PASS else found.label
        corrected = (data.kind, label) != (found.verdict_kind, model_label)
        moved = inspection.correct_count(session, found.station_id, found, inspection.count_of(data.kind))
        if moved is not None:  # the day's stored totals show the reviewed verdict at once
            equipment = session.get(Equipment, moved.equipment_id)
            assert equipment is not None  # correct_count found it
            materialise.recompute_around(session, store, equipment, moved.ts_us)
        found.reviewed_kind, found.reviewed_label = data.kind, label
        found.review_note = (data.note or "").strip() or None
        found.reviewed_by, found.reviewed_at = actor.user_id, utcnow()
        fed = _feed_dataset(session, settings, actor, found, model, data.kind, label) if corrected else None
        audit.record(
            session, actor, action="vision_inspection.correct" if corrected else "vision_inspection.confirm",
            entity_type="vision_inspection", entity_id=found.id, organisation_id=found.organisation_id,
            before={**before, "verdict_kind": found.verdict_kind.value, "label": found.label},
            after={**audit.snapshot(found, REVIEW_FIELDS), **(fed or {})},
        )  # fmt: skip
    return found


def _checked_label(data: ReviewIn, model: VisionModel | None) -> str | None:
    label = (data.label or "").strip() or None
    if data.kind is VerdictKind.PASS:
        if label is not None and label.casefold() not in PASS_CLASSES:
            raise InputError.for_field("body.label", "a pass has no defect class")
        return None
    if data.kind is VerdictKind.DEFECT and label is None:
        raise InputError.for_field("body.label", "name the defect class")
    known = [name for name in (model.classes if model else []) if name.casefold() not in PASS_CLASSES]
    if label is not None and known and label not in known:
        raise InputError.for_field("body.label", f"class {label!r} is not a class of the model ({', '.join(known)})")
    return label


def _feed_dataset(
    session: Session,
    settings: Settings,
    actor: Principal,
    found: VisionInspection,
    model: VisionModel | None,
    kind: VerdictKind,
    label: str | None,
) -> dict[str, Any] | None:
    """Put the reviewed image into the model's dataset, labelled as reviewed; what was done, for the audit."""
    dataset = session.get(VisionDataset, model.dataset_id) if model is not None else None
    if dataset is None:
        return None
    labelled, label_for_dataset = _dataset_label(dataset, kind, label)
    content = inspection.stored_file(settings.data_dir, found.image_path).read_bytes()
    prepared, _grey = storage.prepare(content, "image")
    held = session.scalars(
        select(VisionImage).where(VisionImage.dataset_id == dataset.id, VisionImage.sha256 == prepared.sha256)
    ).first()
    if held is not None:  # reviewed before (or imported): relabel the image the dataset holds
        if labelled:
            checked = labelling.check_label(dataset, label_for_dataset, (), (held.width, held.height), "body")
            held.labelled, held.label, held.boxes = True, checked.label, checked.boxes
            held.labelled_at, held.labelled_by = utcnow(), actor.user_id
        return {"dataset_id": dataset.id, "dataset_image_id": held.id, "relabelled": labelled}
    added = datasets.add_image(
        session, settings, actor, dataset.id, content, label=label_for_dataset, boxes=(),
        source=ImageSource.REVIEW, labelled=labelled, original_name=f"inspection-{found.id}.png", field="body",
    )  # fmt: skip
    return {"dataset_id": dataset.id, "dataset_image_id": added.id, "labelled": labelled}


def _dataset_label(dataset: VisionDataset, kind: VerdictKind, label: str | None) -> tuple[bool, str | None]:
    """(labelled, label) of the reviewed image in a dataset of the dataset's task."""
    if kind is VerdictKind.PASS:
        if dataset.task is Task.CLASSIFY:
            passing = [name for name in dataset.classes if name.casefold() in PASS_CLASSES]
            if not passing:
                raise InputError.for_field("body.kind", f"dataset {dataset.name} has no pass class (good, ok, free)")
            return True, passing[0]
        return True, None
    if dataset.task is Task.DETECT or label is None:
        return False, None  # boxes (detect) or a class (anomaly) still to be drawn or chosen on the labelling page
    return True, label

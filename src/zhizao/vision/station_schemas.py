"""Pydantic schemas of the inspection-station API: stations, inspections, reviews, rejections, quality figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from zhizao.fields import IdField, Text
from zhizao.vision.station_models import CountedAs, InspectionSource, SourceKind
from zhizao.vision.types import VerdictKind

Name = Annotated[Text, Field(min_length=1, max_length=100)]
ProductCode = Annotated[Text, Field(min_length=1, max_length=64)]
FolderName = Annotated[Text, Field(min_length=1, max_length=200)]
Topic = Annotated[Text, Field(min_length=1, max_length=512)]
Note = Annotated[Text, Field(max_length=2000)]
ClassName = Annotated[Text, Field(min_length=1, max_length=100)]


class StationCreate(BaseModel):
    """``folder``: for folder and mqtt stations, a folder name under ``<data dir>/vision/inbox/<enterprise id>/``;
    ``mqtt_topic``: for mqtt stations (default ``zhizao/v1/<enterprise id>/vision/<station id>/images``)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    equipment_id: IdField
    product_code: ProductCode
    source_kind: SourceKind = SourceKind.UPLOAD
    folder: FolderName | None = None
    mqtt_topic: Topic | None = None
    model_id: IdField | None = None
    organisation_id: IdField | None = None  # administrators name the enterprise; enterprise users act for their own


class StationUpdate(BaseModel):
    """The station stays on its equipment (its counters belong to it); make a new station to move it."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    product_code: ProductCode | None = None
    source_kind: SourceKind | None = None
    folder: FolderName | None = None
    mqtt_topic: Topic | None = None
    active: bool | None = None


class Deployment(BaseModel):
    """``threshold``: the station's own decision threshold for this model (``vision.decision``); none or null
    decides at the model's own. It belongs to the deployment: deploying again without one drops it."""

    model_config = ConfigDict(extra="forbid")

    model_id: IdField | None  # None takes the model off the station
    threshold: Annotated[float, Field(allow_inf_nan=False)] | None = None


class StationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    equipment_id: int
    name: str
    product_code: str
    source_kind: SourceKind
    folder: str | None
    mqtt_topic: str | None
    model_id: int | None
    threshold: float | None
    device_id: int | None
    good_total: int
    scrap_total: int
    active: bool
    has_token: bool
    token_issued_at: datetime | None
    created_at: datetime


class GatewayToken(BaseModel):
    """Shown once: only its SHA-256 is kept."""

    station_id: int
    token: str
    upload_url: str


class BoxRead(BaseModel):
    x0: int
    y0: int
    x1: int
    y1: int
    label: str
    score: float = 1.0
    shown: bool = True  # drawn over the image (``inspection.boxes_json`` says which)


class InspectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    station_id: int
    product_code: str
    source: InspectionSource
    received_at: datetime
    width: int
    height: int
    verdict_kind: VerdictKind
    label: str | None
    score: float
    threshold: float | None
    confidence: float
    boxes: list[BoxRead]
    has_heatmap: bool
    model_id: int | None
    latency_ms: float
    counted_as: CountedAs
    reviewed_kind: VerdictKind | None
    reviewed_label: str | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    review_note: str | None
    image_url: str
    heatmap_url: str | None


class ReviewIn(BaseModel):
    """The reviewer's verdict: the same as the model's confirms it; anything else corrects it. ``label``: the defect
    class (required for a defect; optional for anomalous; none for pass)."""

    model_config = ConfigDict(extra="forbid")

    kind: VerdictKind
    label: ClassName | None = None
    note: Note | None = None


class RejectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    station_id: int
    received_at: datetime
    source: InspectionSource
    reference: str
    reason: str


class ParetoRow(BaseModel):
    label: str
    count: int
    cumulative_share: float  # of all defects in the period, after this class and the ones before it


class TrendRow(BaseModel):
    day: str  # local date, YYYY-MM-DD
    shift: str
    inspected: int
    defects: int
    defect_rate: float | None


class QualityFigures(BaseModel):
    """Defects by class (Pareto) and per day and shift, over verdicts as reviewed (a reviewer's correction counts
    instead of the model's verdict)."""

    product_code: str | None
    start: datetime
    end: datetime
    shifts: list[str]
    shift_source: str  # "calendar: <name>" or "fixed 08–16 / 16–24 / 00–08"
    inspected: int
    defects: int
    pareto: list[ParetoRow]
    trend: list[TrendRow]
    products: list[str]


def box_rows(boxes: list[dict[str, Any]]) -> list[BoxRead]:
    return [BoxRead.model_validate(box) for box in boxes]

"""Pydantic schemas of the vision data API: datasets, images and their labels, versions, trained models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from zhizao.fields import IdField, Text
from zhizao.vision.models import ImageSource, TrainingStatus
from zhizao.vision.splits import DEFAULT_SEED
from zhizao.vision.types import Task

Name = Annotated[Text, Field(min_length=1, max_length=100)]
ProductCode = Annotated[Text, Field(min_length=1, max_length=64)]
ClassName = Annotated[Text, Field(min_length=1, max_length=100)]
Classes = Annotated[list[ClassName], Field(max_length=100)]
Pixel = Annotated[int, Field(ge=0, le=100_000)]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1)]
SplitShare = Annotated[float, Field(ge=0.05, le=0.4)]


class DatasetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    task: Task
    product_code: ProductCode
    classes: Classes = Field(default_factory=list)
    organisation_id: IdField | None = None  # administrators name the enterprise; enterprise users act for their own


class DatasetUpdate(BaseModel):
    """Rename, change the product, or add classes (a class images use cannot be removed)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    product_code: ProductCode | None = None
    classes: Classes | None = None


class DatasetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    name: str
    task: Task
    product_code: str
    classes: list[str]
    created_at: datetime


class ClassCount(BaseModel):
    label: str  # a class, or "good" for the defect-free images of a detect or anomaly dataset
    images: int


class DatasetDetail(DatasetRead):
    images: int
    labelled: int
    unlabelled: int
    per_class: list[ClassCount]
    versions: list[VersionRead]


class BoxIn(BaseModel):
    """A box in pixels of the image, half-open: ``x0 <= x < x1``, ``y0 <= y < y1``."""

    model_config = ConfigDict(extra="forbid")

    x0: Pixel
    y0: Pixel
    x1: Pixel
    y1: Pixel
    label: ClassName


class LabelIn(BaseModel):
    """classify: ``label`` is a class; detect: ``boxes`` (none: defect-free); anomaly: ``label`` null or "good" for
    a defect-free image, else its defect class."""

    model_config = ConfigDict(extra="forbid")

    label: ClassName | None = None
    boxes: Annotated[list[BoxIn], Field(max_length=200)] = Field(default_factory=list)


class ImageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    sha256: str
    width: int
    height: int
    original_name: str | None
    labelled: bool
    label: str | None
    boxes: list[dict[str, Any]]
    source: ImageSource
    created_at: datetime


class ImagePage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ImageRead]


class VersionCreate(BaseModel):
    """The splits are fixed by the seed and the shares (stated on the version): the same images, labels, seed and
    shares always give the same splits."""

    model_config = ConfigDict(extra="forbid")

    seed: Seed = DEFAULT_SEED
    validation_share: SplitShare = 0.15
    test_share: SplitShare = 0.15


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset_id: int
    number: int
    seed: int
    validation_share: float
    test_share: float
    classes: list[str]
    counts: dict[str, dict[str, int]]
    created_at: datetime


class VersionItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    image_id: int
    split: str
    label: str | None
    boxes: list[dict[str, Any]]


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    dataset_id: int
    dataset_version_id: int
    task: Task
    product_code: str
    classes: list[str]
    number: int
    algorithm: str | None
    options: dict[str, Any]
    status: TrainingStatus
    error: str | None
    metrics: dict[str, Any]
    train_seconds: float | None
    latency_ms: float | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime


class TrainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version_id: IdField
    learned_maps: bool = Field(
        default=False,
        description="Detection only: add the class maps of two small networks trained from scratch "
        "(needs PyTorch on the server; about doubles the training time).",
    )


DatasetDetail.model_rebuild()

"""Vision data on the platform side: datasets of inspection images, their labels, frozen dataset versions with
fixed train / validation / test splits, and the registry of models trained from a version.

Images themselves live in the data directory (``storage``), content-addressed; a row holds only the relative path.
Labels depend on the dataset's task, and ``labelled`` says whether anyone has labelled an image at all, so that
"defect-free" and "not looked at yet" never share one value:

- classify: ``label`` is one of the dataset's classes (a class named good/ok/free is the pass class);
- detect: ``boxes`` (each with a class) are the label; ``label`` is the image's main class (stratifies the splits),
  None when the image has no boxes (defect-free);
- anomaly: ``label`` None is a defect-free image, else its defect class.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.vision.types import Task


class ImageSource(StrEnum):
    IMPORT = "import"  # read from a folder by the CLI
    UPLOAD = "upload"  # sent through the API or the labelling pages
    REVIEW = "review"  # a quality engineer's reviewed verdict at a station


class Split(StrEnum):
    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


class TrainingStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class VisionDataset(Base):
    """A tenant's images of one product for one task, with the classes its labels may use."""

    __tablename__ = "vision_dataset"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_vision_dataset_organisation_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    task: Mapped[Task] = mapped_column(str_enum(Task, "vision_task", length=16))
    product_code: Mapped[str] = mapped_column(String(64))  # the product whose images these are
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)  # sorted; defect classes (and good, classify)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class VisionImage(Base):
    """One image of a dataset: where its file is, its size and its label (see the module's note on labels)."""

    __tablename__ = "vision_image"
    __table_args__ = (
        UniqueConstraint("dataset_id", "sha256", name="uq_vision_image_dataset_sha256"),
        Index("ix_vision_image_dataset_labelled", "dataset_id", "labelled"),
        CheckConstraint("width > 0 AND height > 0", name="positive_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("vision_dataset.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored PNG: the file's name
    path: Mapped[str] = mapped_column(String(120))  # relative to the data dir: vision/images/ab/ab….png
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str | None] = mapped_column(String(255))  # the file name it came with, for people
    labelled: Mapped[bool] = mapped_column(default=False)
    label: Mapped[str | None] = mapped_column(String(100))
    # ``[{"x0", "y0", "x1", "y1", "label"}]`` in pixels, half-open (``types.Box``); detect datasets only.
    boxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[ImageSource] = mapped_column(str_enum(ImageSource, "vision_image_source", length=16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    labelled_at: Mapped[datetime | None]
    labelled_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class VisionDatasetVersion(Base):
    """A frozen set of labelled images with fixed splits (``splits.three_way`` with ``seed`` and the shares)."""

    __tablename__ = "vision_dataset_version"
    __table_args__ = (UniqueConstraint("dataset_id", "number", name="uq_vision_dataset_version_dataset_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("vision_dataset.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per dataset
    seed: Mapped[int] = mapped_column(Integer)
    validation_share: Mapped[float] = mapped_column(Float)
    test_share: Mapped[float] = mapped_column(Float)
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)  # the dataset's classes when frozen
    # ``{"train": {"<class>": n, …}, "validation": {…}, "test": {…}}``; the good images of an anomaly or detect
    # dataset count under "good".
    counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class VisionVersionItem(Base):
    """One image in a version, its split, and its label as it was when the version was made (relabelling the
    image later does not change a version, nor the evaluation of a model trained from it)."""

    __tablename__ = "vision_version_item"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("vision_dataset_version.id", ondelete="CASCADE"), primary_key=True
    )
    image_id: Mapped[int] = mapped_column(ForeignKey("vision_image.id", ondelete="RESTRICT"), primary_key=True)
    split: Mapped[Split] = mapped_column(str_enum(Split, "vision_split", length=16))
    label: Mapped[str | None] = mapped_column(String(100))
    boxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class VisionModel(Base):
    """A model trained from one dataset version: queued, running, then done (with its folder, metrics, training
    time and latency) or failed (with the error). ``number`` counts the dataset's models: 1, 2, …"""

    __tablename__ = "vision_model"
    __table_args__ = (UniqueConstraint("dataset_id", "number", name="uq_vision_model_dataset_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("vision_dataset.id", ondelete="RESTRICT"), index=True)
    dataset_version_id: Mapped[int] = mapped_column(
        ForeignKey("vision_dataset_version.id", ondelete="RESTRICT"), index=True
    )
    task: Mapped[Task] = mapped_column(str_enum(Task, "vision_model_task", length=16))
    product_code: Mapped[str] = mapped_column(String(64))
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)  # the version's classes
    number: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str | None] = mapped_column(String(400))  # the trained model's algorithm, once trained
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # training options asked for: learned_maps
    status: Mapped[TrainingStatus] = mapped_column(
        str_enum(TrainingStatus, "vision_training_status", length=16), default=TrainingStatus.QUEUED
    )
    error: Mapped[str | None] = mapped_column(Text)  # why training failed
    # classify: accuracy, recall_per_class; detect: map50, ap_per_class; anomaly: image_auroc or pass_rate, …
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    train_seconds: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)  # mean inference time per test image
    path: Mapped[str | None] = mapped_column(String(120))  # relative to the data dir: vision/models/<id>
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))

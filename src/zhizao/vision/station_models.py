"""Inspection stations, the inspections they make, and the images they turned away.

A station belongs to one enterprise and one piece of equipment, inspects one product with the model deployed to it,
and counts every verdict into that equipment's good and scrap counters (``inspection``). Images and heat maps live
in the data directory (content-addressed, ``inspection.IMAGE_DIR``); a row holds only their relative paths.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.ui.i18n import N_
from zhizao.vision.types import VerdictKind


class SourceKind(StrEnum):
    """Where a station's images come from (an upload through the API or the page always works as well)."""

    UPLOAD = "upload"  # users and camera gateways send images over HTTP
    FOLDER = "folder"  # the station watches a folder of the data directory's inbox
    MQTT = "mqtt"  # messages on a topic name image files in the station's folder


class InspectionSource(StrEnum):
    """How one image reached its station."""

    UPLOAD = "upload"  # a signed-in user
    GATEWAY = "gateway"  # a camera gateway with the station's token
    FOLDER = "folder"
    MQTT = "mqtt"


class CountedAs(StrEnum):
    GOOD = "good"
    SCRAP = "scrap"


SOURCE_KIND_LABELS: dict[str, str] = {
    SourceKind.UPLOAD: N_("HTTP upload"),
    SourceKind.FOLDER: N_("Folder watch"),
    SourceKind.MQTT: N_("MQTT topic"),
}
VERDICT_LABELS: dict[str, str] = {
    VerdictKind.PASS: N_("Pass"),
    VerdictKind.DEFECT: N_("Defect"),
    VerdictKind.ANOMALOUS: N_("Anomalous"),
}


class VisionStation(Base):
    """An inspection station: equipment, product, image source, deployed model, gateway token, running counts."""

    __tablename__ = "vision_station"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_vision_station_organisation_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    product_code: Mapped[str] = mapped_column(String(64))
    source_kind: Mapped[SourceKind] = mapped_column(str_enum(SourceKind, "vision_source_kind", length=16))
    # folder and mqtt: the station's folder, relative to <data dir>/vision/inbox/<organisation id>/
    folder: Mapped[str | None] = mapped_column(String(200))
    mqtt_topic: Mapped[str | None] = mapped_column(String(512), index=True)  # mqtt: the topic naming new images
    model_id: Mapped[int | None] = mapped_column(ForeignKey("vision_model.id", ondelete="SET NULL"), index=True)
    threshold: Mapped[float | None] = mapped_column(Float)  # the station's own for that model (``decision``)
    # The camera gateway's token: SHA-256 only (it carries 256 random bits); shown once when issued.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_issued_at: Mapped[datetime | None]
    # The telemetry device carrying the station's good and scrap counters (bound to ``equipment_id``).
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    # Running totals written as the counters' cumulative readings, and the time of the last reading (µs, UTC), so
    # that readings are strictly increasing in time whatever order the images were taken in.
    good_total: Mapped[int] = mapped_column(BigInteger, default=0)
    scrap_total: Mapped[int] = mapped_column(BigInteger, default=0)
    last_count_us: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VisionInspection(Base):
    """One inspected image: the verdict of the model then deployed, what it was counted as, and any review."""

    __tablename__ = "vision_inspection"
    __table_args__ = (
        Index("ix_vision_inspection_station_received", "station_id", "received_at"),
        Index("ix_vision_inspection_organisation_reviewed", "organisation_id", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("vision_station.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    product_code: Mapped[str] = mapped_column(String(64))  # the station's product when inspected
    source: Mapped[InspectionSource] = mapped_column(str_enum(InspectionSource, "vision_inspection_source", length=16))
    received_at: Mapped[datetime]  # when the image was taken (the gateway's or message's time), else received
    counted_at_us: Mapped[int] = mapped_column(BigInteger)  # the counter reading's time
    image_path: Mapped[str] = mapped_column(String(200))  # relative to the data dir, content-addressed
    original_name: Mapped[str | None] = mapped_column(String(255))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    verdict_kind: Mapped[VerdictKind] = mapped_column(str_enum(VerdictKind, "vision_verdict_kind", length=16))
    label: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)  # in [0, 1]; the review queue shows the least sure first
    boxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{x0, y0, x1, y1, label, score}]
    heatmap_path: Mapped[str | None] = mapped_column(String(200))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("vision_model.id", ondelete="SET NULL"))
    latency_ms: Mapped[float] = mapped_column(Float)
    counted_as: Mapped[CountedAs] = mapped_column(str_enum(CountedAs, "vision_counted_as", length=16))
    reviewed_kind: Mapped[VerdictKind | None] = mapped_column(str_enum(VerdictKind, "vision_reviewed_kind", length=16))
    reviewed_label: Mapped[str | None] = mapped_column(String(100))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)


class VisionRejection(Base):
    """An image a station could not inspect (corrupt, wrong size or colour, no model, a path outside its folder),
    with the reason; never counted. Uploads are refused to their sender instead and not kept here."""

    __tablename__ = "vision_rejection"
    __table_args__ = (Index("ix_vision_rejection_station_received", "station_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("vision_station.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[InspectionSource] = mapped_column(str_enum(InspectionSource, "vision_rejection_source", length=16))
    reference: Mapped[str] = mapped_column(String(1000))  # the file's name, or the topic of a malformed message
    reason: Mapped[str] = mapped_column(Text)

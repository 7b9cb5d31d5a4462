"""Tables of equipment health and online prediction: the model registry (a health baseline is one kind of model),
its deployments to equipment, health assessments, predictions, maintenance cases and a deployment revision counter.

Artefacts are stored in the database (``MaintenanceModel.artefact``), not as files under the data dir: they travel
with backups and every web replica and ingest worker reads the same bytes; their size is capped (``MAX_ARTEFACT``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.maintenance.health.kinds import CaseState, CaseTrigger, HealthStatus, ModelKind, ModelStatus

MAX_ARTEFACT = 32 * 1024 * 1024


class MaintenanceModel(Base):
    """A registered model version. ``enterprise_id`` None: a platform-wide model (registered by an administrator)
    that any enterprise may deploy; ``equipment_id``: the one piece of equipment a health baseline describes."""

    __tablename__ = "maintenance_model"
    __table_args__ = (UniqueConstraint("enterprise_id", "name", "version", name="uq_maintenance_model_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[ModelKind] = mapped_column(str_enum(ModelKind, "maintenance_model_kind"))
    version: Mapped[int]
    status: Mapped[ModelStatus] = mapped_column(str_enum(ModelStatus, "maintenance_model_status"))
    training_start: Mapped[datetime | None]
    training_end: Mapped[datetime | None]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    signals: Mapped[list[str]] = mapped_column(JSON, default=list)  # the signal names its inputs are
    artefact_format: Mapped[str] = mapped_column(String(80))
    artefact: Mapped[bytes] = mapped_column(LargeBinary)
    artefact_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    retired_by_name: Mapped[str | None] = mapped_column(String(100))


class ModelDeployment(Base):
    """A model applied to one piece of equipment: its signal names bound to that equipment's signal ids. At most one
    active deployment per (equipment, kind): deploying another retires the previous one."""

    __tablename__ = "maintenance_deployment"
    __table_args__ = (Index("ix_maintenance_deployment_active", "equipment_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("maintenance_model.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ModelKind] = mapped_column(str_enum(ModelKind, "maintenance_deployment_kind"))
    signal_map: Mapped[dict[str, int]] = mapped_column(JSON)  # signal name → signal id
    active: Mapped[bool] = mapped_column(default=True)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    deployed_by_name: Mapped[str] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class DeploymentRevision(Base):
    """One row (id 1) counting changes to deployments, so that stream observers reload their cache only then."""

    __tablename__ = "maintenance_deployment_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class HealthAssessment(Base):
    """The health of one equipment over one window, by one baseline deployment. ``drivers``: the signals that drove
    the score ([{signal, contribution, z, value, median}]); ``missing`` / ``out_of_spec``: signal names."""

    __tablename__ = "health_assessment"
    __table_args__ = (
        UniqueConstraint("deployment_id", "window_end_us", name="uq_health_assessment_window"),
        Index("ix_health_assessment_equipment_window", "equipment_id", "window_end_us"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("maintenance_deployment.id", ondelete="CASCADE"))
    window_start_us: Mapped[int] = mapped_column(BigInteger)
    window_end_us: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[HealthStatus] = mapped_column(str_enum(HealthStatus, "health_status"))
    score: Mapped[float | None] = mapped_column(Float)
    d2: Mapped[float | None] = mapped_column(Float)
    drivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    out_of_spec: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Prediction(Base):
    """One output of a deployed model for one window: a value (RUL in hours, a health score, a fault probability)
    with its label and details."""

    __tablename__ = "maintenance_prediction"
    __table_args__ = (
        UniqueConstraint("deployment_id", "window_end_us", name="uq_maintenance_prediction_window"),
        Index("ix_maintenance_prediction_equipment_window", "equipment_id", "window_end_us"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("maintenance_deployment.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(ForeignKey("maintenance_model.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ModelKind] = mapped_column(str_enum(ModelKind, "maintenance_prediction_kind"))
    window_start_us: Mapped[int] = mapped_column(BigInteger)
    window_end_us: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    label: Mapped[str | None] = mapped_column(String(120))
    alert: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MaintenanceCase(Base):
    """A maintenance case: opened once when an equipment's health degrades (or its RUL runs short), kept open
    (its evidence updated) while that lasts, acknowledged, and closed with a resolution — by a user or a work order.
    At most one case per equipment is not closed."""

    __tablename__ = "maintenance_case"
    __table_args__ = (Index("ix_maintenance_case_equipment_state", "equipment_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    state: Mapped[CaseState] = mapped_column(str_enum(CaseState, "maintenance_case_state"), default=CaseState.OPEN)
    trigger: Mapped[CaseTrigger] = mapped_column(str_enum(CaseTrigger, "maintenance_case_trigger"))
    status: Mapped[HealthStatus] = mapped_column(str_enum(HealthStatus, "maintenance_case_status"))
    title: Mapped[str] = mapped_column(String(200))
    failure_mode: Mapped[str] = mapped_column(String(120))  # an English message id (translated where shown)
    recommended_action: Mapped[str] = mapped_column(Text)  # an English message id
    # {drivers: [...], signals: {name: id}, start_us, end_us, score, worst_score, assessments, prediction}
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("health_assessment.id", ondelete="SET NULL"))
    prediction_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_prediction.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)

"""Pydantic schemas of equipment health, the model registry, predictions and cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from zhizao.fields import IdField, Text
from zhizao.maintenance.health.kinds import CaseState, CaseTrigger, HealthStatus, ModelKind, ModelStatus

SignalName = Annotated[Text, Field(min_length=1, max_length=200)]
Comment = Annotated[Text, Field(max_length=2000)]


class BaselineLearn(BaseModel):
    """Learn a baseline from a period the equipment ran normally (ISO 8601 with a time-zone offset)."""

    model_config = ConfigDict(extra="forbid")

    start: datetime
    end: datetime
    signals: list[SignalName] | None = Field(default=None, max_length=50)  # None: every numeric measurement
    deploy: bool = True  # make it the equipment's active baseline at once
    note: Annotated[Text, Field(max_length=500)] | None = None


class ModelCreate(BaseModel):
    """Register a model version; the artefact as base64 (its format names the loader that reads it)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    enterprise_id: IdField | None = None  # None: platform-wide (administrators only)
    name: Annotated[Text, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:/ -]+$")]
    kind: ModelKind
    artefact_format: Annotated[Text, Field(min_length=1, max_length=80)]
    artefact_base64: Annotated[str, Field(min_length=1, max_length=48 * 1024 * 1024)]
    training_start: datetime | None = None
    training_end: datetime | None = None
    metrics: dict[str, float | int | str | None] = Field(default_factory=dict, max_length=50)
    signals: list[SignalName] | None = Field(default=None, max_length=200)  # None: as the artefact names them
    note: Annotated[Text, Field(max_length=500)] | None = None


class DeploymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    equipment_id: IdField


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, protected_namespaces=())

    id: int
    enterprise_id: int | None
    equipment_id: int | None
    name: str
    kind: ModelKind
    version: int
    status: ModelStatus
    training_start: datetime | None
    training_end: datetime | None
    metrics: dict[str, Any]
    signals: list[str]
    artefact_format: str
    artefact_sha256: str
    note: str | None
    created_by_name: str
    created_at: datetime
    retired_at: datetime | None
    retired_by_name: str | None


class DeploymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, protected_namespaces=())

    id: int
    enterprise_id: int
    equipment_id: int
    model_id: int
    kind: ModelKind
    signal_map: dict[str, int]
    active: bool
    deployed_by_name: str
    deployed_at: datetime
    retired_at: datetime | None


class DriverRead(BaseModel):
    signal: str
    signal_id: int | None = None
    contribution: float
    z: float
    value: float
    median: float
    direction: str


class AssessmentRead(BaseModel):
    id: int | None
    equipment_id: int
    deployment_id: int | None
    window_start: datetime | None
    window_end: datetime | None
    status: HealthStatus
    score: float | None
    d2: float | None
    drivers: list[DriverRead]
    missing: list[str]
    out_of_spec: list[str]
    note: str | None = None


class EquipmentHealthRead(BaseModel):
    equipment_id: int
    enterprise_id: int
    code: str
    name: str
    equipment_type: str
    baseline_model_id: int | None
    assessment: AssessmentRead
    open_case_id: int | None


class PredictionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, protected_namespaces=())

    id: int
    equipment_id: int
    deployment_id: int
    model_id: int
    kind: ModelKind
    window_start_us: int
    window_end_us: int
    value: float | None
    unit: str | None
    label: str | None
    alert: bool
    detail: dict[str, Any]
    created_at: datetime


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    equipment_id: int
    state: CaseState
    trigger: CaseTrigger
    status: HealthStatus
    title: str
    failure_mode: str
    recommended_action: str
    evidence: dict[str, Any]
    evidence_chart: str = ""
    assessment_id: int | None
    prediction_id: int | None
    opened_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    comment: str | None
    closed_at: datetime | None
    closed_by: str | None
    resolution: str | None


class CaseAcknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Comment | None = None


class CaseClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Annotated[Text, Field(min_length=1, max_length=2000)]

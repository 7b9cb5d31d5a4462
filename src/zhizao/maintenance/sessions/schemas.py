"""API shapes of remote maintenance: consented equipment, sessions, findings, live data, diagnostics, the report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhizao.connectors.schemas import ConnectorStatusRead, ProbeRead
from zhizao.fields import IdField, NoNul
from zhizao.maintenance.sessions.lifecycle import EndReason, FindingCategory, SessionStatus
from zhizao.maintenance.sessions.quality import Freshness
from zhizao.telemetry.alarms.schemas import AlarmEventRead, AlarmRead
from zhizao.telemetry.commands.schemas import CommandRead, CommandValue
from zhizao.telemetry.kinds import DataType, Protocol, SignalKind

Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul]
FindingText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NoNul]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), NoNul]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MaintainableRead(BaseModel):
    """One piece of equipment the caller may maintain."""

    equipment_id: int
    code: str
    name: str
    equipment_type: str
    enterprise_id: int
    owner_name: str
    consent_id: int | None = Field(description="The owner's consent it is maintained under; null: the owner's staff.")
    consent_expires_at: datetime | None = Field(description="When that consent lapses; null: until revoked.")
    may_command: bool = Field(description="Whether the caller may also send remote commands (remote_command).")
    open_session_id: int | None = Field(description="The caller's open session on it, if any.")


class SessionCreate(_Strict):
    equipment_id: IdField
    purpose: Purpose = Field(description="Why the session is opened (what the owner reported, the planned work).")


class SessionClose(_Strict):
    summary: Summary | None = Field(default=None, description="The closing summary of the findings.")


class SessionEnd(_Strict):
    reason: Reason | None = Field(default=None, description="Why the owner ends the session.")


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    owner_name: str = ""
    equipment_id: int
    equipment_code: str = ""
    equipment_name: str = ""
    operator_id: int
    operator_name: str
    operator_organisation_id: int | None
    operator_organisation_name: str = ""
    consent_id: int | None
    consent_expires_at: datetime | None = None
    purpose: str
    status: SessionStatus
    end_reason: EndReason | None
    summary: str | None
    opened_at: datetime
    ended_at: datetime | None
    ended_by_name: str | None


class SessionPage(BaseModel):
    items: list[SessionRead]
    total: int
    offset: int
    limit: int


class FindingCreate(_Strict):
    category: FindingCategory
    text: FindingText


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: int
    category: FindingCategory
    text: str
    author_name: str
    created_at: datetime


class LiveSignal(BaseModel):
    signal_id: int
    name: str
    unit: str | None
    kind: SignalKind
    data_type: DataType
    writable: bool
    value: float | str | None
    ts: datetime | None
    freshness: Freshness
    age_s: float | None
    stale_after_s: float | None
    stale_limit_assumed: bool


class LiveRead(BaseModel):
    session_id: int
    at: datetime
    signals: list[LiveSignal]


class TrendPoint(BaseModel):
    ts: datetime
    value: float


class TrendRead(BaseModel):
    signal_id: int
    name: str
    unit: str | None
    start: datetime
    end: datetime
    bucket_seconds: int
    points: list[TrendPoint]


class SessionAlarms(BaseModel):
    current: list[AlarmRead]
    history: list[AlarmEventRead]


class ConnectorDiagnosis(BaseModel):
    id: int
    name: str
    protocol: Protocol
    enabled: bool
    points: int = Field(description="Points of this equipment's data sources the connector maps.")
    status: ConnectorStatusRead | None


class DeviceDiagnosis(BaseModel):
    device_id: int
    code: str
    name: str
    protocol: Protocol
    is_active: bool
    last_seen_at: datetime | None
    connectors: list[ConnectorDiagnosis]


class DiagnosticsRead(BaseModel):
    devices: list[DeviceDiagnosis]
    signals: int
    fresh: int
    stale: int
    never: int
    ahead: int
    not_judged: int


class ConnectionTest(BaseModel):
    connector_id: int
    result: ProbeRead


class SessionCommandCreate(_Strict):
    signal_id: IdField = Field(description="A writable data point of the session's equipment.")
    value: CommandValue


class SessionReportRead(BaseModel):
    session: SessionRead
    findings: list[FindingRead]
    commands: list[CommandRead]
    alarms: list[AlarmEventRead]

"""API shapes for the asset model, devices and signals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhizao.fields import IdField, NoNul
from zhizao.telemetry.kinds import DataType, EquipmentType, NodeLevel, Protocol, SignalKind

Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul]
SignalName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), NoNul]
# A signal's engineering range (finite; min < max is checked with the signal: see commands/values.py).
EngineeringLimit = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class NodeCreate(_Strict):
    enterprise_id: IdField | None = Field(default=None, description="Required for administrators; ignored otherwise.")
    parent_id: IdField | None = None
    level: NodeLevel
    code: Code
    name: Name


class NodeUpdate(_Strict):
    name: Name | None = None


class NodeRead(_Read):
    id: int
    enterprise_id: int
    parent_id: int | None
    level: NodeLevel
    code: str
    name: str


class EquipmentCreate(_Strict):
    enterprise_id: IdField | None = None
    node_id: IdField | None = None
    code: Code
    name: Name
    equipment_type: EquipmentType
    manufacturer: ShortText | None = None
    model: ShortText | None = None
    serial_number: ShortText | None = None
    year: int | None = Field(default=None, ge=1950, le=2100)


class EquipmentUpdate(_Strict):
    node_id: IdField | None = None
    name: Name | None = None
    equipment_type: EquipmentType | None = None
    manufacturer: ShortText | None = None
    model: ShortText | None = None
    serial_number: ShortText | None = None
    year: int | None = Field(default=None, ge=1950, le=2100)


class EquipmentRead(_Read):
    id: int
    enterprise_id: int
    node_id: int | None
    code: str
    name: str
    equipment_type: EquipmentType
    manufacturer: str | None
    model: str | None
    serial_number: str | None
    year: int | None


class DeviceCreate(_Strict):
    enterprise_id: IdField | None = None
    equipment_id: IdField | None = None
    code: Code
    name: Name
    protocol: Protocol


class DeviceUpdate(_Strict):
    equipment_id: IdField | None = None
    name: Name | None = None
    is_active: bool | None = None


class DeviceRead(_Read):
    id: int
    enterprise_id: int
    equipment_id: int | None
    code: str
    name: str
    protocol: Protocol
    is_active: bool
    last_seen_at: datetime | None
    has_credential: bool = False


class DeviceCredential(BaseModel):
    device_id: int
    mqtt_username: str
    token: str = Field(description="Shown once. MQTT password and HTTP bearer token of this device.")
    mqtt_topic: str
    http_url: str


class SignalCreate(_Strict):
    device_id: IdField
    equipment_id: IdField | None = None
    name: SignalName
    unit: Unit | None = None
    kind: SignalKind = SignalKind.MEASUREMENT
    data_type: DataType = DataType.FLOAT
    expected_rate_hz: float | None = Field(default=None, gt=0, le=100_000)
    range_min: EngineeringLimit | None = Field(default=None, description="Lowest value a command may set.")
    range_max: EngineeringLimit | None = Field(default=None, description="Highest value a command may set.")
    writable: bool = Field(
        default=False, description="Remote commands may set it (measurement/state, float/int/bool, with a range)."
    )


class SignalUpdate(_Strict):
    equipment_id: IdField | None = None
    unit: Unit | None = None
    kind: SignalKind | None = None
    data_type: DataType | None = None
    expected_rate_hz: float | None = Field(default=None, gt=0, le=100_000)
    range_min: EngineeringLimit | None = None
    range_max: EngineeringLimit | None = None
    writable: bool | None = None


class SignalRead(_Read):
    id: int
    enterprise_id: int
    device_id: int
    equipment_id: int | None
    name: str
    unit: str | None
    kind: SignalKind
    data_type: DataType
    expected_rate_hz: float | None
    range_min: float | None
    range_max: float | None
    writable: bool
    auto_registered: bool


class EquipmentCount(BaseModel):
    equipment_type: EquipmentType
    count: int


class AssetSummary(BaseModel):
    """What the programme reads: equipment per type, robots among them (plan target: 10,000 new robots)."""

    enterprise_id: int | None
    equipment: list[EquipmentCount]
    robots: int
    devices: int
    signals: int


class IngestPolicyRead(_Read):
    enterprise_id: int
    auto_register: bool
    raw_retention_days: int
    event_retention_days: int
    rollup_retention_days: int


class IngestPolicyUpdate(_Strict):
    auto_register: bool | None = Field(default=None, description="Register unknown devices and signals on first sight.")
    raw_retention_days: int | None = Field(default=None, ge=1, le=3650)
    event_retention_days: int | None = Field(default=None, ge=1, le=3650)
    rollup_retention_days: int | None = Field(default=None, ge=1, le=36500)

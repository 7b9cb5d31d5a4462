"""The alarm API's shapes (Pydantic v2). A rule's own fields are the core's ``AlarmRule`` (``rules.py``), validated
by ``parse_rule`` in the service so that every problem names its field (``body.setpoint``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zhizao.fields import IdField, NoNul
from zhizao.telemetry.alarms.state import MAX_SHELVE_S

Comment = Annotated[str, Field(min_length=1, max_length=500), NoNul]


class AlarmRuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    rule_id: str
    kind: str
    signal_id: int
    equipment_id: int | None
    enabled: bool
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class AlarmRead(BaseModel):
    """A rule's current alarm (the active-alarms list)."""

    rule: int
    rule_id: str
    enterprise_id: int
    equipment_id: int | None
    signal_id: int
    state: str
    severity: str
    priority: int
    message: str | None
    value: Any
    changed_at: datetime | None
    activated_at: datetime | None
    shelved_until: datetime | None
    last_user: str | None
    last_comment: str | None


class AlarmCount(BaseModel):
    unacknowledged: int
    active: int
    suppressed: int


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AcknowledgeIn(_Action):
    action: Literal["acknowledge"] = "acknowledge"
    comment: Comment | None = None


class ShelveIn(_Action):
    action: Literal["shelve"] = "shelve"
    duration_s: float = Field(gt=0, le=MAX_SHELVE_S, allow_inf_nan=False)
    reason: Comment


class UnshelveIn(_Action):
    action: Literal["unshelve"] = "unshelve"
    comment: Comment | None = None


class RemoveFromServiceIn(_Action):
    action: Literal["remove_from_service"] = "remove_from_service"
    reason: Comment


class ReturnToServiceIn(_Action):
    action: Literal["return_to_service"] = "return_to_service"
    comment: Comment | None = None


ActionIn = Annotated[
    AcknowledgeIn | ShelveIn | UnshelveIn | RemoveFromServiceIn | ReturnToServiceIn, Field(discriminator="action")
]


class AlarmEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    rule_pk: int | None
    rule_id: str
    equipment_id: int | None
    signal_id: int | None
    event: str
    from_state: str
    to_state: str
    ts_us: int
    value: Any
    severity: str
    priority: int
    message: str
    user: str | None
    comment: str | None
    shelved_until_us: int | None


class AlarmEventPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[AlarmEventRead]


class FloodPosition(BaseModel):
    """One operator position: a production line (or area/cell) of the enterprise, or the enterprise itself for
    alarms of equipment placed nowhere."""

    node_id: int | None
    name: str
    windows: int
    activations: int
    counts: list[int]
    average_per_10_min: float
    max_per_window: int
    flood_windows: int
    flood_share: float
    load: str


class FloodReport(BaseModel):
    enterprise_id: int
    start: datetime
    end: datetime
    window_s: int
    flood_threshold: int
    positions: list[FloodPosition]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// address with a host")
    return value


WebhookUrl = Annotated[str, Field(min_length=8, max_length=500), NoNul, AfterValidator(_http_url)]
Secret = Annotated[str, Field(min_length=16, max_length=200), NoNul]
PriorityLevel = Annotated[int, Field(ge=1, le=4)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: IdField | None = None
    name: Annotated[str, Field(min_length=1, max_length=100), NoNul]
    url: WebhookUrl
    secret: Secret | None = None  # generated when not given; shown once
    min_priority: PriorityLevel = 4  # send events of this priority and more urgent ones (1 urgent … 4 low)
    enabled: bool = True


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100), NoNul] | None = None
    url: WebhookUrl | None = None
    secret: Secret | None = None
    min_priority: PriorityLevel | None = None
    enabled: bool | None = None


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    name: str
    url: str
    min_priority: int
    enabled: bool
    created_at: datetime
    updated_at: datetime
    pending: int = 0
    failed: int = 0
    last_error: str | None = None


class WebhookCreated(WebhookRead):
    secret: str


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    webhook_id: int
    event_id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status_code: int | None
    delivered_at: datetime | None
    created_at: datetime

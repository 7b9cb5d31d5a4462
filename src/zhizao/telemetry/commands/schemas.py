"""API shapes of remote commands, consents and Sparkplug routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhizao.fields import IdField, NoNul
from zhizao.telemetry.commands.models import CommandStatus, ConsentScope

# What a command may set: a number or a bool (JSON true/false stay bools, integers stay integers).
CommandValue = bool | int | float
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul]
EdgeNodeId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_\-.]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CommandCreate(_Strict):
    signal_id: IdField = Field(description="The writable data point to set.")
    equipment_id: IdField | None = Field(default=None, description="When given, the equipment the point must be of.")
    value: CommandValue = Field(description="The new value; within the point's range (range_min … range_max).")


class CommandRead(_Read):
    id: int
    enterprise_id: int
    equipment_id: int
    device_id: int
    signal_id: int
    signal_name: str
    requested_by: int
    requester_name: str
    requester_organisation_id: int | None
    consent_id: int | None
    maintenance_session_id: int | None = None
    channel: str
    value: CommandValue
    old_value: CommandValue | str | None
    old_value_at: datetime | None
    read_back: CommandValue | str | None
    status: CommandStatus
    detail: str | None
    created_at: datetime
    confirm_by: datetime
    confirmed_at: datetime | None
    finished_at: datetime | None


class CommandPage(BaseModel):
    items: list[CommandRead]
    total: int
    offset: int
    limit: int


class ConsentCreate(_Strict):
    grantee_id: IdField = Field(description="The platform-operator organisation given the consent.")
    scope: ConsentScope = ConsentScope.REMOTE_COMMAND
    equipment_id: IdField | None = Field(default=None, description="One piece of equipment; none: all of it.")
    expires_at: datetime | None = Field(default=None, description="When it lapses (with a time zone); none: never.")
    note: Note | None = None


class ConsentRead(_Read):
    id: int
    enterprise_id: int
    grantee_id: int
    scope: ConsentScope
    equipment_id: int | None
    expires_at: datetime | None
    note: str | None
    granted_by: int | None
    granted_at: datetime
    revoked_by: int | None
    revoked_at: datetime | None
    active: bool = False


class SparkplugEdgeUpdate(_Strict):
    edge_node_id: EdgeNodeId | None = Field(
        description="The edge node this device's metrics come through (DCMD); null: the device is an edge node (NCMD)."
    )


class SparkplugEdgeRead(BaseModel):
    device_id: int
    edge_node_id: str | None
    command_topic: str

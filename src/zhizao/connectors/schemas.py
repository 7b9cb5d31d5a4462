"""Request and response bodies of the connector API. A connector's ``settings`` are checked by its protocol's
``settings_model`` in the service (the schema only says they are an object), so that its field errors are named
``body.settings.…``; secrets in them are never sent back (masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhizao.connectors.base import ConnectionState
from zhizao.fields import IdField, NoNul
from zhizao.telemetry.kinds import Protocol

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]


class ConnectorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: IdField | None = None  # administrators name it; an enterprise user's is their own
    name: Name
    protocol: Protocol
    enabled: bool = True
    settings: dict[str, Any]


class ConnectorUpdate(BaseModel):
    """Fields left out are unchanged; in ``settings``, a secret left out or sent masked keeps its stored value."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    enabled: bool | None = None
    settings: dict[str, Any] | None = None


class ConnectorTest(BaseModel):
    """Unsaved settings to try ("test connection" before saving)."""

    model_config = ConfigDict(extra="forbid")

    protocol: Protocol
    settings: dict[str, Any]
    connector_id: IdField | None = None  # a saved connector whose secrets fill in those sent masked


class BadPointRead(BaseModel):
    key: str
    reason: str


class ConnectorStatusRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    state: ConnectionState
    revision: int  # the configuration revision the runtime runs
    last_error: str | None
    last_error_at: datetime | None
    connected_since: datetime | None
    last_data_at: datetime | None
    points_ok: int
    bad_points: list[BadPointRead]
    reconnects: int
    readings: int
    runtime: str | None
    reported_at: datetime
    stale: bool = False  # no report for a while: no runtime runs it (or the one that did has stopped)


class ConnectorRead(BaseModel):
    id: int
    enterprise_id: int
    name: str
    protocol: Protocol
    enabled: bool
    revision: int
    endpoint: str
    settings: dict[str, Any]  # secrets masked
    has_client_certificate: bool = False  # an OPC UA client certificate to download and trust on the server
    created_at: datetime
    updated_at: datetime
    status: ConnectorStatusRead | None = None


class ProbeRead(BaseModel):
    ok: bool
    message: str
    details: list[str] = Field(default_factory=list)
    bad_points: list[BadPointRead] = Field(default_factory=list)


class BrowseNodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    node_id: str
    browse_name: str
    display_name: str
    node_class: str
    data_type: str | None = None
    has_children: bool = False
    writable: bool = False

"""Connector configurations per enterprise and the status their runtime last reported.

A configuration is stored as the JSON of its protocol's ``ConnectorSettings``; ``revision`` grows with every change,
so a running runtime notices a change (and restarts just that connector) by comparing revisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.connectors.base import ConnectionState
from zhizao.db.base import Base, str_enum, utcnow
from zhizao.telemetry.kinds import Protocol


class ConnectorRecord(Base):
    __tablename__ = "connector"
    __table_args__ = (UniqueConstraint("enterprise_id", "name", name="uq_connector_enterprise_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    protocol: Mapped[Protocol] = mapped_column(str_enum(Protocol, "connector_protocol"))
    enabled: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConnectorStatusRecord(Base):
    """The latest status a runtime reported for a connector (one row per connector, overwritten)."""

    __tablename__ = "connector_status"

    connector_id: Mapped[int] = mapped_column(ForeignKey("connector.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[ConnectionState] = mapped_column(str_enum(ConnectionState, "connector_state"))
    revision: Mapped[int]  # the configuration revision the runtime runs
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    connected_since: Mapped[datetime | None]
    last_data_at: Mapped[datetime | None]
    points_ok: Mapped[int] = mapped_column(default=0)
    bad_points: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    reconnects: Mapped[int] = mapped_column(default=0)
    readings: Mapped[int] = mapped_column(default=0)
    runtime: Mapped[str | None] = mapped_column(String(200))  # which process runs it (host:pid)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)

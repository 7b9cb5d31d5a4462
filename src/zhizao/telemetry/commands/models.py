"""Remote commands to equipment, the owners' consents that let platform operators send them, and Sparkplug routes.

A consent is general (``equipment_consent`` with a ``scope``): remote commands use it now; remote maintenance and
capacity sharing are meant to reuse it with scopes of their own.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.ui.i18n import N_


class ConsentScope(StrEnum):
    REMOTE_COMMAND = "remote_command"
    REMOTE_MAINTENANCE = "remote_maintenance"  # remote sessions: live data, alarms, health, diagnostics


CONSENT_SCOPE_LABELS: dict[str, str] = {
    ConsentScope.REMOTE_COMMAND: N_("Remote commands"),
    ConsentScope.REMOTE_MAINTENANCE: N_("Remote maintenance"),
}


class CommandStatus(StrEnum):
    PENDING = "pending"  # prepared, waiting for the same user's confirmation
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # not confirmed within the confirmation window
    SENT = "sent"  # handed over (broker acknowledged the publish); no confirmation awaited
    SUCCEEDED = "succeeded"  # the new value was read back or seen in the stored telemetry
    FAILED = "failed"  # refused by the device or connector, or it could not be reached
    UNCONFIRMED = "unconfirmed"  # sent, but the new value was not seen within the timeout


FINAL_STATUSES = frozenset(CommandStatus) - {CommandStatus.PENDING}

STATUS_LABELS: dict[str, str] = {
    CommandStatus.PENDING: N_("Awaiting confirmation"),
    CommandStatus.CANCELLED: N_("Cancelled"),
    CommandStatus.EXPIRED: N_("Expired"),
    CommandStatus.SENT: N_("Sent"),
    CommandStatus.SUCCEEDED: N_("Succeeded"),
    CommandStatus.FAILED: N_("Failed"),
    CommandStatus.UNCONFIRMED: N_("Not confirmed by the equipment"),
}


class EquipmentConsent(Base):
    """An owner enterprise lets a platform-operator organisation act on one piece of its equipment, or on all of
    it (``equipment_id`` None), for one scope, until ``expires_at`` (None: until revoked)."""

    __tablename__ = "equipment_consent"
    __table_args__ = (Index("ix_equipment_consent_grantee_scope", "grantee_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    grantee_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    scope: Mapped[ConsentScope] = mapped_column(str_enum(ConsentScope, "consent_scope"))
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(500))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]


class Command(Base):
    """One remote command: prepared, confirmed (or cancelled, or left to expire), dispatched, and its result."""

    __tablename__ = "equipment_command"
    __table_args__ = (
        Index("ix_equipment_command_equipment_created", "equipment_id", "created_at"),
        Index("ix_equipment_command_user_created", "requested_by", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)  # the owner
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    signal_id: Mapped[int] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    signal_name: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_consent.id", ondelete="SET NULL"))
    # The remote maintenance session it was sent in (maintenance checks and sets it; no foreign key: telemetry
    # sits below maintenance and knows nothing of its tables).
    maintenance_session_id: Mapped[int | None] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(32))  # the device's protocol at the time
    value: Mapped[Any] = mapped_column(JSON)  # the new value: number or bool
    # The latest stored sample when prepared; replaced by the device's own value when the write read it first.
    old_value: Mapped[Any | None] = mapped_column(JSON)
    old_value_at: Mapped[datetime | None]
    read_back: Mapped[Any | None] = mapped_column(JSON)
    status: Mapped[CommandStatus] = mapped_column(str_enum(CommandStatus, "command_status"), default="pending")
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirm_by: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class SparkplugEdge(Base):
    """The Sparkplug edge node a device's metrics come through (``device_id`` in DCMD); absent: the device is an
    edge node itself (NCMD)."""

    __tablename__ = "sparkplug_edge"

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    edge_node_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

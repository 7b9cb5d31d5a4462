"""Remote maintenance sessions (远程运维会话) and the findings recorded in them.

A session belongs to the enterprise that owns the equipment (``enterprise_id``), is held by one operator (a user of
a platform-operator organisation under the owner's ``remote_maintenance`` consent, or of the owner itself), and
ends closed by that operator, ended by the owner, or lapsed when the consent it relied on was revoked or expired.
Commands sent during a session carry its id (``equipment_command.maintenance_session_id``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.maintenance.sessions.lifecycle import EndReason, FindingCategory, SessionStatus


class MaintenanceSession(Base):
    __tablename__ = "maintenance_session"
    __table_args__ = (
        # One open session per operator and equipment, held by the database too (two tabs, two replicas).
        Index(
            "uq_maintenance_session_open",
            "operator_id",
            "equipment_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_maintenance_session_equipment_opened", "equipment_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)  # the owner
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    operator_name: Mapped[str] = mapped_column(String(200))
    # The operator's organisation: a platform operator's, or the owner's own for its staff.
    operator_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # The owner's consent the session was opened under (None for the owner's own staff).
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_consent.id", ondelete="SET NULL"))
    purpose: Mapped[str] = mapped_column(String(500))
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus, "maintenance_session_status"))
    end_reason: Mapped[EndReason | None] = mapped_column(str_enum(EndReason, "maintenance_session_end_reason"))
    summary: Mapped[str | None] = mapped_column(Text)  # the closing note, or the owner's reason for ending it
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    ended_by_name: Mapped[str | None] = mapped_column(String(200))


class SessionFinding(Base):
    """One timestamped note of a session: an observation, a cause, an action taken or a recommendation."""

    __tablename__ = "maintenance_session_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("maintenance_session.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    category: Mapped[FindingCategory] = mapped_column(str_enum(FindingCategory, "maintenance_finding_category"))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

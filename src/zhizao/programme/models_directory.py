"""Programme tables of the directory area: the integrator directory (系统集成商推荐目录) and the vertical
industrial-internet platforms (垂直行业工业互联网平台) with the enterprises they serve.

An integrator's capability keys are not stored here: ``assessment_integrator`` holds them (the gap roadmap matches
against it), and the directory reads and writes them through assessment's service (docs/programme-directory.md).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.programme.directory import IntegratorStatus
from zhizao.programme.kinds import Industry
from zhizao.programme.models import MONEY


class IntegratorEntry(Base):
    """An integrator's application to the directory and the programme office's decision on it."""

    __tablename__ = "programme_integrator"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[IntegratorStatus] = mapped_column(
        str_enum(IntegratorStatus, "programme_integrator_status"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(300))
    # Contact details are for the programme office only; the public directory never shows them.
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)


class IntegratorRevenue(Base):
    """One year's operating revenue (营业收入) an integrator reports."""

    __tablename__ = "programme_integrator_revenue"

    integrator_id: Mapped[int] = mapped_column(
        ForeignKey("programme_integrator.organisation_id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True)
    revenue_cny: Mapped[Decimal] = mapped_column(MONEY)


class IntegratorIndustry(Base):
    """An industry an integrator serves."""

    __tablename__ = "programme_integrator_industry"

    integrator_id: Mapped[int] = mapped_column(
        ForeignKey("programme_integrator.organisation_id", ondelete="CASCADE"), primary_key=True
    )
    industry: Mapped[Industry] = mapped_column(str_enum(Industry, "programme_industry"), primary_key=True)


class Platform(Base):
    """A vertical industrial-internet platform, run by an organisation of kind platform."""

    __tablename__ = "programme_platform"
    __table_args__ = (UniqueConstraint("operator_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[Industry] = mapped_column(str_enum(Industry, "programme_industry"), index=True)
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(300))
    # What the operator declares; it includes enterprises not registered here (see PlatformClient).
    enterprises_served: Mapped[int] = mapped_column(default=0)
    served_as_of: Mapped[date] = mapped_column(Date)
    # An equipment maker whose capacity-sharing service runs on this platform: the small firms that completed a
    # lease with it are linked as clients automatically (``zhizao.feeds``), so the platform target is measured.
    sharing_owner_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PlatformService(Base):
    """A service a platform offers (remote maintenance, fault prediction, …), in the operator's order."""

    __tablename__ = "programme_platform_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("programme_platform.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)


class PlatformClient(Base):
    """An enterprise registered in zhizao that a platform serves."""

    __tablename__ = "programme_platform_client"

    platform_id: Mapped[int] = mapped_column(ForeignKey("programme_platform.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Core programme tables: editions with their targets, enterprises' programme profiles, parks, factory projects and
each project's timeline. Other programme tables live beside this module in ``models_*.py``.

Money is Decimal CNY (Numeric(16, 2)); an enterprise is an ``organisation`` of kind enterprise, its credit code
and name stay on the organisation, and the programme adds what the programme office needs to know.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.programme.kinds import District, EnterpriseSize, Industry, ProjectStage

MONEY = Numeric(16, 2)


class Edition(Base):
    """A programme edition (e.g. 2020–2022) with its targets and rules, all editable data."""

    __tablename__ = "programme_edition"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # "2020-2022"
    name: Mapped[str] = mapped_column(String(200))
    start_year: Mapped[int]
    end_year: Mapped[int]
    # Validated by ``editions.EditionTargets`` / ``editions.EditionRules`` before they are stored.
    targets: Mapped[dict[str, Any]] = mapped_column(JSON)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_current: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Park(Base):
    """A smart-manufacturing park (智能制造园区) and the district it lies in."""

    __tablename__ = "programme_park"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    district: Mapped[District] = mapped_column(str_enum(District, "programme_district"))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnterpriseRecord(Base):
    """What the programme office records about an enterprise beyond its organisation row."""

    __tablename__ = "programme_enterprise"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    industry: Mapped[Industry] = mapped_column(str_enum(Industry, "programme_industry"), index=True)
    district: Mapped[District] = mapped_column(str_enum(District, "programme_district"), index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("programme_park.id", ondelete="SET NULL"), index=True)
    size: Mapped[EnterpriseSize] = mapped_column(str_enum(EnterpriseSize, "programme_enterprise_size"))
    employees: Mapped[int | None]
    annual_revenue_cny: Mapped[Decimal | None] = mapped_column(MONEY)
    address: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FactoryProject(Base):
    """One enterprise's smart-factory project in one edition, from application to benchmark."""

    __tablename__ = "programme_project"
    __table_args__ = (
        UniqueConstraint("edition_id", "enterprise_id"),
        Index("ix_programme_project_edition_stage", "edition_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("programme_edition.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # Copied from the enterprise at application: the quota a project counts against does not move later.
    industry: Mapped[Industry] = mapped_column(str_enum(Industry, "programme_industry"), index=True)
    stage: Mapped[ProjectStage] = mapped_column(str_enum(ProjectStage, "programme_project_stage"))
    # Evidence gathered on the way (each set by the transition that needs it).
    diagnosis_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="SET NULL"))
    integrator_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    budget_cny: Mapped[Decimal | None] = mapped_column(MONEY)
    robots_planned: Mapped[int] = mapped_column(default=0)
    robots_deployed: Mapped[int] = mapped_column(default=0)
    verification_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_verification.id", ondelete="SET NULL"))
    maturity_level: Mapped[int | None]
    # The case-collection narrative (案例集), written by the enterprise, published once recognised.
    case_title: Mapped[str | None] = mapped_column(String(200))
    case_summary_zh: Mapped[str | None] = mapped_column(Text)
    case_summary_en: Mapped[str | None] = mapped_column(Text)
    applied_on: Mapped[date] = mapped_column(Date)
    recognised_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProjectEvent(Base):
    """One step on a project's timeline: a transition (with its evidence and rationale) or a note."""

    __tablename__ = "programme_project_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("programme_project.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(40))
    from_stage: Mapped[str | None] = mapped_column(String(40))
    to_stage: Mapped[str | None] = mapped_column(String(40))
    rationale: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)

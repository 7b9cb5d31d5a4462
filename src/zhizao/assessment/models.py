"""Assessment tables: the expert pool, enterprise profiles, assessments with their teams, ratings, evidence files and
stored results, and the integrators' capabilities the roadmap matches against.

Ratings refer to requirement ids of the assessment's model version (a published version is never edited). A rating
with ``rater_id`` NULL is the assessment's own: the enterprise's in a self-assessment, the agreed consensus in a
diagnosis; an expert's independent rating carries the expert's user id. Partial unique indexes keep one rating per
item and rater on both backends (NULLs are distinct in an ordinary unique constraint).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.assessment.kinds import EnterpriseType, EvidenceGrade
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.db.base import Base, str_enum, utcnow


class MemberStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ExpertRecord(Base):
    """A member of the expert pool (专家库): a user of role expert, with what the team rules need."""

    __tablename__ = "assessment_expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), unique=True)
    industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    specialities: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Who employs the expert (an enterprise, an integrator, a university); conflicts of interest are read from it.
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    region: Mapped[str | None] = mapped_column(String(40))
    available: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnterpriseProfile(Base):
    """What the assessment rules need to know about an enterprise: its industry, its manufacturing type (which
    items apply and which weights), and the organisations whose staff may not assess it."""

    __tablename__ = "assessment_enterprise_profile"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    industry: Mapped[str] = mapped_column(String(40))
    enterprise_type: Mapped[EnterpriseType] = mapped_column(str_enum(EnterpriseType, "enterprise_type"))
    integrator_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    competitor_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Assessment(Base):
    """One self-assessment or one on-site diagnosis of an enterprise against one model version."""

    __tablename__ = "assessment"
    __table_args__ = (Index("ix_assessment_enterprise_kind", "enterprise_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[AssessmentKind] = mapped_column(str_enum(AssessmentKind, "assessment_kind"))
    model_version: Mapped[str] = mapped_column(String(40))
    # Copied from the profile when the assessment starts, so a later profile change cannot re-scope its items.
    enterprise_type: Mapped[EnterpriseType] = mapped_column(str_enum(EnterpriseType, "assessment_enterprise_type"))
    status: Mapped[AssessmentStatus] = mapped_column(str_enum(AssessmentStatus, "assessment_status"))
    team_size: Mapped[int] = mapped_column(Integer, default=2)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TeamMember(Base):
    """An expert on a diagnosis's team; position 0 is the lead (the expert with the enterprise's industry)."""

    __tablename__ = "assessment_team_member"
    __table_args__ = (UniqueConstraint("assessment_id", "expert_id", name="uq_assessment_team_member_expert"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("assessment_expert.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[MemberStatus] = mapped_column(str_enum(MemberStatus, "team_member_status"))
    responded_at: Mapped[datetime | None]


class RatingRecord(Base):
    __tablename__ = "assessment_rating"
    __table_args__ = (
        Index(
            "uq_assessment_rating_own",
            "assessment_id",
            "item_id",
            unique=True,
            sqlite_where=text("rater_id IS NULL"),
            postgresql_where=text("rater_id IS NULL"),
        ),
        Index(
            "uq_assessment_rating_expert",
            "assessment_id",
            "rater_id",
            "item_id",
            unique=True,
            sqlite_where=text("rater_id IS NOT NULL"),
            postgresql_where=text("rater_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[float | None] = mapped_column(Float)  # NULL: marked not applicable
    not_applicable: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    evidence_grade: Mapped[EvidenceGrade] = mapped_column(str_enum(EvidenceGrade, "evidence_grade"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EvidenceFile(Base):
    """An uploaded evidence file; the bytes live under ``<data dir>/evidence/<assessment id>/<stored name>``."""

    __tablename__ = "assessment_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str | None] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentResult(Base):
    """The score (``scoring.ScoreResult``) and gap plan (``gaps.GapPlan``) stored when an assessment is finished."""

    __tablename__ = "assessment_result"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[dict[str, Any]] = mapped_column(JSON)
    gaps: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class IntegratorCapability(Base):
    """The capability keys (from the model's ``capability_keys``) a system integrator offers."""

    __tablename__ = "assessment_integrator"

    integrator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

"""Programme tables of the acceptance area: acceptances, expert reviews, benchmark decisions.

An acceptance keeps what the decision rested on: the checklist as marked, the KPI verification attached with its
figures as production reported them when attached (experts cannot read production's verifications themselves),
and the maturity level at that time. ``project_access`` joins ``programme_acceptance_review.expert_user_id`` and
``programme_acceptance.project_id`` to let reviewing experts see the project.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.programme.acceptance import AcceptanceStatus, Decision, Opinion
from zhizao.programme.kinds import Industry


class Acceptance(Base):
    """One acceptance (验收) of a factory project in construction; a failed one may be followed by another."""

    __tablename__ = "programme_acceptance"
    # At most one open acceptance per project, even when two officers open one at the same moment.
    __table_args__ = (
        Index(
            "uq_programme_acceptance_open",
            "project_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("programme_project.id", ondelete="CASCADE"), index=True)
    # [{key, passed, note}] in the order of the edition's checklist (``schemas_acceptance.ChecklistItem``).
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    verification_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_verification.id", ondelete="SET NULL"))
    # The attached verification's windows and KPI figures (``schemas_acceptance.KpiSummary``).
    kpi_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    maturity_level: Mapped[int | None]
    status: Mapped[AcceptanceStatus] = mapped_column(
        str_enum(AcceptanceStatus, "programme_acceptance_status"), index=True
    )
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision, "programme_acceptance_decision"))
    rationale: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]


class AcceptanceReview(Base):
    """An expert assigned to review an acceptance, and the review once submitted."""

    __tablename__ = "programme_acceptance_review"
    __table_args__ = (UniqueConstraint("acceptance_id", "expert_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    acceptance_id: Mapped[int] = mapped_column(ForeignKey("programme_acceptance.id", ondelete="CASCADE"), index=True)
    expert_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    opinion: Mapped[Opinion | None] = mapped_column(str_enum(Opinion, "programme_review_opinion"))
    comment: Mapped[str | None] = mapped_column(Text)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]


class BenchmarkDecision(Base):
    """The programme office's decision on one recognised factory: designated a benchmark or not, and why."""

    __tablename__ = "programme_benchmark_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("programme_project.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("programme_edition.id"), index=True)
    industry: Mapped[Industry] = mapped_column(str_enum(Industry, "programme_industry"))
    rank: Mapped[int | None]  # its place in the ranking when decided; None when it was not eligible
    score: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))  # percentage points (``benchmark.score``)
    selected: Mapped[bool]
    rationale: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

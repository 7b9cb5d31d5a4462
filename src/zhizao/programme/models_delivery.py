"""Programme tables of the projects area: each factory project's upgrade plan (智能化升级方案).

The enterprise (or the integrator it names) drafts the plan and submits it once the project is diagnosed; the
programme office approves it — which moves the project to plan_approved and copies the integrator, budget and robots
onto it — or returns it with a rationale, after which it is a draft again. An approved plan is final.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.programme.models import MONEY
from zhizao.ui.i18n import N_


class PlanStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


PLAN_STATUS_LABELS: dict[str, str] = {
    PlanStatus.DRAFT: N_("Draft"),
    PlanStatus.SUBMITTED: N_("Submitted"),
    PlanStatus.APPROVED: N_("Approved"),
    PlanStatus.RETURNED: N_("Returned for revision"),
}
# A plan its authors may still change: a draft, or one the office returned.
EDITABLE_PLAN_STATUSES = frozenset({PlanStatus.DRAFT, PlanStatus.RETURNED})


class UpgradePlan(Base):
    """A project's upgrade plan: who builds it, for how much, how many robots and by which milestones."""

    __tablename__ = "programme_upgrade_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("programme_project.id", ondelete="CASCADE"), unique=True)
    # An organisation of kind integrator; the integrator's users may then see the project and edit the plan.
    integrator_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    budget_cny: Mapped[Decimal | None] = mapped_column(MONEY)
    robots_to_deploy: Mapped[int] = mapped_column(default=0)
    # [{"title": str, "due": "YYYY-MM-DD", "done": bool}, …] in due order (schemas_projects.Milestone).
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, "programme_plan_status"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    # The office's decision: who approved or returned the plan, when, and why it was returned.
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]
    return_rationale: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

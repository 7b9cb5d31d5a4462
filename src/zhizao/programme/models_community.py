"""Programme tables of the community area (plan §五(九)–(十二), §六(十三)): talent training cohorts, trainees and
their certificates, events and supply–demand requests (供需对接), support measures granted to factory projects,
and the annual work plan (年度工作计划). Statuses and kinds are enums with English labels translated where shown.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.programme.kinds import District, Industry
from zhizao.programme.models import MONEY
from zhizao.ui.i18n import N_

# --- vocabularies ------------------------------------------------------------------------------------------


class TalentTrack(StrEnum):
    PLANNER = "planner"  # 智能制造规划师
    CONSULTANT = "consultant"  # 智能制造咨询师


class TraineeStatus(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    DROPPED = "dropped"


class EventKind(StrEnum):
    MATCHMAKING = "matchmaking"  # 供需对接会
    FORUM = "forum"
    TRAINING = "training"
    SITE_VISIT = "site_visit"


class MatchSide(StrEnum):
    DEMAND = "demand"
    SUPPLY = "supply"


class MatchStatus(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    CLOSED = "closed"


class SupportKind(StrEnum):
    """The five kinds of support of plan §五(九) and §六(十四)."""

    SUBSIDY = "subsidy"
    LOAN = "loan"
    FUND = "fund"
    LEASING = "leasing"
    INSURANCE = "insurance"


class TaskStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DELAYED = "delayed"  # set by the office when it knows a task will slip; "overdue" is derived from the date


TRACK_LABELS: dict[str, str] = {
    TalentTrack.PLANNER: N_("Smart-manufacturing planner"),
    TalentTrack.CONSULTANT: N_("Smart-manufacturing consultant"),
}
TRAINEE_STATUS_LABELS: dict[str, str] = {
    TraineeStatus.ENROLLED: N_("In training"),
    TraineeStatus.COMPLETED: N_("Completed the course"),
    TraineeStatus.DROPPED: N_("Dropped out"),
}
EVENT_KIND_LABELS: dict[str, str] = {
    EventKind.MATCHMAKING: N_("Supply–demand matchmaking"),
    EventKind.FORUM: N_("Forum"),
    EventKind.TRAINING: N_("Training"),
    EventKind.SITE_VISIT: N_("Site visit"),
}
MATCH_SIDE_LABELS: dict[str, str] = {MatchSide.DEMAND: N_("Demand"), MatchSide.SUPPLY: N_("Supply")}
MATCH_STATUS_LABELS: dict[str, str] = {
    MatchStatus.OPEN: N_("Open for matching"),
    MatchStatus.MATCHED: N_("Matched"),
    MatchStatus.CLOSED: N_("Closed request"),
}
SUPPORT_KIND_LABELS: dict[str, str] = {
    SupportKind.SUBSIDY: N_("Subsidy"),
    SupportKind.LOAN: N_("Loan"),
    SupportKind.FUND: N_("Industry fund"),
    SupportKind.LEASING: N_("Financial leasing"),
    SupportKind.INSURANCE: N_("Insurance"),
}
TASK_STATUS_LABELS: dict[str, str] = {
    TaskStatus.PLANNED: N_("Planned"),
    TaskStatus.IN_PROGRESS: N_("In progress"),
    TaskStatus.DONE: N_("Done"),
    TaskStatus.DELAYED: N_("Delayed"),
}


# --- talent ------------------------------------------------------------------------------------------------


class Cohort(Base):
    """A training cohort of planners or consultants in one edition (plan §五(十): train 200)."""

    __tablename__ = "programme_cohort"
    __table_args__ = (UniqueConstraint("edition_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("programme_edition.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    track: Mapped[TalentTrack] = mapped_column(str_enum(TalentTrack, "programme_talent_track"))
    provider: Mapped[str] = mapped_column(String(200))  # the training body
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Trainee(Base):
    """One person in a cohort, the certificate they earned and whether they were selected as excellent."""

    __tablename__ = "programme_trainee"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("programme_cohort.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The employer when it is a registered organisation; otherwise only its name (e.g. a university).
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    employer_name: Mapped[str] = mapped_column(String(200))
    id_number: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[TraineeStatus] = mapped_column(str_enum(TraineeStatus, "programme_trainee_status"))
    # NULLs are distinct in a unique constraint on both backends: many trainees wait for a certificate.
    certificate_no: Mapped[str | None] = mapped_column(String(60), unique=True)
    certified_on: Mapped[date | None] = mapped_column(Date)
    excellent_on: Mapped[date | None] = mapped_column(Date)  # selected as 优秀咨询师
    excellent_rationale: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- events and matchmaking --------------------------------------------------------------------------------


class ProgrammeEvent(Base):
    """A matchmaking meeting, forum, training day or site visit the programme office holds."""

    __tablename__ = "programme_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "programme_event_kind"))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    district: Mapped[District | None] = mapped_column(str_enum(District, "programme_district"))
    venue: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    organiser: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MatchRequest(Base):
    """A demand or an offer an organisation posts for supply–demand matchmaking. The contact fields are private:
    other organisations see the request while it is open, without them."""

    __tablename__ = "programme_match_request"
    __table_args__ = (Index("ix_programme_match_request_status_side", "status", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    side: Mapped[MatchSide] = mapped_column(str_enum(MatchSide, "programme_match_side"))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    industry: Mapped[Industry | None] = mapped_column(str_enum(Industry, "programme_industry"))
    status: Mapped[MatchStatus] = mapped_column(str_enum(MatchStatus, "programme_match_status"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("programme_event.id", ondelete="SET NULL"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Set together by the officer who matches two requests; each points at the other.
    matched_with_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    matched_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_match_request.id", ondelete="SET NULL")
    )
    match_note: Mapped[str | None] = mapped_column(Text)
    matched_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- support measures --------------------------------------------------------------------------------------


class SupportMeasure(Base):
    """A subsidy, loan, fund investment, lease or insurance a factory project received."""

    __tablename__ = "programme_support_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("programme_project.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SupportKind] = mapped_column(str_enum(SupportKind, "programme_support_kind"))
    amount_cny: Mapped[Decimal] = mapped_column(MONEY)
    provider: Mapped[str] = mapped_column(String(200))  # the bank, fund, lessor, insurer or government body
    granted_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))  # contract or approval number
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- annual work plan --------------------------------------------------------------------------------------


class WorkTask(Base):
    """One task of the programme office's annual work plan (plan §六(十三))."""

    __tablename__ = "programme_work_task"
    __table_args__ = (Index("ix_programme_work_task_year_due", "year", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(100))  # kept when the user goes, or for an owner without one
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, "programme_task_status"))
    progress: Mapped[int] = mapped_column(default=0)  # per cent
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

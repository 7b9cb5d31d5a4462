"""API shapes of the community area: talent cohorts and trainees, events and supply–demand requests, support
measures and the annual work plan. Rules that need stored rows (capacity, transitions, uniqueness) are the
services'; these check what one value alone can tell."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from zhizao.errors import InputError
from zhizao.fields import IdField, NoNul
from zhizao.programme.kinds import District, Industry
from zhizao.programme.models_community import (
    EventKind,
    MatchSide,
    MatchStatus,
    SupportKind,
    TalentTrack,
    TaskStatus,
    TraineeStatus,
)

CENT = Decimal("0.01")
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def _plausible_date(value: date) -> date:
    """Programme dates lie in this century; anything else is a typo (e.g. 0202-09-07)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must lie between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


Day = Annotated[date, AfterValidator(_plausible_date)]
Year = Annotated[int, Field(ge=EARLIEST_YEAR, le=LATEST_YEAR)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 \-]{2,38}$")]
IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z]{4,40}$")]
CertificateNo = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z\-_/]{1,60}$")]
Capacity = Annotated[int, Field(ge=1, le=10_000)]
Progress = Annotated[int, Field(ge=0, le=100, description="Per cent done.")]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=16, decimal_places=2, description="CNY, two decimals."),
    AfterValidator(lambda amount: amount.quantize(CENT)),  # 1500000 is shown as stored: 1500000.00
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- talent ------------------------------------------------------------------------------------------------


class CohortCreate(_Strict):
    edition_id: IdField
    name: Title
    track: TalentTrack
    provider: Title = Field(description="The training body.")
    starts_on: Day
    ends_on: Day
    capacity: Capacity


class CohortUpdate(_Strict):
    name: Title | None = None
    track: TalentTrack | None = None
    provider: Title | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    capacity: Capacity | None = None


class TalentCountsRead(BaseModel):
    enrolled: int = Field(description="Trainees who did not drop out (in training, completed or certified).")
    completed: int
    certified: int = Field(description="These count towards the edition's trained_talent target.")
    excellent: int = Field(description="Selected as excellent consultants (优秀咨询师).")


class CohortRead(_Read):
    id: int
    edition_id: int
    name: str
    track: TalentTrack
    provider: str
    starts_on: date
    ends_on: date
    capacity: int
    counts: TalentCountsRead


class TalentSummary(BaseModel):
    edition_id: int
    target: int = Field(description="The edition's trained_talent target.")
    counts: TalentCountsRead


class TraineeCreate(_Strict):
    name: PersonName
    employer_id: IdField | None = Field(default=None, description="A registered organisation, when it is one.")
    employer_name: Title | None = Field(default=None, description="Required without employer_id.")
    id_number: IdNumber | None = None
    phone: Phone | None = None


class TraineeUpdate(_Strict):
    name: PersonName | None = None
    employer_id: IdField | None = None
    employer_name: Title | None = None
    id_number: IdNumber | None = None
    phone: Phone | None = None
    status: TraineeStatus | None = None


class CertificationCreate(_Strict):
    certificate_no: CertificateNo
    certified_on: Day


class ExcellentSelection(_Strict):
    rationale: LongText = Field(description="Why the office selected this consultant.")
    selected_on: Day


class TraineeRead(_Read):
    id: int
    cohort_id: int
    name: str
    employer_id: int | None
    employer_name: str
    id_number: str | None
    phone: str | None
    status: TraineeStatus
    certificate_no: str | None
    certified_on: date | None
    excellent_on: date | None
    excellent_rationale: str | None
    created_at: datetime


class TraineeImportReport(BaseModel):
    rows: int
    created: int


# --- events and matchmaking --------------------------------------------------------------------------------


class EventCreate(_Strict):
    title: Title
    kind: EventKind
    held_on: Day
    district: District | None = None
    venue: Title | None = None
    description: LongText | None = None
    organiser: Title | None = None


class EventUpdate(_Strict):
    title: Title | None = None
    kind: EventKind | None = None
    held_on: Day | None = None
    district: District | None = None
    venue: Title | None = None
    description: LongText | None = None
    organiser: Title | None = None


class EventRead(_Read):
    id: int
    title: str
    kind: EventKind
    held_on: date
    district: District | None
    venue: str | None
    description: str | None
    organiser: str | None
    demands: int = Field(default=0, description="Demand requests posted for this event.")
    supplies: int = Field(default=0, description="Supply requests posted for this event.")
    matched: int = Field(default=0, description="Of those, how many are matched.")


class MatchRequestCreate(_Strict):
    organisation_id: IdField | None = Field(
        default=None, description="Officers and administrators name the organisation; others post their own."
    )
    side: MatchSide
    subject: Title
    description: LongText
    industry: Industry | None = None
    event_id: IdField | None = None
    contact_name: PersonName | None = None
    contact_phone: Phone | None = None
    contact_email: EmailStr | None = None


class MatchRequestUpdate(_Strict):
    subject: Title | None = None
    description: LongText | None = None
    industry: Industry | None = None
    event_id: IdField | None = None
    contact_name: PersonName | None = None
    contact_phone: Phone | None = None
    contact_email: EmailStr | None = None


class MatchCreate(_Strict):
    counterpart_id: IdField = Field(description="An open request of the other side from another organisation.")
    note: LongText | None = None


class MatchRequestRead(BaseModel):
    """The contact fields, the match and its note are shown to the request's organisation and the office only."""

    id: int
    organisation_id: int
    organisation_name: str
    side: MatchSide
    subject: str
    description: str
    industry: Industry | None
    status: MatchStatus
    event_id: int | None
    own: bool = Field(description="True when the caller's organisation posted it.")
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    matched_with_id: int | None = None
    matched_with_name: str | None = None
    matched_request_id: int | None = None
    match_note: str | None = None
    matched_on: date | None = None
    created_at: datetime


# --- support measures --------------------------------------------------------------------------------------


class SupportCreate(_Strict):
    kind: SupportKind
    amount_cny: Money
    provider: Title = Field(description="The bank, fund, lessor, insurer or government body.")
    granted_on: Day
    reference: Reference | None = Field(default=None, description="Contract or approval number.")
    note: LongText | None = None


class SupportUpdate(_Strict):
    kind: SupportKind | None = None
    amount_cny: Money | None = None
    provider: Title | None = None
    granted_on: Day | None = None
    reference: Reference | None = None
    note: LongText | None = None


class SupportRead(_Read):
    id: int
    project_id: int
    kind: SupportKind
    amount_cny: Decimal
    provider: str
    granted_on: date
    reference: str | None
    note: str | None
    created_at: datetime


class SupportTotal(BaseModel):
    kind: SupportKind
    count: int
    amount_cny: Decimal


# --- annual work plan --------------------------------------------------------------------------------------


class WorkTaskCreate(_Strict):
    year: Year
    title: Title
    owner_id: IdField | None = Field(default=None, description="A user of the programme office.")
    owner_name: PersonName | None = Field(default=None, description="Required without owner_id.")
    due_on: Day
    status: TaskStatus = TaskStatus.PLANNED
    progress: Progress = 0
    note: LongText | None = None


class WorkTaskUpdate(_Strict):
    title: Title | None = None
    owner_id: IdField | None = None
    owner_name: PersonName | None = None
    due_on: Day | None = None
    status: TaskStatus | None = None
    progress: Progress | None = None
    note: LongText | None = None


class WorkTaskRead(_Read):
    id: int
    year: int
    title: str
    owner_id: int | None
    owner_name: str
    due_on: date
    status: TaskStatus
    progress: int
    note: str | None
    overdue: bool = Field(description="Due before today and not done.")


class WorkPlanSummary(BaseModel):
    year: int
    tasks: int
    done: int
    delayed: int
    overdue: int
    progress: int = Field(description="Mean progress of the year's tasks, per cent.")


def patch_values(data: BaseModel, *, required: Iterable[str]) -> dict[str, Any]:
    """The fields a PATCH body sets; null is refused (422 naming the field) for those that cannot be empty."""
    changes = data.model_dump(exclude_unset=True)
    for name in required:
        if name in changes and changes[name] is None:
            raise InputError.for_field(f"body.{name}", "must not be null")
    return changes

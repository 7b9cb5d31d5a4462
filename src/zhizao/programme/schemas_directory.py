"""API shapes of the directory area: integrator applications, reviews and the public directory, integrator
matches for a factory's gaps, and vertical platforms with their services and clients."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, ValidationInfo, field_validator

from zhizao.accounts import credit_code
from zhizao.assessment.schemas import Label
from zhizao.fields import IdField, NoNul
from zhizao.production.programme import Verdict
from zhizao.programme.directory import CriteriaCheck, IntegratorStatus, RevenueBand, ReviewDecision
from zhizao.programme.kinds import Industry, ProjectStage

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul]
WebAddress = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300, pattern=r"^https?://[^\s/]+\S*$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{5,40}$")]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
# 15 significant digits: what SQLite's REAL keeps exactly; up to ¥9,999,999,999,999.99.
Money = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=2000, le=2100)]
ProgrammeDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Count = Annotated[int, Field(ge=0, le=10_000_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- integrator directory ------------------------------------------------------------------------------------


class RevenueEntry(_Strict):
    year: Year
    revenue_cny: Money


class IntegratorApplication(_Strict):
    """What an integrator submits (and resubmits whole): the directory entry and the capabilities it offers."""

    description: Description
    website: WebAddress | None = None
    contact_name: ShortName | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    industries: list[Industry] = Field(min_length=1, max_length=len(Industry))
    capabilities: list[Label] = Field(
        min_length=1, max_length=60, description="Capability keys of the maturity model (capability_keys)."
    )
    revenues: list[RevenueEntry] = Field(min_length=1, max_length=30, description="Annual revenue by year.")

    @field_validator("revenues")
    @classmethod
    def _one_figure_a_year(cls, value: list[RevenueEntry]) -> list[RevenueEntry]:
        years = [entry.year for entry in value]
        repeated = sorted({year for year in years if years.count(year) > 1})
        if repeated:
            raise ValueError(f"one revenue figure a year; repeated: {', '.join(map(str, repeated))}")
        return sorted(value, key=lambda entry: entry.year)


class IntegratorReview(_Strict):
    decision: ReviewDecision
    # validate_default: a note left out is judged like an empty one.
    note: Note | None = Field(default=None, validate_default=True, description="Required to reject or suspend.")

    @field_validator("note")
    @classmethod
    def _reasons_given(cls, value: str | None, info: ValidationInfo) -> str | None:
        decision = info.data.get("decision")
        if decision in (ReviewDecision.REJECT, ReviewDecision.SUSPEND) and not value:
            raise ValueError(f"say why when the decision is {decision.value}")
        return value or None


class DeliveredProject(BaseModel):
    """A programme project the integrator carried out, accepted or beyond, with its stored KPI verdicts."""

    project_id: int
    enterprise_id: int
    enterprise_name: str
    title: str
    stage: ProjectStage
    verification_id: int | None
    productivity_change: Decimal | None  # Δ as a fraction: 0.25 is +25 %
    productivity_verdict: Verdict | None
    cost_change: Decimal | None
    cost_verdict: Verdict | None
    verified: bool  # both verdicts meet their targets


class IntegratorSummary(BaseModel):
    """One row of the officers' review queue."""

    integrator_id: int
    name: str
    status: IntegratorStatus
    latest_revenue_year: int | None
    latest_revenue_cny: Decimal | None
    revenue_band: RevenueBand | None
    delivered_projects: int
    verified_projects: int
    criteria: CriteriaCheck
    applied_at: datetime
    updated_at: datetime


class IntegratorRead(IntegratorSummary):
    """The whole entry, for the programme office and the integrator itself."""

    description: str
    website: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    industries: list[Industry]
    capabilities: list[str]
    revenues: list[RevenueEntry]
    projects: list[DeliveredProject]
    edition_code: str | None  # the edition whose rules the criteria were checked against
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None
    decisions: list[ReviewDecision]  # what the caller (an officer) may decide now; none for others


class DirectoryEntry(BaseModel):
    """A listed integrator as the public sees it: no contact details, revenue as a band."""

    integrator_id: int
    name: str
    description: str
    website: str | None
    industries: list[Industry]
    capabilities: list[str]
    revenue_band: RevenueBand | None
    revenue_year: int | None
    delivered_projects: int
    verified_projects: int


class IntegratorMatch(BaseModel):
    integrator_id: int
    name: str
    website: str | None
    covered_subdomains: list[str]
    serves_industry: bool
    verified_projects: int


class MatchesRead(BaseModel):
    enterprise_id: int
    diagnosis_id: int
    industry: Industry | None
    gap_subdomains: list[str]  # sub-domains of the diagnosis's gap roadmap, in roadmap order
    matches: list[IntegratorMatch]  # best first


# --- platforms -----------------------------------------------------------------------------------------------


class PlatformServiceItem(_Strict):
    name: ShortName
    description: Note | None = None


class PlatformCreate(_Strict):
    operator_id: IdField | None = Field(
        default=None, description="The operator (organisation of kind platform); platform users create their own."
    )
    name: Name
    industry: Industry
    description: Description
    url: WebAddress | None = None
    services: list[PlatformServiceItem] = Field(default=[], max_length=30)
    enterprises_served: Count = Field(default=0, description="Declared number of enterprises served.")
    served_as_of: ProgrammeDate
    sharing_owner_id: IdField | None = Field(
        default=None, description="An enterprise whose capacity-sharing lessees are linked as clients automatically."
    )


class PlatformUpdate(_Strict):
    name: Name | None = None
    industry: Industry | None = None
    description: Description | None = None
    url: WebAddress | None = None
    services: list[PlatformServiceItem] | None = Field(default=None, max_length=30, description="Replaces all.")
    enterprises_served: Count | None = None
    served_as_of: ProgrammeDate | None = None
    sharing_owner_id: IdField | None = Field(default=None, description="null: no capacity-sharing feed.")

    @field_validator("name", "industry", "description", "services", "enterprises_served", "served_as_of")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null; leave it out to keep it")
        return value


class PlatformRead(BaseModel):
    id: int
    operator_id: int
    operator_name: str
    name: str
    industry: Industry
    description: str
    url: str | None
    services: list[PlatformServiceItem]
    enterprises_served: int
    served_as_of: date
    sharing_owner_id: int | None = None
    linked_clients: int
    created_at: datetime
    updated_at: datetime


class PublicPlatform(BaseModel):
    id: int
    operator_name: str
    name: str
    industry: Industry
    description: str
    url: str | None
    services: list[PlatformServiceItem]
    enterprises_served: int
    served_as_of: date
    sharing_owner_id: int | None = None
    linked_clients: int


class PlatformClientCreate(_Strict):
    credit_code: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=18), NoNul] = Field(
        description="The enterprise's unified social credit code (统一社会信用代码)."
    )

    @field_validator("credit_code")
    @classmethod
    def _valid(cls, value: str) -> str:
        problem = credit_code.problem_with(value)
        if problem:
            raise ValueError(problem)
        return value


class PlatformClientRead(BaseModel):
    enterprise_id: int
    name: str
    credit_code: str | None
    linked_at: datetime

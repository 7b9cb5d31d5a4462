"""API shapes of acceptances (验收), expert reviews and benchmark (标杆) selection."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from zhizao.fields import IdField, NoNul
from zhizao.production.models import KpiVerification
from zhizao.production.programme import Verification
from zhizao.production.programme_figures import WindowFigures
from zhizao.programme.acceptance import AcceptanceStatus, Decision, Opinion
from zhizao.programme.kinds import Industry, ProjectStage

Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), NoNul]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), NoNul]
ChecklistKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), NoNul]
MAX_REVIEWERS = 9
MAX_CHECKLIST = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _distinct(ids: list[int]) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError("name each expert once")
    return ids


ExpertUserIds = Annotated[list[IdField], Field(max_length=MAX_REVIEWERS), AfterValidator(_distinct)]


# --- acceptance input --------------------------------------------------------------------------------------


class ChecklistItem(_Strict):
    key: ChecklistKey
    passed: bool = False
    note: Note = ""


class AcceptanceCreate(_Strict):
    project_id: IdField = Field(description="A factory project in construction.")
    expert_user_ids: ExpertUserIds = Field(default=[], description="Users of role expert who review the acceptance.")


class ReviewersUpdate(_Strict):
    expert_user_ids: ExpertUserIds


class ChecklistUpdate(_Strict):
    items: list[ChecklistItem] = Field(max_length=MAX_CHECKLIST, description="Items of the edition's checklist.")


class VerificationAttach(_Strict):
    verification_id: IdField = Field(description="A stored KPI verification of the project's enterprise.")


class ReviewSubmit(_Strict):
    opinion: Opinion
    comment: Comment = ""


class AcceptanceDecide(_Strict):
    decision: Decision
    rationale: Rationale


# --- acceptance output -------------------------------------------------------------------------------------


class KpiLine(BaseModel):
    kpi: str
    baseline: Decimal | None
    evaluation: Decimal | None
    change: Decimal | None  # Δ as a fraction: 0.25 is +25 %
    verdict: str


class WindowSummary(BaseModel):
    """The inputs of one window that productivity and operating cost are computed from."""

    equivalent_units: Decimal | None
    labour_hours: Decimal | None
    cost_at_constant_prices: Decimal | None  # CNY at baseline prices
    coverage: Decimal  # the share of the window's days and equipment that telemetry covered

    @classmethod
    def of(cls, figures: WindowFigures) -> WindowSummary:
        return cls(
            equivalent_units=figures.equivalent_units,
            labour_hours=figures.labour_hours,
            cost_at_constant_prices=figures.cost_at_constant_prices,
            coverage=figures.coverage.share,
        )


class KpiSummary(BaseModel):
    """A stored verification as production reported it when it was attached."""

    verification_id: int
    formula_version: str
    baseline_start: date
    baseline_end: date
    evaluation_start: date
    evaluation_end: date
    productivity_verdict: str
    cost_verdict: str
    baseline: WindowSummary
    evaluation: WindowSummary
    kpis: list[KpiLine]

    @classmethod
    def of(cls, row: KpiVerification, result: Verification) -> KpiSummary:
        """The summary of a stored verification (``row``) and production's reading of it (``result``)."""
        return cls(
            verification_id=row.id,
            formula_version=row.formula_version,
            baseline_start=row.baseline_start,
            baseline_end=row.baseline_end,
            evaluation_start=row.evaluation_start,
            evaluation_end=row.evaluation_end,
            productivity_verdict=row.productivity_verdict,
            cost_verdict=row.cost_verdict,
            baseline=WindowSummary.of(result.baseline),
            evaluation=WindowSummary.of(result.evaluation),
            kpis=[
                KpiLine(kpi=kpi.kpi.value, baseline=kpi.baseline, evaluation=kpi.evaluation, change=kpi.change,
                        verdict=kpi.verdict.value)
                for kpi in result.kpis
            ],
        )  # fmt: skip


class ReviewRead(BaseModel):
    expert_user_id: int
    display_name: str
    opinion: Opinion | None
    comment: str | None
    assigned_at: datetime
    submitted_at: datetime | None


class Problem(BaseModel):
    field: str
    message: str


class AcceptanceRead(BaseModel):
    id: int
    project_id: int
    project_title: str
    project_stage: ProjectStage
    enterprise_id: int
    enterprise_name: str
    industry: Industry
    edition_id: int
    status: AcceptanceStatus
    checklist: list[ChecklistItem]
    verification_id: int | None
    kpi_summary: KpiSummary | None
    maturity_level: int | None
    min_maturity_level: int
    reviews: list[ReviewRead]
    pass_problems: list[Problem] = Field(description="What a pass decision would leave unmet; empty when it may pass.")
    decision: Decision | None
    rationale: str | None
    opened_by: int | None
    opened_at: datetime
    decided_by: int | None
    decided_at: datetime | None


class VerificationOption(BaseModel):
    """One of the enterprise's stored verifications an officer may attach."""

    id: int
    baseline_start: date
    baseline_end: date
    evaluation_start: date
    evaluation_end: date
    productivity_verdict: str
    cost_verdict: str
    created_at: datetime


# --- benchmark selection -----------------------------------------------------------------------------------


class RankingEntry(BaseModel):
    project_id: int
    title: str
    enterprise_id: int
    enterprise_name: str
    stage: ProjectStage
    maturity_level: int | None
    productivity_verdict: str | None
    cost_verdict: str | None
    productivity_change: Decimal | None
    cost_change: Decimal | None
    score: Decimal | None = Field(description="Productivity gain % + cost reduction %, in percentage points.")
    recognised_on: date | None
    rank: int | None
    reasons: list[str]


class IndustryRanking(BaseModel):
    industry: Industry
    quota: int
    designated: int
    left: int
    entries: list[RankingEntry]


class BenchmarkRanking(BaseModel):
    edition_id: int
    edition_code: str
    min_maturity_level: int
    industries: list[IndustryRanking]


class BenchmarkDecisionCreate(_Strict):
    project_id: IdField = Field(description="A recognised smart factory of the edition.")
    selected: bool = Field(description="True designates it a benchmark factory; false records that it was not.")
    rationale: Rationale


class BenchmarkDecisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    edition_id: int
    industry: Industry
    rank: int | None
    score: Decimal | None
    selected: bool
    rationale: str
    decided_by: int | None
    decided_at: datetime

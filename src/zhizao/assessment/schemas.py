"""API shapes of assessments: profiles, the expert pool, diagnoses and teams, ratings, evidence, results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhizao.assessment.agreement import DomainAgreement
from zhizao.assessment.gaps import GapPlan
from zhizao.assessment.kinds import EnterpriseType, EvidenceGrade, TelemetryCheck
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.assessment.models import MemberStatus
from zhizao.assessment.scoring import ScoreResult
from zhizao.fields import IdField, NoNul

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), NoNul]
ItemId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul]
Comment = Annotated[str, StringConstraints(max_length=4000), NoNul]

MAX_TEAM_SIZE = 9
MAX_BATCH = 500  # more than the 209 requirements of a model: one batch can hold a whole questionnaire


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- enterprise profile ------------------------------------------------------------------------------------


class ProfileUpdate(_Strict):
    industry: Label = Field(description="The enterprise's industry, as experts list theirs (e.g. 汽车).")
    enterprise_type: EnterpriseType
    integrator_ids: list[IdField] = Field(default=[], max_length=50, description="Its system integrators.")
    competitor_ids: list[IdField] = Field(default=[], max_length=50, description="Competitors it lists.")


class ProfileRead(_Read):
    enterprise_id: int
    industry: str
    enterprise_type: EnterpriseType
    integrator_ids: list[int]
    competitor_ids: list[int]
    updated_at: datetime


# --- expert pool -------------------------------------------------------------------------------------------


class ExpertCreate(_Strict):
    user_id: IdField = Field(description="A user of role expert.")
    industries: list[Label] = Field(min_length=1, max_length=20)
    specialities: list[Label] = Field(default=[], max_length=20)
    employer_id: IdField | None = None
    region: Label | None = None
    available: bool = True


class ExpertUpdate(_Strict):
    industries: list[Label] | None = Field(default=None, min_length=1, max_length=20)
    specialities: list[Label] | None = Field(default=None, max_length=20)
    employer_id: IdField | None = None
    region: Label | None = None
    available: bool | None = None


class ExpertRead(BaseModel):
    id: int
    user_id: int
    display_name: str
    industries: list[str]
    specialities: list[str]
    employer_id: int | None
    region: str | None
    available: bool
    workload: int = Field(description="Open diagnoses the expert is on (invited or accepted).")


# --- integrators -------------------------------------------------------------------------------------------


class IntegratorUpdate(_Strict):
    capabilities: list[Label] = Field(min_length=1, max_length=60)


class IntegratorRead(BaseModel):
    integrator_id: int
    name: str
    capabilities: list[str]
    updated_at: datetime


# --- assessments -------------------------------------------------------------------------------------------


class SelfAssessmentCreate(_Strict):
    enterprise_id: IdField | None = Field(default=None, description="Administrators only; others assess their own.")


class DiagnosisCreate(_Strict):
    enterprise_id: IdField
    team_size: int = Field(default=2, ge=2, le=MAX_TEAM_SIZE)


class TeamUpdate(_Strict):
    expert_ids: list[IdField] = Field(min_length=1, max_length=MAX_TEAM_SIZE, description="Lead expert first.")


class TeamResponse(_Strict):
    accept: bool


class TeamMemberRead(BaseModel):
    expert_id: int
    user_id: int
    display_name: str
    position: int
    lead: bool
    status: MemberStatus
    responded_at: datetime | None


class AssessmentRead(BaseModel):
    id: int
    enterprise_id: int
    kind: AssessmentKind
    model_version: str
    enterprise_type: EnterpriseType
    status: AssessmentStatus
    team_size: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    team: list[TeamMemberRead] = []


# --- ratings -----------------------------------------------------------------------------------------------


class RatingInput(_Strict):
    item: ItemId
    # Strict: a number, never "1" or true; checked against 0, 0.5, 0.8, 1 by the scoring, which names the item.
    rating: Annotated[float, Field(strict=True)] | None = Field(
        default=None, description="0, 0.5, 0.8 or 1. Leave out with not_applicable false to clear a rating."
    )
    not_applicable: bool = False
    evidence_grade: EvidenceGrade = EvidenceGrade.SELF_DECLARED
    comment: Comment = ""


class RatingsBatch(_Strict):
    ratings: list[RatingInput] = Field(min_length=1, max_length=MAX_BATCH)


class RatingRead(_Read):
    item: str = Field(validation_alias="item_id")
    rater_id: int | None = Field(description="None: the enterprise's own (self) or the consensus (diagnosis).")
    rating: float | None
    not_applicable: bool
    evidence_grade: EvidenceGrade
    comment: str
    updated_by: int | None
    updated_at: datetime


class DomainProgress(BaseModel):
    domain: str
    applicable: int
    rated: int  # rated or marked not applicable


class Progress(BaseModel):
    assessment_id: int
    rater_id: int | None
    applicable: int
    rated: int
    domains: list[DomainProgress]


class ResultRead(BaseModel):
    assessment_id: int
    stored: bool = Field(description="False: a provisional result computed now from the ratings so far.")
    computed_at: datetime
    score: ScoreResult
    gaps: GapPlan | None


class AgreementRead(BaseModel):
    assessment_id: int
    experts: int
    domains: list[DomainAgreement]


# --- evidence ----------------------------------------------------------------------------------------------


class EvidenceRead(_Read):
    id: int
    assessment_id: int
    item_id: str | None
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: int | None
    uploaded_at: datetime


# --- data-verified evidence --------------------------------------------------------------------------------


class Measurement(BaseModel):
    check: TelemetryCheck
    measured: int  # equipment (or lines) that meet the check
    total: int  # equipment (or lines) considered
    share: float
    supported_rating: float = Field(description="The highest rating the measured share supports (docs thresholds).")
    description: str


class VerificationReport(BaseModel):
    assessment_id: int
    rater_id: int | None
    measured_at: datetime
    measurements: list[Measurement]
    verified_items: list[str] = Field(description="Ratings now graded data_verified.")
    unsupported_items: list[str] = Field(description="Rated higher than the measurement supports; left as they were.")

"""API shapes of factory projects: applications, the project with its timeline, transitions, robots, the case
narrative, and upgrade plans with their milestones."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhizao.fields import IdField, NoNul
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.programme.lifecycle import Action
from zhizao.programme.models_delivery import PlanStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul]
Narrative = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000), NoNul]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), NoNul]
# One project never deploys more robots than the whole 2020–2022 programme's target of 10,000.
Robots = Annotated[int, Field(ge=0, le=10_000)]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]

MAX_MILESTONES = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- projects ----------------------------------------------------------------------------------------------


class ProjectCreate(_Strict):
    title: Title
    enterprise_id: IdField | None = Field(
        default=None, description="The applying enterprise: an enterprise user's own; officers name it."
    )
    edition_id: IdField | None = Field(
        default=None,
        description="The edition applied to; the current one when left out (enterprises apply there only).",
    )
    applied_on: date | None = Field(
        default=None,
        description="Officers registering a past application: the day it was filed (not in the future, not before "
        "the edition's first year). Today when left out.",
    )


class ProjectFilter(BaseModel):
    """Which projects a list shows; every field narrows it."""

    edition_id: IdField | None = None
    industry: Industry | None = None
    district: District | None = None
    stage: ProjectStage | None = None
    integrator_id: IdField | None = None
    enterprise_id: IdField | None = None
    q: SearchText | None = Field(default=None, description="Part of the project's title or the enterprise's name.")


class ProjectRead(BaseModel):
    id: int
    edition_id: int
    enterprise_id: int
    enterprise_name: str
    title: str
    industry: Industry
    district: District | None
    stage: ProjectStage
    diagnosis_id: int | None
    maturity_level: int | None
    integrator_id: int | None
    integrator_name: str | None
    budget_cny: Decimal | None
    robots_planned: int
    robots_deployed: int
    verification_id: int | None
    case_title: str | None
    case_summary_zh: str | None
    case_summary_en: str | None
    applied_on: date
    recognised_on: date | None
    updated_at: datetime


class ProjectPage(BaseModel):
    items: list[ProjectRead]
    total: int
    offset: int
    limit: int


class EventRead(_Read):
    """One step of the timeline: a transition (``from_stage`` → ``to_stage``) or a note on the project."""

    id: int
    at: datetime
    actor_name: str
    actor_role: str
    action: str
    from_stage: ProjectStage | None
    to_stage: ProjectStage | None
    rationale: str | None
    evidence: dict[str, Any] | None


class ProjectDetail(ProjectRead):
    timeline: list[EventRead]
    actions: list[Action] = Field(description="What the caller may post to this project's transitions now.")


class TransitionRequest(_Strict):
    action: Action
    rationale: Rationale | None = Field(default=None, description="Why; required to reject.")
    diagnosis_id: IdField | None = Field(
        default=None, description="record_diagnosis: the enterprise's closed on-site diagnosis."
    )
    recognised_on: date | None = Field(
        default=None,
        description="recognise, officers only: the day of the recognition decision when it is recorded later "
        "(not in the future, not before the application). Today when left out.",
    )


class RobotsUpdate(_Strict):
    robots_deployed: Robots


class CaseUpdate(_Strict):
    """The case-collection narrative (案例集); a field left out is kept, null clears it."""

    case_title: Title | None = None
    case_summary_zh: Narrative | None = None
    case_summary_en: Narrative | None = None


# --- upgrade plans -----------------------------------------------------------------------------------------


class Milestone(_Strict):
    title: Title
    due: date
    done: bool = False


class PlanUpdate(_Strict):
    """The whole plan as its authors save it; completeness is checked when it is submitted."""

    integrator_id: IdField | None = Field(default=None, description="An organisation of kind integrator.")
    budget_cny: Money | None = None
    robots_to_deploy: Robots = 0
    milestones: list[Milestone] = Field(default=[], max_length=MAX_MILESTONES)
    summary: Narrative = ""


class PlanRead(_Read):
    id: int
    project_id: int
    integrator_id: int | None
    budget_cny: Decimal | None
    robots_to_deploy: int
    milestones: list[Milestone]
    summary: str
    status: PlanStatus
    submitted_by: int | None
    submitted_at: datetime | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    return_rationale: str | None
    updated_at: datetime


class PlanReturn(_Strict):
    rationale: Rationale

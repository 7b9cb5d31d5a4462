"""JSON API of factory projects: applications, the filtered list, a project with its timeline, its transitions,
robots deployed, the case narrative and the upgrade plan with its submission and the office's decision.

Officers and administrators reach every project, an enterprise its own, an integrator those it is the integrator of,
an expert those whose acceptance they review (``project_access``); anything else is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from zhizao.accounts.deps import SessionDep
from zhizao.fields import IdPath, IdQuery, Limit, Offset, TextQuery
from zhizao.programme import project_reads, service_plans, service_projects
from zhizao.programme.deps import Applicant, CaseAuthor, Mover, Overseer, PlanAuthor, ProjectViewer, RobotReporter
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.programme.schemas_projects import (
    CaseUpdate,
    EventRead,
    PlanRead,
    PlanReturn,
    PlanUpdate,
    ProjectCreate,
    ProjectDetail,
    ProjectFilter,
    ProjectPage,
    RobotsUpdate,
    TransitionRequest,
)

router = APIRouter(prefix="/api/programme", tags=["programme"])

PROJECT = "/projects/{project_id}"


@router.get("/projects")
def list_projects(
    principal: ProjectViewer,
    session: SessionDep,
    edition_id: IdQuery = None,
    industry: Annotated[Industry | None, Query()] = None,
    district: Annotated[District | None, Query()] = None,
    stage: Annotated[ProjectStage | None, Query()] = None,
    integrator_id: IdQuery = None,
    enterprise_id: IdQuery = None,
    q: TextQuery = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> ProjectPage:
    """The caller's projects, newest first; ``district`` is the enterprise's, ``q`` part of the title or the
    enterprise's name."""
    filters = ProjectFilter(
        edition_id=edition_id, industry=industry, district=district, stage=stage, integrator_id=integrator_id,
        enterprise_id=enterprise_id, q=q,
    )  # fmt: skip
    return project_reads.list_projects(session, principal, filters, offset=offset, limit=limit)


@router.post("/projects", status_code=status.HTTP_201_CREATED)
def apply(data: ProjectCreate, principal: Applicant, session: SessionDep) -> ProjectDetail:
    """Apply (申报): an enterprise for itself in the current edition, an officer for a registered enterprise; one
    project per enterprise and edition (409)."""
    return service_projects.apply(session, principal, data)


@router.get(PROJECT)
def read_project(project_id: IdPath, principal: ProjectViewer, session: SessionDep) -> ProjectDetail:
    """The project with its timeline and the actions the caller may post to its transitions now."""
    return project_reads.read_project(session, principal, project_id)


@router.get(PROJECT + "/timeline")
def timeline(project_id: IdPath, principal: ProjectViewer, session: SessionDep) -> list[EventRead]:
    return project_reads.timeline(session, principal, project_id)


@router.post(PROJECT + "/transitions")
def transition(project_id: IdPath, data: TransitionRequest, principal: Mover, session: SessionDep) -> ProjectDetail:
    """Move the project: ``record_diagnosis`` (with the enterprise's closed ``diagnosis_id``), ``start_construction``,
    ``recognise`` (once accepted), ``reject`` (with a ``rationale``) or ``withdraw``. Plan approval, acceptance and
    benchmark designation are made where their records are decided."""
    return service_projects.transition(session, principal, project_id, data)


@router.put(PROJECT + "/robots")
def record_robots(
    project_id: IdPath, data: RobotsUpdate, principal: RobotReporter, session: SessionDep
) -> ProjectDetail:
    """Robots deployed so far (新增机器人应用), while the project is in construction."""
    return service_projects.record_robots(session, principal, project_id, data)


@router.patch(PROJECT + "/case")
def update_case(project_id: IdPath, data: CaseUpdate, principal: CaseAuthor, session: SessionDep) -> ProjectDetail:
    """The case narrative (案例集) in Chinese and English."""
    return service_projects.update_case(session, principal, project_id, data)


@router.get(PROJECT + "/plan")
def read_plan(project_id: IdPath, principal: ProjectViewer, session: SessionDep) -> PlanRead:
    return service_plans.read_plan(session, principal, project_id)


@router.put(PROJECT + "/plan")
def save_plan(project_id: IdPath, data: PlanUpdate, principal: PlanAuthor, session: SessionDep) -> PlanRead:
    """Create or replace the draft upgrade plan (the enterprise, or the integrator it names)."""
    return service_plans.save_plan(session, principal, project_id, data)


@router.post(PROJECT + "/plan/submit")
def submit_plan(project_id: IdPath, principal: PlanAuthor, session: SessionDep) -> PlanRead:
    """Submit the plan once the project is diagnosed; 422 naming each field it still lacks."""
    return service_plans.submit_plan(session, principal, project_id)


@router.post(PROJECT + "/plan/approve")
def approve_plan(project_id: IdPath, principal: Overseer, session: SessionDep) -> PlanRead:
    """Approve the submitted plan: the project moves to plan_approved with its integrator, budget and robots."""
    return service_plans.approve_plan(session, principal, project_id)


@router.post(PROJECT + "/plan/return")
def return_plan(project_id: IdPath, data: PlanReturn, principal: Overseer, session: SessionDep) -> PlanRead:
    """Return the submitted plan to its authors with the office's rationale."""
    return service_plans.return_plan(session, principal, project_id, data)

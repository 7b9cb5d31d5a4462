"""Pages of factory projects (智能工厂建设项目): the list with its filters (the cockpit links here with
``?edition_id=&industry=&stage=&district=``) and the application form, and a project's page with its stage, evidence,
timeline, the actions the caller may take now, the upgrade plan and its review, robots and the case narrative.

Every form calls the services with the API's role guards; what a service refuses is shown on the page (422) and
nothing is stored. Scope is the services' (``project_access``): another tenant's project is a 404 here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.assessment import service_levels
from zhizao.errors import FieldProblem, plain_message
from zhizao.fields import IdPath
from zhizao.programme import project_reads, service_editions, service_plans, service_projects
from zhizao.programme.deps import (
    APPLICANTS,
    CASE_AUTHORS,
    OVERSEERS,
    PLAN_AUTHORS,
    ROBOT_REPORTERS,
    Applicant,
    CaseAuthor,
    Mover,
    Overseer,
    PlanAuthor,
    ProjectViewer,
    RobotReporter,
)
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.programme.lifecycle import ACTION_LABELS, Action
from zhizao.programme.models import EnterpriseRecord
from zhizao.programme.models_delivery import EDITABLE_PLAN_STATUSES, PLAN_STATUS_LABELS, PlanStatus
from zhizao.programme.page_forms import PostedForm, form_page, submit, text
from zhizao.programme.schemas_projects import (
    CaseUpdate,
    Milestone,
    PlanReturn,
    PlanUpdate,
    ProjectCreate,
    ProjectDetail,
    ProjectFilter,
    RobotsUpdate,
    TransitionRequest,
)
from zhizao.ui.forms import optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

HOME = "/programme/projects"
NAV = (
    NavItem(
        N_("Factory projects"), HOME, roles=frozenset({Role.OFFICER, Role.ADMIN, Role.ENTERPRISE, Role.INTEGRATOR}),
        order=610,
    ),
)  # fmt: skip
PAGE_SIZE = 50
FILTERS = ("edition_id", "industry", "district", "stage", "integrator_id", "q")
MILESTONE_ROWS_SPARE = 2  # blank rows the plan form offers beyond the saved milestones


# --- the list ----------------------------------------------------------------------------------------------


def _filters(request: Request) -> tuple[ProjectFilter, list[FieldProblem]]:
    """The filters from the query string; blank ones filter nothing, a wrong one is named and left out."""
    given = {name: request.query_params.get(name, "").strip() for name in FILTERS}
    kept: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, value in given.items():
        if not value:
            continue
        try:
            ProjectFilter.model_validate({name: value})
        except ValidationError as exc:
            problems.extend(FieldProblem(f"query.{name}", plain_message(e["msg"])) for e in exc.errors())
        else:
            kept[name] = value
    return ProjectFilter.model_validate(kept), problems


def _list_view(request: Request, principal: Principal, session: Session, problems: list[FieldProblem]) -> Response:
    filters, wrong = _filters(request)
    offset = max(optional_int(request.query_params.get("offset")) or 0, 0)
    page = project_reads.list_projects(session, principal, filters, offset=offset, limit=PAGE_SIZE)
    chosen = {name: value for name, value in filters.model_dump(mode="json").items() if value is not None}
    registered: list[tuple[int, str]] = []
    if principal.sees_all_tenants:
        registered = [
            (row.id, row.name)
            for row in session.execute(
                select(Organisation.id, Organisation.name)
                .join(EnterpriseRecord, EnterpriseRecord.enterprise_id == Organisation.id)
                .order_by(Organisation.name)
            )
        ]
    context = {
        "page": page,
        "filters": chosen,
        "pager_base": f"{HOME}?{urlencode(chosen)}&" if chosen else f"{HOME}?",
        "editions": service_editions.list_editions(session),
        "industries": list(Industry),
        "districts": list(District),
        "stages": list(ProjectStage),
        "can_apply": principal.role in APPLICANTS,
        "enterprises": registered,
        "problems": [*wrong, *problems],
    }
    return render(request, "programme/projects_list.html", context, status_code=422 if problems else 200)


@router.get(HOME)
def projects_page(request: Request, principal: ProjectViewer, session: SessionDep) -> Response:
    return _list_view(request, principal, session, [])


@router.post(HOME)
def apply(request: Request, principal: Applicant, session: SessionDep, form: PostedForm) -> Response:
    def run() -> ProjectDetail:
        data = ProjectCreate.model_validate(
            {"title": text(form, "title") or "", "enterprise_id": optional_int(text(form, "enterprise_id"))}
        )
        return service_projects.apply(session, principal, data)

    view = lambda problems: _list_view(request, principal, session, problems)  # noqa: E731
    return submit(session, run, lambda created: f"{HOME}/{created.id}", view)


# --- one project -------------------------------------------------------------------------------------------


def _detail_view(
    request: Request, principal: Principal, session: Session, project_id: int, problems: list[FieldProblem]
) -> Response:
    project = project_reads.read_project(session, principal, project_id)
    plan = service_plans.find_plan(session, principal, project_id)
    drafting = project.stage in service_plans.DRAFTING_STAGES and (
        plan is None or plan.status in EDITABLE_PLAN_STATUSES
    )
    overseer = principal.role in OVERSEERS
    suggested = None
    if overseer and Action.RECORD_DIAGNOSIS in project.actions:
        suggested = service_levels.latest_closed_diagnosis(session, project.enterprise_id)
    integrators = session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.kind == OrganisationKind.INTEGRATOR)
        .order_by(Organisation.name)
    ).all()
    context = {
        "project": project,
        "plan": plan,
        "milestone_rows": [*(plan.milestones if plan else []), *([None] * MILESTONE_ROWS_SPARE)],
        "integrator_names": dict(integrators),
        "integrators": integrators if principal.role != Role.INTEGRATOR else [],
        "action_labels": ACTION_LABELS,
        "plan_status_labels": PLAN_STATUS_LABELS,
        "suggested_diagnosis": suggested,
        "can_edit_plan": principal.role in PLAN_AUTHORS and drafting,
        "can_submit_plan": principal.role in PLAN_AUTHORS
        and drafting
        and plan is not None
        and project.stage == ProjectStage.DIAGNOSED,
        "can_review_plan": overseer and plan is not None and plan.status == PlanStatus.SUBMITTED,
        "can_record_robots": principal.role in ROBOT_REPORTERS and project.stage == ProjectStage.IN_CONSTRUCTION,
        "can_edit_case": principal.role in CASE_AUTHORS and project.stage not in service_projects.NO_CASE_STAGES,
    }
    return form_page(request, "programme/projects_detail.html", context, problems)


@router.get(HOME + "/{project_id}")
def project_page(request: Request, project_id: IdPath, principal: ProjectViewer, session: SessionDep) -> Response:
    return _detail_view(request, principal, session, project_id, [])


def _on_project(
    request: Request, principal: Principal, session: Session, project_id: int, action: Callable[[], object]
) -> Response:
    return submit(
        session,
        action,
        f"{HOME}/{project_id}",
        lambda problems: _detail_view(request, principal, session, project_id, problems),
    )


@router.post(HOME + "/{project_id}/transitions")
def transition(
    request: Request, project_id: IdPath, principal: Mover, session: SessionDep, form: PostedForm
) -> Response:
    def run() -> object:
        data = TransitionRequest.model_validate(
            {
                "action": text(form, "action"),
                "rationale": text(form, "rationale"),
                "diagnosis_id": optional_int(text(form, "diagnosis_id")),
            }
        )
        return service_projects.transition(session, principal, project_id, data)

    return _on_project(request, principal, session, project_id, run)


def _milestones(form: FormData) -> list[dict[str, Any]]:
    """The plan form's milestone rows (title, due, done); rows left wholly blank are dropped."""
    titles, dues, dones = (form.getlist(name) for name in ("milestone_title", "milestone_due", "milestone_done"))
    rows = []
    for index, title in enumerate(titles):
        due = dues[index] if index < len(dues) else ""
        done = dones[index] if index < len(dones) else ""
        if str(title).strip() or str(due).strip():
            rows.append({"title": str(title).strip(), "due": str(due).strip() or None, "done": done == "1"})
    return rows


@router.post(HOME + "/{project_id}/plan")
def save_plan(
    request: Request, project_id: IdPath, principal: PlanAuthor, session: SessionDep, form: PostedForm
) -> Response:
    def run() -> object:
        data = PlanUpdate.model_validate(
            {
                "integrator_id": optional_int(text(form, "integrator_id")),
                "budget_cny": text(form, "budget_cny"),
                "robots_to_deploy": optional_int(text(form, "robots_to_deploy")) or 0,
                "milestones": [Milestone.model_validate(row) for row in _milestones(form)],
                "summary": text(form, "summary") or "",
            }
        )
        return service_plans.save_plan(session, principal, project_id, data)

    return _on_project(request, principal, session, project_id, run)


@router.post(HOME + "/{project_id}/plan/submit")
def submit_plan(request: Request, project_id: IdPath, principal: PlanAuthor, session: SessionDep) -> Response:
    return _on_project(
        request, principal, session, project_id, lambda: service_plans.submit_plan(session, principal, project_id)
    )


@router.post(HOME + "/{project_id}/plan/approve")
def approve_plan(request: Request, project_id: IdPath, principal: Overseer, session: SessionDep) -> Response:
    return _on_project(
        request, principal, session, project_id, lambda: service_plans.approve_plan(session, principal, project_id)
    )


@router.post(HOME + "/{project_id}/plan/return")
def return_plan(
    request: Request, project_id: IdPath, principal: Overseer, session: SessionDep, form: PostedForm
) -> Response:
    def run() -> object:
        data = PlanReturn.model_validate({"rationale": text(form, "rationale")})
        return service_plans.return_plan(session, principal, project_id, data)

    return _on_project(request, principal, session, project_id, run)


@router.post(HOME + "/{project_id}/robots")
def record_robots(
    request: Request, project_id: IdPath, principal: RobotReporter, session: SessionDep, form: PostedForm
) -> Response:
    def run() -> object:
        data = RobotsUpdate.model_validate({"robots_deployed": optional_int(text(form, "robots_deployed"))})
        return service_projects.record_robots(session, principal, project_id, data)

    return _on_project(request, principal, session, project_id, run)


@router.post(HOME + "/{project_id}/case")
def update_case(
    request: Request, project_id: IdPath, principal: CaseAuthor, session: SessionDep, form: PostedForm
) -> Response:
    def run() -> object:
        data = CaseUpdate.model_validate(
            {name: text(form, name) for name in ("case_title", "case_summary_zh", "case_summary_en")}
        )
        return service_projects.update_case(session, principal, project_id, data)

    return _on_project(request, principal, session, project_id, run)

"""Upgrade plans (智能化升级方案) of factory projects: drafted by the enterprise or the integrator it names, submitted
once the project is diagnosed, approved by the programme office — which moves the project to plan_approved with the
plan's integrator, budget and robots — or returned with a rationale for another round.

Who reaches a plan is who reaches its project (``project_access``); the rules a plan must meet are pure functions
here (``milestone_problems``, ``submission_problems``), each problem naming its field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound
from zhizao.programme.kinds import ProjectStage
from zhizao.programme.lifecycle import Action, Note
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_delivery import EDITABLE_PLAN_STATUSES, PlanStatus, UpgradePlan
from zhizao.programme.project_access import get_project
from zhizao.programme.schemas_projects import Milestone, PlanRead, PlanReturn, PlanUpdate
from zhizao.programme.service_projects import apply_transition, note

PLAN_FIELDS = ("integrator_id", "budget_cny", "robots_to_deploy", "milestones", "summary", "status")
# A plan is drafted from the application on (it may start before the diagnosis), and submitted once diagnosed.
DRAFTING_STAGES = frozenset({ProjectStage.APPLIED, ProjectStage.DIAGNOSED})


# --- rules (pure) ------------------------------------------------------------------------------------------


def milestone_problems(milestones: Sequence[Milestone], field: str = "body.milestones") -> list[FieldProblem]:
    """Milestones come in due order, each with a title of its own."""
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for index, milestone in enumerate(milestones):
        if index and milestone.due < milestones[index - 1].due:
            problems.append(
                FieldProblem(
                    f"{field}[{index}].due",
                    f"due {milestone.due.isoformat()} is before the previous milestone's "
                    f"({milestones[index - 1].due.isoformat()}): list milestones in due order",
                )
            )
        if milestone.title.casefold() in seen:
            problems.append(FieldProblem(f"{field}[{index}].title", f"milestone {milestone.title!r} is listed twice"))
        seen.add(milestone.title.casefold())
    return problems


def submission_problems(plan: PlanRead, field: str = "plan") -> list[FieldProblem]:
    """What a plan needs before the office can decide on it: who builds it, its budget, its milestones, a summary."""
    problems: list[FieldProblem] = []
    if plan.integrator_id is None:
        problems.append(FieldProblem(f"{field}.integrator_id", "name the system integrator who carries out the plan"))
    if plan.budget_cny is None or plan.budget_cny <= 0:
        problems.append(FieldProblem(f"{field}.budget_cny", "give the plan's budget in CNY"))
    if not plan.milestones:
        problems.append(FieldProblem(f"{field}.milestones", "list at least one milestone"))
    if not plan.summary.strip():
        problems.append(FieldProblem(f"{field}.summary", "summarise what the upgrade does"))
    return problems + milestone_problems(plan.milestones, f"{field}.milestones")


# --- reading -----------------------------------------------------------------------------------------------


def _plan_of(session: Session, project: FactoryProject) -> UpgradePlan | None:
    return session.scalars(select(UpgradePlan).where(UpgradePlan.project_id == project.id)).first()


def _existing(session: Session, project: FactoryProject) -> UpgradePlan:
    plan = _plan_of(session, project)
    if plan is None:
        raise NotFound(f"project {project.id} has no upgrade plan yet")
    return plan


def read_plan(session: Session, actor: Principal, project_id: int) -> PlanRead:
    return PlanRead.model_validate(_existing(session, get_project(session, actor, project_id)))


def find_plan(session: Session, actor: Principal, project_id: int) -> PlanRead | None:
    """The project's plan, or None when none is drafted yet (404 when the caller may not see the project)."""
    plan = _plan_of(session, get_project(session, actor, project_id))
    return None if plan is None else PlanRead.model_validate(plan)


# --- drafting and submitting -------------------------------------------------------------------------------


def _integrator(session: Session, actor: Principal, requested: int | None) -> int | None:
    """The plan's integrator: any organisation of kind integrator; an integrator's user keeps the plan its own."""
    field = "body.integrator_id"
    if actor.role == Role.INTEGRATOR:
        if requested not in (None, actor.organisation_id):
            raise InputError.for_field(field, "an integrator drafts plans it carries out itself")
        return actor.organisation_id
    if requested is not None:
        organisation = session.get(Organisation, requested)
        if organisation is None or organisation.kind != OrganisationKind.INTEGRATOR:
            raise InputError.for_field(field, f"organisation {requested} is not a system integrator")
    return requested


def _editable(session: Session, project: FactoryProject) -> UpgradePlan | None:
    if project.stage not in DRAFTING_STAGES:
        raise Conflict(f"project {project.id} is {project.stage.value}: its upgrade plan can no longer change")
    plan = _plan_of(session, project)
    if plan is not None and plan.status not in EDITABLE_PLAN_STATUSES:
        raise Conflict(f"the upgrade plan is {plan.status.value}: it changes again only if the office returns it")
    return plan


def _audit(
    session: Session, actor: Principal, project: FactoryProject, plan: UpgradePlan, action: str,
    before: dict[str, Any] | None, detail: str | None = None,
) -> None:  # fmt: skip
    audit.record(
        session, actor, action=f"upgrade_plan.{action}", entity_type="upgrade_plan", entity_id=plan.id,
        organisation_id=project.enterprise_id, before=before, after=audit.snapshot(plan, PLAN_FIELDS), detail=detail,
    )  # fmt: skip


def save_plan(session: Session, actor: Principal, project_id: int, data: PlanUpdate) -> PlanRead:
    """Create or replace the draft (a returned plan becomes a draft again); nothing is stored if a field is wrong."""
    with session.begin():
        project = get_project(session, actor, project_id, lock=True)
        plan = _editable(session, project)
        integrator_id = _integrator(session, actor, data.integrator_id)
        problems = milestone_problems(data.milestones)
        if problems:
            raise InputError(f"{len(problems)} milestone(s) are wrong: {problems[0].message}", fields=problems)
        before = None if plan is None else audit.snapshot(plan, PLAN_FIELDS)
        if plan is None:
            plan = UpgradePlan(project_id=project.id)
            session.add(plan)
        plan.integrator_id = integrator_id
        plan.budget_cny = data.budget_cny
        plan.robots_to_deploy = data.robots_to_deploy
        plan.milestones = [milestone.model_dump(mode="json") for milestone in data.milestones]
        plan.summary = data.summary
        plan.status = PlanStatus.DRAFT
        session.flush()
        _audit(session, actor, project, plan, "save", before)
    return PlanRead.model_validate(plan)


def submit_plan(session: Session, actor: Principal, project_id: int) -> PlanRead:
    """Hand the plan to the office; 422 naming each field it still lacks."""
    with session.begin():
        project = get_project(session, actor, project_id, lock=True)
        plan = _editable(session, project)
        if plan is None:
            raise NotFound(f"project {project.id} has no upgrade plan yet")
        if project.stage != ProjectStage.DIAGNOSED:
            raise Conflict(f"project {project.id} is {project.stage.value}: a plan is submitted once it is diagnosed")
        problems = submission_problems(PlanRead.model_validate(plan))
        if problems:
            raise InputError(f"the plan is not complete: {problems[0].message}", fields=problems)
        before = audit.snapshot(plan, PLAN_FIELDS)
        plan.status = PlanStatus.SUBMITTED
        plan.submitted_by = actor.user_id
        plan.submitted_at = utcnow()
        session.flush()
        note(session, actor, project, Note.PLAN_SUBMITTED, evidence={"plan_id": plan.id})
        _audit(session, actor, project, plan, "submit", before)
    return PlanRead.model_validate(plan)


# --- the office's decision ---------------------------------------------------------------------------------


def _submitted(session: Session, actor: Principal, project_id: int) -> tuple[FactoryProject, UpgradePlan]:
    project = get_project(session, actor, project_id, lock=True)
    plan = _existing(session, project)
    if plan.status != PlanStatus.SUBMITTED:
        raise Conflict(f"the upgrade plan is {plan.status.value}: the office decides on a submitted plan")
    return project, plan


def _decided(plan: UpgradePlan, actor: Principal, status: PlanStatus, rationale: str | None) -> None:
    plan.status = status
    plan.reviewed_by = actor.user_id
    plan.reviewed_at = utcnow()
    plan.return_rationale = rationale


def approve_plan(session: Session, actor: Principal, project_id: int) -> PlanRead:
    """Approve the submitted plan: the project moves to plan_approved and takes the plan's integrator, budget and
    robots to deploy (the approve_plan transition, with the plan as its evidence)."""
    with session.begin():
        project, plan = _submitted(session, actor, project_id)
        _decided(plan, actor, PlanStatus.APPROVED, None)
        evidence = {
            "plan_id": plan.id,
            "integrator_id": plan.integrator_id,
            "budget_cny": None if plan.budget_cny is None else str(plan.budget_cny),
            "robots_planned": plan.robots_to_deploy,
        }
        apply_transition(session, actor, project, Action.APPROVE_PLAN, evidence=evidence)
    return PlanRead.model_validate(plan)


def return_plan(session: Session, actor: Principal, project_id: int, data: PlanReturn) -> PlanRead:
    """Send the submitted plan back to its authors with the office's reasons; the project stays diagnosed."""
    with session.begin():
        project, plan = _submitted(session, actor, project_id)
        if project.stage != ProjectStage.DIAGNOSED:
            raise Conflict(f"project {project.id} is {project.stage.value}: its plan is no longer reviewed")
        before = audit.snapshot(plan, PLAN_FIELDS)
        _decided(plan, actor, PlanStatus.RETURNED, data.rationale)
        session.flush()
        note(session, actor, project, Note.PLAN_RETURNED, rationale=data.rationale, evidence={"plan_id": plan.id})
        _audit(session, actor, project, plan, "return", before, detail=data.rationale)
    return PlanRead.model_validate(plan)

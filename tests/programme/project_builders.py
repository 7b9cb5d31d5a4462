"""Builds factory projects at any stage for tests, through the services: the application, a real closed on-site
diagnosis (assessment's services, the consensus rated so that the enterprise reaches ``maturity_level``), an
approved upgrade plan and construction. The acceptance and the benchmark decision are the acceptance area's: here a
decided, passed acceptance (and a selected benchmark decision) is stored as it would be, then the transition is made
through ``apply_transition`` as that area's service does.

    project_at(world, ProjectStage.IN_CONSTRUCTION, industry=Industry.ELECTRONICS) -> project id
    built_project(world, stage, ...) -> BuiltProject (with the enterprise's user and the integrator)
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tests.assessment.builders import INDUSTRY, PoolExpert, admin, expert, principal_of
from tests.conftest import Account, World
from tests.programme.builders import current_edition, programme_enterprise
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind
from zhizao.assessment import service_diagnosis, service_pool, service_ratings
from zhizao.assessment.kinds import EnterpriseType
from zhizao.assessment.model import load_model
from zhizao.assessment.schemas import DiagnosisCreate, ProfileUpdate, RatingInput
from zhizao.db.base import utcnow
from zhizao.programme import service_plans, service_projects
from zhizao.programme.acceptance import AcceptanceStatus, Decision
from zhizao.programme.kinds import FUNNEL_STAGES, District, Industry, ProjectStage
from zhizao.programme.lifecycle import Action
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_acceptance import Acceptance, BenchmarkDecision
from zhizao.programme.schemas_projects import (
    Milestone,
    PlanUpdate,
    ProjectCreate,
    RobotsUpdate,
    TransitionRequest,
)

BUDGET = Decimal("3200000.00")
ROBOTS = 12
MILESTONES = [
    Milestone(title="MES 上线", due=date(2021, 6, 30)),
    Milestone(title="机器人工作站投产", due=date(2021, 12, 31)),
]


@dataclass(frozen=True)
class BuiltProject:
    id: int
    enterprise_id: int
    enterprise: Account  # a user of role enterprise acting for it
    integrator_id: int | None  # the plan's integrator, from plan_approved on
    diagnosis_id: int | None


_EXPERTS: weakref.WeakKeyDictionary[World, list[PoolExpert]] = weakref.WeakKeyDictionary()


def _team(world: World) -> list[PoolExpert]:
    """Two experts per world, reused: a closed diagnosis adds nothing to their workload."""
    if world not in _EXPERTS:
        _EXPERTS[world] = [expert(world), expert(world, ("电子信息",))]
    return _EXPERTS[world]


def closed_diagnosis(world: World, enterprise_id: int, maturity_level: int = 3) -> int:
    """A real on-site diagnosis of the enterprise, closed with a stored level of ``maturity_level`` (0–5): the
    consensus rates every requirement up to that level fully met and the others not met."""
    officer = admin(world)
    with world.database.session() as session:
        service_pool.update_profile(
            session, officer, enterprise_id, ProfileUpdate(industry=INDUSTRY, enterprise_type=EnterpriseType.DISCRETE)
        )
    team = _team(world)
    with world.database.session() as session:
        created = service_diagnosis.open_diagnosis(session, officer, DiagnosisCreate(enterprise_id=enterprise_id))
        diagnosis_id = created.id
    with world.database.session() as session:
        service_diagnosis.adjust_team(session, officer, diagnosis_id, [member.id for member in team])
    for member in team:
        with world.database.session() as session:
            service_diagnosis.respond(session, principal_of(member.user), diagnosis_id, accept=True)
    with world.database.session() as session:
        service_diagnosis.start_consensus(session, officer, diagnosis_id)
    ratings = [
        RatingInput(item=item.id, rating=1.0 if item.level <= maturity_level else 0.0)
        for item in load_model().applicable(EnterpriseType.DISCRETE)
    ]
    with world.database.session() as session:
        service_ratings.save_ratings(session, officer, diagnosis_id, ratings)
    with world.database.session() as session:
        service_diagnosis.close(session, officer, diagnosis_id)
    return diagnosis_id


def _move(world: World, actor: Principal, project_id: int, request: TransitionRequest) -> None:
    with world.database.session() as session:
        service_projects.transition(session, actor, project_id, request)


def _decided_elsewhere(world: World, project_id: int, action: Action) -> None:
    """Store the acceptance area's record (a passed acceptance, a selected benchmark) and make its transition."""
    officer = admin(world)
    with world.database.session() as session, session.begin():
        project = session.get(FactoryProject, project_id)
        assert project is not None
        if action == Action.ACCEPT:
            record: Acceptance | BenchmarkDecision = Acceptance(
                project_id=project_id, checklist=[], maturity_level=project.maturity_level,
                status=AcceptanceStatus.DECIDED, decision=Decision.PASSED, rationale="验收通过",
                opened_by=officer.user_id, decided_by=officer.user_id, decided_at=utcnow(),
            )  # fmt: skip
        else:
            record = BenchmarkDecision(
                project_id=project_id, edition_id=project.edition_id, industry=project.industry, rank=1,
                score=Decimal("25"), selected=True, rationale="评为标杆", decided_by=officer.user_id,
            )  # fmt: skip
        session.add(record)
        session.flush()
        key = "acceptance_id" if action == Action.ACCEPT else "decision_id"
        evidence = {key: record.id, "maturity_level": project.maturity_level}
        service_projects.apply_transition(session, officer, project, action, evidence=evidence)


def built_project(
    world: World,
    stage: ProjectStage = ProjectStage.APPLIED,
    *,
    industry: Industry = Industry.AUTOMOTIVE,
    district: District = District.PUDONG,
    maturity_level: int = 3,
    robots_deployed: int = 0,
    title: str = "智能工厂建设项目",
) -> BuiltProject:
    """A project driven to ``stage``: a funnel stage, or rejected / withdrawn right after the application."""
    enterprise_id, account = programme_enterprise(world, industry, district)
    current_edition(world)
    owner = principal_of(account)
    officer = admin(world)
    with world.database.session() as session:
        project_id = service_projects.apply(session, owner, ProjectCreate(title=title)).id
    if stage in (ProjectStage.REJECTED, ProjectStage.WITHDRAWN):
        action, actor = (Action.REJECT, officer) if stage == ProjectStage.REJECTED else (Action.WITHDRAW, owner)
        _move(world, actor, project_id, TransitionRequest(action=action, rationale="不符合申报条件"))
        return BuiltProject(project_id, enterprise_id, account, None, None)
    reached = FUNNEL_STAGES.index(stage)
    diagnosis_id = integrator_id = None
    if reached >= FUNNEL_STAGES.index(ProjectStage.DIAGNOSED):
        diagnosis_id = closed_diagnosis(world, enterprise_id, maturity_level)
        _move(world, officer, project_id, TransitionRequest(action=Action.RECORD_DIAGNOSIS, diagnosis_id=diagnosis_id))
    if reached >= FUNNEL_STAGES.index(ProjectStage.PLAN_APPROVED):
        integrator_id = world.organisation(OrganisationKind.INTEGRATOR)
        plan = PlanUpdate(
            integrator_id=integrator_id, budget_cny=BUDGET, robots_to_deploy=ROBOTS, milestones=MILESTONES,
            summary="以 MES 与机器人工作站为核心的智能化升级",
        )  # fmt: skip
        with world.database.session() as session:
            service_plans.save_plan(session, owner, project_id, plan)
        with world.database.session() as session:
            service_plans.submit_plan(session, owner, project_id)
        with world.database.session() as session:
            service_plans.approve_plan(session, officer, project_id)
    if reached >= FUNNEL_STAGES.index(ProjectStage.IN_CONSTRUCTION):
        _move(world, owner, project_id, TransitionRequest(action=Action.START_CONSTRUCTION))
        if robots_deployed:
            robots = RobotsUpdate(robots_deployed=robots_deployed)
            with world.database.session() as session:
                service_projects.record_robots(session, owner, project_id, robots)
    if reached >= FUNNEL_STAGES.index(ProjectStage.ACCEPTED):
        _decided_elsewhere(world, project_id, Action.ACCEPT)
    if reached >= FUNNEL_STAGES.index(ProjectStage.RECOGNISED):
        _move(world, officer, project_id, TransitionRequest(action=Action.RECOGNISE))
    if reached >= FUNNEL_STAGES.index(ProjectStage.BENCHMARK):
        _decided_elsewhere(world, project_id, Action.DESIGNATE_BENCHMARK)
    return BuiltProject(project_id, enterprise_id, account, integrator_id, diagnosis_id)


def project_at(
    world: World,
    stage: ProjectStage = ProjectStage.APPLIED,
    *,
    industry: Industry = Industry.AUTOMOTIVE,
    district: District = District.PUDONG,
    maturity_level: int = 3,
    robots_deployed: int = 0,
) -> int:
    """The id of a project driven to ``stage`` (see ``built_project``)."""
    built = built_project(
        world, stage, industry=industry, district=district, maturity_level=maturity_level,
        robots_deployed=robots_deployed,
    )  # fmt: skip
    return built.id

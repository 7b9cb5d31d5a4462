"""The demo programme's projects, each driven by the lifecycle to the stage its plan says, through the services:
on-site diagnoses (generated consensus ratings reaching the planned level, as the assessment demo makes them), the
application, the diagnosis recorded, the upgrade plan drafted, submitted and approved, construction with its
robots, the acceptance with its checklist, stored KPI verification and expert reviews, recognition with the case
narrative, and benchmark selection within the industry quotas; rejections and withdrawals with their reasons.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.assessment import service_diagnosis, service_levels, service_ratings
from zhizao.assessment.model import load_model
from zhizao.assessment.schemas import DiagnosisCreate
from zhizao.assessment.service_access import team
from zhizao.demo.assessment import DemoTarget, consensus_ratings
from zhizao.demo.governance_books import verify_project
from zhizao.demo.governance_catalogue import ASSESSMENT_INDUSTRY, enterprise_type
from zhizao.demo.governance_plan import DemoProject
from zhizao.programme import service_acceptance, service_benchmark, service_plans, service_projects
from zhizao.programme.acceptance import Decision, Opinion
from zhizao.programme.kinds import FUNNEL_STAGES, Industry, ProjectStage
from zhizao.programme.lifecycle import Action
from zhizao.programme.schemas_acceptance import (
    AcceptanceCreate,
    AcceptanceDecide,
    BenchmarkDecisionCreate,
    ChecklistItem,
    ChecklistUpdate,
    ReviewSubmit,
    VerificationAttach,
)
from zhizao.programme.schemas_projects import CaseUpdate, Milestone, PlanUpdate, ProjectCreate, RobotsUpdate
from zhizao.programme.schemas_projects import TransitionRequest as Move

PARTIAL = 0.4  # the next level's score the generated ratings aim at
REJECTIONS = {
    ProjectStage.APPLIED: "申报材料不完整，且企业近三年有安全生产行政处罚记录，不符合申报条件",
    ProjectStage.DIAGNOSED: "现场诊断显示数字化基础薄弱，设备联网率不足三成，建议先开展数字化车间建设后再行申报",
    ProjectStage.PLAN_APPROVED: "改造方案的实施主体变更且配套资金未落实，经专题会研究终止项目",
}
WITHDRAWALS = {
    ProjectStage.APPLIED: "企业调整年度投资计划，主动撤回本期申报",
    ProjectStage.DIAGNOSED: "产线计划整体搬迁至外省基地，撤回本期申报，拟搬迁完成后重新申报",
    ProjectStage.PLAN_APPROVED: "集团统一部署数字化转型，项目并入集团总体方案，撤回本期申报",
}


@dataclass(frozen=True, slots=True)
class Cast:
    """Who acts: the administrator (for enterprises, as the enterprise would), the programme officer, the demo
    integrator's user, and the expert pool's users with the industries each covers."""

    admin: Principal
    officer: Principal
    integrator: Principal
    experts: dict[int, Principal]  # by user id
    expert_industries: dict[int, tuple[str, ...]]


def _fresh(session: Session) -> Session:
    """The session with no transaction open: each service begins its own."""
    session.rollback()
    return session


def short_name(name: str) -> str:
    return name.removeprefix("上海").removesuffix("有限公司").removesuffix("股份")


def target_of(project: DemoProject) -> DemoTarget:
    """The assessment demo's description of a diagnosis, for the ratings generator."""
    return DemoTarget(
        project.name, ASSESSMENT_INDUSTRY[project.industry], enterprise_type(project.industry), "",
        project.maturity_level, PARTIAL,
    )  # fmt: skip


def reach(project: DemoProject) -> int:
    """How far along the funnel the project goes before it ends (benchmarks: to recognition, then selection)."""
    stage = project.stopped_at or project.stage
    return min(FUNNEL_STAGES.index(stage), FUNNEL_STAGES.index(ProjectStage.RECOGNISED))


# --- diagnoses -----------------------------------------------------------------------------------------------


def diagnose_all(session: Session, cast: Cast, projects: list[tuple[int, DemoProject]]) -> dict[int, int]:
    """A closed on-site diagnosis per enterprise (id, plan) reaching the planned level; enterprise → diagnosis.
    All are opened and staffed first, so that the proposals balance the experts' workload."""
    opened = []
    for enterprise_id, project in projects:
        diagnosis_id = service_diagnosis.open_diagnosis(
            _fresh(session), cast.officer, DiagnosisCreate(enterprise_id=enterprise_id, team_size=2)
        ).id
        service_diagnosis.propose_team(_fresh(session), cast.officer, diagnosis_id)
        opened.append((enterprise_id, diagnosis_id, project))
    model = load_model()
    found = {}
    for enterprise_id, diagnosis_id, project in opened:
        members = [cast.experts[expert.user_id] for _member, expert in team(_fresh(session), diagnosis_id)]
        for member in members:
            service_diagnosis.respond(_fresh(session), member, diagnosis_id, accept=True)
        # The consensus only: the experts' independent ratings (and so the agreement figures) are the assessment
        # demo's seven diagnoses'; rating every item three times over for 130 enterprises took too long.
        service_diagnosis.start_consensus(_fresh(session), members[0], diagnosis_id)
        ratings = consensus_ratings(model, target_of(project))
        service_ratings.save_ratings(_fresh(session), members[0], diagnosis_id, ratings)
        service_diagnosis.close(_fresh(session), cast.officer, diagnosis_id)
        found[enterprise_id] = diagnosis_id
    return found


def existing_diagnosis(session: Session, enterprise_id: int) -> int:
    found = service_levels.latest_closed_diagnosis(_fresh(session), enterprise_id)
    assert found is not None, "the assessment demo diagnosed this enterprise"
    return found.assessment_id


# --- one project ---------------------------------------------------------------------------------------------


def applied_on(project: DemoProject) -> date:
    """Spring of the year it applied, spread over the weeks of the call for applications."""
    return date(project.applied_year, 3, 1) + timedelta(days=zlib.crc32(project.name.encode()) % 75)


def recognised_on(project: DemoProject) -> date:
    """After its evaluation quarter (the third quarter of the year after it applied) and the acceptance."""
    return date(project.applied_year + 1, 12, 1) + timedelta(days=zlib.crc32(project.name.encode()) % 20)


def _milestones(project: DemoProject, built: bool) -> list[Milestone]:
    year = project.applied_year
    steps = (
        ("方案细化与设备招标", date(year, 10, 31)),
        ("设备安装与系统联调", date(year + 1, 3, 31)),
        ("系统上线与试运行", date(year + 1, 6, 30)),
        ("运行考核与验收准备", date(year + 1, 10, 31)),
    )
    return [Milestone(title=title, due=due, done=built or index == 0) for index, (title, due) in enumerate(steps)]


def _plan(project: DemoProject, integrator_id: int) -> PlanUpdate:
    built = FUNNEL_STAGES.index(project.stage if project.stopped_at is None else project.stopped_at) >= 4
    return PlanUpdate(
        integrator_id=integrator_id,
        budget_cny=project.budget_cny,
        robots_to_deploy=project.robots_planned,
        milestones=_milestones(project, built),
        summary=(
            f"围绕{ASSESSMENT_INDUSTRY[project.industry]}生产全流程，新增工业机器人 {project.robots_planned} 台，"
            "建设设备联网与数据采集、制造执行系统（MES）和能源管理，打通计划、生产、质量与物流数据，"
            f"目标生产效率提升 20% 以上、运营成本降低 20% 以上，达到智能制造能力成熟度 {project.maturity_level} 级。"
        ),
    )


def walk(
    session: Session, cast: Cast, project: DemoProject, enterprise_id: int, integrator_id: int,
    diagnosis_id: int | None, reviewers: list[int], checklist: list[str],
) -> int:  # fmt: skip
    """Apply, then move the project to its planned stage (benchmarks stop at recognition); returns its id."""
    title = f"{short_name(project.name)}智能工厂建设项目"
    # Registered as the office would record past decisions: on the days they were taken, not today.
    applied = ProjectCreate(title=title, enterprise_id=enterprise_id, applied_on=applied_on(project))
    project_id = service_projects.apply(_fresh(session), cast.officer, applied).id
    steps = reach(project)
    if steps >= 1:
        move = Move(action=Action.RECORD_DIAGNOSIS, diagnosis_id=diagnosis_id)
        service_projects.transition(_fresh(session), cast.officer, project_id, move)
    if steps >= 2:
        # The enterprise drafts the plan naming its integrator; the demo integrator's user then submits its own.
        service_plans.save_plan(_fresh(session), cast.admin, project_id, _plan(project, integrator_id))
        author = cast.integrator if integrator_id == cast.integrator.organisation_id else cast.admin
        service_plans.submit_plan(_fresh(session), author, project_id)
        service_plans.approve_plan(_fresh(session), cast.officer, project_id)
    if steps >= 3:
        move = Move(action=Action.START_CONSTRUCTION)
        service_projects.transition(_fresh(session), cast.officer, project_id, move)
        robots = RobotsUpdate(robots_deployed=project.robots_deployed)
        service_projects.record_robots(_fresh(session), cast.officer, project_id, robots)
    if project.failed_acceptance:
        verification_id = verify_project(session, cast.admin, cast.officer, enterprise_id, project)
        accept(session, cast, project, project_id, verification_id, reviewers, checklist, passed=False)
    if steps >= 4:
        verification_id = verify_project(session, cast.admin, cast.officer, enterprise_id, project)
        accept(session, cast, project, project_id, verification_id, reviewers, checklist, passed=True)
    if steps >= 5:
        move = Move(action=Action.RECOGNISE, recognised_on=recognised_on(project))
        service_projects.transition(_fresh(session), cast.officer, project_id, move)
        service_projects.update_case(_fresh(session), cast.admin, project_id, case(project))
    if project.stage is ProjectStage.REJECTED:
        assert project.stopped_at is not None
        move = Move(action=Action.REJECT, rationale=REJECTIONS[project.stopped_at])
        service_projects.transition(_fresh(session), cast.officer, project_id, move)
    elif project.stage is ProjectStage.WITHDRAWN:
        assert project.stopped_at is not None
        move = Move(action=Action.WITHDRAW, rationale=WITHDRAWALS[project.stopped_at])
        service_projects.transition(_fresh(session), cast.officer, project_id, move)
    return project_id


def accept(
    session: Session, cast: Cast, project: DemoProject, project_id: int, verification_id: int, reviewers: list[int],
    checklist: list[str], *, passed: bool,
) -> None:  # fmt: skip
    """An acceptance with its checklist, the stored verification and two experts' reviews, decided."""
    opened = AcceptanceCreate(project_id=project_id, expert_user_ids=reviewers)
    acceptance_id = service_acceptance.open_acceptance(_fresh(session), cast.officer, opened).id
    marks = [
        ChecklistItem(key=key, passed=passed or key != "kpis_verified", note="" if passed else "核验结果未达目标")
        for key in checklist
    ]
    service_acceptance.mark_checklist(_fresh(session), cast.officer, acceptance_id, ChecklistUpdate(items=marks))
    attach = VerificationAttach(verification_id=verification_id)
    service_acceptance.attach_verification(_fresh(session), cast.officer, acceptance_id, attach)
    gains = f"生产效率提升 {project.productivity_gain_pct}%，运营成本降低 {project.cost_reduction_pct}%"
    for position, reviewer in enumerate(reviewers):
        opinion = Opinion.PASS if passed or position == 0 else Opinion.FAIL
        comment = f"现场核查与数据核验一致：{gains}。" if passed else f"建设内容基本完成，但{gains}，未达 20% 目标。"
        review = ReviewSubmit(opinion=opinion, comment=comment)
        service_acceptance.submit_review(_fresh(session), cast.experts[reviewer], acceptance_id, review)
    rationale = (
        f"专家组评审通过，清单各项均已满足；KPI 核验{gains}，均达到专项行动目标。"
        if passed
        else f"KPI 核验{gains}，未达到 20% 的目标，暂不通过验收，请企业完成整改后重新申请。"
    )
    decision = AcceptanceDecide(decision=Decision.PASSED if passed else Decision.FAILED, rationale=rationale)
    service_acceptance.decide(_fresh(session), cast.officer, acceptance_id, decision)


def case(project: DemoProject) -> CaseUpdate:
    """The case-collection narrative a recognised factory writes."""
    name = short_name(project.name)
    return CaseUpdate(
        case_title=f"{name}：以数据驱动的{ASSESSMENT_INDUSTRY[project.industry]}智能工厂",
        case_summary_zh=(
            f"{project.name}新增工业机器人 {project.robots_deployed} 台，实现关键设备联网和生产数据实时采集，"
            "以制造执行系统贯通计划、生产、质量与物流。经平台按基线与评估两个季度的机器数据核验，"
            f"生产效率提升 {project.productivity_gain_pct}%，运营成本降低 {project.cost_reduction_pct}%，"
            f"智能制造能力成熟度达到 {project.maturity_level} 级。"
        ),
        case_summary_en=(
            f"{project.robots_deployed} new industrial robots, networked equipment and an MES that joins planning, "
            f"production, quality and logistics. Verified from machine data over matched quarters: productivity "
            f"+{project.productivity_gain_pct} %, operating cost −{project.cost_reduction_pct} %, maturity level "
            f"{project.maturity_level}."
        ),
    )


def reviewers_for(cast: Cast, industry: Industry, turn: int) -> list[int]:
    """Two reviewing experts, the first covering the industry, taken in turn so that reviews are spread."""
    label = ASSESSMENT_INDUSTRY[industry]
    pool = sorted(cast.expert_industries)
    covering = [user_id for user_id in pool if label in cast.expert_industries[user_id]] or pool
    first = covering[turn % len(covering)]
    others = [user_id for user_id in pool if user_id != first]
    return [first, others[turn % len(others)]]


# --- benchmark selection -------------------------------------------------------------------------------------


def select_benchmarks(session: Session, cast: Cast, chosen: dict[Industry, list[int]]) -> list[tuple[str, str]]:
    """Designate the planned benchmarks of each industry, then record, where an industry's quota is left, why the
    best-ranked of the others was not designated this time; returns (industry, decision) rows."""
    rows = []
    for industry, project_ids in chosen.items():
        for project_id in project_ids:
            data = BenchmarkDecisionCreate(
                project_id=project_id, selected=True,
                rationale="成熟度与核验成效在本行业排名前列，示范带动作用明显，认定为标杆智能工厂",
            )  # fmt: skip
            service_benchmark.decide(_fresh(session), cast.officer, data)
            rows.append((industry.value, f"project {project_id} designated"))
    ranking = service_benchmark.ranking(_fresh(session), cast.officer)
    for entry in ranking.industries:
        if entry.left == 0:
            continue
        runner_up = next((e for e in entry.entries if e.rank is not None and e.stage is ProjectStage.RECOGNISED), None)
        if runner_up is None:
            continue
        data = BenchmarkDecisionCreate(
            project_id=runner_up.project_id, selected=False,
            rationale="综合评分靠前，但智能化场景的行业示范性仍需提升，列入下一批标杆培育名单",
        )  # fmt: skip
        service_benchmark.decide(_fresh(session), cast.officer, data)
        rows.append((entry.industry.value, f"project {runner_up.project_id} not designated (quota left)"))
    return rows

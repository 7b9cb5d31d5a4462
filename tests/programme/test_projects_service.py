"""Factory projects through their services: applying, the evidence each transition needs (refused with the field
named and nothing changed), the timeline and the audit log, recognition, robots and the case narrative."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.assessment.builders import admin, principal_of
from tests.conftest import World
from tests.programme.builders import current_edition, programme_enterprise
from tests.programme.project_builders import built_project, closed_diagnosis, project_at
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment import service_diagnosis
from zhizao.assessment.schemas import DiagnosisCreate
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied
from zhizao.programme import project_reads, service_projects
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.programme.lifecycle import Action
from zhizao.programme.models import FactoryProject, ProjectEvent
from zhizao.programme.schemas_projects import CaseUpdate, ProjectCreate, RobotsUpdate, TransitionRequest


def _counts(world: World, project_id: int) -> tuple[str, int, int]:
    """The project's stage, its timeline length and the audit entries about it: what a refusal must leave as is."""
    with world.database.session() as session:
        project = session.get(FactoryProject, project_id)
        assert project is not None
        events = session.scalar(select(func.count()).where(ProjectEvent.project_id == project_id)) or 0
        audits = session.scalar(
            select(func.count()).where(
                AuditEntry.entity_type == "programme_project", AuditEntry.entity_id == str(project_id)
            )
        )
        return project.stage.value, events, audits or 0


def _move(world: World, actor: Principal, project_id: int, **request: object) -> ProjectStage:
    with world.database.session() as session:
        return service_projects.transition(session, actor, project_id, TransitionRequest.model_validate(request)).stage


def test_an_enterprise_applies_once_per_edition_with_its_industry(world: World) -> None:
    enterprise_id, account = programme_enterprise(world, Industry.BIOMEDICINE, District.MINHANG)
    edition_id = current_edition(world)
    owner = principal_of(account)
    with world.database.session() as session:
        project = service_projects.apply(session, owner, ProjectCreate(title="无菌制剂智能工厂"))
    assert (project.stage, project.industry, project.district) == (
        ProjectStage.APPLIED, Industry.BIOMEDICINE, District.MINHANG,
    )  # fmt: skip
    assert (project.edition_id, project.enterprise_id) == (edition_id, enterprise_id)
    assert [(e.action, e.to_stage) for e in project.timeline] == [("apply", ProjectStage.APPLIED)]
    assert project.actions == [Action.WITHDRAW]
    assert _counts(world, project.id) == ("applied", 1, 1)

    with world.database.session() as session, pytest.raises(Conflict) as twice:
        service_projects.apply(session, owner, ProjectCreate(title="再次申报"))
    assert [problem.field for problem in twice.value.fields] == ["body.enterprise_id"]
    other = world.organisation()
    with world.database.session() as session, pytest.raises(NotFound):
        service_projects.apply(session, owner, ProjectCreate(title="替别人申报", enterprise_id=other))


def test_who_applies_for_whom(world: World) -> None:
    current_edition(world)
    officer = principal_of(world.user(Role.OFFICER))
    unregistered = world.organisation()
    with world.database.session() as session, pytest.raises(InputError) as missing:
        service_projects.apply(session, officer, ProjectCreate(title="未登记企业"))
    assert missing.value.fields[0].field == "body.enterprise_id"
    with world.database.session() as session, pytest.raises(InputError, match="not registered") as unknown:
        service_projects.apply(session, officer, ProjectCreate(title="未登记企业", enterprise_id=unregistered))
    assert unknown.value.fields[0].field == "body.enterprise_id"
    enterprise_id, account = programme_enterprise(world)
    with world.database.session() as session, pytest.raises(InputError) as past:
        service_projects.apply(session, principal_of(account), ProjectCreate(title="往届", edition_id=999))
    assert past.value.fields[0].field == "body.edition_id"
    with world.database.session() as session:
        made = service_projects.apply(session, officer, ProjectCreate(title="代为申报", enterprise_id=enterprise_id))
    assert made.enterprise_id == enterprise_id and made.timeline[0].actor_role == "officer"


def test_recording_a_diagnosis_needs_a_closed_diagnosis_of_this_enterprise(world: World) -> None:
    built = built_project(world)
    officer = admin(world)
    before = _counts(world, built.id)
    with pytest.raises(InputError, match="closed on-site diagnosis") as none_given:
        _move(world, officer, built.id, action="record_diagnosis")
    assert none_given.value.fields[0].field == "body.diagnosis_id"
    diagnosis_id = closed_diagnosis(world, built.enterprise_id, maturity_level=2)  # sets the assessment profile
    with world.database.session() as session:
        still_open = service_diagnosis.open_diagnosis(
            session, officer, DiagnosisCreate(enterprise_id=built.enterprise_id)
        ).id
    with pytest.raises(InputError, match=f"assessment {still_open} is a diagnosis that is opened"):
        _move(world, officer, built.id, action="record_diagnosis", diagnosis_id=still_open)
    elsewhere = closed_diagnosis(world, programme_enterprise(world)[0])
    with pytest.raises(InputError, match="not an assessment of this enterprise"):
        _move(world, officer, built.id, action="record_diagnosis", diagnosis_id=elsewhere)
    with pytest.raises(InputError, match="not an assessment of this enterprise"):
        _move(world, officer, built.id, action="record_diagnosis", diagnosis_id=2_000_000_000)
    with pytest.raises(PermissionDenied):
        _move(world, principal_of(built.enterprise), built.id, action="record_diagnosis", diagnosis_id=elsewhere)
    assert _counts(world, built.id) == before

    assert _move(world, officer, built.id, action="record_diagnosis", diagnosis_id=diagnosis_id) == "diagnosed"
    with world.database.session() as session:
        project = project_reads.read_project(session, officer, built.id)
    assert (project.diagnosis_id, project.maturity_level) == (diagnosis_id, 2)
    last = project.timeline[-1]
    assert (last.action, last.from_stage, last.to_stage, last.actor_name) == (
        "record_diagnosis", ProjectStage.APPLIED, ProjectStage.DIAGNOSED, officer.username,
    )  # fmt: skip
    assert last.evidence is not None and last.evidence["diagnosis_id"] == diagnosis_id
    with world.database.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "programme_project.record_diagnosis")
        ).one()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["stage"], entry.after["stage"], entry.after["maturity_level"]) == ("applied", "diagnosed", 2)
    assert entry.organisation_id == built.enterprise_id


@pytest.mark.parametrize(
    ("stage", "action", "where"),
    [
        (ProjectStage.DIAGNOSED, "approve_plan", "upgrade plan"),
        (ProjectStage.IN_CONSTRUCTION, "accept", "passed acceptance"),
        (ProjectStage.RECOGNISED, "designate_benchmark", "benchmark decision"),
    ],
)
def test_transitions_decided_elsewhere_are_not_posted(
    world: World, stage: ProjectStage, action: str, where: str
) -> None:
    project_id = project_at(world, stage)
    before = _counts(world, project_id)
    with pytest.raises(InputError, match=where) as refused:
        _move(world, admin(world), project_id, action=action)
    assert refused.value.fields[0].field == "body.action"
    assert _counts(world, project_id) == before


def test_rejection_needs_a_rationale_and_is_final(world: World) -> None:
    project_id = project_at(world, ProjectStage.APPLIED)
    officer = admin(world)
    with pytest.raises(InputError) as bare:
        _move(world, officer, project_id, action="reject")
    assert bare.value.fields[0].field == "body.rationale"
    assert _counts(world, project_id) == ("applied", 1, 1)
    assert _move(world, officer, project_id, action="reject", rationale="不属于七大重点行业") == "rejected"
    with pytest.raises(Conflict, match="a project that is rejected cannot withdraw"):
        _move(world, officer, project_id, action="withdraw")
    with world.database.session() as session:
        last = project_reads.timeline(session, officer, project_id)[-1]
    assert (last.action, last.rationale) == ("reject", "不属于七大重点行业")


def test_construction_robots_acceptance_and_recognition(world: World) -> None:
    built = built_project(world, ProjectStage.PLAN_APPROVED)
    owner = principal_of(built.enterprise)
    with world.database.session() as session, pytest.raises(Conflict) as early:
        service_projects.record_robots(session, owner, built.id, RobotsUpdate(robots_deployed=3))
    assert early.value.fields[0].field == "body.robots_deployed"
    assert _move(world, owner, built.id, action="start_construction") == "in_construction"
    with world.database.session() as session:
        project = service_projects.record_robots(session, owner, built.id, RobotsUpdate(robots_deployed=15))
    assert (project.robots_deployed, project.robots_planned) == (15, 12)  # more than planned is allowed
    assert project.timeline[-1].evidence == {"before": 0, "after": 15}
    officer = admin(world)
    with pytest.raises(Conflict, match="a project that is in_construction cannot recognise"):
        _move(world, officer, built.id, action="recognise")

    accepted = project_at(world, ProjectStage.ACCEPTED)
    assert _move(world, officer, accepted, action="recognise") == "recognised"
    with world.database.session() as session:
        recognised = project_reads.read_project(session, officer, accepted)
    assert recognised.recognised_on is not None
    assert recognised.timeline[-1].evidence is not None and "acceptance_id" in recognised.timeline[-1].evidence


def test_recognition_without_a_recorded_acceptance_is_refused(world: World) -> None:
    project_id = project_at(world, ProjectStage.IN_CONSTRUCTION)
    officer = admin(world)
    with world.database.session() as session, session.begin():
        project = session.get(FactoryProject, project_id)
        assert project is not None
        project.stage = ProjectStage.ACCEPTED  # as a database edited by hand would have it
    with pytest.raises(Conflict, match="no passed acceptance on record"):
        _move(world, officer, project_id, action="recognise")
    with world.database.session() as session, session.begin(), pytest.raises(InputError) as bare:
        project = session.get(FactoryProject, project_id)
        assert project is not None
        service_projects.apply_transition(session, officer, project, Action.RECOGNISE, evidence={})
    assert bare.value.fields[0].field == "evidence.acceptance_id"


def test_the_case_narrative_is_the_enterprises(world: World) -> None:
    built = built_project(world, ProjectStage.APPLIED)
    owner = principal_of(built.enterprise)
    with world.database.session() as session:
        service_projects.update_case(
            session, owner, built.id, CaseUpdate(case_title="灯塔工厂之路", case_summary_zh="产线数字化")
        )
    with world.database.session() as session:
        project = service_projects.update_case(session, owner, built.id, CaseUpdate(case_summary_en="Digital lines"))
    assert (project.case_title, project.case_summary_zh, project.case_summary_en) == (
        "灯塔工厂之路", "产线数字化", "Digital lines",
    )  # fmt: skip
    _move(world, owner, built.id, action="withdraw")
    with world.database.session() as session, pytest.raises(Conflict, match="withdrawn"):
        service_projects.update_case(session, owner, built.id, CaseUpdate(case_title="x"))

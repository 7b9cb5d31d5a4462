"""Upgrade plans: the milestone and completeness rules (table-driven, each naming its field), and a plan's way from
draft through the office's return to approval, which moves the project on with the plan's figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.assessment.builders import admin, principal_of
from tests.conftest import World
from tests.programme.project_builders import MILESTONES, built_project, closed_diagnosis
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.errors import Conflict, InputError, NotFound
from zhizao.programme import project_reads, service_plans, service_projects
from zhizao.programme.kinds import ProjectStage
from zhizao.programme.models_delivery import PlanStatus
from zhizao.programme.schemas_projects import (
    Milestone,
    PlanRead,
    PlanReturn,
    PlanUpdate,
    ProjectFilter,
    TransitionRequest,
)
from zhizao.programme.service_plans import milestone_problems, submission_problems


def _m(title: str, due: str, done: bool = False) -> Milestone:
    return Milestone(title=title, due=date.fromisoformat(due), done=done)


@pytest.mark.parametrize(
    ("milestones", "expected"),
    [
        ([], []),
        ([_m("设计", "2021-03-01"), _m("实施", "2021-03-01"), _m("验收", "2021-09-30")], []),
        ([_m("设计", "2021-03-01"), _m("实施", "2021-02-01")], ["body.milestones[1].due"]),
        ([_m("设计", "2021-03-01"), _m("实施", "2021-05-01"), _m("设计", "2021-06-01")], ["body.milestones[2].title"]),
        ([_m("MES", "2021-03-01"), _m("mes", "2021-01-01")], ["body.milestones[1].due", "body.milestones[1].title"]),
    ],
)
def test_milestones_come_in_due_order_with_titles_of_their_own(
    milestones: list[Milestone], expected: list[str]
) -> None:
    assert [problem.field for problem in milestone_problems(milestones)] == expected


def _plan(**fields: object) -> PlanRead:
    complete: dict[str, object] = {
        "id": 1, "project_id": 1, "integrator_id": 7, "budget_cny": Decimal("1000000"), "robots_to_deploy": 4,
        "milestones": [_m("上线", "2021-06-30")], "summary": "MES 与机器人", "status": PlanStatus.DRAFT,
        "submitted_by": None, "submitted_at": None, "reviewed_by": None, "reviewed_at": None,
        "return_rationale": None, "updated_at": "2021-01-01T00:00:00Z",
    }  # fmt: skip
    return PlanRead.model_validate({**complete, **fields})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"integrator_id": None}, ["plan.integrator_id"]),
        ({"budget_cny": None}, ["plan.budget_cny"]),
        ({"budget_cny": Decimal(0)}, ["plan.budget_cny"]),
        ({"milestones": []}, ["plan.milestones"]),
        ({"summary": "  "}, ["plan.summary"]),
        ({"milestones": [_m("b", "2021-02-01"), _m("a", "2021-01-01")]}, ["plan.milestones[1].due"]),
    ],
)
def test_what_a_plan_needs_before_it_is_submitted(changes: dict[str, object], expected: list[str]) -> None:
    assert [problem.field for problem in submission_problems(_plan(**changes))] == expected


def test_a_plan_from_draft_through_return_to_approval(world: World) -> None:
    built = built_project(world, ProjectStage.APPLIED)
    owner = principal_of(built.enterprise)
    officer = admin(world)
    integrator = world.user(Role.INTEGRATOR)
    assert integrator.organisation_id is not None
    as_integrator = principal_of(integrator)
    with world.database.session() as session, pytest.raises(NotFound):
        service_plans.read_plan(session, owner, built.id)

    wrong = PlanUpdate(
        integrator_id=built.enterprise_id, milestones=[_m("实施", "2021-05-01"), _m("设计", "2021-03-01")]
    )
    with world.database.session() as session, pytest.raises(InputError) as refused:
        service_plans.save_plan(session, owner, built.id, wrong)
    assert [problem.field for problem in refused.value.fields] == ["body.integrator_id"]
    with world.database.session() as session, pytest.raises(InputError) as unordered:
        service_plans.save_plan(session, owner, built.id, wrong.model_copy(update={"integrator_id": None}))
    assert [problem.field for problem in unordered.value.fields] == ["body.milestones[1].due"]
    with world.database.session() as session, pytest.raises(NotFound):  # nothing was stored
        service_plans.read_plan(session, owner, built.id)

    draft = PlanUpdate(integrator_id=integrator.organisation_id, summary="产线自动化")
    with world.database.session() as session:
        service_plans.save_plan(session, owner, built.id, draft)
    # Named on the plan, the integrator sees the project and works on the plan, but keeps it its own.
    with world.database.session() as session:
        seen = project_reads.list_projects(session, as_integrator, ProjectFilter())
    assert [item.id for item in seen.items] == [built.id]
    with world.database.session() as session, pytest.raises(InputError) as handed_on:
        service_plans.save_plan(session, as_integrator, built.id, draft.model_copy(update={"integrator_id": 1}))
    assert handed_on.value.fields[0].field == "body.integrator_id"
    figures = draft.model_copy(
        update={"budget_cny": Decimal("2500000.50"), "robots_to_deploy": 8, "milestones": MILESTONES}
    )
    with world.database.session() as session:
        service_plans.save_plan(session, as_integrator, built.id, figures)
    with world.database.session() as session, pytest.raises(Conflict, match="once it is diagnosed"):
        service_plans.submit_plan(session, owner, built.id)

    _diagnose(world, built.id, built.enterprise_id)
    with world.database.session() as session:
        submitted = service_plans.submit_plan(session, as_integrator, built.id)
    assert submitted.status == PlanStatus.SUBMITTED and submitted.submitted_by == integrator.user_id
    with world.database.session() as session, pytest.raises(Conflict, match="submitted"):
        service_plans.save_plan(session, owner, built.id, figures)
    with world.database.session() as session:
        returned = service_plans.return_plan(session, officer, built.id, PlanReturn(rationale="预算依据不足"))
    assert (returned.status, returned.return_rationale) == (PlanStatus.RETURNED, "预算依据不足")
    with world.database.session() as session, pytest.raises(Conflict, match="returned"):
        service_plans.approve_plan(session, officer, built.id)
    with world.database.session() as session:
        assert service_plans.save_plan(session, owner, built.id, figures).status == PlanStatus.DRAFT
    with world.database.session() as session:
        service_plans.submit_plan(session, owner, built.id)
    with world.database.session() as session:
        approved = service_plans.approve_plan(session, officer, built.id)
    assert approved.status == PlanStatus.APPROVED and approved.reviewed_by == officer.user_id

    with world.database.session() as session:
        project = project_reads.read_project(session, owner, built.id)
    assert project.stage == ProjectStage.PLAN_APPROVED
    assert (project.integrator_id, project.budget_cny, project.robots_planned) == (
        integrator.organisation_id, Decimal("2500000.50"), 8,
    )  # fmt: skip
    assert [event.action for event in project.timeline] == [
        "apply", "record_diagnosis", "plan_submitted", "plan_returned", "plan_submitted", "approve_plan",
    ]  # fmt: skip
    assert project.timeline[3].rationale == "预算依据不足"
    with world.database.session() as session, pytest.raises(Conflict, match="can no longer change"):
        service_plans.save_plan(session, owner, built.id, figures)


def _diagnose(world: World, project_id: int, enterprise_id: int) -> None:
    diagnosis_id = closed_diagnosis(world, enterprise_id)
    request = TransitionRequest.model_validate({"action": "record_diagnosis", "diagnosis_id": diagnosis_id})
    with world.database.session() as session:
        service_projects.transition(session, admin(world), project_id, request)


def test_an_incomplete_plan_is_not_submitted(world: World) -> None:
    built = built_project(world, ProjectStage.DIAGNOSED)
    owner = principal_of(built.enterprise)
    with world.database.session() as session, pytest.raises(NotFound, match="no upgrade plan"):
        service_plans.submit_plan(session, owner, built.id)
    with world.database.session() as session:
        service_plans.save_plan(session, owner, built.id, PlanUpdate(robots_to_deploy=3))
    with world.database.session() as session, pytest.raises(InputError) as incomplete:
        service_plans.submit_plan(session, owner, built.id)
    assert [problem.field for problem in incomplete.value.fields] == [
        "plan.integrator_id", "plan.budget_cny", "plan.milestones", "plan.summary",
    ]  # fmt: skip
    with world.database.session() as session:
        assert service_plans.read_plan(session, owner, built.id).status == PlanStatus.DRAFT
    stranger = world.organisation(OrganisationKind.INTEGRATOR)
    with world.database.session() as session, pytest.raises(NotFound):
        service_plans.read_plan(session, principal_of(world.user(Role.INTEGRATOR, stranger)), built.id)

"""The projects API over HTTP: the list with the cockpit's filters and paging, applying, transitions and plans with
their errors naming the field, and who sees which project (another tenant, an integrator, a reviewing expert)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.programme.builders import current_edition, programme_enterprise
from tests.programme.project_builders import built_project
from zhizao.accounts.roles import Role
from zhizao.programme.acceptance import AcceptanceStatus
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.programme.models_acceptance import Acceptance, AcceptanceReview

PROJECTS = "/api/programme/projects"


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_the_list_filters_as_the_cockpit_links_and_pages(client: TestClient, world: World) -> None:
    first = built_project(world, ProjectStage.APPLIED, industry=Industry.AUTOMOTIVE, district=District.PUDONG)
    second = built_project(
        world, ProjectStage.IN_CONSTRUCTION, industry=Industry.ELECTRONICS, district=District.MINHANG
    )
    third = built_project(world, ProjectStage.REJECTED, industry=Industry.AUTOMOTIVE, district=District.MINHANG)
    edition_id = current_edition(world)
    officer = bearer(client, world.user(Role.OFFICER))

    def listed(**params: object) -> list[int]:
        return _ids(client.get(PROJECTS, params=params, headers=officer))

    assert listed() == [third.id, second.id, first.id]
    assert listed(edition_id=edition_id, industry="automotive") == [third.id, first.id]
    assert listed(district="minhang") == [third.id, second.id]
    assert listed(stage="in_construction") == [second.id]
    assert listed(integrator_id=second.integrator_id) == [second.id]
    assert listed(enterprise_id=first.enterprise_id) == [first.id]
    assert listed(edition_id=edition_id + 1) == []
    page = client.get(PROJECTS, params={"limit": 1, "offset": 1}, headers=officer).json()
    assert (page["total"], [item["id"] for item in page["items"]]) == (3, [second.id])
    row = client.get(PROJECTS, params={"stage": "in_construction"}, headers=officer).json()["items"][0]
    assert (row["industry"], row["district"], row["robots_planned"], row["maturity_level"]) == (
        "electronics", "minhang", 12, 3,
    )  # fmt: skip
    name = row["enterprise_name"]
    assert listed(q=name[-3:]) == [second.id]
    assert listed(q="%") == []

    wrong = client.get(PROJECTS, params={"industry": "steel"}, headers=officer)
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "query.industry"
    assert _ids(client.get(PROJECTS, headers=bearer(client, first.enterprise))) == [first.id]


def test_applying_and_moving_a_project_over_http(client: TestClient, world: World) -> None:
    _, account = programme_enterprise(world)
    current_edition(world)
    owner = bearer(client, account)
    created = client.post(PROJECTS, json={"title": "数字化车间"}, headers=owner)
    assert created.status_code == 201, created.text
    project = created.json()
    assert (project["stage"], project["actions"], len(project["timeline"])) == ("applied", ["withdraw"], 1)
    again = client.post(PROJECTS, json={"title": "再来一次"}, headers=owner)
    assert again.status_code == 409 and again.json()["error"]["fields"][0]["field"] == "body.enterprise_id"

    path = f"{PROJECTS}/{project['id']}"
    admin = bearer(client, world.user(Role.ADMIN))
    bare = client.post(f"{path}/transitions", json={"action": "record_diagnosis"}, headers=admin)
    assert bare.status_code == 422 and bare.json()["error"]["fields"][0]["field"] == "body.diagnosis_id"
    not_yet = client.post(f"{path}/transitions", json={"action": "start_construction"}, headers=admin)
    assert not_yet.status_code == 409
    integrator = bearer(client, world.user(Role.INTEGRATOR))
    assert client.post(f"{path}/transitions", json={"action": "withdraw"}, headers=integrator).status_code == 403
    unknown = client.post(f"{path}/transitions", json={"action": "reopen"}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "body.action"

    withdrawn = client.post(f"{path}/transitions", json={"action": "withdraw", "rationale": "资金调整"}, headers=owner)
    assert withdrawn.status_code == 200 and withdrawn.json()["stage"] == "withdrawn"
    timeline = client.get(f"{path}/timeline", headers=admin).json()
    assert [(e["action"], e["from_stage"], e["to_stage"]) for e in timeline] == [
        ("apply", None, "applied"), ("withdraw", "applied", "withdrawn"),
    ]  # fmt: skip


def test_plan_errors_name_the_field(client: TestClient, world: World) -> None:
    built = built_project(world, ProjectStage.DIAGNOSED)
    owner = bearer(client, built.enterprise)
    plan = f"{PROJECTS}/{built.id}/plan"
    milestones = [
        {"title": "设计", "due": "2021-05-01"},
        {"title": "实施", "due": "2021-03-01"},
        {"title": "设计", "due": "2021-06-01"},
    ]
    refused = client.put(plan, json={"milestones": milestones}, headers=owner)
    assert refused.status_code == 422
    assert [p["field"] for p in refused.json()["error"]["fields"]] == [
        "body.milestones[1].due", "body.milestones[2].title",
    ]  # fmt: skip
    not_a_date = client.put(plan, json={"milestones": [{"title": "设计", "due": "五月"}]}, headers=owner)
    assert not_a_date.status_code == 422 and not_a_date.json()["error"]["fields"][0]["field"] == "body.milestones.0.due"
    negative = client.put(plan, json={"robots_to_deploy": -1}, headers=owner)
    assert negative.json()["error"]["fields"][0]["field"] == "body.robots_to_deploy"
    assert client.get(plan, headers=owner).status_code == 404  # nothing stored

    assert client.put(plan, json={"summary": "初稿", "robots_to_deploy": 2}, headers=owner).status_code == 200
    incomplete = client.post(f"{plan}/submit", headers=owner)
    assert incomplete.status_code == 422
    assert {p["field"] for p in incomplete.json()["error"]["fields"]} == {
        "plan.integrator_id", "plan.budget_cny", "plan.milestones",
    }  # fmt: skip
    returned = client.post(f"{plan}/return", json={}, headers=bearer(client, world.user(Role.OFFICER)))
    assert returned.status_code == 422 and returned.json()["error"]["fields"][0]["field"] == "body.rationale"


def _review(world: World, project_id: int, expert_user_id: int) -> None:
    with world.database.session() as session, session.begin():
        acceptance = Acceptance(project_id=project_id, checklist=[], status=AcceptanceStatus.OPEN)
        session.add(acceptance)
        session.flush()
        session.add(AcceptanceReview(acceptance_id=acceptance.id, expert_user_id=expert_user_id))


def test_who_sees_a_project(client: TestClient, world: World) -> None:
    built = built_project(world, ProjectStage.IN_CONSTRUCTION)
    path = f"{PROJECTS}/{built.id}"
    other_enterprise = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(path, headers=other_enterprise).status_code == 404
    assert client.get(PROJECTS, headers=other_enterprise).json()["total"] == 0
    robots = client.put(f"{path}/robots", json={"robots_deployed": 4}, headers=other_enterprise)
    assert robots.status_code == 404

    stranger = bearer(client, world.user(Role.INTEGRATOR))
    assert client.get(path, headers=stranger).status_code == 404
    on_it = bearer(client, world.user(Role.INTEGRATOR, built.integrator_id))
    assert client.get(f"{path}/plan", headers=on_it).json()["status"] == "approved"
    assert _ids(client.get(PROJECTS, headers=on_it)) == [built.id]

    expert = world.user(Role.EXPERT)
    assert client.get(path, headers=bearer(client, expert)).status_code == 404
    _review(world, built.id, expert.user_id)
    as_expert = bearer(client, expert)
    seen = client.get(path, headers=as_expert)
    assert seen.status_code == 200 and seen.json()["actions"] == []
    assert _ids(client.get(PROJECTS, headers=as_expert)) == [built.id]
    assert client.put(f"{path}/robots", json={"robots_deployed": 4}, headers=as_expert).status_code == 403
    assert client.get(path, headers=bearer(client, world.user(Role.PLATFORM))).status_code == 403

    owner = bearer(client, built.enterprise)
    recorded = client.put(f"{path}/robots", json={"robots_deployed": 9}, headers=owner)
    assert recorded.status_code == 200 and recorded.json()["robots_deployed"] == 9
    case = client.patch(f"{path}/case", json={"case_title": "焊装车间"}, headers=owner)
    assert case.status_code == 200 and case.json()["case_title"] == "焊装车间"


def _field(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["error"]["fields"][0]["field"])


def test_the_office_registers_past_applications_and_recognitions_with_their_days(
    client: TestClient, world: World
) -> None:
    """Decisions taken before the platform came in keep their real dates (the public list shows the year)."""
    officer = bearer(client, world.user(Role.OFFICER))
    enterprise_id, enterprise = programme_enterprise(world, Industry.AEROSPACE, District.MINHANG)
    current_edition(world)
    body = {"title": "航空部件数字化车间", "enterprise_id": enterprise_id}
    assert _field(client.post(PROJECTS, json={**body, "applied_on": "2099-01-01"}, headers=officer), 422) == (
        "body.applied_on"
    )
    assert _field(client.post(PROJECTS, json={**body, "applied_on": "2019-12-31"}, headers=officer), 422) == (
        "body.applied_on"
    )
    own = {"title": body["title"], "applied_on": "2021-03-01"}
    assert _field(client.post(PROJECTS, json=own, headers=bearer(client, enterprise)), 403) == "body.applied_on"
    assert client.get(PROJECTS, headers=officer).json()["total"] == 0  # nothing written by the refusals
    applied = client.post(PROJECTS, json={**body, "applied_on": "2021-03-01"}, headers=officer)
    assert applied.status_code == 201, applied.text
    assert applied.json()["applied_on"] == "2021-03-01"

    accepted = built_project(world, ProjectStage.ACCEPTED, industry=Industry.ELECTRONICS, district=District.PUDONG)
    moves = f"{PROJECTS}/{accepted.id}/transitions"
    assert _field(client.post(moves, json={"action": "recognise", "recognised_on": "2000-01-01"}, headers=officer),
                  422) == "body.recognised_on"  # fmt: skip
    misplaced = {"action": "reject", "rationale": "x", "recognised_on": "2022-01-01"}
    assert _field(client.post(moves, json=misplaced, headers=officer), 422) == "body.recognised_on"
    applied_on = client.get(f"{PROJECTS}/{accepted.id}", headers=officer).json()["applied_on"]
    recognised = client.post(moves, json={"action": "recognise", "recognised_on": applied_on}, headers=officer)
    assert recognised.status_code == 200, recognised.text
    assert (recognised.json()["stage"], recognised.json()["recognised_on"]) == ("recognised", applied_on)

"""Acceptances through the API: each unmet requirement refuses a pass by name and changes nothing; with all met the
pass moves the project to accepted with its evidence; a fail is always possible with a rationale; experts reach
only the acceptances they review."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.programme.tenant_cases_acceptance import project, registered_enterprise, verified_enterprise
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.programme.kinds import ProjectStage
from zhizao.programme.models import FactoryProject, ProjectEvent

API = "/api/programme/acceptances"
CHECKLIST = [
    "plan_milestones_met",
    "equipment_networked",
    "data_acquisition_live",
    "kpis_verified",
    "safety_and_security",
]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _fields(response: Any, status: int = 422) -> list[str]:
    assert response.status_code == status, response.text
    return [problem["field"] for problem in response.json()["error"]["fields"]]


def _stage(world: World, project_id: int) -> FactoryProject:
    with world.database.session() as session:
        found = session.get(FactoryProject, project_id)
        assert found is not None
        return found


def test_a_pass_is_refused_until_every_requirement_holds(client: TestClient, world: World) -> None:
    verified = verified_enterprise(world)  # productivity +20 %, cost −25 %
    failing_cost = verified_enterprise(world, cost=108_000)  # cost −10 %: does not meet
    project_id = project(world, verified.enterprise_id, level=1)
    officer, reviewer = world.user(Role.OFFICER), world.user(Role.EXPERT)
    office, expert = bearer(client, officer), bearer(client, reviewer)

    opened = _ok(
        client.post(API, json={"project_id": project_id, "expert_user_ids": [reviewer.user_id]}, headers=office), 201
    )
    url = f"{API}/{opened['id']}"
    assert opened["status"] == "open"
    assert [item["key"] for item in opened["checklist"]] == CHECKLIST
    assert opened["maturity_level"] == 1 and opened["min_maturity_level"] == 2

    def refused() -> list[str]:
        fields = _fields(
            client.post(f"{url}/decision", json={"decision": "passed", "rationale": "通过"}, headers=office)
        )
        assert _ok(client.get(url, headers=office))["status"] == "open"
        assert _stage(world, project_id).stage == ProjectStage.IN_CONSTRUCTION
        return fields

    everything = [*(f"checklist.{key}" for key in CHECKLIST), "productivity", "cost", "maturity_level"]
    assert refused() == [*everything, f"reviews.{reviewer.user_id}"]
    assert [p["field"] for p in _ok(client.get(url, headers=office))["pass_problems"]] == refused()

    items = [{"key": key, "passed": True, "note": "现场核查"} for key in CHECKLIST]
    _ok(client.put(f"{url}/checklist", json={"items": items[:4]}, headers=office))
    assert refused() == [
        "checklist.safety_and_security",
        "productivity",
        "cost",
        "maturity_level",
        f"reviews.{reviewer.user_id}",
    ]
    _ok(client.put(f"{url}/checklist", json={"items": items[4:]}, headers=office))

    # The enterprise's verification that misses the cost target: only the cost is named.
    options = _ok(client.get(f"{url}/verifications", headers=office))
    assert [option["id"] for option in options] == [verified.verification_id]
    _ok(client.put(f"{url}/verification", json={"verification_id": verified.verification_id}, headers=office))
    assert refused() == ["maturity_level", f"reviews.{reviewer.user_id}"]
    other = client.put(f"{url}/verification", json={"verification_id": failing_cost.verification_id}, headers=office)
    assert _fields(other) == ["body.verification_id"]  # another enterprise's verification

    with world.database.session() as session, session.begin():
        found = session.get(FactoryProject, project_id)
        assert found is not None
        found.maturity_level = 2  # a later diagnosis raised it; attaching again takes the current level
    attached = _ok(
        client.put(f"{url}/verification", json={"verification_id": verified.verification_id}, headers=office)
    )
    assert attached["maturity_level"] == 2
    kpis = {line["kpi"]: line for line in attached["kpi_summary"]["kpis"]}
    assert kpis["productivity"]["verdict"] == "meets" and kpis["operating_cost"]["verdict"] == "meets"
    assert float(kpis["operating_cost"]["change"]) == -0.25
    assert refused() == [f"reviews.{reviewer.user_id}"]

    _ok(client.put(f"{url}/review", json={"opinion": "fail", "comment": "数据采集不完整"}, headers=expert))
    assert refused() == [f"reviews.{reviewer.user_id}"]
    reviewed = _ok(client.put(f"{url}/review", json={"opinion": "pass", "comment": "已整改"}, headers=expert))
    assert reviewed["reviews"][0]["opinion"] == "pass" and reviewed["pass_problems"] == []

    decided = _ok(
        client.post(f"{url}/decision", json={"decision": "passed", "rationale": "各项指标达标"}, headers=office)
    )
    assert (decided["status"], decided["decision"], decided["project_stage"]) == ("decided", "passed", "accepted")
    accepted = _stage(world, project_id)
    assert (accepted.stage, accepted.verification_id, accepted.maturity_level) == (
        ProjectStage.ACCEPTED, verified.verification_id, 2,
    )  # fmt: skip
    with world.database.session() as session:
        event = session.scalars(select(ProjectEvent).where(ProjectEvent.project_id == project_id)).one()
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "acceptance")).all()
    assert (event.action, event.rationale, event.evidence["acceptance_id"]) == ("accept", "各项指标达标", decided["id"])
    assert actions.count("acceptance.review") == 2 and "acceptance.decide" in actions and "acceptance.open" in actions

    # Decided: nothing about it changes any more.
    assert client.put(f"{url}/review", json={"opinion": "fail"}, headers=expert).status_code == 409
    assert (
        client.post(f"{url}/decision", json={"decision": "failed", "rationale": "x"}, headers=office).status_code == 409
    )


def test_a_fail_is_always_possible_and_another_acceptance_may_follow(client: TestClient, world: World) -> None:
    project_id = project(world, registered_enterprise(world))
    office = bearer(client, world.user(Role.OFFICER))
    opened = _ok(client.post(API, json={"project_id": project_id}, headers=office), 201)
    url = f"{API}/{opened['id']}"
    assert _fields(client.post(API, json={"project_id": project_id}, headers=office), 409) == ["body.project_id"]

    for body in ({"decision": "failed"}, {"decision": "failed", "rationale": "  "}):
        assert _fields(client.post(f"{url}/decision", json=body, headers=office)) == ["body.rationale"]
    failed = _ok(client.post(f"{url}/decision", json={"decision": "failed", "rationale": "未完成整改"}, headers=office))
    assert (failed["decision"], failed["rationale"], failed["project_stage"]) == (
        "failed",
        "未完成整改",
        "in_construction",
    )
    timeline = _ok(client.get(f"/api/programme/projects/{project_id}/timeline", headers=office))
    assert [(entry["action"], entry["rationale"]) for entry in timeline][-1] == ("acceptance_failed", "未完成整改")

    again = _ok(client.post(API, json={"project_id": project_id}, headers=office), 201)
    assert again["id"] != opened["id"]
    listed = _ok(client.get(API, params={"project_id": project_id}, headers=office))
    assert [(row["id"], row["status"]) for row in listed] == [(again["id"], "open"), (opened["id"], "decided")]


def test_bad_input_names_the_field_and_changes_nothing(client: TestClient, world: World) -> None:
    enterprise_id = registered_enterprise(world)
    applied = project(world, enterprise_id, ProjectStage.PLAN_APPROVED)
    office = bearer(client, world.user(Role.OFFICER))
    enterprise_user = world.user(Role.ENTERPRISE, enterprise_id)
    assert _fields(client.post(API, json={"project_id": applied}, headers=office), 409) == ["body.project_id"]
    assert _fields(client.post(API, json={"project_id": 999_999}, headers=office)) == ["body.project_id"]
    with world.database.session() as session, session.begin():
        session.get(FactoryProject, applied).stage = ProjectStage.IN_CONSTRUCTION  # type: ignore[union-attr]
    not_experts = client.post(
        API, json={"project_id": applied, "expert_user_ids": [enterprise_user.user_id, 999_999]}, headers=office
    )
    assert _fields(not_experts) == ["body.expert_user_ids[0]", "body.expert_user_ids[1]"]
    reviewer = world.user(Role.EXPERT)
    twice = client.post(API, json={"project_id": applied, "expert_user_ids": [reviewer.user_id] * 2}, headers=office)
    assert _fields(twice) == ["body.expert_user_ids"]
    assert _ok(client.get(API, headers=office)) == []

    opened = _ok(client.post(API, json={"project_id": applied}, headers=office), 201)
    url = f"{API}/{opened['id']}"
    unknown = client.put(
        f"{url}/checklist", json={"items": [{"key": "robots_counted", "passed": True}]}, headers=office
    )
    assert _fields(unknown) == ["body.items[0].key"]
    missing = client.put(f"{url}/verification", json={"verification_id": 999_999}, headers=office)
    assert _fields(missing) == ["body.verification_id"]
    after = _ok(client.get(url, headers=office))
    assert after["verification_id"] is None and not any(item["passed"] for item in after["checklist"])


def test_experts_reach_only_the_acceptances_they_review(client: TestClient, world: World) -> None:
    project_id = project(world, registered_enterprise(world))
    office = bearer(client, world.user(Role.OFFICER))
    first, second, outsider = world.user(Role.EXPERT), world.user(Role.EXPERT), world.user(Role.EXPERT)
    opened = _ok(
        client.post(API, json={"project_id": project_id, "expert_user_ids": [first.user_id]}, headers=office), 201
    )
    url = f"{API}/{opened['id']}"

    stranger = bearer(client, outsider)
    assert client.get(url, headers=stranger).status_code == 404
    assert client.put(f"{url}/review", json={"opinion": "pass"}, headers=stranger).status_code == 404
    assert _ok(client.get(API, headers=stranger)) == []
    assert [row["id"] for row in _ok(client.get(API, headers=bearer(client, first)))] == [opened["id"]]
    assert client.get(url, headers=bearer(client, world.user(Role.ENTERPRISE))).status_code == 403
    assert client.put(f"{url}/review", json={"opinion": "pass"}, headers=office).status_code == 403

    # Reassigned: the second expert reviews; the first, who has not reviewed, is off it.
    _ok(client.put(f"{url}/reviewers", json={"expert_user_ids": [second.user_id]}, headers=office))
    assert client.get(url, headers=bearer(client, first)).status_code == 404
    _ok(client.put(f"{url}/review", json={"opinion": "pass", "comment": "同意"}, headers=bearer(client, second)))
    # A submitted review is evidence: its expert stays assigned.
    dropped = client.put(f"{url}/reviewers", json={"expert_user_ids": [first.user_id]}, headers=office)
    assert _fields(dropped, 409) == ["body.expert_user_ids"]
    assert [r["expert_user_id"] for r in _ok(client.get(url, headers=office))["reviews"]] == [second.user_id]

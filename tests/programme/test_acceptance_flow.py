"""From construction to benchmark across the areas: the acceptance takes the level of the enterprise's latest closed
on-site diagnosis (assessment) and its verified KPIs (production); the pass lets the office recognise the project
(projects area), and the recognised factory is ranked on what it was accepted on and designated a benchmark."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.programme.project_builders import closed_diagnosis
from tests.programme.tenant_cases_acceptance import project, verified_enterprise
from zhizao.accounts.roles import Role
from zhizao.programme.kinds import Industry


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_an_accepted_and_recognised_factory_is_ranked_and_designated(client: TestClient, world: World) -> None:
    verified = verified_enterprise(world, Industry.BIOMEDICINE)  # +20 % productivity, −25 % cost
    project_id = project(world, verified.enterprise_id, level=2)  # the level its application diagnosis found
    closed_diagnosis(world, verified.enterprise_id, maturity_level=4)  # a later diagnosis: level 4
    officer, reviewer = world.user(Role.OFFICER), world.user(Role.EXPERT)
    office = bearer(client, officer)

    opened = _ok(
        client.post(
            "/api/programme/acceptances",
            json={"project_id": project_id, "expert_user_ids": [reviewer.user_id]},
            headers=office,
        ),
        201,
    )
    assert opened["maturity_level"] == 4
    url = f"/api/programme/acceptances/{opened['id']}"
    items = [{"key": item["key"], "passed": True} for item in opened["checklist"]]
    _ok(client.put(f"{url}/checklist", json={"items": items}, headers=office))
    _ok(client.put(f"{url}/verification", json={"verification_id": verified.verification_id}, headers=office))
    _ok(client.put(f"{url}/review", json={"opinion": "pass"}, headers=bearer(client, reviewer)))
    _ok(client.post(f"{url}/decision", json={"decision": "passed", "rationale": "验收通过"}, headers=office))

    project_url = f"/api/programme/projects/{project_id}"
    recognised = _ok(client.post(f"{project_url}/transitions", json={"action": "recognise"}, headers=office))
    assert recognised["stage"] == "recognised"

    ranking = _ok(client.get("/api/programme/benchmarks", params={"industry": "biomedicine"}, headers=office))
    [entry] = ranking["industries"][0]["entries"]
    assert (entry["project_id"], entry["rank"], entry["maturity_level"]) == (project_id, 1, 4)
    assert (entry["productivity_verdict"], entry["cost_verdict"], float(entry["score"])) == ("meets", "meets", 45.0)

    body = {"project_id": project_id, "selected": True, "rationale": "生物医药行业标杆"}
    _ok(client.post("/api/programme/benchmarks/decisions", json=body, headers=office), 201)
    timeline = _ok(client.get(f"{project_url}/timeline", headers=office))
    assert [event["action"] for event in timeline] == ["accept", "recognise", "designate_benchmark"]
    assert _ok(client.get(project_url, headers=office))["stage"] == "benchmark"

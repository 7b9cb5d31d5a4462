"""The integrator directory through the API: an integrator applies, the programme office reviews against the current
edition's criteria, the public searches the listed integrators without signing in, and the cockpit counts them."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.programme.builders import current_edition
from tests.programme.tenant_cases_directory import (
    BILLION,
    application,
    applied_integrator,
    decide,
    delivered_project,
    listed_integrator,
)
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.programme import service_directory
from zhizao.programme.directory import ReviewDecision
from zhizao.programme.kinds import Industry, ProjectStage
from zhizao.programme.models import Edition
from zhizao.programme.models_directory import IntegratorEntry

URL = "/api/programme/integrators"
PRIVATE = {
    "contact_name",
    "contact_phone",
    "contact_email",
    "revenues",
    "latest_revenue_cny",
    "projects",
    "review_note",
}


def test_an_integrator_applies_and_its_capabilities_are_assessments(client: TestClient, world: World) -> None:
    account = world.user(Role.INTEGRATOR)
    body = application(revenues={2022: BILLION, 2023: 3 * BILLION}, capabilities=("mes", "aps")).model_dump(mode="json")
    response = client.put(f"{URL}/{account.organisation_id}", json=body, headers=bearer(client, account))
    assert response.status_code == 200, response.text
    entry = response.json()
    assert entry["status"] == "applied" and entry["capabilities"] == ["aps", "mes"]
    assert entry["latest_revenue_year"] == 2023 and Decimal(entry["latest_revenue_cny"]) == 3 * BILLION
    assert entry["revenue_band"] == "over_1bn" and entry["contact_email"] == "contact@integrator.example.cn"
    assert entry["criteria"]["met"] is False  # no delivered project yet
    assert entry["decisions"] == []  # the integrator itself decides nothing; officers see theirs
    # One source of truth: the gap roadmap's integrator list (assessment) holds the same keys.
    listed = client.get("/api/assessment/integrators", headers=bearer(client, account)).json()
    assert [row["capabilities"] for row in listed if row["integrator_id"] == account.organisation_id] == [
        ["aps", "mes"]
    ]


def test_bad_applications_name_the_field_and_change_nothing(client: TestClient, world: World) -> None:
    account = world.user(Role.INTEGRATOR)
    headers = bearer(client, account)
    cases: list[tuple[dict[str, object], str]] = [
        ({"capabilities": ["mes", "teleportation"]}, "body.capabilities[1]"),
        ({"revenues": [{"year": 2023, "revenue_cny": "1"}, {"year": 2023, "revenue_cny": "2"}]}, "body.revenues"),
        ({"revenues": [{"year": 2023, "revenue_cny": "-1"}]}, "body.revenues.0.revenue_cny"),
        ({"industries": []}, "body.industries"),
        ({"website": "javascript:alert(1)"}, "body.website"),
    ]
    for change, field in cases:
        body = {**application().model_dump(mode="json"), **change}
        response = client.put(f"{URL}/{account.organisation_id}", json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert field in [problem["field"] for problem in response.json()["error"]["fields"]], response.text
    assert client.get(f"{URL}/{account.organisation_id}", headers=headers).status_code == 404
    with world.database.session() as session:
        assert session.scalars(select(IntegratorEntry)).all() == []


def test_an_integrator_cannot_read_or_replace_anothers_application(client: TestClient, world: World) -> None:
    owner = applied_integrator(world)
    intruder = world.user(Role.INTEGRATOR)
    headers = bearer(client, intruder)
    assert client.get(f"{URL}/{owner.organisation_id}", headers=headers).status_code == 404
    body = application(description="冒名申请").model_dump(mode="json")
    assert client.put(f"{URL}/{owner.organisation_id}", json=body, headers=headers).status_code == 404
    assert client.get(URL, headers=headers).status_code == 403  # the queue is the programme office's
    own = client.get(f"{URL}/{owner.organisation_id}", headers=bearer(client, owner)).json()
    assert own["description"] == "智能制造系统集成"


def test_officer_lists_only_when_the_editions_criteria_are_met(client: TestClient, world: World) -> None:
    current_edition(world)
    account = applied_integrator(world)
    integrator_id = account.organisation_id
    assert integrator_id is not None
    officer = bearer(client, world.user(Role.OFFICER))
    queue = client.get(URL, headers=officer).json()
    assert [(row["integrator_id"], row["criteria"]["met"]) for row in queue] == [(integrator_id, False)]
    refused = client.post(f"{URL}/{integrator_id}/review", json={"decision": "list"}, headers=officer)
    assert refused.status_code == 409 and "Delivered programme projects" in refused.json()["error"]["message"]

    delivered_project(world, integrator_id, verified=True)
    delivered_project(world, integrator_id, verified=False, stage=ProjectStage.RECOGNISED)
    delivered_project(world, integrator_id, stage=ProjectStage.IN_CONSTRUCTION)  # not delivered yet
    entry = client.get(f"{URL}/{integrator_id}", headers=officer).json()
    assert entry["criteria"]["met"] is True and entry["edition_code"] == "2020-2022"
    assert (entry["delivered_projects"], entry["verified_projects"]) == (2, 1)
    outcomes = [(p["stage"], p["productivity_verdict"], p["cost_verdict"], p["verified"]) for p in entry["projects"]]
    assert outcomes == [("accepted", "meets", "meets", True), ("recognised", "does_not_meet", "does_not_meet", False)]
    assert Decimal(entry["projects"][0]["productivity_change"]) == Decimal("0.25")
    assert entry["decisions"] == ["list", "reject"]

    listed = client.post(
        f"{URL}/{integrator_id}/review", json={"decision": "list", "note": "符合条件"}, headers=officer
    )
    assert listed.status_code == 200 and listed.json()["status"] == "listed"
    assert listed.json()["reviewed_by"] is not None and listed.json()["review_note"] == "符合条件"
    with world.database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "programme_integrator"))
        assert list(actions) == ["programme_integrator.apply", "programme_integrator.list"]


def test_reject_and_suspend_need_a_note_and_a_rejected_integrator_resubmits(client: TestClient, world: World) -> None:
    account = applied_integrator(world)
    integrator_id = account.organisation_id
    officer = bearer(client, world.user(Role.OFFICER))
    bare = client.post(f"{URL}/{integrator_id}/review", json={"decision": "reject"}, headers=officer)
    assert bare.status_code == 422 and bare.json()["error"]["fields"][0]["field"] == "body.note"
    rejected = client.post(
        f"{URL}/{integrator_id}/review", json={"decision": "reject", "note": "营收材料不全"}, headers=officer
    )
    assert rejected.json()["status"] == "rejected"
    again = client.post(f"{URL}/{integrator_id}/review", json={"decision": "list"}, headers=officer)
    assert again.status_code == 409  # nothing to decide until the integrator resubmits

    body = application(revenues={2023: 2 * BILLION, 2024: 4 * BILLION}).model_dump(mode="json")
    resubmitted = client.put(f"{URL}/{integrator_id}", json=body, headers=bearer(client, account))
    assert resubmitted.json()["status"] == "applied"
    assert [row["year"] for row in resubmitted.json()["revenues"]] == [2023, 2024]

    assert integrator_id is not None
    delivered_project(world, integrator_id)
    decide(world, integrator_id, ReviewDecision.LIST)
    suspend = client.post(f"{URL}/{integrator_id}/review", json={"decision": "suspend", "note": "  "}, headers=officer)
    assert suspend.status_code == 422
    suspended = client.post(
        f"{URL}/{integrator_id}/review", json={"decision": "suspend", "note": "项目投诉核查中"}, headers=officer
    )
    assert suspended.json()["status"] == "suspended"
    kept = client.put(f"{URL}/{integrator_id}", json=body, headers=bearer(client, account))
    assert kept.json()["status"] == "suspended"  # an own update does not lift a suspension


def test_the_public_directory_shows_listed_integrators_only_without_private_fields(
    client: TestClient, world: World
) -> None:
    big = listed_integrator(
        world,
        application(revenues={2023: 12 * BILLION}, capabilities=("mes", "eam"), description="汽车焊装产线集成"),
        name="上海甲集成",
    )
    small = listed_integrator(
        world,
        application(revenues={2023: Decimal(300_000_000)}, capabilities=("wms",), industries=(Industry.BIOMEDICINE,)),
        name="上海乙集成",
    )
    applied_integrator(world, name="上海丙集成")  # applied, not listed
    suspended = listed_integrator(world, name="上海丁集成")
    assert suspended.organisation_id is not None
    decide(world, suspended.organisation_id, ReviewDecision.SUSPEND, "核查中")

    everyone = client.get("/api/programme/directory")  # no login
    assert everyone.status_code == 200
    rows = everyone.json()
    assert [row["name"] for row in rows] == ["上海乙集成", "上海甲集成"]
    for row in rows:
        assert not PRIVATE & set(row), row
        assert "contact@integrator.example.cn" not in str(row)
    assert rows[1]["revenue_band"] == "over_10bn" and rows[1]["verified_projects"] == 1

    def names(**params: str) -> list[str]:
        return [row["name"] for row in client.get("/api/programme/directory", params=params).json()]

    assert names(q="焊装") == ["上海甲集成"]
    assert names(q="上海乙") == ["上海乙集成"]
    assert names(industry="biomedicine") == ["上海乙集成"]
    assert names(capability="eam") == ["上海甲集成"]
    assert names(min_band="over_1bn") == ["上海甲集成"]
    assert names(min_band="under_1bn") == ["上海乙集成", "上海甲集成"]
    assert client.get("/api/programme/directory", params={"industry": "mining"}).status_code == 422
    assert big.organisation_id and small.organisation_id


def test_cockpit_counts_listed_integrators_by_their_latest_revenue_in_the_edition(world: World) -> None:
    listed_integrator(world, application(revenues={2021: 5 * BILLION, 2022: 11 * BILLION}))  # over 10bn in 2022
    listed_integrator(world, application(revenues={2022: 2 * BILLION, 2024: 20 * BILLION}))  # 2024 is after 2022
    listed_integrator(world, application(revenues={2022: Decimal(500_000_000)}))
    applied_integrator(world, application(revenues={2022: 50 * BILLION}))  # not listed
    with world.database.session() as session:
        edition = session.scalars(select(Edition).where(Edition.code == "2020-2022")).one()
        assert service_directory.integrator_counts(session, edition) == (2, 1, 3)

"""Editions through the API: the bundled 2020–2022 edition, a new edition added and made current with no code,
targets changed with field-level errors, and only the programme office changing them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.programme.builders import current_edition
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.programme import service_editions
from zhizao.programme.editions import load_definition
from zhizao.programme.models import Edition

BUNDLED = load_definition().model_dump(mode="json")


def _next_edition(**changes: Any) -> dict[str, Any]:
    targets = {**BUNDLED["targets"], "smart_factories": 200, "robots": 20000}
    return {**BUNDLED, "code": "2023-2025", "name": "智能工厂专项行动 (2023–2025)", "start_year": 2023,
            "end_year": 2025, "targets": targets, **changes}  # fmt: skip


def test_the_bundled_edition_is_added_once_and_current(world: World) -> None:
    first = current_edition(world)
    assert current_edition(world) == first
    with world.database.session() as session:
        editions = session.scalars(select(Edition)).all()
    assert [(row.code, row.is_current) for row in editions] == [("2020-2022", True)]
    assert editions[0].targets["industry_quotas"]["automotive"] == 20


def test_a_second_edition_is_added_and_made_current_without_code(client: TestClient, world: World) -> None:
    bundled = current_edition(world)
    officer = bearer(client, world.user(Role.OFFICER))
    created = client.post("/api/programme/editions", json=_next_edition(), headers=officer)
    assert created.status_code == 201, created.text
    assert created.json()["is_current"] is False and created.json()["targets"]["smart_factories"] == 200

    made = client.post(f"/api/programme/editions/{created.json()['id']}/current", headers=officer)
    assert made.status_code == 200 and made.json()["is_current"] is True

    enterprise = bearer(client, world.user(Role.ENTERPRISE))
    current = client.get("/api/programme/editions/current", headers=enterprise)
    assert current.json()["code"] == "2023-2025" and current.json()["targets"]["robots"] == 20000
    listed = {
        row["code"]: row["is_current"] for row in client.get("/api/programme/editions", headers=enterprise).json()
    }
    assert listed == {"2020-2022": False, "2023-2025": True}
    assert client.get(f"/api/programme/editions/{bundled}", headers=officer).json()["is_current"] is False
    with world.database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("programme_edition.%")))
        assert set(actions) >= {"programme_edition.create", "programme_edition.make_current"}


def test_targets_errors_name_the_field_and_change_nothing(client: TestClient, world: World) -> None:
    edition_id = current_edition(world)
    officer = bearer(client, world.user(Role.OFFICER))
    quotas = {**BUNDLED["targets"]["industry_quotas"], "automotive": -5}
    response = client.patch(
        f"/api/programme/editions/{edition_id}",
        json={"targets": {**BUNDLED["targets"], "industry_quotas": quotas}},
        headers=officer,
    )
    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["error"]["fields"]] == [
        "body.targets.industry_quotas.automotive"
    ]
    too_many = {**BUNDLED["targets"], "benchmark_factories": 3}
    response = client.patch(f"/api/programme/editions/{edition_id}", json={"targets": too_many}, headers=officer)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body.targets.benchmark_quotas"
    backwards = client.patch(f"/api/programme/editions/{edition_id}", json={"end_year": 2019}, headers=officer)
    assert backwards.status_code == 422 and backwards.json()["error"]["fields"][0]["field"] == "body.end_year"
    with world.database.session() as session:
        stored = service_editions.get_edition(session, edition_id)
        assert stored.targets == BUNDLED["targets"] and stored.end_year == 2022


def test_targets_are_changed_whole_and_audited(client: TestClient, world: World) -> None:
    edition_id = current_edition(world)
    officer = bearer(client, world.user(Role.OFFICER))
    targets = {**BUNDLED["targets"], "trained_talent": 300, "productivity_gain_pct": "22.5"}
    response = client.patch(f"/api/programme/editions/{edition_id}", json={"targets": targets}, headers=officer)
    assert response.status_code == 200, response.text
    assert response.json()["targets"]["trained_talent"] == 300
    with world.database.session() as session:
        edition = service_editions.get_edition(session, edition_id)
        assert service_editions.edition_targets(edition).productivity_gain_pct == 22.5
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "programme_edition.update")).one()
        assert entry.before is not None and entry.before["targets"]["trained_talent"] == 200


def test_only_the_programme_office_changes_editions(client: TestClient, world: World) -> None:
    edition_id = current_edition(world)
    enterprise = bearer(client, world.user(Role.ENTERPRISE))
    assert client.post("/api/programme/editions", json=_next_edition(), headers=enterprise).status_code == 403
    assert client.patch(f"/api/programme/editions/{edition_id}", json={}, headers=enterprise).status_code == 403
    duplicate = client.post(
        "/api/programme/editions",
        json=_next_edition(code="2020-2022", start_year=2020, end_year=2022),
        headers=bearer(client, world.user(Role.ADMIN)),
    )
    assert duplicate.status_code == 409 and duplicate.json()["error"]["fields"][0]["field"] == "body.code"


def test_no_current_edition_is_a_clear_404(client: TestClient, world: World) -> None:
    response = client.get("/api/programme/editions/current", headers=bearer(client, world.user(Role.OFFICER)))
    assert response.status_code == 404 and "current" in response.json()["error"]["message"]

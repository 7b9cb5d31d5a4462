"""Smart-manufacturing parks through the API: the programme office adds, changes and removes them, every signed-in
user lists them, a park shows its enterprises, and a park with enterprises is not removed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.programme.builders import programme_enterprise
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.programme.kinds import District, Industry

URL = "/api/programme/parks"


def test_parks_are_kept_by_the_programme_office_and_listed_for_all(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    created = client.post(URL, json={"name": "临港智能制造园", "district": "pudong"}, headers=officer)
    assert created.status_code == 201, created.text
    park_id = created.json()["id"]
    enterprise_id, owner = programme_enterprise(world, Industry.AEROSPACE, District.PUDONG, park_id=park_id)
    programme_enterprise(world)  # in no park

    listed = client.get(URL, headers=bearer(client, owner)).json()
    assert [(row["name"], row["enterprise_count"]) for row in listed] == [("临港智能制造园", 1)]
    detail = client.get(f"{URL}/{park_id}", headers=officer).json()
    assert [row["enterprise_id"] for row in detail["enterprises"]] == [enterprise_id]

    changed = client.patch(f"{URL}/{park_id}", json={"description": "大飞机产业"}, headers=officer)
    assert changed.status_code == 200 and changed.json()["description"] == "大飞机产业"
    filtered = client.get("/api/programme/enterprises", params={"park_id": park_id}, headers=officer).json()
    assert [row["park_name"] for row in filtered["items"]] == ["临港智能制造园"]
    with world.database.session() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("programme_park.%"))))
    assert actions == {"programme_park.create", "programme_park.update"}


def test_a_park_with_enterprises_is_not_removed(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    park_id = client.post(URL, json={"name": "嘉定汽车城", "district": "jiading"}, headers=officer).json()["id"]
    enterprise_id, _ = programme_enterprise(world, park_id=park_id)
    refused = client.delete(f"{URL}/{park_id}", headers=officer)
    assert refused.status_code == 409 and "move them" in refused.json()["error"]["message"]
    moved = client.patch(f"/api/programme/enterprises/{enterprise_id}", json={"park_id": None}, headers=officer)
    assert moved.status_code == 200 and moved.json()["park_id"] is None
    assert client.delete(f"{URL}/{park_id}", headers=officer).status_code == 204
    assert client.get(f"{URL}/{park_id}", headers=officer).status_code == 404


def test_park_input_errors_name_the_field(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.post(URL, json={"name": "松江 G60 园", "district": "songjiang"}, headers=officer).status_code == 201
    duplicate = client.post(URL, json={"name": "松江 G60 园", "district": "songjiang"}, headers=officer)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["fields"][0]["field"] == "body.name"
    unknown = client.post(URL, json={"name": "苏州工业园", "district": "suzhou"}, headers=officer)
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "body.district"
    enterprise = bearer(client, world.user(Role.ENTERPRISE))
    assert client.post(URL, json={"name": "自建园区", "district": "pudong"}, headers=enterprise).status_code == 403

"""Vertical platforms through the API: an operator manages its own platforms, services and linked clients, the
programme office all of them; the public list needs no login; the cockpit counts platforms and enterprises served."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.assessment.builders import principal_of
from tests.conftest import World, bearer
from tests.programme.builders import programme_enterprise, valid_credit_code
from tests.programme.tenant_cases_directory import platform
from zhizao.accounts.models import AuditEntry, Organisation
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.programme import service_platforms
from zhizao.programme.schemas_directory import PlatformClientCreate

URL = "/api/programme/platforms"
BODY = {
    "name": "工程机械工业互联网平台",
    "industry": "high_end_equipment",
    "description": "工程机械远程运维、故障预测与性能优化",
    "url": "https://platform.example.cn",
    "services": [{"name": "故障预测", "description": "基于运行数据的剩余寿命预测"}, {"name": "远程运维"}],
    "enterprises_served": 300,
    "served_as_of": "2022-06-30",
}


def _credit_code(world: World, enterprise_id: int) -> str:
    with world.database.session() as session:
        organisation = session.get(Organisation, enterprise_id)
        assert organisation is not None and organisation.credit_code is not None
        return organisation.credit_code


def test_an_operator_registers_and_edits_its_platform(client: TestClient, world: World) -> None:
    operator = world.user(Role.PLATFORM)
    headers = bearer(client, operator)
    created = client.post(URL, json=BODY, headers=headers)
    assert created.status_code == 201, created.text
    platform_id = created.json()["id"]
    assert created.json()["operator_id"] == operator.organisation_id
    assert [service["name"] for service in created.json()["services"]] == ["故障预测", "远程运维"]

    patched = client.patch(
        f"{URL}/{platform_id}",
        json={"services": [{"name": "性能优化"}], "enterprises_served": 450, "url": None},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["services"] == [{"name": "性能优化", "description": None}]
    assert (patched.json()["enterprises_served"], patched.json()["url"], patched.json()["name"]) == (
        450,
        None,
        BODY["name"],
    )
    nulled = client.patch(f"{URL}/{platform_id}", json={"name": None}, headers=headers)
    assert nulled.status_code == 422 and nulled.json()["error"]["fields"][0]["field"] == "body.name"
    duplicate = client.post(URL, json=BODY, headers=headers)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["fields"][0]["field"] == "body.name"
    assert [row["id"] for row in client.get(URL, headers=headers).json()] == [platform_id]
    with world.database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "programme_platform"))
        assert list(actions) == ["programme_platform.create", "programme_platform.update"]


def test_operators_see_only_their_own_platforms_and_the_office_names_the_operator(
    client: TestClient, world: World
) -> None:
    mine, operator = platform(world)
    theirs, _ = platform(world)
    headers = bearer(client, operator)
    assert [row["id"] for row in client.get(URL, headers=headers).json()] == [mine]
    for method in ("GET", "DELETE"):
        assert client.request(method, f"{URL}/{theirs}", headers=headers).status_code == 404
    assert client.patch(f"{URL}/{theirs}", json={"enterprises_served": 1}, headers=headers).status_code == 404
    foreign = client.post(
        URL, json={**BODY, "operator_id": world.organisation(OrganisationKind.PLATFORM)}, headers=headers
    )
    assert foreign.status_code == 404

    officer = bearer(client, world.user(Role.OFFICER))
    assert {row["id"] for row in client.get(URL, headers=officer).json()} == {mine, theirs}
    unnamed = client.post(URL, json=BODY, headers=officer)
    assert unnamed.status_code == 422 and unnamed.json()["error"]["fields"][0]["field"] == "body.operator_id"
    wrong_kind = client.post(URL, json={**BODY, "operator_id": world.organisation()}, headers=officer)
    assert wrong_kind.status_code == 422
    operator_id = world.organisation(OrganisationKind.PLATFORM)
    named = client.post(URL, json={**BODY, "operator_id": operator_id}, headers=officer)
    assert named.status_code == 201 and named.json()["operator_id"] == operator_id
    assert client.delete(f"{URL}/{mine}", headers=officer).status_code == 204
    assert client.get(f"{URL}/{mine}", headers=headers).status_code == 404


def test_clients_are_linked_by_credit_code(client: TestClient, world: World) -> None:
    platform_id, operator = platform(world)
    headers = bearer(client, operator)
    enterprise_id, _ = programme_enterprise(world, name="上海某电梯制造有限公司")
    code = _credit_code(world, enterprise_id)
    linked = client.post(f"{URL}/{platform_id}/clients", json={"credit_code": code.lower()}, headers=headers)
    assert linked.status_code == 201, linked.text
    assert linked.json()["enterprise_id"] == enterprise_id and linked.json()["name"] == "上海某电梯制造有限公司"
    again = client.post(f"{URL}/{platform_id}/clients", json={"credit_code": code}, headers=headers)
    assert again.status_code == 409
    unknown = client.post(
        f"{URL}/{platform_id}/clients", json={"credit_code": valid_credit_code(987_654)}, headers=headers
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "body.credit_code"
    malformed = client.post(f"{URL}/{platform_id}/clients", json={"credit_code": "123"}, headers=headers)
    assert malformed.status_code == 422
    assert [row["enterprise_id"] for row in client.get(f"{URL}/{platform_id}/clients", headers=headers).json()] == [
        enterprise_id
    ]
    assert client.get(f"{URL}/{platform_id}", headers=headers).json()["linked_clients"] == 1
    assert client.delete(f"{URL}/{platform_id}/clients/{enterprise_id}", headers=headers).status_code == 204
    assert client.delete(f"{URL}/{platform_id}/clients/{enterprise_id}", headers=headers).status_code == 404
    assert client.get(f"{URL}/{platform_id}/clients", headers=headers).json() == []


def test_public_list_and_cockpit_counts(client: TestClient, world: World) -> None:
    small, operator = platform(world, name="小平台", enterprises_served=2)
    platform(world, name="能源装备平台", enterprises_served=1000, industry="chemicals_materials")
    for _ in range(3):  # more linked than declared: the linked count stands
        enterprise_id, _ = programme_enterprise(world)
        data = PlatformClientCreate(credit_code=_credit_code(world, enterprise_id))
        with world.database.session() as session:
            service_platforms.link_client(session, principal_of(operator), small, data)
    with world.database.session() as session:
        assert service_platforms.platform_counts(session) == (2, 1003)

    public = client.get(f"{URL}/public")  # no login
    assert public.status_code == 200
    rows = {row["name"]: row for row in public.json()}
    assert set(rows) == {"小平台", "能源装备平台"}
    assert rows["小平台"]["linked_clients"] == 3 and rows["小平台"]["enterprises_served"] == 2
    assert not {"operator_id", "created_at", "updated_at"} & set(rows["小平台"])
    only = client.get(f"{URL}/public", params={"industry": "chemicals_materials"}).json()
    assert [row["name"] for row in only] == ["能源装备平台"]

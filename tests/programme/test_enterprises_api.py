"""Enterprises through the API: registration (organisation and record together, or nothing), credit-code and
duplicate errors naming the field, filters, and an enterprise user confined to its own enterprise."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import World, bearer
from tests.programme.builders import programme_enterprise, valid_credit_code
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.programme.kinds import District, EnterpriseSize, Industry
from zhizao.programme.models import EnterpriseRecord

URL = "/api/programme/enterprises"


def _body(serial: int = 900001, **changes: Any) -> dict[str, Any]:
    body = {
        "name": "上海新松精密制造有限公司", "credit_code": valid_credit_code(serial), "industry": "high_end_equipment",
        "district": "jiading", "size": "medium", "employees": 420, "annual_revenue_cny": "356000000.50",
        "address": "嘉定区叶城路 1 号", "contact_name": "李工", "contact_phone": "021-59990000",
        "contact_email": "li@example.com",
    }  # fmt: skip
    return {**body, **changes}


def _counts(world: World) -> tuple[int, int]:
    with world.database.session() as session:
        organisations = session.scalar(select(func.count()).select_from(Organisation)) or 0
        records = session.scalar(select(func.count()).select_from(EnterpriseRecord)) or 0
    return organisations, records


def test_registering_creates_the_organisation_and_its_record(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    response = client.post(URL, json=_body(credit_code=valid_credit_code(900001).lower()), headers=officer)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["credit_code"] == valid_credit_code(900001) and created["annual_revenue_cny"] == "356000000.50"
    with world.database.session() as session:
        organisation = session.get(Organisation, created["enterprise_id"])
        assert organisation is not None and organisation.kind == OrganisationKind.ENTERPRISE
        assert organisation.district == "嘉定区"  # mirrored as accounts keeps it
    again = client.get(f"{URL}/{created['enterprise_id']}", headers=officer)
    assert again.json()["industry"] == "high_end_equipment" and again.json()["contact_name"] == "李工"


def test_a_bad_credit_code_is_named_and_nothing_is_written(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    before = _counts(world)
    code = valid_credit_code(900001)
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    for bad in (wrong_check, code[:17], code[:-1] + "I"):
        response = client.post(URL, json=_body(credit_code=bad), headers=officer)
        assert response.status_code == 422
        assert [problem["field"] for problem in response.json()["error"]["fields"]] == ["body.credit_code"]
    assert "check character" in client.post(URL, json=_body(credit_code=wrong_check), headers=officer).text
    assert _counts(world) == before


def test_a_duplicate_enterprise_is_a_409_naming_the_field(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.post(URL, json=_body(), headers=officer).status_code == 201
    before = _counts(world)
    same_code = client.post(URL, json=_body(name="另一家公司"), headers=officer)
    assert same_code.status_code == 409
    assert [problem["field"] for problem in same_code.json()["error"]["fields"]] == ["body.credit_code"]
    same_name = client.post(URL, json=_body(serial=900002), headers=officer)
    assert same_name.status_code == 409
    assert [problem["field"] for problem in same_name.json()["error"]["fields"]] == ["body.name"]
    assert _counts(world) == before


def test_an_unknown_park_or_district_is_named(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    before = _counts(world)
    no_park = client.post(URL, json=_body(park_id=4242), headers=officer)
    assert no_park.status_code == 422 and no_park.json()["error"]["fields"][0]["field"] == "body.park_id"
    no_district = client.post(URL, json=_body(district="suzhou"), headers=officer)
    assert no_district.status_code == 422 and no_district.json()["error"]["fields"][0]["field"] == "body.district"
    assert _counts(world) == before


def test_an_enterprise_user_sees_and_changes_only_its_own(client: TestClient, world: World) -> None:
    own_id, own_user = programme_enterprise(world, Industry.BIOMEDICINE, District.PUDONG)
    other_id, _ = programme_enterprise(world, Industry.AUTOMOTIVE, District.JIADING)
    headers = bearer(client, own_user)
    listed = client.get(URL, headers=headers).json()
    assert [row["enterprise_id"] for row in listed["items"]] == [own_id] and listed["total"] == 1
    assert client.get(f"{URL}/{other_id}", headers=headers).status_code == 404
    assert client.patch(f"{URL}/{other_id}", json={"employees": 1}, headers=headers).status_code == 404

    changed = client.patch(f"{URL}/{own_id}", json={"employees": 88, "contact_phone": "13800000000"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["employees"] == 88
    refused = client.patch(f"{URL}/{own_id}", json={"industry": "automotive", "employees": 90}, headers=headers)
    assert refused.status_code == 403
    assert [problem["field"] for problem in refused.json()["error"]["fields"]] == ["body.industry"]
    assert client.get(f"{URL}/{own_id}", headers=headers).json()["employees"] == 88
    assert client.post(URL, json=_body(), headers=headers).status_code == 403


def test_the_programme_office_changes_every_field(client: TestClient, world: World) -> None:
    enterprise_id, _ = programme_enterprise(world)
    officer = bearer(client, world.user(Role.OFFICER))
    response = client.patch(
        f"{URL}/{enterprise_id}",
        json={
            "name": "更名后的公司",
            "district": "songjiang",
            "size": "large",
            "credit_code": valid_credit_code(900003),
        },
        headers=officer,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["size"]) == ("更名后的公司", "large")
    with world.database.session() as session:
        organisation = session.get(Organisation, enterprise_id)
        assert organisation is not None and organisation.district == "松江区"
    cleared = client.patch(f"{URL}/{enterprise_id}", json={"industry": None}, headers=officer)
    assert cleared.status_code == 422 and cleared.json()["error"]["fields"][0]["field"] == "body.industry"


def test_filters_and_paging(client: TestClient, world: World) -> None:
    programme_enterprise(world, Industry.AUTOMOTIVE, District.JIADING, name="嘉定汽车一厂")
    programme_enterprise(world, Industry.AUTOMOTIVE, District.PUDONG, name="浦东汽车二厂", size=EnterpriseSize.LARGE)
    programme_enterprise(world, Industry.BIOMEDICINE, District.PUDONG, name="张江生物")
    officer = bearer(client, world.user(Role.OFFICER))

    def names(**params: Any) -> list[str]:
        response = client.get(URL, params=params, headers=officer)
        assert response.status_code == 200, response.text
        return [row["name"] for row in response.json()["items"]]

    assert names(industry="automotive") == ["嘉定汽车一厂", "浦东汽车二厂"]
    assert names(district="pudong", size="large") == ["浦东汽车二厂"]
    assert names(q="生物") == ["张江生物"]
    page = client.get(URL, params={"limit": 2, "offset": 2}, headers=officer).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    assert client.get(URL, params={"industry": "steel"}, headers=officer).status_code == 422


def test_an_existing_enterprise_organisation_is_given_a_record(client: TestClient, world: World) -> None:
    organisation_id = world.organisation(OrganisationKind.ENTERPRISE, name="早已注册的企业")
    integrator_id = world.organisation(OrganisationKind.INTEGRATOR)
    officer = bearer(client, world.user(Role.OFFICER))
    record = {"industry": "electronics", "district": "minhang", "size": "small", "employees": 60}
    assert client.get(f"{URL}/{organisation_id}", headers=officer).status_code == 404
    response = client.put(f"{URL}/{organisation_id}", json=record, headers=officer)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "早已注册的企业" and response.json()["district"] == "minhang"
    assert client.put(f"{URL}/{integrator_id}", json=record, headers=officer).status_code == 404

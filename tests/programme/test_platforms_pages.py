"""The platforms' pages: the public list without signing in, and an operator registering, editing and removing its
platform and linking the enterprises it serves; another operator's platform is a 404."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.assessment.test_pages import _csrf, _sign_in
from tests.conftest import World
from tests.programme.builders import programme_enterprise
from tests.programme.tenant_cases_directory import platform
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import Role
from zhizao.programme.models_directory import Platform

FORM = {
    "name": "电梯远程运维平台",
    "industry": "high_end_equipment",
    "description": "电梯远程监测与按需维保",
    "services": "远程监测：7×24 在线\n故障预测: 基于振动数据\n\n按需维保",
    "enterprises_served": "80",
    "served_as_of": "2022-06-30",
}


def test_the_public_platform_list_needs_no_login(client: TestClient, world: World) -> None:
    platform_id, _ = platform(world, name="能源装备远程运维平台")
    page = client.get("/directory/platforms")
    assert page.status_code == 200 and f'data-platform="{platform_id}"' in page.text
    assert "能源装备远程运维平台" in page.text and "远程运维" in page.text
    assert f'data-platform="{platform_id}"' not in client.get("/directory/platforms?industry=biomedicine").text


def test_an_operator_manages_its_platform_on_the_pages(client: TestClient, world: World) -> None:
    operator = world.user(Role.PLATFORM)
    _sign_in(client, operator)
    home = client.get("/").text
    assert 'data-nav="/programme/platforms"' in home and 'data-nav="/programme/integrators"' not in home
    listing = client.get("/programme/platforms")
    assert listing.status_code == 200 and 'name="operator_id"' not in listing.text  # an operator runs its own
    blank = client.post("/programme/platforms", data={**FORM, "csrf_token": _csrf(listing.text), "name": ""})
    assert blank.status_code == 422 and 'role="alert"' in blank.text
    created = client.post(
        "/programme/platforms", data={**FORM, "csrf_token": _csrf(listing.text)}, follow_redirects=False
    )
    assert created.status_code == 303
    detail_url = created.headers["location"]
    platform_id = int(detail_url.rsplit("/", 1)[1])
    with world.database.session() as session:
        row = session.get(Platform, platform_id)
        assert row is not None and row.operator_id == operator.organisation_id and row.enterprises_served == 80
    detail = client.get(detail_url)
    assert "远程监测: 7×24 在线\n故障预测: 基于振动数据\n按需维保" in detail.text

    enterprise_id, _ = programme_enterprise(world)
    with world.database.session() as session:
        organisation = session.get(Organisation, enterprise_id)
        assert organisation is not None and organisation.credit_code
        code = organisation.credit_code
    token = _csrf(detail.text)
    wrong = client.post(f"{detail_url}/clients", data={"csrf_token": token, "credit_code": "91310000ABC"})
    assert wrong.status_code == 422 and "credit_code" in wrong.text
    linked = client.post(
        f"{detail_url}/clients", data={"csrf_token": token, "credit_code": code}, follow_redirects=False
    )
    assert linked.status_code == 303
    assert f'data-client="{enterprise_id}"' in client.get(detail_url).text

    edited = client.post(
        detail_url,
        data={**FORM, "csrf_token": token, "services": "性能优化", "enterprises_served": "95", "url": ""},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    after = client.get(detail_url).text
    assert re.search(r'<span id="declared">95</span>', after) and "性能优化" in after and "7×24 在线" not in after
    cleared = client.post(detail_url, data={**FORM, "csrf_token": token, "description": ""})
    assert cleared.status_code == 422  # a required field left blank is named, not kept silently

    removed = client.post(f"{detail_url}/clients/{enterprise_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 200 and f'data-client="{enterprise_id}"' not in removed.text
    other_id, _ = platform(world)
    assert client.get(f"/programme/platforms/{other_id}").status_code == 404
    gone = client.post(f"{detail_url}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/programme/platforms"
    with world.database.session() as session:
        assert session.get(Platform, platform_id) is None


def test_officers_name_the_operator(client: TestClient, world: World) -> None:
    operator_id = world.user(Role.PLATFORM).organisation_id
    _sign_in(client, world.user(Role.OFFICER))
    listing = client.get("/programme/platforms")
    assert f'<option value="{operator_id}">' in listing.text
    created = client.post(
        "/programme/platforms",
        data={**FORM, "csrf_token": _csrf(listing.text), "operator_id": str(operator_id)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    with world.database.session() as session:
        assert list(session.scalars(select(Platform.operator_id))) == [operator_id]


def test_a_platform_names_the_equipment_maker_whose_lessees_it_serves(client: TestClient, world: World) -> None:
    operator = world.user(Role.PLATFORM)
    _sign_in(client, operator)
    listing = client.get("/programme/platforms")
    maker_id = world.organisation()
    not_an_enterprise = client.post(
        "/programme/platforms",
        data={**FORM, "csrf_token": _csrf(listing.text), "sharing_owner_id": str(operator.organisation_id)},
    )
    assert not_an_enterprise.status_code == 422 and "sharing_owner_id" in not_an_enterprise.text
    created = client.post(
        "/programme/platforms",
        data={**FORM, "csrf_token": _csrf(listing.text), "sharing_owner_id": str(maker_id)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    detail_url = created.headers["location"]
    platform_id = int(detail_url.rsplit("/", 1)[1])
    with world.database.session() as session:
        assert session.scalar(select(Platform.sharing_owner_id).where(Platform.id == platform_id)) == maker_id
    token = _csrf(client.get(detail_url).text)
    cleared = client.post(
        detail_url, data={**FORM, "csrf_token": token, "sharing_owner_id": ""}, follow_redirects=False
    )
    assert cleared.status_code == 303
    with world.database.session() as session:
        assert session.scalar(select(Platform.sharing_owner_id).where(Platform.id == platform_id)) is None

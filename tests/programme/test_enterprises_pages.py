"""The pages of editions, enterprises and parks: forms go through the services, what a user got wrong is shown
on the page (a bad import row by row, a wrong target by its field), and an enterprise user sees only its own."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.programme.builders import current_edition, programme_enterprise, valid_credit_code
from tests.programme.test_enterprises_excel import _row, _workbook
from zhizao.accounts.roles import Role
from zhizao.programme.kinds import District, Industry


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _sign_in(client: TestClient, account: Account) -> str:
    token = _csrf(client.get("/login").text)
    form = {"username": account.username, "password": account.password, "next": "/", "csrf_token": token}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return _csrf(client.get("/").text)


def test_an_officer_registers_filters_and_imports(client: TestClient, world: World) -> None:
    token = _sign_in(client, world.user(Role.OFFICER))
    page = client.get("/programme/enterprises")
    assert page.status_code == 200 and 'id="register"' in page.text and 'href="/programme/enterprises"' in page.text
    form = {"csrf_token": token, "name": "奉贤美妆", "credit_code": valid_credit_code(700001)[:-1] + "Y",
            "industry": "fmcg_environmental", "district": "fengxian", "size": "small", "park_id": ""}  # fmt: skip
    refused = client.post("/programme/enterprises", data=form)
    assert refused.status_code == 422 and "<code>credit_code</code>" in refused.text
    assert 'value="奉贤美妆"' in refused.text  # what was typed is kept
    form["credit_code"] = valid_credit_code(700001)
    created = client.post("/programme/enterprises", data=form, follow_redirects=False)
    assert created.status_code == 303
    detail = client.get(created.headers["location"])
    assert detail.status_code == 200 and "奉贤美妆" in detail.text

    rows = [_row(700002, "好企业"), _row(700003, "坏企业", credit_code="123")]
    files = {"file": ("e.xlsx", _workbook(rows), "application/octet-stream")}
    bad = client.post("/programme/enterprises/import", data={"csrf_token": token}, files=files)
    assert bad.status_code == 422 and "<code>rows[3].credit_code</code>" in bad.text
    files = {"file": ("e.xlsx", _workbook(rows[:1]), "application/octet-stream")}
    good = client.post("/programme/enterprises/import", data={"csrf_token": token}, files=files)
    assert good.status_code == 200 and 'id="imported"' in good.text
    filtered = client.get("/programme/enterprises", params={"district": "fengxian"})
    assert "奉贤美妆" in filtered.text and "好企业" not in filtered.text


def test_an_enterprise_user_sees_and_edits_only_its_own(client: TestClient, world: World) -> None:
    own_id, owner = programme_enterprise(world, Industry.ELECTRONICS, District.XUHUI, name="徐汇电子")
    other_id, _ = programme_enterprise(world, name="别家企业")
    token = _sign_in(client, owner)
    listing = client.get("/programme/enterprises")
    assert "徐汇电子" in listing.text and "别家企业" not in listing.text and 'id="register"' not in listing.text
    assert client.get(f"/programme/enterprises/{other_id}").status_code == 404
    page = client.get(f"/programme/enterprises/{own_id}")
    assert 'name="employees"' in page.text and 'name="industry"' not in page.text
    saved = client.post(
        f"/programme/enterprises/{own_id}",
        data={"csrf_token": token, "employees": "350", "address": "漕河泾 1 号", "contact_name": "",
              "contact_phone": "", "contact_email": ""},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    assert "漕河泾 1 号" in client.get(f"/programme/enterprises/{own_id}").text
    refused = client.post(f"/programme/enterprises/{own_id}", data={"csrf_token": token, "employees": "-3"})
    assert refused.status_code == 422 and "<code>employees</code>" in refused.text


def test_edition_targets_are_edited_with_errors_named(client: TestClient, world: World) -> None:
    edition_id = current_edition(world)
    token = _sign_in(client, world.user(Role.OFFICER))
    edit = client.get(f"/programme/editions/{edition_id}")
    assert edit.status_code == 200 and 'name="industry_quotas.automotive" value="20"' in edit.text
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', edit.text))
    form |= {"csrf_token": token, "industry_quotas.automotive": "-1"}
    refused = client.post(f"/programme/editions/{edition_id}", data=form)
    assert refused.status_code == 422 and "<code>targets.industry_quotas.automotive</code>" in refused.text
    form |= {"industry_quotas.automotive": "25", "smart_factories": "105"}
    assert client.post(f"/programme/editions/{edition_id}", data=form, follow_redirects=False).status_code == 303

    added = client.post(
        "/programme/editions",
        data={"csrf_token": token, "code": "2023-2025", "name": "第二期", "start_year": "2023", "end_year": "2025",
              "copy_from": str(edition_id)},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303
    new_id = added.headers["location"].rsplit("/", 1)[1]
    assert client.post(f"/programme/editions/{new_id}/current", data={"csrf_token": token}).status_code == 200
    listing = client.get("/programme/editions").text
    assert f'<th data-edition="{new_id}">第二期' in listing and listing.count('id="current"') == 1
    assert '<td class="num">105</td>' in listing  # copied from the edited edition


def test_parks_pages(client: TestClient, world: World) -> None:
    token = _sign_in(client, world.user(Role.OFFICER))
    created = client.post(
        "/programme/parks",
        data={"csrf_token": token, "name": "张江科学城", "district": "pudong"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    park_id = int(created.headers["location"].rsplit("/", 1)[1])
    programme_enterprise(world, name="张江药企", park_id=park_id)
    page = client.get(f"/programme/parks/{park_id}")
    assert page.status_code == 200 and "张江药企" in page.text
    refused = client.post(f"/programme/parks/{park_id}/delete", data={"csrf_token": token})
    assert refused.status_code == 409 and "move them" in refused.text
    blank = client.post(f"/programme/parks/{park_id}", data={"csrf_token": token, "name": "", "district": "pudong"})
    assert blank.status_code == 422 and "<code>body.name</code>" in blank.text
    assert "张江科学城" in client.get("/programme/parks").text


def test_a_park_is_added_changed_and_removed_through_its_forms(client: TestClient, world: World) -> None:
    token = _sign_in(client, world.user(Role.OFFICER))
    unnamed = client.post("/programme/parks", data={"csrf_token": token, "name": " ", "description": "临港"})
    assert unnamed.status_code == 422 and "<code>name</code>" in unnamed.text and 'value="临港"' in unnamed.text
    created = client.post(
        "/programme/parks", data={"csrf_token": token, "name": "临港园区", "district": "pudong"}, follow_redirects=False
    )
    park = created.headers["location"]
    changed = client.post(
        park, data={"csrf_token": token, "name": "临港新片区", "district": "pudong"}, follow_redirects=False
    )
    assert changed.status_code == 303 and changed.headers["location"] == park
    assert "临港新片区" in client.get(park).text
    removed = client.post(f"{park}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert removed.status_code == 303 and removed.headers["location"] == "/programme/parks"
    assert client.get(park).status_code == 404

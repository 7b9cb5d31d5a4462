"""The support-measures page: totals by kind for the current edition, a measure recorded through the form, and
what the service refuses shown on the page with nothing changed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.assessment.builders import admin
from tests.assessment.test_pages import _csrf, _sign_in
from tests.conftest import World
from tests.programme.project_builders import built_project
from tests.programme.tenant_cases_community import project_with_support
from zhizao.accounts.roles import Role
from zhizao.programme import service_support
from zhizao.ui.i18n import translations

zh = translations("zh_CN").gettext


def test_officer_records_a_measure_on_the_page(client: TestClient, world: World) -> None:
    first, _ = project_with_support(world)
    second = built_project(world, title="二号工厂")
    _sign_in(client, world.user(Role.OFFICER))
    page = client.get("/programme/support")
    assert page.status_code == 200 and zh("Support measures") in page.text
    assert "500,000.00" in page.text and f'<option value="{second.id}">' in page.text
    token = _csrf(page.text)
    form = {
        "csrf_token": token, "project_id": str(second.id), "kind": "leasing", "amount_cny": "1200000",
        "provider": "某融资租赁公司", "granted_on": "2021-08-08",
    }  # fmt: skip
    assert client.post("/programme/support", data=form, follow_redirects=False).status_code == 303
    assert "1,200,000.00" in client.get("/programme/support").text

    refused = client.post("/programme/support", data=form | {"amount_cny": "-5"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text and "amount_cny" in refused.text
    no_project = client.post("/programme/support", data=form | {"project_id": ""})
    assert no_project.status_code == 422 and "project_id" in no_project.text
    with world.database.session() as session:
        assert len(service_support.list_measures(session, admin(world), second.id)) == 1
        assert len(service_support.list_measures(session, admin(world), first.id)) == 1


def test_the_support_page_is_the_offices(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.ENTERPRISE))
    assert client.get("/programme/support").status_code == 403

"""The annual work-plan page: tasks added and progressed through the forms, an overdue task shown in red, the
year's progress, and what the service refuses shown on the page."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.assessment.test_pages import _csrf, _sign_in
from tests.conftest import World
from zhizao.accounts.roles import Role
from zhizao.programme import service_workplan
from zhizao.ui.i18n import translations

zh = translations("zh_CN").gettext


def test_officer_keeps_the_plan_on_the_page(client: TestClient, world: World) -> None:
    today = service_workplan.programme_today("Asia/Shanghai")
    _sign_in(client, world.user(Role.OFFICER))
    page = client.get("/programme/work-plan")
    assert page.status_code == 200 and zh("Annual work plan") in page.text and str(today.year) in page.text
    token = _csrf(page.text)
    for title, due in (("编制年度计划", today - timedelta(days=3)), ("开展咨询师培训", today + timedelta(days=60))):
        form = {
            "csrf_token": token,
            "year": str(today.year),
            "title": title,
            "owner_name": "规划处",
            "due_on": str(due),
        }
        assert client.post("/programme/work-plan", data=form, follow_redirects=False).status_code == 303
    page = client.get("/programme/work-plan")
    assert page.text.count('data-overdue="true"') == 1 and zh("Overdue") in page.text
    assert 'data-overdue="1"' in page.text and "color: var(--bad)" in page.text

    with world.database.session() as session:
        late = service_workplan.list_tasks(session, today.year, today)[0]
    form = {"csrf_token": token, "status": "done", "progress": "80"}
    done = client.post(f"/programme/work-plan/{late.id}", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/programme/work-plan?year={today.year}"
    page = client.get(f"/programme/work-plan?year={today.year}")
    assert 'data-overdue="true"' not in page.text and "50%" in page.text  # (100 + 0) / 2

    refused = client.post(f"/programme/work-plan/{late.id}", data={"csrf_token": token, "progress": "150"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text and "progress" in refused.text


def test_the_work_plan_page_is_the_offices(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.INTEGRATOR))
    assert client.get("/programme/work-plan").status_code == 403

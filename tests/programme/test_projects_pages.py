"""The factory-project pages: the list with the cockpit's query parameters, applying from the page, a project's
page with the caller's actions, forms that show what the service refused (422, nothing stored), and another
enterprise's project as a 404."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.programme.builders import current_edition, programme_enterprise
from tests.programme.project_builders import built_project
from zhizao.accounts.roles import Role
from zhizao.programme.kinds import District, Industry, ProjectStage

HOME = "/programme/projects"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _sign_in(client: TestClient, account: Account) -> str:
    """Sign in through the login form; the CSRF token for the session's forms."""
    form = {"username": account.username, "password": account.password, "next": "/"}
    response = client.post("/login", data={**form, "csrf_token": _csrf(client.get("/login").text)})
    assert response.status_code == 200, response.text
    return _csrf(response.text)


def _rows(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-project="(\d+)"', html)]


def test_the_list_takes_the_cockpits_filters(client: TestClient, world: World) -> None:
    first = built_project(world, ProjectStage.APPLIED, industry=Industry.AUTOMOTIVE, district=District.PUDONG)
    second = built_project(world, ProjectStage.REJECTED, industry=Industry.AEROSPACE, district=District.MINHANG)
    edition_id = current_edition(world)
    _sign_in(client, world.user(Role.OFFICER))

    blank = client.get(f"{HOME}?edition_id=&industry=&stage=&district=")
    assert blank.status_code == 200 and _rows(blank.text) == [second.id, first.id]
    assert 'id="apply"' in blank.text and 'name="enterprise_id"' in blank.text
    narrowed = client.get(HOME, params={"edition_id": edition_id, "industry": "aerospace", "district": "minhang"})
    assert _rows(narrowed.text) == [second.id]
    assert 'value="aerospace" selected' in narrowed.text
    assert _rows(client.get(HOME, params={"stage": "applied"}).text) == [first.id]
    wrong = client.get(HOME, params={"industry": "steel", "stage": "rejected"})
    assert wrong.status_code == 200 and "query.industry" in wrong.text and _rows(wrong.text) == [second.id]


def test_an_enterprise_applies_and_withdraws_from_the_pages(client: TestClient, world: World) -> None:
    _, account = programme_enterprise(world)
    current_edition(world)
    token = _sign_in(client, account)
    listing = client.get(HOME)
    assert 'id="apply"' in listing.text and 'name="enterprise_id"' not in listing.text
    blank = client.post(HOME, data={"csrf_token": token, "title": " "})
    assert blank.status_code == 422 and "title" in blank.text
    applied = client.post(HOME, data={"csrf_token": token, "title": "总装车间智能化"}, follow_redirects=False)
    assert applied.status_code == 303
    page = client.get(applied.headers["location"])
    assert page.status_code == 200 and 'data-stage="applied"' in page.text
    assert 'id="action-withdraw"' in page.text and 'id="action-record_diagnosis"' not in page.text
    assert 'id="plan-form"' in page.text and 'id="submit-plan"' not in page.text  # submitted once diagnosed

    project_path = applied.headers["location"]
    withdrawn = client.post(
        f"{project_path}/transitions", data={"csrf_token": token, "action": "withdraw"}, follow_redirects=False
    )
    assert withdrawn.status_code == 303
    after = client.get(project_path).text
    assert 'data-stage="withdrawn"' in after and 'id="actions"' not in after and 'data-event="withdraw"' in after


def test_forms_show_what_the_services_refuse(client: TestClient, world: World) -> None:
    built = built_project(world, ProjectStage.DIAGNOSED)
    path = f"{HOME}/{built.id}"
    token = _sign_in(client, built.enterprise)
    rows = {"csrf_token": token, "summary": "方案", "robots_to_deploy": "5", "budget_cny": "1200000"}
    unordered = client.post(
        f"{path}/plan",
        data={**rows, "milestone_title": ["设计", "实施"], "milestone_due": ["2021-05-01", "2021-03-01"],
              "milestone_done": ["1", "0"]},
    )  # fmt: skip
    assert unordered.status_code == 422 and "body.milestones[1].due" in unordered.text
    saved = client.post(
        f"{path}/plan",
        data={**rows, "milestone_title": ["设计", "", "实施"], "milestone_due": ["2021-03-01", "", "2021-05-01"],
              "milestone_done": ["1", "0", "0"]},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    page = client.get(path).text
    assert 'data-status="draft"' in page and "<td>设计</td><td>2021-03-01</td><td>✓</td>" in page
    incomplete = client.post(f"{path}/plan/submit", data={"csrf_token": token})
    assert incomplete.status_code == 422 and "plan.integrator_id" in incomplete.text

    officer_token = _sign_in(client, world.user(Role.OFFICER))
    bare = client.post(f"{path}/transitions", data={"csrf_token": officer_token, "action": "reject"})
    assert bare.status_code == 422 and "body.rationale" in bare.text and 'data-stage="diagnosed"' in bare.text

    _sign_in(client, world.user(Role.ENTERPRISE))
    assert client.get(path).status_code == 404

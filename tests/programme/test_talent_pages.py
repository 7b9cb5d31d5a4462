"""Talent pages: the edition's funnel against its target in Chinese, a cohort created and a trainee enrolled,
completed and certified through the forms, and what the service refuses shown on the page with nothing changed."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.assessment.test_pages import _csrf, _sign_in
from tests.conftest import World
from tests.programme.builders import current_edition
from tests.programme.tenant_cases_community import cohort
from zhizao.accounts.roles import Role
from zhizao.programme import service_talent
from zhizao.ui.i18n import translations

zh = translations("zh_CN").gettext


def test_officer_runs_a_cohort_through_the_pages(client: TestClient, world: World) -> None:
    edition_id = current_edition(world)
    _sign_in(client, world.user(Role.OFFICER))
    page = client.get("/programme/talent")
    assert page.status_code == 200 and zh("Talent") in page.text and 'data-certified="0"' in page.text
    assert "/ 200" in page.text  # the edition's trained_talent target
    token = _csrf(page.text)
    created = client.post(
        "/programme/talent/cohorts",
        data={
            "csrf_token": token, "edition_id": str(edition_id), "name": "第一期规划师班", "track": "planner",
            "provider": "某研究院", "starts_on": "2021-03-01", "ends_on": "2021-06-30", "capacity": "20",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303, created.text
    cohort_id = int(re.findall(r"/programme/talent/cohorts/(\d+)", client.get("/programme/talent").text)[0])

    enrolled = client.post(
        f"/programme/talent/cohorts/{cohort_id}/trainees",
        data={"csrf_token": token, "name": "张伟", "employer_name": "某汽车公司", "phone": "13800138000"},
        follow_redirects=False,
    )
    assert enrolled.status_code == 303 and enrolled.headers["location"] == f"/programme/talent/cohorts/{cohort_id}"
    with world.database.session() as session:
        trainee_id = service_talent.list_trainees(session, cohort_id)[0].id
    steps = [
        ("status", {"status": "completed"}),
        ("certificate", {"certificate_no": "GH-001", "certified_on": "2021-07-01"}),
        ("excellent", {"rationale": "诊断报告质量高", "selected_on": "2021-12-01"}),
    ]
    for step, form in steps:
        answer = client.post(
            f"/programme/talent/trainees/{trainee_id}/{step}",
            data={"csrf_token": token, **form},
            follow_redirects=False,
        )
        assert answer.status_code == 303, (step, answer.text)
    cohort_page = client.get(f"/programme/talent/cohorts/{cohort_id}")
    assert "GH-001" in cohort_page.text and zh("Completed the course") in cohort_page.text
    summary = client.get("/programme/talent")
    assert 'data-certified="1"' in summary.text and "诊断报告质量高" in summary.text


def test_refusals_are_shown_on_the_page(client: TestClient, world: World) -> None:
    cohort_id = cohort(world)
    _sign_in(client, world.user(Role.ADMIN))
    token = _csrf(client.get(f"/programme/talent/cohorts/{cohort_id}").text)
    missing = client.post(f"/programme/talent/cohorts/{cohort_id}/trainees", data={"csrf_token": token, "name": "张伟"})
    assert missing.status_code == 422 and 'role="alert"' in missing.text and "body.employer_name" in missing.text
    client.post(
        f"/programme/talent/cohorts/{cohort_id}/trainees",
        data={"csrf_token": token, "name": "张伟", "employer_name": "某公司"},
    )
    with world.database.session() as session:
        trainees = service_talent.list_trainees(session, cohort_id)
    assert len(trainees) == 1
    early = client.post(
        f"/programme/talent/trainees/{trainees[0].id}/certificate",
        data={"csrf_token": token, "certificate_no": "GH-9", "certified_on": "2021-07-01"},
    )
    assert early.status_code == 422 and "completed" in early.text
    with world.database.session() as session:
        assert service_talent.list_trainees(session, cohort_id)[0].certificate_no is None


def test_talent_pages_are_the_offices(client: TestClient, world: World) -> None:
    cohort_id = cohort(world)
    _sign_in(client, world.user(Role.ENTERPRISE))
    assert client.get("/programme/talent").status_code == 403
    assert client.get(f"/programme/talent/cohorts/{cohort_id}").status_code == 403

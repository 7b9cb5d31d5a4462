"""The «成熟度评估» pages in zh-CN: the list per role, an assessment with its result, radar data, roadmap and
downloads, the questionnaire saved through the rating service; another enterprise's assessment is a 404."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.assessment.builders import enterprise, principal_of
from tests.assessment.test_api_report import closed_diagnosis
from tests.conftest import Account, World
from zhizao.accounts.roles import Role
from zhizao.assessment import service, service_evidence, service_ratings
from zhizao.assessment.schemas import SelfAssessmentCreate
from zhizao.ui.i18n import translations

zh = translations("zh_CN").gettext


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _sign_in(client: TestClient, account: Account) -> None:
    token = _csrf(client.get("/login").text)
    form = {"username": account.username, "password": account.password, "next": "/", "csrf_token": token}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_closed_diagnosis_page_in_chinese(client: TestClient, world: World) -> None:
    target = enterprise(world)
    diagnosis_id, _experts = closed_diagnosis(world, target)
    _sign_in(client, target.user)
    listing = client.get("/assessment")
    assert listing.status_code == 200 and '<html lang="zh-CN">' in listing.text
    assert f'data-assessment="{diagnosis_id}"' in listing.text
    page = client.get(f"/assessment/{diagnosis_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert '<span id="level">第2级' in html and '<span id="overall">2.50</span>' in html
    assert 'id="radar-chart"' in html and "/static/vendor/echarts.min.js" in html
    assert f"/api/assessment/assessments/{diagnosis_id}/report.pdf?lang=zh" in html
    assert 'id="roadmap"' in html and "(" + zh("lead") + ")" in html


def test_questionnaire_saves_through_the_service(client: TestClient, world: World) -> None:
    owner = enterprise(world)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, principal_of(owner.user), SelfAssessmentCreate()).id
    _sign_in(client, owner.user)
    form_page = client.get(f"/assessment/{draft}/domains/data")
    assert form_page.status_code == 200 and 'name="rating:data.L1.1"' in form_page.text
    token = _csrf(form_page.text)
    saved = client.post(
        f"/assessment/{draft}/domains/data",
        data={"csrf_token": token, "rating:data.L1.1": "0.8", "grade:data.L1.1": "documented",
              "comment:data.L1.1": "有台账", "rating:data.L1.2": "na"},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    with world.database.session() as session:
        rows = {row.item_id: row for row in service_ratings.stored_ratings(session, draft, None)}
    assert rows["data.L1.1"].rating == 0.8 and rows["data.L1.1"].comment == "有台账"
    assert rows["data.L1.2"].not_applicable
    bad = client.post(f"/assessment/{draft}/domains/data", data={"csrf_token": token, "rating:data.L1.1": "0.7"})
    assert bad.status_code == 422 and "0.7" in bad.text
    with world.database.session() as session:
        assert service_ratings.stored_ratings(session, draft, None)[0].rating == 0.8  # unchanged


def test_another_enterprises_assessment_is_404(client: TestClient, world: World) -> None:
    owner = enterprise(world)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, principal_of(owner.user), SelfAssessmentCreate()).id
    _sign_in(client, world.user(Role.ENTERPRISE))
    assert client.get(f"/assessment/{draft}").status_code == 404
    assert client.get(f"/assessment/{draft}/domains/data").status_code == 404
    assert f'data-assessment="{draft}"' not in client.get("/assessment").text


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_evidence_is_uploaded_from_the_questionnaire_and_a_wrong_type_is_refused(
    client: TestClient, world: World
) -> None:
    owner = enterprise(world)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, principal_of(owner.user), SelfAssessmentCreate()).id
    _sign_in(client, owner.user)
    token = _csrf(client.get(f"/assessment/{draft}/domains/data").text)
    kept = client.post(
        f"/assessment/{draft}/domains/data/evidence",
        data={"csrf_token": token, "item_id": "data.L1.1"},
        files={"file": ("台账截图.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert kept.status_code == 303, kept.text
    page = client.get(f"/assessment/{draft}/domains/data")
    assert "台账截图.png" in page.text
    refused = client.post(
        f"/assessment/{draft}/domains/data/evidence",
        data={"csrf_token": token, "item_id": "data.L1.1"},
        files={"file": ("tool.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    assert refused.status_code == 422
    assert "tool.pdf" in refused.text
    with world.database.session() as session:
        names = [row.original_name for row in service_evidence.list_evidence(session, principal_of(owner.user), draft)]
    assert names == ["台账截图.png"]


def test_ratings_are_checked_against_telemetry_from_the_assessment_page(client: TestClient, world: World) -> None:
    owner = enterprise(world)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, principal_of(owner.user), SelfAssessmentCreate()).id
    _sign_in(client, owner.user)
    page = client.get(f"/assessment/{draft}")
    assert 'id="telemetry-checks"' in page.text
    checked = client.post(
        f"/assessment/{draft}/telemetry-checks", data={"csrf_token": _csrf(page.text)}, follow_redirects=False
    )
    assert checked.status_code == 303, checked.text  # no ratings yet: nothing to grade, nothing refused

"""Report downloads: the PDF and the ratings workbook of a closed diagnosis or a submitted self-assessment, within
the assessment's scope (404 outside it) and only once the result is final (409 naming the status)."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.assessment.builders import Enterprise, admin, all_items, enterprise, principal_of, running_diagnosis
from tests.conftest import Account, World, bearer
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import Role
from zhizao.assessment import service, service_diagnosis, service_ratings, service_report
from zhizao.assessment.kinds import EnterpriseType
from zhizao.assessment.model import load_model
from zhizao.assessment.schemas import RatingInput, SelfAssessmentCreate

URL = "/api/assessment/assessments/{}"


def level_two_ratings() -> list[RatingInput]:
    """Levels 1 and 2 fully met, the rest partly: level 2 reached, overall 2.5."""
    return [
        RatingInput(item=entry.item, rating=1.0 if int(entry.item.split(".L")[1].split(".")[0]) <= 2 else 0.5)
        for entry in all_items()
    ]


def closed_diagnosis(world: World, target: Enterprise) -> tuple[int, list[Account]]:
    """A diagnosis closed on the level-2 consensus; returns its id and the experts' accounts (lead first)."""
    diagnosis_id, team = running_diagnosis(world, target)
    officer = admin(world)
    for member in team:  # each expert's own ratings of three items, for the workbook and the agreement
        with world.database.session() as session:
            service_ratings.save_ratings(session, principal_of(member.user), diagnosis_id, level_two_ratings()[:3])
    with world.database.session() as session:
        service_diagnosis.start_consensus(session, officer, diagnosis_id)
    with world.database.session() as session:
        service_ratings.save_ratings(session, officer, diagnosis_id, level_two_ratings())
    with world.database.session() as session:
        service_diagnosis.close(session, officer, diagnosis_id)
    return diagnosis_id, [member.user for member in team]


def pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_closed_diagnosis_report_and_workbook(client: TestClient, world: World) -> None:
    target = enterprise(world)
    diagnosis_id, experts = closed_diagnosis(world, target)
    headers = bearer(client, target.user)

    response = client.get(URL.format(diagnosis_id) + "/report.pdf", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert _name(world, target.id) in text
    assert "第2级" in text
    assert "样本不足" in text  # no other enterprise of the industry has a result: the benchmark is suppressed
    assert "诊断报告" in text and "专家组组长" in text and "自评估" not in text  # a diagnosis's, with its team

    english = client.get(URL.format(diagnosis_id) + "/report.pdf?lang=en", headers=headers)
    assert english.status_code == 200 and "Level 2" in pdf_text(english.content)
    assert client.get(URL.format(diagnosis_id) + "/report.pdf?lang=fr", headers=headers).status_code == 422

    workbook = client.get(URL.format(diagnosis_id) + "/ratings.xlsx", headers=headers)
    assert workbook.status_code == 200, workbook.text
    rows = list(load_workbook(io.BytesIO(workbook.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    # The enterprise sees the consensus only: one row per applicable item under the header.
    assert len(rows) == len(load_model().applicable(EnterpriseType.DISCRETE)) + 1
    assert {row[-1] for row in rows[1:]} == {"专家组共识"}
    # The officer's workbook also has each expert's own three ratings, under the expert's name.
    officer = bearer(client, world.user(Role.OFFICER))
    full = client.get(URL.format(diagnosis_id) + "/ratings.xlsx", headers=officer)
    raters = [row[-1] for row in load_workbook(io.BytesIO(full.content)).active.iter_rows(min_row=2, values_only=True)]  # type: ignore[union-attr]
    assert len(raters) == len(rows) - 1 + 6
    assert {rater for rater in raters if rater != "专家组共识"} == {member.username.title() for member in experts}


def _name(world: World, organisation_id: int) -> str:
    with world.database.session() as session:
        organisation = session.get(Organisation, organisation_id)
        assert organisation is not None
        return organisation.name


def test_outsiders_get_404_and_unfinished_assessments_409(client: TestClient, world: World) -> None:
    target = enterprise(world)
    diagnosis_id, team = running_diagnosis(world, target)
    lead = bearer(client, team[0].user)
    for suffix in ("/report.pdf", "/ratings.xlsx"):
        running = client.get(URL.format(diagnosis_id) + suffix, headers=lead)
        assert running.status_code == 409, running.text
        assert "in_progress" in running.json()["error"]["message"]
        for outsider in (world.user(Role.EXPERT), world.user(Role.ENTERPRISE)):
            response = client.get(URL.format(diagnosis_id) + suffix, headers=bearer(client, outsider))
            assert response.status_code == 404, response.text
        assert client.get(URL.format(999_999) + suffix, headers=lead).status_code == 404


def test_self_assessment_report_and_workbook_once_submitted(client: TestClient, world: World) -> None:
    owner = enterprise(world)
    actor = principal_of(owner.user)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, actor, SelfAssessmentCreate()).id
    headers = bearer(client, owner.user)
    for suffix in ("/ratings.xlsx", "/report.pdf"):
        draft_answer = client.get(URL.format(draft) + suffix, headers=headers)
        assert draft_answer.status_code == 409 and "draft" in draft_answer.json()["error"]["message"]
    with world.database.session() as session:
        service_ratings.save_ratings(session, actor, draft, level_two_ratings())
    with world.database.session() as session:
        service.submit_self_assessment(session, actor, draft)
    workbook = client.get(URL.format(draft) + "/ratings.xlsx?lang=en", headers=headers)
    assert workbook.status_code == 200, workbook.text
    assert load_workbook(io.BytesIO(workbook.content)).active.title == "Ratings"  # type: ignore[union-attr]
    # Its report is marked a self-assessment, names no team and has the enterprise's signature line only.
    pdf = client.get(URL.format(draft) + "/report.pdf", headers=headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "自评估报告" in text and "企业自评估" in text and "第2级" in text
    assert "企业负责人" in text and "专家组组长" not in text and text.count("签字：") == 1
    english = pdf_text(client.get(URL.format(draft) + "/report.pdf?lang=en", headers=headers).content)
    assert "self-assessment report" in english and "Lead expert" not in english


def test_benchmark_takes_each_peers_latest_score(world: World) -> None:
    first, second = enterprise(world), enterprise(world)
    closed_diagnosis(world, first)
    closed_diagnosis(world, first)  # its second result replaces the first in the population
    closed_diagnosis(world, second)
    with world.database.session() as session:
        peers = service_report.latest_scores(session, "汽车")
        assert sorted(peer.enterprise_id for peer in peers) == sorted([first.id, second.id])
        assert all(abs(peer.overall - 2.5) < 1e-9 for peer in peers)
        assert service_report.latest_scores(session, "食品") == []

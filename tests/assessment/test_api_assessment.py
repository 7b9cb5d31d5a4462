"""The assessment API end to end: a self-assessment and a diagnosis through HTTP, bad input answered with the
field named and nothing changed, evidence uploads within the size and type rules, every rating change audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.assessment.builders import INDUSTRY, all_items
from tests.conftest import TEST_SECRET, World, bearer
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.settings import Settings, load_settings

PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Above the 10 MiB evidence limit, so that the evidence check (not the request-size guard) answers.
    return load_settings(data_dir=tmp_path, secret_key=TEST_SECRET, max_request_bytes=12 * 2**20)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _rating_audits(world: World, assessment_id: int) -> list[AuditEntry]:
    with world.database.session() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "assessment.rating", AuditEntry.entity_id == str(assessment_id))
                # without an order PostgreSQL may return rows in any order
                .order_by(AuditEntry.id)
            )
        )


def test_self_assessment_through_the_api(client: TestClient, world: World, settings: Settings) -> None:
    owner = world.user(Role.ENTERPRISE)
    headers = bearer(client, owner)
    assert client.post("/api/assessment/self-assessments", json={}, headers=headers).status_code == 422  # no profile
    _ok(
        client.put(
            "/api/assessment/profile", json={"industry": INDUSTRY, "enterprise_type": "discrete"}, headers=headers
        )
    )
    draft = _ok(client.post("/api/assessment/self-assessments", json={}, headers=headers), 201)
    url = f"/api/assessment/assessments/{draft['id']}"

    bad = client.put(
        f"{url}/ratings",
        json={"ratings": [{"item": "data.L1.1", "rating": 1}, {"item": "data.L1.2", "rating": 0.7}]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert [problem["field"] for problem in bad.json()["error"]["fields"]] == ["body.ratings[1].rating"]
    wrong_version = client.put(
        f"{url}/ratings", json={"ratings": [{"item": "data.L7.1", "rating": 1}]}, headers=headers
    )
    assert wrong_version.json()["error"]["fields"][0]["field"] == "body.ratings[0].item"
    as_text = client.put(f"{url}/ratings", json={"ratings": [{"item": "data.L1.1", "rating": "1"}]}, headers=headers)
    assert as_text.status_code == 422
    assert _ok(client.get(f"{url}/ratings", headers=headers)) == []
    assert _rating_audits(world, draft["id"]) == []

    items = [entry.model_dump(mode="json") for entry in all_items()]
    saved = _ok(client.put(f"{url}/ratings", json={"ratings": items[:100]}, headers=headers))
    assert len(saved) == 100 and saved[0]["rater_id"] is None
    progress = _ok(client.get(f"{url}/progress", headers=headers))
    assert (progress["rated"], progress["applicable"]) == (100, 202)
    provisional = _ok(client.get(f"{url}/result", headers=headers))
    assert provisional["stored"] is False and provisional["score"]["provisional"] is True
    unrated = client.post(f"/api/assessment/self-assessments/{draft['id']}/submit", headers=headers)
    assert unrated.status_code == 422 and len(unrated.json()["error"]["fields"]) == 102
    assert unrated.json()["error"]["fields"][0]["field"] == f"ratings.{items[100]['item']}"
    assert _ok(client.get(url, headers=headers))["status"] == "draft"

    _ok(client.put(f"{url}/ratings", json={"ratings": items[100:]}, headers=headers))
    assert len(_rating_audits(world, draft["id"])) == 202
    submitted = _ok(client.post(f"/api/assessment/self-assessments/{draft['id']}/submit", headers=headers))
    assert submitted["status"] == "submitted"
    result = _ok(client.get(f"{url}/result", headers=headers))
    assert result["stored"] is True and result["score"]["level"] == 5 and result["gaps"]["next_level"] is None
    listed = _ok(client.get("/api/assessment/assessments?kind=self", headers=headers))
    assert [entry["id"] for entry in listed] == [draft["id"]]


def test_evidence_upload_limits_through_the_api(client: TestClient, world: World, settings: Settings) -> None:
    owner = world.user(Role.ENTERPRISE)
    headers = bearer(client, owner)
    _ok(
        client.put(
            "/api/assessment/profile", json={"industry": INDUSTRY, "enterprise_type": "process"}, headers=headers
        )
    )
    draft = _ok(client.post("/api/assessment/self-assessments", json={}, headers=headers), 201)
    url = f"/api/assessment/assessments/{draft['id']}/evidence"
    oversize = client.post(url, files={"file": ("big.pdf", PDF + b"\0" * (10 * 2**20))}, headers=headers)
    assert oversize.status_code == 422 and oversize.json()["error"]["fields"][0]["field"] == "body.file"
    renamed = client.post(url, files={"file": ("tool.pdf", b"MZ\x90\x00binary")}, headers=headers)
    assert renamed.status_code == 422 and "not a pdf" in renamed.json()["error"]["message"]
    missing = client.post(url, data={"item_id": "data.L1.1"}, headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["fields"][0]["field"] == "body.file"
    assert _ok(client.get(url, headers=headers)) == []
    assert not (settings.data_dir / "evidence").exists()

    stored = _ok(
        client.post(
            url, files={"file": ("制度.pdf", PDF, "text/plain")}, data={"item_id": "data.L1.1"}, headers=headers
        ),
        201,
    )
    assert stored["content_type"] == "application/pdf" and stored["item_id"] == "data.L1.1"
    download = client.get(f"{url}/{stored['id']}", headers=headers)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''%E5%88%B6%E5%BA%A6.pdf"
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"{url}/{stored['id']}", headers=stranger).status_code == 404


def test_diagnosis_through_the_api(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    enterprise_id = world.organisation()
    integrator_id = world.organisation(OrganisationKind.INTEGRATOR)
    profile = {"industry": INDUSTRY, "enterprise_type": "discrete", "integrator_ids": [integrator_id]}
    _ok(client.put(f"/api/assessment/profile?enterprise_id={enterprise_id}", json=profile, headers=officer))
    accounts = [world.user(Role.EXPERT) for _ in range(3)]
    experts = [
        _ok(
            client.post(
                "/api/assessment/experts",
                json={"user_id": accounts[0].user_id, "industries": [INDUSTRY]},
                headers=officer,
            ),
            201,
        ),
        _ok(
            client.post(
                "/api/assessment/experts",
                json={"user_id": accounts[1].user_id, "industries": ["电子信息"]},
                headers=officer,
            ),
            201,
        ),
        _ok(
            client.post(
                "/api/assessment/experts",
                json={"user_id": accounts[2].user_id, "industries": [INDUSTRY], "employer_id": integrator_id},
                headers=officer,
            ),
            201,
        ),
    ]
    diagnosis = _ok(
        client.post("/api/assessment/diagnoses", json={"enterprise_id": enterprise_id}, headers=officer), 201
    )
    url = f"/api/assessment/diagnoses/{diagnosis['id']}"
    conflicted = client.put(f"{url}/team", json={"expert_ids": [experts[2]["id"], experts[1]["id"]]}, headers=officer)
    assert conflicted.status_code == 422
    assert conflicted.json()["error"]["fields"][0] == {
        "field": "body.expert_ids[0]",
        "message": f"employed_by_integrator: expert {experts[2]['id']} is employed by its integrator",
    }
    proposed = _ok(client.post(f"{url}/team/proposal", headers=officer))
    assert [(member["expert_id"], member["lead"]) for member in proposed["team"]] == [
        (experts[0]["id"], True),
        (experts[1]["id"], False),
    ]
    lead, second, bystander = (bearer(client, account) for account in accounts)
    assert client.get(f"/api/assessment/assessments/{diagnosis['id']}", headers=bystander).status_code == 404
    assert _ok(client.get("/api/assessment/assessments", headers=bystander)) == []
    _ok(client.post(f"{url}/response", json={"accept": True}, headers=lead))
    started = _ok(client.post(f"{url}/response", json={"accept": True}, headers=second))
    assert started["status"] == "in_progress"

    ratings_url = f"/api/assessment/assessments/{diagnosis['id']}/ratings"
    _ok(
        client.put(
            ratings_url,
            json={"ratings": [{"item": "data.L1.1", "rating": 1, "evidence_grade": "site_checked"}]},
            headers=lead,
        )
    )
    _ok(client.put(ratings_url, json={"ratings": [{"item": "data.L1.1", "rating": 0.5}]}, headers=second))
    assert [row["rating"] for row in _ok(client.get(ratings_url, headers=second))] == [0.5]
    assert client.get(f"{url}/agreement", headers=second).status_code == 403
    assert (
        client.put(ratings_url, json={"ratings": [{"item": "data.L1.1", "rating": 1}]}, headers=bystander).status_code
        == 404
    )
    _ok(client.post(f"{url}/consensus", headers=lead))
    agreement = _ok(client.get(f"{url}/agreement", headers=second))
    assert agreement["domains"][0]["mean_absolute_difference"] == 0.5
    items = [entry.model_dump(mode="json") for entry in all_items(rating=0.8)]
    _ok(client.put(ratings_url, json={"ratings": items}, headers=lead))
    closed = _ok(client.post(f"{url}/close", headers=officer))
    assert closed["status"] == "closed"
    result = _ok(client.get(f"/api/assessment/assessments/{diagnosis['id']}/result", headers=officer))
    assert result["score"]["level"] == 5 and result["score"]["agreement"][0]["domain"] == "data"
    audited = _rating_audits(world, diagnosis["id"])
    assert len(audited) == 2 + len(items)
    assert {entry.actor_name for entry in audited} == {accounts[0].username, accounts[1].username}
    assert audited[0].after is not None and audited[0].after["item_id"] == "data.L1.1"


def test_integrators_edit_only_their_own_entry(client: TestClient, world: World) -> None:
    mine = world.user(Role.INTEGRATOR)
    other = world.user(Role.INTEGRATOR)
    headers = bearer(client, mine)
    url = f"/api/assessment/integrators/{mine.organisation_id}"
    unknown = client.put(url, json={"capabilities": ["mes", "teleportation"]}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "body.capabilities[1]"
    _ok(client.put(url, json={"capabilities": ["mes", "aps", "mes"]}, headers=headers))
    assert (
        client.put(
            f"/api/assessment/integrators/{other.organisation_id}", json={"capabilities": ["mes"]}, headers=headers
        ).status_code
        == 404
    )
    listed = _ok(
        client.get("/api/assessment/integrators?capability=aps", headers=bearer(client, world.user(Role.ENTERPRISE)))
    )
    assert [(entry["integrator_id"], entry["capabilities"]) for entry in listed] == [
        (mine.organisation_id, ["aps", "mes"])
    ]
    assert client.delete(url, headers=headers).status_code == 204

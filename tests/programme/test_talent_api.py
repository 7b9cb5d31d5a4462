"""Talent through the API: cohorts and trainees, certification only after completion with unique certificate
numbers, the excellent-consultant selection (audited), the edition's talent funnel against its target, and
field-level errors that change nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import World, bearer
from tests.programme.builders import current_edition
from tests.programme.tenant_cases_community import cohort
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.programme import service_talent
from zhizao.programme.models_community import Trainee

API = "/api/programme"


def _officer(client: TestClient, world: World) -> dict[str, str]:
    return bearer(client, world.user(Role.OFFICER))


def _enrol(client: TestClient, headers: dict[str, str], cohort_id: int, **extra: Any) -> dict[str, Any]:
    body = {"name": "张伟", "employer_name": "上海某汽车零部件有限公司", **extra}
    response = client.post(f"{API}/cohorts/{cohort_id}/trainees", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _trainees(world: World) -> int:
    with world.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Trainee)) or 0)


def test_only_a_trainee_who_completed_is_certified(client: TestClient, world: World) -> None:
    headers = _officer(client, world)
    trainee = _enrol(client, headers, cohort(world))
    certificate = {"certificate_no": "ZZ-2021-0001", "certified_on": "2021-07-01"}

    early = client.post(f"{API}/trainees/{trainee['id']}/certificate", json=certificate, headers=headers)
    assert early.status_code == 422
    assert early.json()["error"]["fields"][0]["field"] == "body.certificate_no"
    assert "completed" in early.json()["error"]["message"]

    done = client.patch(f"{API}/trainees/{trainee['id']}", json={"status": "completed"}, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "completed"
    certified = client.post(f"{API}/trainees/{trainee['id']}/certificate", json=certificate, headers=headers)
    assert certified.status_code == 200, certified.text
    assert certified.json()["certificate_no"] == "ZZ-2021-0001"
    # A certified trainee's status is final.
    back = client.patch(f"{API}/trainees/{trainee['id']}", json={"status": "enrolled"}, headers=headers)
    assert back.status_code == 422 and back.json()["error"]["fields"][0]["field"] == "body.status"


def test_certificate_numbers_are_unique(client: TestClient, world: World) -> None:
    headers = _officer(client, world)
    cohort_id = cohort(world)
    first, second = (_enrol(client, headers, cohort_id, name=name) for name in ("张伟", "李娜"))
    for trainee in (first, second):
        client.patch(f"{API}/trainees/{trainee['id']}", json={"status": "completed"}, headers=headers)
    certificate = {"certificate_no": "ZZ-2021-0007", "certified_on": "2021-07-01"}
    assert (
        client.post(f"{API}/trainees/{first['id']}/certificate", json=certificate, headers=headers).status_code == 200
    )

    taken = client.post(f"{API}/trainees/{second['id']}/certificate", json=certificate, headers=headers)
    assert taken.status_code == 409
    assert taken.json()["error"]["fields"][0]["field"] == "body.certificate_no"
    after = client.get(f"{API}/trainees/{second['id']}", headers=headers).json()
    assert after["certificate_no"] is None and after["certified_on"] is None


def test_talent_counts_follow_the_funnel_and_the_edition(client: TestClient, world: World) -> None:
    headers = _officer(client, world)
    edition_id = current_edition(world)
    cohort_id = cohort(world)
    people = [_enrol(client, headers, cohort_id, name=f"学员{n}") for n in range(5)]
    for trainee in people[:3]:
        client.patch(f"{API}/trainees/{trainee['id']}", json={"status": "completed"}, headers=headers)
    client.patch(f"{API}/trainees/{people[4]['id']}", json={"status": "dropped"}, headers=headers)
    for number, trainee in enumerate(people[:2]):
        body = {"certificate_no": f"ZZ-{number}", "certified_on": "2021-07-01"}
        client.post(f"{API}/trainees/{trainee['id']}/certificate", json=body, headers=headers)
    chosen = {"rationale": "完成 3 家企业诊断，成效突出", "selected_on": "2021-12-01"}
    selected = client.post(f"{API}/trainees/{people[0]['id']}/excellent", json=chosen, headers=headers)
    assert selected.status_code == 200 and selected.json()["excellent_rationale"] == chosen["rationale"]

    with world.database.session() as session:
        assert service_talent.talent_counts(session, edition_id) == (4, 3, 2, 1)
        assert session.scalar(select(func.count()).where(AuditEntry.action == "talent_trainee.excellent")) == 1
    summary = client.get(f"{API}/talent/summary", params={"edition_id": edition_id}, headers=headers).json()
    assert summary["target"] == 200
    assert summary["counts"] == {"enrolled": 4, "completed": 3, "certified": 2, "excellent": 1}
    listed = client.get(f"{API}/cohorts", params={"edition_id": edition_id}, headers=headers).json()
    assert [entry["counts"]["certified"] for entry in listed] == [2]
    # Another edition's funnel is its own.
    with world.database.session() as session:
        assert service_talent.talent_counts(session, edition_id + 1) == (0, 0, 0, 0)


def test_excellent_consultants_are_certified_first(client: TestClient, world: World) -> None:
    headers = _officer(client, world)
    trainee = _enrol(client, headers, cohort(world))
    chosen = {"rationale": "表现优秀", "selected_on": "2021-12-01"}
    refused = client.post(f"{API}/trainees/{trainee['id']}/excellent", json=chosen, headers=headers)
    assert refused.status_code == 422 and "certified" in refused.json()["error"]["message"]


def test_a_full_cohort_takes_no_more_trainees(client: TestClient, world: World) -> None:
    headers = _officer(client, world)
    cohort_id = cohort(world, capacity=1)
    first = _enrol(client, headers, cohort_id)
    full = client.post(
        f"{API}/cohorts/{cohort_id}/trainees", json={"name": "李娜", "employer_name": "某大学"}, headers=headers
    )
    assert full.status_code == 409 and "full" in full.json()["error"]["message"]
    client.patch(f"{API}/trainees/{first['id']}", json={"status": "dropped"}, headers=headers)
    assert (
        client.post(
            f"{API}/cohorts/{cohort_id}/trainees", json={"name": "李娜", "employer_name": "某大学"}, headers=headers
        ).status_code
        == 201
    )
    # The one who dropped out cannot take the seat back now.
    back = client.patch(f"{API}/trainees/{first['id']}", json={"status": "enrolled"}, headers=headers)
    assert back.status_code == 409 and back.json()["error"]["fields"][0]["field"] == "body.status"


def test_bad_input_names_the_field_and_changes_nothing(client: TestClient, world: World) -> None:
    headers = _officer(client, world)
    edition_id = current_edition(world)
    base = {
        "edition_id": edition_id, "name": "第二期", "track": "planner", "provider": "某培训机构",
        "starts_on": "2021-09-01", "ends_on": "2021-12-31", "capacity": 40,
    }  # fmt: skip
    cases = [
        ({"ends_on": "2021-08-01"}, "body.ends_on"),
        ({"capacity": 0}, "body.capacity"),
        ({"track": "manager"}, "body.track"),
        ({"edition_id": 999_999}, "body.edition_id"),
        ({"starts_on": "0202-09-01"}, "body.starts_on"),
    ]
    for change, field in cases:
        response = client.post(f"{API}/cohorts", json=base | change, headers=headers)
        assert response.status_code == 422, (change, response.text)
        assert field in [problem["field"] for problem in response.json()["error"]["fields"]], change
    assert client.get(f"{API}/cohorts", headers=headers).json() == []

    cohort_id = client.post(f"{API}/cohorts", json=base, headers=headers).json()["id"]
    for body, field in [
        ({"name": "张伟"}, "body.employer_name"),
        ({"name": "张伟", "employer_id": 999_999}, "body.employer_id"),
        ({"name": "张伟", "employer_name": "某公司", "phone": "call me"}, "body.phone"),
        ({"name": "", "employer_name": "某公司"}, "body.name"),
    ]:
        response = client.post(f"{API}/cohorts/{cohort_id}/trainees", json=body, headers=headers)
        assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == field, response.text
    assert _trainees(world) == 0


def test_a_registered_employer_lends_its_name(client: TestClient, world: World) -> None:
    headers = _officer(client, world)
    employer_id = world.organisation(name="上海汽车集团股份有限公司")
    trainee = _enrol(client, headers, cohort(world), employer_id=employer_id, employer_name=None)
    assert trainee["employer_id"] == employer_id and trainee["employer_name"] == "上海汽车集团股份有限公司"


def test_talent_is_for_the_programme_office(client: TestClient, world: World) -> None:
    cohort_id = cohort(world)
    for role in (Role.ENTERPRISE, Role.EXPERT, Role.INTEGRATOR):
        response = client.get(f"{API}/cohorts/{cohort_id}/trainees", headers=bearer(client, world.user(role)))
        assert response.status_code == 403

"""The diagnosis workflow through the pages: an invited expert answers, an officer proposes the team, moves the
diagnosis to its consensus and closes it; what the service refuses is shown on the page; scope is a 404 and the
expert pool page is for officers and administrators, who add experts and (un)book them as available there."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.assessment.builders import admin, diagnosis, enterprise, expert, principal_of
from tests.assessment.test_api_report import level_two_ratings
from tests.assessment.test_pages import _csrf, _sign_in
from tests.conftest import World
from zhizao.accounts.roles import Role
from zhizao.assessment import service_access, service_diagnosis, service_pool, service_ratings
from zhizao.assessment.lifecycle import AssessmentStatus
from zhizao.assessment.models import Assessment, MemberStatus
from zhizao.ui.i18n import translations

zh = translations("zh_CN").gettext


def _status(world: World, assessment_id: int) -> AssessmentStatus:
    with world.database.session() as session:
        row = session.get(Assessment, assessment_id)
        assert row is not None
        return row.status


def _members(world: World, assessment_id: int) -> dict[int, MemberStatus]:
    with world.database.session() as session:
        return {expert.id: member.status for member, expert in service_access.team(session, assessment_id)}


def test_invited_expert_accepts_on_the_page(client: TestClient, world: World) -> None:
    target = enterprise(world)
    lead, second = expert(world), expert(world, ("电子信息",))
    diagnosis_id = diagnosis(world, target)
    with world.database.session() as session:
        service_diagnosis.adjust_team(session, admin(world), diagnosis_id, [lead.id, second.id])
    _sign_in(client, lead.user)
    page = client.get(f"/assessment/{diagnosis_id}")
    assert page.status_code == 200 and 'id="respond"' in page.text
    assert zh("Accept") in page.text and zh("Invited") in page.text
    assert 'id="propose-team"' not in page.text and 'id="cancel-diagnosis"' not in page.text
    answered = client.post(
        f"/assessment/{diagnosis_id}/response",
        data={"csrf_token": _csrf(page.text), "accept": "true"},
        follow_redirects=False,
    )
    assert answered.status_code == 303 and answered.headers["location"] == f"/assessment/{diagnosis_id}"
    assert _members(world, diagnosis_id) == {lead.id: MemberStatus.ACCEPTED, second.id: MemberStatus.INVITED}
    after = client.get(f"/assessment/{diagnosis_id}")
    assert 'id="respond"' not in after.text
    again = client.post(
        f"/assessment/{diagnosis_id}/response", data={"csrf_token": _csrf(after.text), "accept": "false"}
    )
    assert again.status_code == 409 and "no open invitation" in again.text and 'role="alert"' in again.text
    assert _members(world, diagnosis_id)[lead.id] == MemberStatus.ACCEPTED


def test_officer_runs_the_diagnosis_through_the_pages(client: TestClient, world: World) -> None:
    target = enterprise(world)
    team = [expert(world), expert(world, ("电子信息",))]
    diagnosis_id = diagnosis(world, target)
    _sign_in(client, world.user(Role.OFFICER))
    page = client.get(f"/assessment/{diagnosis_id}")
    assert 'id="propose-team"' in page.text and 'id="close-diagnosis"' not in page.text
    token = _csrf(page.text)
    proposed = client.post(
        f"/assessment/{diagnosis_id}/team/proposal", data={"csrf_token": token}, follow_redirects=False
    )
    assert proposed.status_code == 303, proposed.text
    assert _status(world, diagnosis_id) == AssessmentStatus.TEAM_PROPOSED
    assert set(_members(world, diagnosis_id)) == {member.id for member in team}

    broken = client.post(f"/assessment/{diagnosis_id}/team", data={"csrf_token": token, "expert_ids": "x"})
    assert broken.status_code == 422 and 'role="alert"' in broken.text
    too_early = client.post(f"/assessment/{diagnosis_id}/close", data={"csrf_token": token})
    assert too_early.status_code == 409 and "cannot close" in too_early.text

    for member in team:
        with world.database.session() as session:
            service_diagnosis.respond(session, principal_of(member.user), diagnosis_id, accept=True)
    page = client.get(f"/assessment/{diagnosis_id}")
    assert 'id="start-consensus"' in page.text and 'id="adjust-team"' not in page.text
    moved = client.post(f"/assessment/{diagnosis_id}/consensus", data={"csrf_token": token}, follow_redirects=False)
    assert moved.status_code == 303 and _status(world, diagnosis_id) == AssessmentStatus.CONSENSUS
    with world.database.session() as session:
        service_ratings.save_ratings(session, admin(world), diagnosis_id, level_two_ratings())
    assert 'id="close-diagnosis"' in client.get(f"/assessment/{diagnosis_id}").text
    closed = client.post(f"/assessment/{diagnosis_id}/close", data={"csrf_token": token}, follow_redirects=False)
    assert closed.status_code == 303 and _status(world, diagnosis_id) == AssessmentStatus.CLOSED
    final = client.get(f"/assessment/{diagnosis_id}").text
    assert '<span id="overall">2.50</span>' in final and 'id="cancel-diagnosis"' not in final


def test_workflow_is_out_of_reach_outside_the_scope(client: TestClient, world: World) -> None:
    target = enterprise(world)
    diagnosis_id = diagnosis(world, target)
    _sign_in(client, world.user(Role.ENTERPRISE))  # another enterprise's user
    assert client.get(f"/assessment/{diagnosis_id}").status_code == 404
    outsider = expert(world)  # in the pool, not on this diagnosis's team
    _sign_in(client, outsider.user)
    token = _csrf(client.get("/assessment").text)
    answered = client.post(f"/assessment/{diagnosis_id}/response", data={"csrf_token": token, "accept": "true"})
    assert answered.status_code == 404
    assert client.post(f"/assessment/{diagnosis_id}/cancel", data={"csrf_token": token}).status_code == 403
    assert _status(world, diagnosis_id) == AssessmentStatus.OPENED


def test_integrator_may_not_see_the_pool(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.INTEGRATOR))
    assert client.get("/assessment/experts").status_code == 403
    assert 'href="/assessment/experts"' not in client.get("/").text


def test_pool_page_adds_an_expert_and_toggles_availability(client: TestClient, world: World) -> None:
    newcomer = world.user(Role.EXPERT)
    _sign_in(client, world.user(Role.OFFICER))
    page = client.get("/assessment/experts")
    assert page.status_code == 200 and f'<option value="{newcomer.user_id}">' in page.text
    assert 'href="/assessment/experts"' in page.text  # the navigation entry
    token = _csrf(page.text)
    form = {"csrf_token": token, "user_id": str(newcomer.user_id), "industries": "汽车，电子信息",
            "specialities": "数据", "employer_id": "", "region": "浦东新区", "available": "on"}  # fmt: skip
    missing = client.post("/assessment/experts", data={**form, "industries": " "})
    assert missing.status_code == 422 and "industries" in missing.text
    added = client.post("/assessment/experts", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    with world.database.session() as session:
        [row] = [entry for entry in service_pool.list_experts(session) if entry.user_id == newcomer.user_id]
    assert row.industries == ["汽车", "电子信息"] and row.region == "浦东新区" and row.available
    listing = client.get("/assessment/experts").text
    assert f'data-expert="{row.id}" data-available="true"' in listing and "汽车、电子信息" in listing
    toggled = client.post(
        f"/assessment/experts/{row.id}/availability",
        data={"csrf_token": token, "available": "false"},
        follow_redirects=False,
    )
    assert toggled.status_code == 303
    with world.database.session() as session:
        assert not service_pool.read_expert(session, row.id).available

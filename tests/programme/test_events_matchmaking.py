"""Events and supply–demand matchmaking: organisations see each other's open requests without contact fields, an
officer matches a demand with a supply (audited), after which the two parties see each other; the rules of a
match, the counts per event, and field-level errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import World, bearer
from tests.programme.tenant_cases_community import posted_request
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.programme.models_community import MatchRequest, MatchSide, MatchStatus
from zhizao.programme.service_events import match_problem

API = "/api/programme"
PRIVATE = ("contact_name", "contact_phone", "contact_email", "matched_with_id", "match_note")


def _request(id_: int, side: MatchSide, organisation_id: int, status: MatchStatus = MatchStatus.OPEN) -> MatchRequest:
    return MatchRequest(id=id_, side=side, organisation_id=organisation_id, status=status)


DEMAND = _request(1, MatchSide.DEMAND, 10)


@pytest.mark.parametrize(
    ("counterpart", "problem"),
    [
        (_request(2, MatchSide.SUPPLY, 20), None),
        (DEMAND, "itself"),
        (_request(2, MatchSide.DEMAND, 20), "match a demand with a supply"),
        (_request(2, MatchSide.SUPPLY, 10), "same organisation"),
        (_request(2, MatchSide.SUPPLY, 20, MatchStatus.MATCHED), "not open"),
        (_request(2, MatchSide.SUPPLY, 20, MatchStatus.CLOSED), "not open"),
    ],
)
def test_match_rules(counterpart: MatchRequest, problem: str | None) -> None:
    found = match_problem(DEMAND, counterpart)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_others_see_open_requests_without_contacts(client: TestClient, world: World) -> None:
    request_id, poster = posted_request(world)
    own = client.get(f"{API}/match-requests/{request_id}", headers=bearer(client, poster)).json()
    assert own["own"] is True and own["contact_phone"] == "13800138000"

    other = bearer(client, world.user(Role.INTEGRATOR))
    seen = client.get(f"{API}/match-requests/{request_id}", headers=other)
    assert seen.status_code == 200 and seen.json()["subject"] == "MES 系统选型"
    assert all(seen.json()[field] is None for field in PRIVATE) and seen.json()["own"] is False
    listed = client.get(f"{API}/match-requests", headers=other).json()
    assert [(entry["id"], entry["contact_email"]) for entry in listed] == [(request_id, None)]

    # Closed, it disappears for others; they cannot change or close it while open either.
    assert client.patch(f"{API}/match-requests/{request_id}", json={"subject": "x"}, headers=other).status_code == 404
    assert client.post(f"{API}/match-requests/{request_id}/close", headers=bearer(client, poster)).status_code == 200
    assert client.get(f"{API}/match-requests/{request_id}", headers=other).status_code == 404
    assert client.get(f"{API}/match-requests", headers=other).json() == []


def test_an_officer_matches_demand_with_supply(client: TestClient, world: World) -> None:
    demand_id, buyer = posted_request(world, MatchSide.DEMAND)
    supplier = world.user(Role.INTEGRATOR)
    supply_id, _ = posted_request(world, MatchSide.SUPPLY, poster=supplier)
    officer = bearer(client, world.user(Role.OFFICER))

    body = {"counterpart_id": supply_id, "note": "对接会现场沟通"}
    matched = client.post(f"{API}/match-requests/{demand_id}/match", json=body, headers=officer)
    assert matched.status_code == 200, matched.text
    assert matched.json()["status"] == "matched" and matched.json()["matched_request_id"] == supply_id
    assert matched.json()["matched_with_id"] == supplier.organisation_id

    seen_by_buyer = client.get(f"{API}/match-requests/{demand_id}", headers=bearer(client, buyer)).json()
    assert seen_by_buyer["matched_with_id"] == supplier.organisation_id and seen_by_buyer["match_note"] == body["note"]
    seen_by_supplier = client.get(f"{API}/match-requests/{supply_id}", headers=bearer(client, supplier)).json()
    assert seen_by_supplier["status"] == "matched" and seen_by_supplier["matched_with_id"] == buyer.organisation_id
    # No third party sees matched requests.
    assert client.get(f"{API}/match-requests", headers=bearer(client, world.user(Role.PLATFORM))).json() == []
    with world.database.session() as session:
        assert session.scalar(select(func.count()).where(AuditEntry.action == "match_request.match")) == 1

    again = client.post(f"{API}/match-requests/{demand_id}/match", json=body, headers=officer)
    assert again.status_code == 422 and again.json()["error"]["fields"][0]["field"] == "body.counterpart_id"
    enterprise = bearer(client, buyer)
    assert client.post(f"{API}/match-requests/{demand_id}/match", json=body, headers=enterprise).status_code == 403


def test_two_demands_are_not_matched(client: TestClient, world: World) -> None:
    first, _ = posted_request(world)
    second, _ = posted_request(world)
    officer = bearer(client, world.user(Role.OFFICER))
    response = client.post(f"{API}/match-requests/{first}/match", json={"counterpart_id": second}, headers=officer)
    assert response.status_code == 422 and "supply" in response.json()["error"]["message"]
    statuses = {entry["status"] for entry in client.get(f"{API}/match-requests", headers=officer).json()}
    assert statuses == {"open"}


def test_events_count_their_requests(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    event = {"title": "汽车行业供需对接会", "kind": "matchmaking", "held_on": "2021-05-20", "district": "jiading"}
    created = client.post(f"{API}/events", json=event, headers=officer)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    poster = world.user(Role.ENTERPRISE)
    posting = bearer(client, poster)
    for side in ("demand", "demand", "supply"):
        body = {"side": side, "subject": "视觉检测", "description": "产线视觉检测", "event_id": event_id}
        assert client.post(f"{API}/match-requests", json=body, headers=posting).status_code == 201
    events: list[dict[str, Any]] = client.get(f"{API}/events", headers=posting).json()
    assert [(e["id"], e["demands"], e["supplies"], e["matched"]) for e in events] == [(event_id, 2, 1, 0)]

    # Deleting the event keeps its requests.
    assert client.delete(f"{API}/events/{event_id}", headers=officer).status_code == 204
    assert [entry["event_id"] for entry in client.get(f"{API}/match-requests", headers=posting).json()] == [None] * 3


def test_bad_requests_name_the_field_and_change_nothing(client: TestClient, world: World) -> None:
    enterprise = world.user(Role.ENTERPRISE)
    headers = bearer(client, enterprise)
    base = {"side": "demand", "subject": "MES", "description": "需要 MES"}
    cases = [
        ({"side": "both"}, "body.side"),
        ({"subject": ""}, "body.subject"),
        ({"contact_email": "not-an-email"}, "body.contact_email"),
        ({"event_id": 999_999}, "body.event_id"),
        ({"organisation_id": world.organisation()}, "body.organisation_id"),
        ({"industry": "mining"}, "body.industry"),
    ]
    for change, field in cases:
        response = client.post(f"{API}/match-requests", json=base | change, headers=headers)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["fields"][0]["field"] == field, change
    officer = bearer(client, world.user(Role.OFFICER))
    unnamed = client.post(f"{API}/match-requests", json=base, headers=officer)
    assert unnamed.status_code == 422 and unnamed.json()["error"]["fields"][0]["field"] == "body.organisation_id"
    with world.database.session() as session:
        assert session.scalar(select(func.count()).select_from(MatchRequest)) == 0


def test_experts_and_consumers_have_no_matchmaking(client: TestClient, world: World) -> None:
    for role in (Role.EXPERT, Role.CONSUMER):
        assert client.get(f"{API}/match-requests", headers=bearer(client, world.user(role))).status_code == 403

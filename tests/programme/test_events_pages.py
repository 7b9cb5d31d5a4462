"""Events and matchmaking pages: an officer creates an event, an enterprise posts a request for it and sees others'
open requests without their contacts, the officer matches demand with supply on the page; refusals are shown."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.assessment.builders import admin
from tests.assessment.test_pages import _csrf, _sign_in
from tests.conftest import World
from tests.programme.tenant_cases_community import posted_request
from zhizao.accounts.roles import Role
from zhizao.programme import service_events
from zhizao.programme.models_community import MatchSide, MatchStatus
from zhizao.ui.i18n import translations

zh = translations("zh_CN").gettext


def test_an_event_and_its_requests_through_the_pages(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.OFFICER))
    token = _csrf(client.get("/programme/events").text)
    created = client.post(
        "/programme/events",
        data={"csrf_token": token, "title": "电子信息行业对接会", "kind": "matchmaking", "held_on": "2021-05-20"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    with world.database.session() as session:
        event_id = service_events.list_events(session)[0].id

    other_id, _ = posted_request(world, MatchSide.SUPPLY)  # another organisation's offer, with contacts
    enterprise = world.user(Role.ENTERPRISE)
    client.cookies.clear()
    _sign_in(client, enterprise)
    page = client.get("/programme/matchmaking")
    assert page.status_code == 200 and zh("Supply–demand matchmaking") in page.text
    assert f'data-request="{other_id}"' in page.text and "13800138000" not in page.text
    assert 'name="organisation_id"' not in page.text and "/match" not in page.text.replace("/matchmaking", "")
    posted = client.post(
        "/programme/matchmaking/requests",
        data={
            "csrf_token": _csrf(page.text), "side": "demand", "subject": "AOI 检测设备", "description": "SMT 线",
            "event_id": str(event_id), "contact_phone": "13900139000",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert posted.status_code == 303, posted.text
    assert "13900139000" in client.get("/programme/matchmaking").text  # its own contact
    events = client.get("/programme/events").text
    assert "电子信息行业对接会" in events and 'id="new-event"' not in events

    client.cookies.clear()
    _sign_in(client, world.user(Role.OFFICER))
    with world.database.session() as session:
        own_id = next(r.id for r in service_events.list_requests(session, admin(world)) if r.subject == "AOI 检测设备")
    page = client.get("/programme/matchmaking")
    matched = client.post(
        f"/programme/matchmaking/requests/{own_id}/match",
        data={"csrf_token": _csrf(page.text), "counterpart_id": str(other_id), "note": "会上对接"},
        follow_redirects=False,
    )
    assert matched.status_code == 303, matched.text
    with world.database.session() as session:
        statuses = {r.id: r.status for r in service_events.list_requests(session, admin(world))}
    assert statuses == {own_id: MatchStatus.MATCHED, other_id: MatchStatus.MATCHED}

    refused = client.post(
        f"/programme/matchmaking/requests/{own_id}/match",
        data={"csrf_token": _csrf(page.text), "counterpart_id": str(other_id)},
    )
    assert refused.status_code == 422 and 'role="alert"' in refused.text and "not open" in refused.text


def test_matchmaking_is_not_for_experts(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.EXPERT))
    assert client.get("/programme/matchmaking").status_code == 403
    assert client.get("/programme/events").status_code == 403

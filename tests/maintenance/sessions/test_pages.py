"""The pages: equipment I may maintain (404 without consent), opening a session, the session page with its
refreshing panels, findings, the owner ending it, a revoked consent ending it, and the report."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.maintenance.sessions.support import consent, login, revoke, rig
from zhizao.accounts.roles import Role


def _open_through_the_form(client: TestClient, csrf: str, equipment_id: int) -> int:
    opened = client.post(
        "/maintenance/sessions",
        data={"equipment_id": str(equipment_id), "purpose": "远程诊断", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    found = re.search(r"/maintenance/sessions/(\d+)$", opened.headers["location"])
    assert found is not None
    return int(found.group(1))


def test_operator_works_a_session_and_the_owner_ends_it(client: TestClient, world: World) -> None:
    r = rig(world)
    csrf = login(client, r.operator)
    assert "maintainable" in client.get("/maintenance/equipment").text
    assert client.get(f"/maintenance/equipment/{r.equipment_id}").status_code == 404
    refused = client.post(
        "/maintenance/sessions", data={"equipment_id": str(r.equipment_id), "purpose": "x", "csrf_token": csrf}
    )
    assert refused.status_code == 404

    client.cookies.clear()  # the API takes bearer tokens; a signed-in browser would need the CSRF token
    consent(client, r.owner, r.operator, equipment_id=r.equipment_id)
    csrf = login(client, r.operator)
    listed = client.get("/maintenance/equipment")
    assert f'data-equipment="{r.equipment_id}"' in listed.text
    assert client.get(f"/maintenance/equipment/{r.cp.plant.robot_id}").status_code == 404
    assert "open-session-form" in client.get(f"/maintenance/equipment/{r.equipment_id}").text
    session_id = _open_through_the_form(client, csrf, r.equipment_id)
    twice = client.post(
        "/maintenance/sessions", data={"equipment_id": str(r.equipment_id), "purpose": "x", "csrf_token": csrf}
    )
    assert twice.status_code == 409 and "already" in twice.text

    page = client.get(f"/maintenance/sessions/{session_id}")
    assert page.status_code == 200
    markers = ('id="live-panel"', 'id="alarms-panel"', 'id="health-not-assessed"', 'id="data-sources"',
               'id="no-command-consent"', 'id="finding-form"', 'id="close-form"', 'hx-trigger="every')  # fmt: skip
    for marker in markers:
        assert marker in page.text, marker
    fragment = client.get(f"/maintenance/sessions/{session_id}/live")
    assert fragment.status_code == 200 and f'data-signal="{r.cp.setpoint_id}"' in fragment.text
    assert client.get(f"/maintenance/sessions/{session_id}/alarms").status_code == 200

    bad = client.post(
        f"/maintenance/sessions/{session_id}/findings", data={"category": "guess", "text": "x", "csrf_token": csrf}
    )
    assert bad.status_code == 422 and 'id="finding-form"' in bad.text
    good = client.post(
        f"/maintenance/sessions/{session_id}/findings",
        data={"category": "observation", "text": "冷却液压力偏低", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert "冷却液压力偏低" in client.get(f"/maintenance/sessions/{session_id}").text
    no_command = client.post(
        f"/maintenance/sessions/{session_id}/commands",
        data={"signal_id": str(r.cp.setpoint_id), "value": "4500", "csrf_token": csrf},
    )
    assert no_command.status_code == 403 and "remote_command" in no_command.text

    csrf = login(client, r.owner)
    assert f'data-session="{session_id}"' in client.get("/maintenance/sessions").text
    owner_page = client.get(f"/maintenance/sessions/{session_id}")
    assert 'id="end-form"' in owner_page.text and 'id="live-panel"' in owner_page.text
    ended = client.post(
        f"/maintenance/sessions/{session_id}/end", data={"reason": "停机", "csrf_token": csrf}, follow_redirects=False
    )
    assert ended.status_code == 303
    after = client.get(f"/maintenance/sessions/{session_id}")
    assert 'id="session-ended"' in after.text and 'id="live-panel"' not in after.text
    report = client.get(f"/maintenance/sessions/{session_id}/report")
    assert report.status_code == 200 and "冷却液压力偏低" in report.text
    assert client.get(f"/maintenance/sessions/{session_id}/report.pdf").content.startswith(b"%PDF")


def test_a_revoked_consent_ends_the_session_page(client: TestClient, world: World) -> None:
    r = rig(world)
    consent_id = consent(client, r.owner, r.operator, equipment_id=r.equipment_id)
    csrf = login(client, r.operator)
    session_id = _open_through_the_form(client, csrf, r.equipment_id)
    # Administrators read the session and watch it (as they read all telemetry); they hold and act in none.
    admin_csrf = login(client, world.user(Role.ADMIN))
    for path in (f"/maintenance/sessions/{session_id}", f"/maintenance/sessions/{session_id}/live",
                 f"/maintenance/sessions/{session_id}/alarms", f"/maintenance/sessions/{session_id}/report",
                 f"/maintenance/equipment/{r.equipment_id}", "/maintenance/equipment"):  # fmt: skip
        assert client.get(path).status_code == 200, path
    admin_page = client.get(f"/maintenance/sessions/{session_id}").text
    assert 'id="finding-form"' not in admin_page and 'id="end-form"' not in admin_page
    assert (
        client.post(
            f"/maintenance/sessions/{session_id}/findings",
            data={"category": "cause", "text": "x", "csrf_token": admin_csrf},
        ).status_code
        == 403
    )
    csrf = login(client, r.operator)
    cookies = dict(client.cookies)
    client.cookies.clear()
    revoke(client, r.owner, consent_id)
    client.cookies.update(cookies)
    polled = client.get(f"/maintenance/sessions/{session_id}/live")
    assert polled.status_code == 409 and polled.headers["HX-Refresh"] == "true" and "consent revoked" in polled.text
    page = client.get(f"/maintenance/sessions/{session_id}")
    assert page.status_code == 200 and 'id="session-ended"' in page.text and 'id="live-panel"' not in page.text
    assert "已结束：授权已撤销" in page.text  # "ended: consent revoked", in the zh-CN page
    assert client.get(f"/maintenance/equipment/{r.equipment_id}").status_code == 404
    late = client.post(
        f"/maintenance/sessions/{session_id}/findings", data={"category": "cause", "text": "x", "csrf_token": csrf}
    )
    assert late.status_code == 409

"""The pages: form → confirmation (old → new) → result; history; consents; errors shown, never a 500."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.pages import sign_in_page
from tests.telemetry.commands.support import QUIET, RecordingPublisher, command_plant, platform_user, store_sample
from zhizao.accounts.roles import Role
from zhizao.telemetry.timeutil import now_us


def _login(client: TestClient, account: Account) -> str:
    sign_in_page(client, account)
    return _csrf(client, "/commands")


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_owner_sends_a_command_through_the_pages(app: FastAPI, client: TestClient, world: World) -> None:
    app.state.command_policy = QUIET
    app.state.command_publisher = RecordingPublisher()
    cp = command_plant(world)
    store_sample(app, cp.setpoint_id, now_us() - 1_000_000, 3000.0)
    csrf = _login(client, cp.owner)
    equipment = client.get(f"/equipment/{cp.plant.equipment_id}/view")
    assert (
        equipment.status_code == 200 and "signal-limits" in equipment.text and "remote-command-link" in equipment.text
    )
    form = client.get(f"/equipment/{cp.plant.equipment_id}/commands")
    assert form.status_code == 200 and "spindle_setpoint_rpm" in form.text and "3000" in form.text
    bad = client.post(
        f"/equipment/{cp.plant.equipment_id}/commands",
        data={"signal_id": str(cp.setpoint_id), "value": "99999", "csrf_token": csrf},
    )
    assert bad.status_code == 422 and "outside the range" in bad.text
    junk = client.post(
        f"/equipment/{cp.plant.equipment_id}/commands", data={"signal_id": "x", "value": "abc", "csrf_token": csrf}
    )
    assert junk.status_code == 422
    prepared = client.post(
        f"/equipment/{cp.plant.equipment_id}/commands",
        data={"signal_id": str(cp.setpoint_id), "value": "4500", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert prepared.status_code == 303
    confirm_page = client.get(prepared.headers["location"])
    assert "confirm-command" in confirm_page.text and "3000" in confirm_page.text and "4500" in confirm_page.text
    command_id = prepared.headers["location"].rsplit("/", 1)[1]
    done = client.post(f"/commands/{command_id}/confirm", data={"csrf_token": csrf})
    assert done.status_code == 200 and "confirm-command" not in done.text
    again = client.post(f"/commands/{command_id}/confirm", data={"csrf_token": csrf})
    assert again.status_code == 409
    history = client.get("/commands")
    assert history.status_code == 200 and "spindle_setpoint_rpm" in history.text


def test_no_broker_shows_the_problem_on_the_page(app: FastAPI, client: TestClient, world: World) -> None:
    app.state.command_policy = QUIET
    cp = command_plant(world)
    csrf = _login(client, cp.owner)
    prepared = client.post(
        f"/equipment/{cp.plant.equipment_id}/commands",
        data={"signal_id": str(cp.switch_id), "value": "true", "csrf_token": csrf},
        follow_redirects=False,
    )
    command_id = prepared.headers["location"].rsplit("/", 1)[1]
    failed = client.post(f"/commands/{command_id}/confirm", data={"csrf_token": csrf})
    assert failed.status_code == 502 and "no MQTT broker" in failed.text


def test_consent_pages_for_owner_and_operator(app: FastAPI, client: TestClient, world: World) -> None:
    cp = command_plant(world)
    operator = platform_user(world)
    csrf = _login(client, cp.owner)
    page = client.get("/commands/consents")
    assert page.status_code == 200 and "new-consent" in page.text
    bad = client.post("/commands/consents", data={"grantee_id": "x", "expires_at": "tomorrow", "csrf_token": csrf})
    assert bad.status_code == 422
    granted = client.post(
        "/commands/consents",
        data={"grantee_id": str(operator.organisation_id), "equipment_id": str(cp.plant.equipment_id),
              "expires_at": "2099-12-31T18:00", "csrf_token": csrf},
    )  # fmt: skip
    assert (granted.status_code == 200 and "Revoke" in granted.text) or "撤销" in granted.text
    csrf = _login(client, operator)
    listing = client.get("/commands")
    assert f"/equipment/{cp.plant.equipment_id}/commands" in listing.text
    assert client.get(f"/equipment/{cp.plant.equipment_id}/commands").status_code == 200
    assert client.get(f"/equipment/{cp.plant.robot_id}/commands").status_code == 404


def test_admin_reads_but_may_not_command(app: FastAPI, client: TestClient, world: World) -> None:
    cp = command_plant(world)
    _login(client, world.user(Role.ADMIN))
    assert client.get("/commands").status_code == 200
    assert client.get("/commands/consents").status_code == 200
    assert client.get(f"/equipment/{cp.plant.equipment_id}/commands").status_code == 403

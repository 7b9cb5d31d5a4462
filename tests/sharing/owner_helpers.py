"""Helpers of the owner-page, photo and dashboard tests: signing in to the pages, a machine with the signals wear
metering needs, an alarm rule of a machine, and the spindle spec of the billing tests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Account, World
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.telemetry import devices
from zhizao.telemetry.alarms import service as alarms
from zhizao.telemetry.models import Device
from zhizao.telemetry.schemas import SignalCreate

SPINDLE = {"kind": "spindle", "component_id": "spindle", "bearing": "ball", "speed_ref_rpm": 10000.0,
           "load_ref": 100.0, "l10h_ref": 20000.0}  # fmt: skip


def principal(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


def sign_in(client: TestClient, account: Account, page: str = "/account") -> str:
    """Sign in through the login form; the CSRF token of ``page``."""
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data = {"username": account.username, "password": account.password, "csrf_token": token.group(1)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found is not None, page
    return found.group(1)


def add_load_signal(world: World, equipment_id: int) -> int:
    """The spindle load signal the test plant's CNC lacks (it has ``spindle_speed_rpm`` only), on its device."""
    admin = principal(world.user(Role.ADMIN))
    with world.database.session() as session:
        device = session.scalars(select(Device).where(Device.equipment_id == equipment_id)).one()
    with world.database.session() as session:
        signal = devices.create_signal(
            session, admin, SignalCreate(device_id=device.id, name="spindle_load_pct", unit="%")
        )
        return signal.id


def add_rule(world: World, owner: Account, signal_id: int, rule_id: str = "SPINDLE_OVERLOAD") -> int:
    rule = {"id": rule_id, "signal_id": signal_id, "severity": "high", "kind": "threshold", "limit": "high",
            "setpoint": 12000.0}  # fmt: skip
    with world.database.session() as session:
        return alarms.create_rule(session, principal(owner), rule).id


def field_errors(html: str) -> dict[str, str]:
    """The problems a page shows beside their inputs: field → message."""
    return dict(re.findall(r'class="field-error" role="alert" data-field="([^"]+)"[^>]*>([^<]*)<', html))

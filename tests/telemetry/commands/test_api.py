"""Remote commands through the API: who may, what values, the two steps, the rate limit, the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.telemetry.commands.support import (
    QUIET,
    FakeDriver,
    RecordingPublisher,
    command_plant,
    fake_connectors,
    grant,
    platform_user,
    store_sample,
)
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.telemetry.commands.models import Command
from zhizao.telemetry.commands.ratelimit import CommandPolicy
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.timeutil import now_us


@pytest.fixture
def publisher(app: FastAPI) -> RecordingPublisher:
    recording = RecordingPublisher()
    app.state.command_publisher = recording
    app.state.command_policy = QUIET
    return recording


def _prepare(client: TestClient, headers: dict[str, str], signal_id: int, value: object) -> tuple[int, dict[str, Any]]:
    response = client.post("/api/commands", json={"signal_id": signal_id, "value": value}, headers=headers)
    return response.status_code, response.json()


def test_owner_prepares_confirms_and_the_audit_shows_old_and_new(
    app: FastAPI, client: TestClient, world: World, publisher: RecordingPublisher
) -> None:
    cp = command_plant(world)
    store_sample(app, cp.setpoint_id, now_us() - 5_000_000, 3000.0)
    headers = bearer(client, cp.owner)
    code, body = _prepare(client, headers, cp.setpoint_id, 4500)
    assert code == 201, body
    assert body["status"] == "pending" and body["old_value"] == 3000.0 and body["value"] == 4500.0
    assert not publisher.sent  # nothing goes out before the confirmation
    confirmed = client.post(f"/api/commands/{body['id']}/confirm", headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "sent"
    assert publisher.sent[0][0] == f"zhizao/v1/{cp.plant.enterprise_id}/L1-CNC-01/cmd"
    with world.database.session() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "equipment_command").order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == ["command.request", "command.confirm", "command.result"]
    assert all(e.actor_role == "enterprise" for e in entries)  # audited although enterprise users usually are not
    assert entries[-1].before == {"value": 3000.0}
    assert entries[-1].after is not None and entries[-1].after["value"] == 4500.0
    assert entries[-1].after["status"] == "sent" and entries[-1].after["equipment"] == "L1-CNC-01"
    history = client.get("/api/commands", headers=headers).json()
    assert history["total"] == 1 and history["items"][0]["status"] == "sent"


@pytest.mark.parametrize(
    ("signal", "value", "fragment"),
    [
        ("setpoint", 12001, "outside the range [0, 12000] rpm"),
        ("setpoint", -1, "outside the range"),
        ("setpoint", True, "float"),
        ("switch", 1, "true or false"),
        ("count", 2.5, "whole number"),
        ("count", 101, "outside the range [0, 100]"),
    ],
)
def test_values_outside_range_or_type_are_422_on_body_value(
    client: TestClient, world: World, publisher: RecordingPublisher, signal: str, value: object, fragment: str
) -> None:
    cp = command_plant(world)
    signal_id = {"setpoint": cp.setpoint_id, "switch": cp.switch_id, "count": cp.count_id}[signal]
    code, body = _prepare(client, bearer(client, cp.owner), signal_id, value)
    assert code == 422, body
    assert body["error"]["fields"][0]["field"] == "body.value"
    assert fragment in body["error"]["fields"][0]["message"]


def test_a_signal_that_is_not_writable_is_refused(
    client: TestClient, world: World, publisher: RecordingPublisher
) -> None:
    cp = command_plant(world)
    code, body = _prepare(client, bearer(client, cp.owner), cp.plant.signal_id, 10)
    assert code == 422
    assert body["error"]["fields"][0]["field"] == "body.signal_id"
    assert "not writable" in body["error"]["message"]


def test_bool_and_int_values_are_kept_typed(client: TestClient, world: World, publisher: RecordingPublisher) -> None:
    cp = command_plant(world)
    headers = bearer(client, cp.owner)
    assert _prepare(client, headers, cp.switch_id, True)[1]["value"] is True
    assert _prepare(client, headers, cp.count_id, 7.0)[1]["value"] == 7


def test_other_tenants_and_roles_are_refused(client: TestClient, world: World, publisher: RecordingPublisher) -> None:
    cp = command_plant(world)
    stranger = world.user(Role.ENTERPRISE)
    assert _prepare(client, bearer(client, stranger), cp.setpoint_id, 10)[0] == 404
    for role in (Role.ADMIN, Role.OFFICER, Role.EXPERT, Role.INTEGRATOR, Role.CONSUMER):
        assert _prepare(client, bearer(client, world.user(role)), cp.setpoint_id, 10)[0] == 403, role
    command_id = _prepare(client, bearer(client, cp.owner), cp.setpoint_id, 10)[1]["id"]
    assert client.get(f"/api/commands/{command_id}", headers=bearer(client, stranger)).status_code == 404
    assert client.get("/api/commands", headers=bearer(client, stranger)).json()["total"] == 0
    colleague = world.user(Role.ENTERPRISE, cp.plant.enterprise_id)
    # A colleague sees it but may not confirm someone else's command.
    assert client.post(f"/api/commands/{command_id}/confirm", headers=bearer(client, colleague)).status_code == 403
    officer = world.user(Role.OFFICER)
    assert client.get(f"/api/commands/{command_id}", headers=bearer(client, officer)).status_code == 200


def test_platform_needs_an_active_consent(
    app: FastAPI, client: TestClient, world: World, publisher: RecordingPublisher
) -> None:
    cp = command_plant(world)
    operator = platform_user(world)
    headers = bearer(client, operator)
    assert _prepare(client, headers, cp.setpoint_id, 10)[0] == 404
    consent_id = grant(client, cp.owner, operator, equipment_id=cp.plant.equipment_id)
    code, body = _prepare(client, headers, cp.setpoint_id, 10)
    assert code == 201 and body["consent_id"] == consent_id
    pending = _prepare(client, headers, cp.setpoint_id, 20)[1]["id"]
    assert client.post(f"/api/commands/{body['id']}/confirm", headers=headers).json()["status"] == "sent"
    # The owner sees the operator's command; the operator's own history too.
    assert client.get("/api/commands", headers=bearer(client, cp.owner)).json()["total"] == 2
    assert client.get("/api/commands", headers=headers).json()["total"] == 2
    # A consent for one machine does not cover another.
    other = client.post(
        "/api/commands",
        json={"signal_id": cp.setpoint_id, "equipment_id": cp.plant.robot_id, "value": 1},
        headers=headers,
    )
    assert other.status_code == 422
    revoked = client.post(f"/api/consents/{consent_id}/revoke", headers=bearer(client, cp.owner))
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.post(f"/api/commands/{pending}/confirm", headers=headers).status_code == 403
    assert _prepare(client, headers, cp.setpoint_id, 10)[0] == 404
    # Only the owner grants: not the operator, not an administrator.
    body = {"grantee_id": operator.organisation_id}
    assert client.post("/api/consents", json=body, headers=headers).status_code == 403
    assert client.post("/api/consents", json=body, headers=bearer(client, world.user(Role.ADMIN))).status_code == 403


def test_an_expired_consent_no_longer_counts(
    app: FastAPI, client: TestClient, world: World, publisher: RecordingPublisher
) -> None:
    cp = command_plant(world)
    operator = platform_user(world)
    consent_id = grant(client, cp.owner, operator, expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert _prepare(client, bearer(client, operator), cp.setpoint_id, 10)[0] == 201
    with world.database.session() as session, session.begin():
        from zhizao.telemetry.commands.models import EquipmentConsent

        row = session.get(EquipmentConsent, consent_id)
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert _prepare(client, bearer(client, operator), cp.setpoint_id, 10)[0] == 404
    listed = client.get("/api/consents", headers=bearer(client, cp.owner)).json()
    assert listed[0]["active"] is False


def test_consent_grant_checks_its_fields(client: TestClient, world: World) -> None:
    cp = command_plant(world)
    headers = bearer(client, cp.owner)
    other_enterprise = world.organisation()
    response = client.post("/api/consents", json={"grantee_id": other_enterprise}, headers=headers)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "body.grantee_id"
    operator = platform_user(world)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = client.post(
        "/api/consents", json={"grantee_id": operator.organisation_id, "expires_at": past}, headers=headers
    )
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "body.expires_at"


def test_confirmation_window_and_cancel(
    app: FastAPI, client: TestClient, world: World, publisher: RecordingPublisher
) -> None:
    cp = command_plant(world)
    headers = bearer(client, cp.owner)
    command_id = _prepare(client, headers, cp.setpoint_id, 10)[1]["id"]
    with world.database.session() as session, session.begin():
        row = session.get(Command, command_id)
        assert row is not None
        row.confirm_by = datetime.now(UTC) - timedelta(seconds=1)
    assert client.get(f"/api/commands/{command_id}", headers=headers).json()["status"] == "expired"
    late = client.post(f"/api/commands/{command_id}/confirm", headers=headers)
    assert late.status_code == 409 and "expired" in late.json()["error"]["message"]
    assert client.get(f"/api/commands/{command_id}", headers=headers).json()["status"] == "expired"
    assert not publisher.sent
    second = _prepare(client, headers, cp.setpoint_id, 11)[1]["id"]
    cancelled = client.post(f"/api/commands/{second}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/commands/{second}/confirm", headers=headers).status_code == 409
    assert client.post(f"/api/commands/{second}/cancel", headers=headers).status_code == 409


def test_rate_limit_per_equipment_and_per_user(
    app: FastAPI, client: TestClient, world: World, publisher: RecordingPublisher
) -> None:
    app.state.command_policy = CommandPolicy(confirm_timeout_s=0, per_equipment_per_minute=3, per_user_per_minute=4)
    cp = command_plant(world)
    headers = bearer(client, cp.owner)
    for value in range(3):
        assert _prepare(client, headers, cp.setpoint_id, value)[0] == 201
    response = client.post("/api/commands", json={"signal_id": cp.setpoint_id, "value": 5}, headers=headers)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    colleague = world.user(Role.ENTERPRISE, cp.plant.enterprise_id)
    assert _prepare(client, bearer(client, colleague), cp.setpoint_id, 5)[0] == 429  # per equipment, whoever asks


def test_no_broker_configured_is_502_and_recorded_failed(app: FastAPI, client: TestClient, world: World) -> None:
    app.state.command_policy = QUIET
    cp = command_plant(world)
    headers = bearer(client, cp.owner)
    command_id = _prepare(client, headers, cp.setpoint_id, 10)[1]["id"]
    response = client.post(f"/api/commands/{command_id}/confirm", headers=headers)
    assert response.status_code == 502
    assert "no MQTT broker is configured" in response.json()["error"]["message"]
    assert client.get(f"/api/commands/{command_id}", headers=headers).json()["status"] == "failed"


@pytest.mark.parametrize(
    ("behaviour", "status", "code"),
    [("ok", "succeeded", 200), ("mismatch", "failed", 200), ("no_read_back", "unconfirmed", 200),
     ("refuse", "failed", 200), ("unreachable", "failed", 502)],
)  # fmt: skip
def test_connector_write_through_a_fake_driver(
    app: FastAPI, client: TestClient, world: World, behaviour: str, status: str, code: int
) -> None:
    app.state.command_policy = QUIET
    driver = FakeDriver(behaviour=behaviour)
    fake_connectors(app, driver)
    cp = command_plant(world, Protocol.OPCUA)
    headers = bearer(client, cp.owner)
    command_id = _prepare(client, headers, cp.setpoint_id, 2500.5)[1]["id"]
    response = client.post(f"/api/commands/{command_id}/confirm", headers=headers)
    assert response.status_code == code, response.text
    read = client.get(f"/api/commands/{command_id}", headers=headers).json()
    assert read["status"] == status
    if behaviour == "ok":
        assert driver.writes == [("ns=2;s=spindle_setpoint_rpm", 2500.5)] and read["read_back"] == 2500.5
    if behaviour != "ok":
        assert read["detail"]


def test_connector_point_must_be_mapped_writable(app: FastAPI, client: TestClient, world: World) -> None:
    app.state.command_policy = QUIET
    fake_connectors(app, FakeDriver(), writable=())
    cp = command_plant(world, Protocol.OPCUA)
    code, body = _prepare(client, bearer(client, cp.owner), cp.setpoint_id, 10)
    assert code == 422 and body["error"]["fields"][0]["field"] == "body.signal_id"


def test_limits_changed_after_prepare_stop_the_confirmation(
    client: TestClient, world: World, publisher: RecordingPublisher
) -> None:
    cp = command_plant(world)
    headers = bearer(client, cp.owner)
    command_id = _prepare(client, headers, cp.setpoint_id, 9000)[1]["id"]
    patched = client.patch(f"/api/signals/{cp.setpoint_id}", json={"range_max": 8000}, headers=headers)
    assert patched.status_code == 200
    assert client.post(f"/api/commands/{command_id}/confirm", headers=headers).status_code == 409
    assert not publisher.sent

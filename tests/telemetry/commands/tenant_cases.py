"""Tenant cases of the commands routes for ``tests/web/test_route_authz.py`` (merge ``TENANT_CASES`` there)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, World, bearer
from tests.telemetry.commands.support import command_plant, grant, platform_user

TenantCase = Callable[[World, TestClient], tuple[Account, dict[str, object]]]


def _command_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    cp = command_plant(world)
    operator = platform_user(world)
    consent_id = grant(client, cp.owner, operator)
    prepared = client.post(
        "/api/commands", json={"signal_id": cp.setpoint_id, "value": 1}, headers=bearer(client, cp.owner)
    )
    assert prepared.status_code == 201, prepared.text
    params = {"command_id": prepared.json()["id"], "consent_id": consent_id, "device_id": cp.plant.device_id}
    return world.user(cp.owner.role), params


TENANT_CASES: dict[tuple[str, str], TenantCase] = {
    ("GET", "/api/commands/{command_id}"): _command_of_another_enterprise,
    ("POST", "/api/commands/{command_id}/confirm"): _command_of_another_enterprise,
    ("POST", "/api/commands/{command_id}/cancel"): _command_of_another_enterprise,
    ("POST", "/api/consents/{consent_id}/revoke"): _command_of_another_enterprise,
    ("GET", "/api/devices/{device_id}/sparkplug-edge"): _command_of_another_enterprise,
    ("PUT", "/api/devices/{device_id}/sparkplug-edge"): _command_of_another_enterprise,
}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PUT", "/api/devices/{device_id}/sparkplug-edge"): {"edge_node_id": "L1"},
}

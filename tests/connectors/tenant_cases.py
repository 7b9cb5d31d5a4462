"""Connectors of one enterprise and a caller of another, for the route-walking tests (tests/web):
``TENANT_CASES`` and ``TENANT_BODIES`` to merge into theirs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.connectors import service
from zhizao.connectors.drivers import default_drivers
from zhizao.connectors.schemas import ConnectorCreate
from zhizao.telemetry.kinds import Protocol


def connector_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    enterprise_id = world.organisation()
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    data = ConnectorCreate(
        enterprise_id=enterprise_id,
        name="plc",
        protocol=Protocol.OPCUA,
        settings={"endpoint_url": "opc.tcp://127.0.0.1:9/plc"},
    )
    with world.database.session() as session:
        connector = service.create_connector(session, actor, default_drivers(), data)
    return world.user(Role.ENTERPRISE), {"connector_id": connector.id}


ROUTES = [
    ("GET", "/api/connectors/{connector_id}"),
    ("PATCH", "/api/connectors/{connector_id}"),
    ("DELETE", "/api/connectors/{connector_id}"),
    ("POST", "/api/connectors/{connector_id}/enable"),
    ("POST", "/api/connectors/{connector_id}/disable"),
    ("POST", "/api/connectors/{connector_id}/test"),
    ("GET", "/api/connectors/{connector_id}/browse"),
    ("GET", "/api/connectors/{connector_id}/certificate"),
]
TENANT_CASES = dict.fromkeys(ROUTES, connector_of_another_enterprise)
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {}

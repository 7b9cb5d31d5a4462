"""Remote maintenance resources of one enterprise and a caller of another, for the route-walking tests (tests/web):
``TENANT_CASES``, ``TENANT_BODIES`` and ``TENANT_QUERIES`` to merge into theirs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.maintenance.sessions.support import seed_session
from tests.telemetry.commands.support import admin_principal, command_plant
from zhizao.accounts.roles import Role
from zhizao.connectors import service as connectors
from zhizao.connectors.drivers import default_drivers
from zhizao.connectors.schemas import ConnectorCreate
from zhizao.telemetry.kinds import Protocol


def session_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    """An open session on enterprise A's equipment (with writable points and a connector of A's); a user of B."""
    cp = command_plant(world)
    session_id = seed_session(world, cp.plant)
    data = ConnectorCreate(
        enterprise_id=cp.plant.enterprise_id,
        name="plc",
        protocol=Protocol.OPCUA,
        settings={"endpoint_url": "opc.tcp://127.0.0.1:9/plc"},
    )
    with world.database.session() as session:
        connector = connectors.create_connector(session, admin_principal(world), default_drivers(), data)
    params: dict[str, object] = {
        "equipment_id": cp.plant.equipment_id, "session_id": session_id, "connector_id": connector.id,
    }  # fmt: skip
    return world.user(Role.ENTERPRISE), params


API = "/api/maintenance"
ROUTES = [
    ("GET", f"{API}/equipment/{{equipment_id}}"),
    ("GET", f"{API}/sessions/{{session_id}}"),
    ("POST", f"{API}/sessions/{{session_id}}/close"),
    ("POST", f"{API}/sessions/{{session_id}}/end"),
    ("GET", f"{API}/sessions/{{session_id}}/findings"),
    ("POST", f"{API}/sessions/{{session_id}}/findings"),
    ("GET", f"{API}/sessions/{{session_id}}/live"),
    ("GET", f"{API}/sessions/{{session_id}}/trend"),
    ("GET", f"{API}/sessions/{{session_id}}/alarms"),
    ("GET", f"{API}/sessions/{{session_id}}/diagnostics"),
    ("POST", f"{API}/sessions/{{session_id}}/connectors/{{connector_id}}/test"),
    ("POST", f"{API}/sessions/{{session_id}}/commands"),
    ("GET", f"{API}/sessions/{{session_id}}/report"),
    ("GET", f"{API}/sessions/{{session_id}}/report.pdf"),
]
TENANT_CASES = dict.fromkeys(ROUTES, session_of_another_enterprise)
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", f"{API}/sessions/{{session_id}}/findings"): {"category": "observation", "text": "轴承异响"},
    ("POST", f"{API}/sessions/{{session_id}}/commands"): {"signal_id": 1, "value": 1},
}
# Query parameters a route requires besides the walk's own, so that it reaches the tenant check, not a 422.
TENANT_QUERIES: dict[tuple[str, str], dict[str, str | int]] = {
    ("GET", f"{API}/sessions/{{session_id}}/trend"): {"signal_id": 1, "minutes": 60},
}

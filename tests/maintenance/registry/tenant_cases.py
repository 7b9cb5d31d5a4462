"""Routes of model files and recordings for the route-walking tests (tests/web): ``TENANT_CASES`` and
``TENANT_BODIES`` to merge into theirs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role


def equipment_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    plant = build_plant(world)
    return world.user(Role.ENTERPRISE), {"equipment_id": plant.equipment_id}


ROUTES = [
    ("POST", "/api/maintenance/equipment/{equipment_id}/deployments"),
    ("POST", "/api/maintenance/equipment/{equipment_id}/recordings"),
]
TENANT_CASES = dict.fromkeys(ROUTES, equipment_of_another_enterprise)
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/api/maintenance/equipment/{equipment_id}/deployments"): {"model_id": 1, "signal_map": {}},
}

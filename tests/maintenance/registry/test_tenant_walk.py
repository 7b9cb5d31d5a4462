"""The route walk's tenant check for these routes, run here too until ``tests/web/test_route_authz.py`` merges
``tenant_cases`` (another tenant's equipment → 404 before the body is read)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.maintenance.registry.tenant_cases import TENANT_BODIES, TENANT_CASES
from tests.web.routes import OPERATIONS

OPS = [op for op in OPERATIONS if (op.method, op.path) in TENANT_CASES]


def test_every_route_with_a_parameter_has_a_case() -> None:
    mine = {
        (op.method, op.path)
        for op in OPERATIONS
        if op.path.startswith("/api/maintenance/equipment/") and op.path.endswith(("/deployments", "/recordings"))
    }
    assert mine == set(TENANT_CASES)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_another_tenants_ids_get_404(client: TestClient, world: World) -> None:
    caller, params = TENANT_CASES[OPS[0].method, OPS[0].path](world, client)
    headers = bearer(client, caller)
    for op in OPS:
        body = TENANT_BODIES.get((op.method, op.path), {}) if op.has_body else None
        response = client.request(op.method, op.url(**params), headers=headers, json=body)
        assert response.status_code == 404, f"{op.id}: {response.text}"

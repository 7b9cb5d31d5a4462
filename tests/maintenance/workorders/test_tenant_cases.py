"""The tenant cases handed to the route walk answer 404 here too (the walk itself lives in tests/web). All the
routes share one case, so it is built once and every route is tried on it (a stranger's calls change nothing)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.maintenance.workorders.tenant_cases import TENANT_BODIES, TENANT_CASES


def test_another_tenant_gets_404(client: TestClient, world: World) -> None:
    cases = set(TENANT_CASES.values())
    assert len(cases) == 1
    caller, params = cases.pop()(world, client)
    headers = bearer(client, caller)
    for method, path in sorted(TENANT_CASES):
        body = TENANT_BODIES.get((method, path)) if method in ("POST", "PUT", "PATCH") else None
        response = client.request(method, path.format(**params), headers=headers, json=body)
        assert response.status_code == 404, (method, path, response.text)

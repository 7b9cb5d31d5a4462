"""The tenant cases handed to the route walk answer 404 here too (the walk itself lives in tests/web)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.telemetry.commands.tenant_cases import TENANT_BODIES, TENANT_CASES


@pytest.mark.parametrize("route", sorted(TENANT_CASES), ids=lambda route: f"{route[0]} {route[1]}")
def test_another_tenant_gets_404(client: TestClient, world: World, route: tuple[str, str]) -> None:
    method, path = route
    caller, params = TENANT_CASES[route](world, client)
    url = path.format(**params)
    body = TENANT_BODIES.get(route) if method in ("POST", "PUT") else None
    response = client.request(method, url, headers=bearer(client, caller), json=body)
    assert response.status_code == 404, response.text

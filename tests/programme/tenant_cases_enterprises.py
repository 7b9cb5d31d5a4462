"""Tenant cases of the programme's enterprises routes for the route-walking test (see tests/web/test_route_authz.py).

TENANT_CASES maps (method, path) to a function returning a caller of one tenant and the path parameters of a
resource of another; TENANT_BODIES gives valid bodies where a route's body has required fields. Editions and parks
are the programme's, not a tenant's: their routes with an id are the programme office's only, so need no case.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.programme.builders import programme_enterprise


def another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    """An enterprise in the programme, and a user of another enterprise in it."""
    victim, _ = programme_enterprise(world)
    _, caller = programme_enterprise(world)
    return caller, {"enterprise_id": victim}


TENANT_CASES: dict[tuple[str, str], Callable[[World, TestClient], tuple[Account, dict[str, object]]]] = {
    ("GET", "/api/programme/enterprises/{enterprise_id}"): another_enterprise,
    ("PATCH", "/api/programme/enterprises/{enterprise_id}"): another_enterprise,
}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PATCH", "/api/programme/enterprises/{enterprise_id}"): {"address": "上海市浦东新区张江路 1 号"},
}

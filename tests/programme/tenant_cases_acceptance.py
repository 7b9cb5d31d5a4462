"""Tenant cases of the programme's acceptance routes for the route-walking test (see tests/web/test_route_authz.py).

TENANT_CASES maps (method, path) to a function returning a caller of one tenant and the path parameters of a
resource of another; TENANT_BODIES gives valid bodies where a route's body has required fields.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, World

TENANT_CASES: dict[tuple[str, str], Callable[[World, TestClient], tuple[Account, dict[str, object]]]] = {}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {}

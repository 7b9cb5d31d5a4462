"""Tenant cases of the optimisation routes for ``tests/web/test_route_authz.py`` (merge ``TENANT_CASES`` there)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role

TenantCase = Callable[[World, TestClient], tuple[Account, dict[str, object]]]


def _line_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    plant = build_plant(world)
    return world.user(Role.ENTERPRISE), {"node_id": plant.line_id}


TENANT_CASES: dict[tuple[str, str], TenantCase] = {
    ("GET", "/api/maintenance/optimisation/lines/{node_id}"): _line_of_another_enterprise,
    ("GET", "/api/maintenance/optimisation/lines/{node_id}/report.pdf"): _line_of_another_enterprise,
}

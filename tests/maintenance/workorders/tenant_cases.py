"""Tenant cases of the work-order routes for ``tests/web/test_route_authz.py`` (merge ``TENANT_CASES`` there)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Account, World, bearer
from tests.maintenance.workorders.support import API, build_shop, create_order
from zhizao.accounts.roles import Role

TenantCase = Callable[[World, TestClient], tuple[Account, dict[str, object]]]


def _order_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    shop = build_shop(world)
    order = create_order(client, shop.owner, shop.plant.equipment_id)
    part = client.post(
        f"{API}/{order['id']}/parts",
        json={"part_number": "6205-2RS", "name": "轴承", "quantity": "2", "unit_cost": "35.50"},
        headers=bearer(client, shop.owner),
    )
    assert part.status_code == 201, part.text
    plan = client.post(
        f"{API}/plans",
        json={"equipment_id": shop.plant.equipment_id, "title": "月度保养", "trigger": "calendar", "interval": 1,
              "calendar_unit": "month", "start_date": "2026-12-01"},
        headers=bearer(client, shop.owner),
    )  # fmt: skip
    assert plan.status_code == 201, plan.text
    params = {"order_id": order["id"], "part_id": part.json()["parts"][0]["id"], "plan_id": plan.json()["id"]}
    return world.user(Role.ENTERPRISE), params


TENANT_CASES: dict[tuple[str, str], TenantCase] = {
    ("GET", f"{API}/{{order_id}}"): _order_of_another_enterprise,
    ("PATCH", f"{API}/{{order_id}}"): _order_of_another_enterprise,
    ("DELETE", f"{API}/{{order_id}}"): _order_of_another_enterprise,
    ("POST", f"{API}/{{order_id}}/transitions"): _order_of_another_enterprise,
    ("POST", f"{API}/{{order_id}}/parts"): _order_of_another_enterprise,
    ("DELETE", f"{API}/{{order_id}}/parts/{{part_id}}"): _order_of_another_enterprise,
    ("GET", f"{API}/plans/{{plan_id}}"): _order_of_another_enterprise,
    ("PATCH", f"{API}/plans/{{plan_id}}"): _order_of_another_enterprise,
    ("DELETE", f"{API}/plans/{{plan_id}}"): _order_of_another_enterprise,
}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", f"{API}/{{order_id}}/transitions"): {"action": "assign", "assignee_name": "张工"},
    ("POST", f"{API}/{{order_id}}/parts"): {"part_number": "P-1", "name": "密封圈", "quantity": "1", "unit_cost": "2"},
    ("PATCH", f"{API}/{{order_id}}"): {"title": "x"},
    ("PATCH", f"{API}/plans/{{plan_id}}"): {"title": "x"},
}

"""The tenant cases of the C2M routes for ``tests/web/test_route_authz.py`` (merged into ``TENANT_CASES`` and
``TENANT_BODIES`` there): a maker's draft-only model, its version and its customer's order, seen by another
enterprise (or, for orders, another consumer) — 404 every time."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.c2m.builders import build_maker, place
from tests.conftest import Account, World
from zhizao.accounts.roles import Role

API = "/api/c2m"
TenantCase = Callable[[World, TestClient], tuple[Account, dict[str, object]]]
DRAFT_CODE = "ZX-DRAFT"


def _draft_model_and_version(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    """A maker's model with only a draft: another enterprise finds neither the model nor the version."""
    made = build_maker(world, code=DRAFT_CODE, release=False)
    return world.user(Role.ENTERPRISE), {"code": DRAFT_CODE, "version_id": made.version_id}


def _order_of_another_consumer(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    build_maker(world)
    order = place(world, world.user(Role.CONSUMER))
    return world.user(Role.CONSUMER), {"order_id": order.id}


def _order_of_another_maker(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    build_maker(world)
    order = place(world, world.user(Role.CONSUMER))
    return world.user(Role.ENTERPRISE), {"order_id": order.id}


TENANT_CASES: dict[tuple[str, str], TenantCase] = {
    **{
        (method, f"{API}{path}"): _draft_model_and_version
        for method, path in (
            ("GET", "/models/{code}"),
            ("POST", "/models/{code}/step"),
            ("POST", "/models/{code}/complete"),
            ("GET", "/versions/{version_id}"),
            ("GET", "/versions/{version_id}/release-check"),
            ("POST", "/versions/{version_id}/release"),
            ("POST", "/versions/{version_id}/retire"),
        )
    },
    ("GET", f"{API}/orders/{{order_id}}"): _order_of_another_consumer,
    ("GET", f"{API}/orders/{{order_id}}/bom"): _order_of_another_maker,
}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", f"{API}/models/{{code}}/step"): {"version": 1, "chosen": []},
    ("POST", f"{API}/models/{{code}}/complete"): {"version": 1, "chosen": []},
}


def _schedule_run_of_another_maker(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    """A maker's scheduler run: another enterprise's user gets 404 for its id."""
    from datetime import timedelta

    from tests.c2m.planning_world import T0, Orders
    from tests.c2m.planning_world import build_maker as build_planning_maker
    from zhizao.c2m.planning import plan

    maker = build_planning_maker(world)
    Orders(world, maker).add(due_at=T0 + timedelta(days=2))
    outcome = plan(world.database, maker.maker_id, T0, time_limit_s=1.0)
    return world.user(Role.ENTERPRISE), {"run_id": outcome.run_id}


TENANT_CASES[("GET", f"{API}/schedule/runs/{{run_id}}")] = _schedule_run_of_another_maker

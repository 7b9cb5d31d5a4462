"""Walks every route in the OpenAPI schema: anonymous → 401, wrong role → 403, another tenant's id → 404.

A route added by any later context is walked too. A route with a path parameter that a tenant-confined role can
reach must register how to make a resource of another tenant in ``TENANT_CASES``, or this suite fails.

The anonymous and wrong-role walks (and the check of the public routes) run on SQLite only, against one app per
module with one signed-in user per role: authentication and the role check are shared dependencies that refuse
the call before the route's own code runs, so neither the backend nor a fresh database per route changes what
they prove (and a refused call writes nothing for the next route to see). The tenant walk runs on both backends,
each route on a fresh database: tenant scoping is done in SQL by the services.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.assessment import tenant_cases as assessment_cases
from tests.c2m import tenant_cases as c2m_cases
from tests.conftest import TEST_SECRET, Account, World, bearer
from tests.connectors import tenant_cases as connector_cases
from tests.maintenance.health import tenant_cases as health_cases
from tests.maintenance.optimisation import tenant_cases as optimisation_cases
from tests.maintenance.registry import tenant_cases as registry_cases
from tests.maintenance.sessions import tenant_cases as session_cases
from tests.maintenance.workorders import tenant_cases as workorder_cases
from tests.production.builders import build_production
from tests.production.programme_builders import BASELINE, EVALUATION, build_factory
from tests.programme import (
    tenant_cases_acceptance,
    tenant_cases_cockpit,
    tenant_cases_community,
    tenant_cases_directory,
    tenant_cases_enterprises,
    tenant_cases_projects,
)
from tests.sharing import tenant_cases as sharing_cases
from tests.telemetry.alarms import tenant_cases as alarm_cases
from tests.telemetry.builders import build_plant
from tests.telemetry.commands import tenant_cases as command_cases
from tests.vision import station_tenant_cases as vision_station_cases
from tests.vision import tenant_cases_data as vision_data_cases
from tests.web.routes import OPERATIONS, Operation
from zhizao.accounts.roles import CROSS_TENANT_ROLES, Role
from zhizao.db.engine import create_database
from zhizao.production import programme_service
from zhizao.settings import load_settings
from zhizao.web.app import create_app
from zhizao.web.pages import PUBLIC_PATHS

TenantCase = Callable[[World, TestClient], tuple[Account, dict[str, object]]]


def _other_enterprise_organisation(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    victim = world.organisation()
    return world.user(Role.ENTERPRISE), {"organisation_id": victim}


def _other_users_token(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    owner = world.user(Role.ENTERPRISE)
    response = client.post("/api/me/tokens", json={"name": "owner's"}, headers=bearer(client, owner))
    assert response.status_code == 201
    return world.user(Role.ENTERPRISE, owner.organisation_id), {"token_id": response.json()["id"]}


def _plant_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    plant = build_plant(world)
    params: dict[str, object] = {
        "node_id": plant.line_id,
        "equipment_id": plant.equipment_id,
        "device_id": plant.device_id,
        "signal_id": plant.signal_id,
    }
    return world.user(Role.ENTERPRISE), params


def _production_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    production = build_production(world)
    params = {
        "calendar_id": production.calendar_id,
        "day": "2026-12-04",
        "equipment_id": production.plant.equipment_id,
        "node_id": production.plant.line_id,
        "downtime_id": production.downtime_id,
        "product_id": production.product_id,
        "operation_id": production.operation_id,
        "order_id": production.order_id,
        "tree_id": production.tree_id,
        "stop_id": production.stop_id,
    }
    return world.user(Role.ENTERPRISE), params


def _verification_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    factory = build_factory(world, output=False)
    with world.database.session() as session:
        row = programme_service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
    return world.user(Role.ENTERPRISE), {"verification_id": row.id}


PLANT_ROUTES = [
    ("GET", "/api/assets/nodes/{node_id}"),
    ("PATCH", "/api/assets/nodes/{node_id}"),
    ("DELETE", "/api/assets/nodes/{node_id}"),
    ("GET", "/api/equipment/{equipment_id}"),
    ("PATCH", "/api/equipment/{equipment_id}"),
    ("DELETE", "/api/equipment/{equipment_id}"),
    ("GET", "/api/equipment/{equipment_id}/latest"),
    ("GET", "/api/devices/{device_id}"),
    ("PATCH", "/api/devices/{device_id}"),
    ("POST", "/api/devices/{device_id}/credentials"),
    ("GET", "/api/signals/{signal_id}"),
    ("PATCH", "/api/signals/{signal_id}"),
    ("GET", "/api/signals/{signal_id}/raw"),
    ("GET", "/api/signals/{signal_id}/series"),
    ("GET", "/api/signals/{signal_id}/export"),
]

PRODUCTION_ROUTES = [
    ("GET", "/api/production/calendars/{calendar_id}"),
    ("PATCH", "/api/production/calendars/{calendar_id}"),
    ("DELETE", "/api/production/calendars/{calendar_id}"),
    ("POST", "/api/production/calendars/{calendar_id}/days"),
    ("DELETE", "/api/production/calendars/{calendar_id}/days/{day}"),
    ("GET", "/api/production/equipment/{equipment_id}/settings"),
    ("PATCH", "/api/production/equipment/{equipment_id}/settings"),
    ("GET", "/api/production/equipment/{equipment_id}/stops"),
    ("PUT", "/api/production/nodes/{node_id}/calendar"),
    ("GET", "/api/production/downtime/{downtime_id}"),
    ("PATCH", "/api/production/downtime/{downtime_id}"),
    ("DELETE", "/api/production/downtime/{downtime_id}"),
    ("GET", "/api/production/products/{product_id}"),
    ("PATCH", "/api/production/products/{product_id}"),
    ("DELETE", "/api/production/products/{product_id}"),
    ("GET", "/api/production/operations/{operation_id}"),
    ("PATCH", "/api/production/operations/{operation_id}"),
    ("DELETE", "/api/production/operations/{operation_id}"),
    ("GET", "/api/production/orders/{order_id}"),
    ("PATCH", "/api/production/orders/{order_id}"),
    ("DELETE", "/api/production/orders/{order_id}"),
    ("POST", "/api/production/orders/{order_id}/status"),
    ("GET", "/api/production/reason-trees/{tree_id}"),
    ("GET", "/api/production/stops/{stop_id}"),
    ("PUT", "/api/production/stops/{stop_id}/reason"),
    ("GET", "/api/production/stops/{stop_id}/suggestions"),
]

# (method, path) → how to get a caller of tenant B and the path parameters of a resource of tenant A.
TENANT_CASES: dict[tuple[str, str], TenantCase] = {
    ("GET", "/api/organisations/{organisation_id}"): _other_enterprise_organisation,
    ("DELETE", "/api/me/tokens/{token_id}"): _other_users_token,
    **dict.fromkeys(PLANT_ROUTES, _plant_of_another_enterprise),
    **dict.fromkeys(PRODUCTION_ROUTES, _production_of_another_enterprise),
    ("GET", "/api/production/programme/verifications/{verification_id}"): _verification_of_another_enterprise,
    **assessment_cases.TENANT_CASES,
    **tenant_cases_enterprises.TENANT_CASES,
    **tenant_cases_projects.TENANT_CASES,
    **tenant_cases_directory.TENANT_CASES,
    **tenant_cases_community.TENANT_CASES,
    **tenant_cases_acceptance.TENANT_CASES,
    **tenant_cases_cockpit.TENANT_CASES,
    **alarm_cases.TENANT_CASES,
    **connector_cases.TENANT_CASES,
    **command_cases.TENANT_CASES,
    **optimisation_cases.TENANT_CASES,
    **health_cases.TENANT_CASES,
    **workorder_cases.TENANT_CASES,
    **session_cases.TENANT_CASES,
    **registry_cases.TENANT_CASES,
    **sharing_cases.TENANT_CASES,
    **c2m_cases.TENANT_CASES,
    **vision_data_cases.TENANT_CASES,
    **vision_station_cases.TENANT_CASES,
}

# Valid bodies for routes whose body has required fields, so that the walk reaches the tenant check, not a 422.
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/api/production/calendars/{calendar_id}/days"): {"day": "2026-12-04", "kind": "holiday"},
    ("PUT", "/api/production/nodes/{node_id}/calendar"): {"calendar_id": None},
    ("POST", "/api/production/orders/{order_id}/status"): {"status": "cancelled"},
    ("PUT", "/api/production/stops/{stop_id}/reason"): {"reason_id": None},
    **assessment_cases.TENANT_BODIES,
    **tenant_cases_enterprises.TENANT_BODIES,
    **tenant_cases_projects.TENANT_BODIES,
    **tenant_cases_directory.TENANT_BODIES,
    **tenant_cases_community.TENANT_BODIES,
    **tenant_cases_acceptance.TENANT_BODIES,
    **tenant_cases_cockpit.TENANT_BODIES,
    **alarm_cases.TENANT_BODIES,
    **connector_cases.TENANT_BODIES,
    **command_cases.TENANT_BODIES,
    **health_cases.TENANT_BODIES,
    **workorder_cases.TENANT_BODIES,
    **session_cases.TENANT_BODIES,
    **registry_cases.TENANT_BODIES,
    **sharing_cases.TENANT_BODIES,
    **c2m_cases.TENANT_BODIES,
    **vision_data_cases.TENANT_BODIES,
    **vision_station_cases.TENANT_BODIES,
}

# Query parameters some routes require, so that the walk reaches the authorisation check and not a 422.
REQUIRED_QUERY = {"start": "2026-11-28T00:00:00+08:00", "end": "2026-11-29T00:00:00+08:00"}
# … and those only some routes require, so that the tenant walk reaches the tenant check.
TENANT_QUERIES: dict[tuple[str, str], dict[str, str | int]] = {
    **session_cases.TENANT_QUERIES,
    **sharing_cases.TENANT_QUERIES,
}

PROTECTED = [op for op in OPERATIONS if op.path not in PUBLIC_PATHS]
ROLE_LIMITED = [op for op in PROTECTED if op.allowed_roles is not None]
TENANT_REACHABLE = [
    op
    for op in PROTECTED
    if op.path_params and not (op.allowed_roles is not None and op.allowed_roles <= CROSS_TENANT_ROLES)
]


@dataclass(frozen=True)
class Gate:
    """The app the anonymous and wrong-role walks knock on, with a bearer token of one user of each role."""

    client: TestClient
    headers: dict[Role, dict[str, str]]

    def call(self, op: Operation, role: Role | None = None) -> httpx2.Response:
        self.client.cookies.clear()  # each call on its own credentials only
        headers = self.headers[role] if role is not None else None
        return self.client.request(op.method, op.url(), headers=headers, json={} if op.has_body else None)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Gate]:
    directory = tmp_path_factory.mktemp("route-walk")
    shutil.copyfile(sqlite_template, directory / "zhizao.db")
    settings = load_settings(data_dir=directory, secret_key=TEST_SECRET, login_max_failures=3)
    database = create_database(settings)
    try:
        with TestClient(create_app(settings, database), base_url="https://testserver") as client:
            world = World(database)
            yield Gate(client, {role: bearer(client, world.user(role)) for role in Role})
    finally:
        database.dispose()


def test_the_walk_covers_the_api() -> None:
    assert len(PROTECTED) >= 15
    assert {op.path for op in OPERATIONS} >= {"/api/users", "/api/organisations", "/api/me"}


def test_each_role_of_the_gate_is_signed_in(gate: Gate) -> None:
    """The wrong-role walk's tokens are good ones: a 403 there is the role check, not a failed sign-in."""
    for role, headers in gate.headers.items():
        response = gate.client.get("/api/me", headers=headers)
        assert response.status_code == 200, f"{role}: {response.text}"
        assert response.json()["role"] == role.value


@pytest.mark.parametrize("op", PROTECTED, ids=lambda op: op.id)
def test_anonymous_gets_401(gate: Gate, op: Operation) -> None:
    response = gate.call(op)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("op", ROLE_LIMITED, ids=lambda op: op.id)
def test_wrong_role_gets_403(gate: Gate, op: Operation) -> None:
    assert op.allowed_roles is not None
    for role in sorted(set(Role) - op.allowed_roles):
        response = gate.call(op, role)
        assert response.status_code == 403, f"{role}: {response.text}"
        assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("op", TENANT_REACHABLE, ids=lambda op: op.id)
def test_another_tenants_id_gets_404(client: TestClient, world: World, op: Operation) -> None:
    case = TENANT_CASES.get((op.method, op.path))
    assert case is not None, f"register a tenant case for {op.id} in TENANT_CASES"
    caller, params = case(world, client)
    response = client.request(
        op.method,
        op.url(**params),
        params={**REQUIRED_QUERY, **TENANT_QUERIES.get((op.method, op.path), {})},
        headers=bearer(client, caller),
        json=TENANT_BODIES.get((op.method, op.path), {}) if op.has_body else None,
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/login"),
        ("POST", "/logout"),
        ("GET", "/lang/en"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("POST", "/api/auth/token"),
    ],
)
def test_public_routes_answer_anonymous_callers(gate: Gate, method: str, path: str) -> None:
    gate.client.cookies.clear()
    response = gate.client.request(method, path, follow_redirects=False)
    assert response.status_code != 401
    assert not response.headers.get("location", "").startswith("/login?")

"""A plant with two enterprise users (one works, the other verifies), a platform operator, consents and a ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.conftest import bearer as fresh_bearer
from tests.production.builders import DAY, add_interval
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.maintenance.health.kinds import CaseTrigger, HealthStatus
from zhizao.maintenance.models_health import MaintenanceCase
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

API = "/api/maintenance/workorders"


def bearer(client: TestClient, account: Account) -> dict[str, str]:
    """The account's bearer header, fetched once per test client (a sign-in per request would dominate the run)."""
    tokens: dict[str, dict[str, str]] = client.__dict__.setdefault("_workorder_tokens", {})
    if account.username not in tokens:
        tokens[account.username] = fresh_bearer(client, account)
    return tokens[account.username]


@dataclass(frozen=True)
class Shop:
    plant: Plant
    owner: Account  # an enterprise user: plans, verifies
    technician: Account  # another enterprise user: does the work


def build_shop(world: World) -> Shop:
    plant = build_plant(world)
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    technician = world.user(Role.ENTERPRISE, plant.enterprise_id)
    return Shop(plant, owner, technician)


def platform_user(world: World) -> Account:
    return world.user(Role.PLATFORM, world.organisation(OrganisationKind.PLATFORM))


def grant_maintenance(client: TestClient, owner: Account, grantee: Account, equipment_id: int | None = None) -> int:
    body = {"grantee_id": grantee.organisation_id, "equipment_id": equipment_id, "scope": "remote_maintenance"}
    response = client.post("/api/consents", json=body, headers=bearer(client, owner))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def create_order(client: TestClient, account: Account, equipment_id: int, **extra: object) -> dict[str, Any]:
    body = {"equipment_id": equipment_id, "title": "主轴异响", **extra}
    response = client.post(API, json=body, headers=bearer(client, account))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def act(client: TestClient, account: Account, order_id: object, action: str, **extra: object) -> dict[str, Any]:
    response = client.post(
        f"{API}/{order_id}/transitions", json={"action": action, **extra}, headers=bearer(client, account)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def build_breakdown_ledger(world: World, plant: Plant) -> None:
    """The CNC runs 08:00–10:00, is out of service 10:00–10:40, under maintenance 10:40–11:00, runs 11:00–16:00
    (DAY: 1 December 2026, Asia/Shanghai): 7 h operating, one 1 h outage."""
    at = DAY.replace(hour=8)

    def span(start_h: float, end_h: float, state: MachineryItemState, mode: OperationMode) -> None:
        add_interval(world.database, plant, at + timedelta(hours=start_h), at + timedelta(hours=end_h), state, mode)

    span(0, 2, MachineryItemState.EXECUTING, OperationMode.PROCESSING)
    span(2, 2 + 40 / 60, MachineryItemState.OUT_OF_SERVICE, OperationMode.NONE)
    span(2 + 40 / 60, 3, MachineryItemState.NOT_EXECUTING, OperationMode.MAINTENANCE)
    span(3, 8, MachineryItemState.EXECUTING, OperationMode.PROCESSING)


def local(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def open_case(world: World, enterprise_id: int, equipment_id: int) -> int:
    """A maintenance case as the health observer opens one (degraded spindle), for orders made from a case."""
    with world.database.session() as session, session.begin():
        case = MaintenanceCase(
            enterprise_id=enterprise_id, equipment_id=equipment_id, trigger=CaseTrigger.HEALTH,
            status=HealthStatus.MAINTENANCE_REQUIRED, title="主轴健康度下降", failure_mode="Spindle bearing wear",
            recommended_action="Inspect the spindle bearings", evidence={},
        )  # fmt: skip
        session.add(case)
        session.flush()
        return case.id

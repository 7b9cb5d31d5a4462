"""Equipment health resources of one enterprise and a caller of another, for the route-walking tests (tests/web):
``TENANT_CASES`` and ``TENANT_BODIES`` to merge into theirs."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Account, World
from tests.maintenance.health.support import MINUTE_US, health_plant, learned, recent_start, samples, write
from zhizao.accounts.roles import Role
from zhizao.maintenance.health.observer import HealthObserver
from zhizao.maintenance.models_health import MaintenanceCase, ModelDeployment
from zhizao.telemetry.store.factory import open_store


def health_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    """A learnt, deployed baseline of enterprise A whose equipment degraded into an open case."""
    hp = health_plant(world)
    store = open_store(world.database)
    start = recent_start(60)
    write(store, samples(hp, start, 30, seed=1))
    model = learned(world, store, hp, start, 30)
    batch = samples(hp, start + 30 * MINUTE_US, 4, seed=2, shift=5.0)
    write(store, batch)
    HealthObserver(world.database, store).committed(batch, [])
    with world.database.session() as session:
        case_id = session.scalars(select(MaintenanceCase.id)).one()
        deployment_id = session.scalars(select(ModelDeployment.id)).one()
    params: dict[str, object] = {
        "equipment_id": hp.equipment_id, "model_id": model.id, "deployment_id": deployment_id, "case_id": case_id,
    }  # fmt: skip
    return world.user(Role.ENTERPRISE), params


ROUTES = [
    ("GET", "/api/maintenance/health/{equipment_id}"),
    ("GET", "/api/maintenance/health/{equipment_id}/history"),
    ("POST", "/api/maintenance/health/{equipment_id}/baseline"),
    ("GET", "/api/maintenance/models/{model_id}"),
    ("POST", "/api/maintenance/models/{model_id}/deploy"),
    ("POST", "/api/maintenance/models/{model_id}/retire"),
    ("POST", "/api/maintenance/deployments/{deployment_id}/predict"),
    ("GET", "/api/maintenance/cases/{case_id}"),
    ("POST", "/api/maintenance/cases/{case_id}/acknowledge"),
    ("POST", "/api/maintenance/cases/{case_id}/close"),
]
TENANT_CASES = dict.fromkeys(ROUTES, health_of_another_enterprise)
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/api/maintenance/health/{equipment_id}/baseline"): {
        "start": "2026-11-28T08:00:00+08:00", "end": "2026-11-28T09:00:00+08:00",
    },
    ("POST", "/api/maintenance/models/{model_id}/deploy"): {"equipment_id": 1},
    ("POST", "/api/maintenance/cases/{case_id}/close"): {"resolution": "fixed"},
}  # fmt: skip

"""The health pages: overview with NE107 colours, the equipment page with its charts' data and the baseline form,
cases with evidence, recommended action and the acknowledge/close forms, the registry."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World
from tests.maintenance.health.support import MINUTE_US, health_plant, learned, recent_start, samples, write
from tests.web.test_pages import _csrf, _sign_in
from zhizao.maintenance.health.observer import HealthObserver
from zhizao.maintenance.models_health import MaintenanceCase
from zhizao.telemetry.store.factory import open_store


@pytest.mark.parametrize("backend", ["sqlite"])
def test_health_pages(client: TestClient, world: World) -> None:
    hp = health_plant(world)
    store = open_store(world.database)
    start = recent_start(40)  # the data ends minutes ago: not stale
    write(store, samples(hp, start, 30, seed=1))
    learned(world, store, hp, start, 30)
    batch = samples(hp, start + 30 * MINUTE_US, 4, seed=2, shift=5.0)
    write(store, batch)
    HealthObserver(world.database, store).committed(batch, [])
    with world.database.session() as session:
        case_id = session.scalars(select(MaintenanceCase.id)).one()
    _sign_in(client, hp.owner)

    overview = client.get("/maintenance/health")
    assert overview.status_code == 200
    row = re.search(rf'<tr data-equipment="{hp.equipment_id}" data-status="(\w+)"', overview.text)
    assert row and row.group(1) in ("maintenance_required", "out_of_specification")
    assert f'href="/maintenance/cases/{case_id}"' in overview.text

    page = client.get(f"/maintenance/health/equipment/{hp.equipment_id}")
    assert page.status_code == 200 and 'id="health-data"' in page.text
    assert '"name": "vibration_rms_mm_s"' in page.text and '"score":' in page.text
    hostile = client.get(f"/maintenance/health/equipment/{hp.equipment_id}?start_us=²&end_us=-1&signals=x,,99999")
    assert hostile.status_code == 200
    form = client.post(
        f"/maintenance/health/equipment/{hp.equipment_id}/baseline",
        data={"start": "yesterday", "end": "", "csrf_token": _csrf(page.text)},
    )
    assert form.status_code == 422 and "2026-11-28T08:00" in form.text
    learnt = client.post(
        f"/maintenance/health/equipment/{hp.equipment_id}/baseline",
        data={"start": "2020-01-01T08:00", "end": "2020-01-01T09:00", "csrf_token": _csrf(page.text)},
    )
    assert learnt.status_code == 422 and "not enough data" in learnt.text

    case = client.get(f"/maintenance/cases/{case_id}")
    assert case.status_code == 200
    assert "Inspect the spindle bearings" in case.text or "检查主轴轴承" in case.text
    assert f"/maintenance/health/equipment/{hp.equipment_id}?start_us=" in case.text
    token = _csrf(case.text)
    refused = client.post(f"/maintenance/cases/{case_id}/action", data={"action": "close", "csrf_token": token})
    assert refused.status_code == 422
    done = client.post(
        f"/maintenance/cases/{case_id}/action",
        data={"action": "acknowledge", "comment": "查看中", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    closed = client.post(
        f"/maintenance/cases/{case_id}/action",
        data={"action": "close", "resolution": "更换轴承", "csrf_token": token},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    again = client.post(f"/maintenance/cases/{case_id}/action", data={"action": "close", "resolution": "x",
                                                                       "csrf_token": token})  # fmt: skip
    assert again.status_code == 422
    cases = client.get("/maintenance/cases?state=closed")
    assert f'data-case="{case_id}"' in cases.text
    assert client.get("/maintenance/cases?state=bogus").status_code == 200
    models = client.get("/maintenance/models")
    assert models.status_code == 200 and f"health-baseline/{'L1-CNC-01'}" in models.text

"""Retention per enterprise and signal class, set through the API and applied by the job."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.telemetry import retention
from zhizao.telemetry.store.base import Batch, Point
from zhizao.telemetry.tables import DAY_US
from zhizao.telemetry.timeutil import now_us


def test_policy_is_read_and_changed_by_the_enterprise_only(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    defaults = client.get("/api/ingest-policy", headers=owner).json()
    assert defaults == {
        "enterprise_id": plant.enterprise_id, "auto_register": False, "raw_retention_days": 90,
        "event_retention_days": 365, "rollup_retention_days": 1095,
    }  # fmt: skip
    changed = client.put("/api/ingest-policy", json={"raw_retention_days": 1, "auto_register": True}, headers=owner)
    assert changed.json()["raw_retention_days"] == 1 and changed.json()["auto_register"] is True
    bad = client.put("/api/ingest-policy", json={"raw_retention_days": 0}, headers=owner)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "body.raw_retention_days"
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    other = client.put(
        "/api/ingest-policy", params={"enterprise_id": plant.enterprise_id}, json={"raw_retention_days": 5},
        headers=stranger,
    )  # fmt: skip
    assert other.status_code == 404
    officer = bearer(client, world.user(Role.OFFICER))
    read = client.get("/api/ingest-policy", params={"enterprise_id": plant.enterprise_id}, headers=officer)
    assert read.json()["raw_retention_days"] == 1
    assert client.put("/api/ingest-policy", json={}, headers=officer).status_code == 403


def test_job_keeps_events_longer_than_measurements(
    app: FastAPI, client: TestClient, world: World, database: Database
) -> None:
    plant = build_plant(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    client.put("/api/ingest-policy", json={"raw_retention_days": 1, "event_retention_days": 3}, headers=owner)
    store = app.state.telemetry_store
    now = now_us()
    store.prepare(now)
    two_days_ago = now - 2 * DAY_US + 1_000_000
    points = [
        Point(plant.signal_id, two_days_ago, 1.0),  # a measurement older than its 1 day: goes
        Point(plant.signal_id, now - 1_000_000, 2.0),  # recent: stays
        Point(plant.state_signal_id, two_days_ago, 3.0),  # a state event, kept 3 days: stays
    ]
    store.write(Batch(points=points))
    rules, report = retention.apply(database, store, now)
    assert report.raw_rows_deleted == 1
    kept = store.raw(plant.signal_id, now - 3 * DAY_US, now)
    assert [point.value for point in kept] == [2.0]
    assert len(store.raw(plant.state_signal_id, now - 3 * DAY_US, now)) == 1
    assert {len(rule.signal_ids) for rule in rules} == {1}

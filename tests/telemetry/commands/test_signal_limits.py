"""The signal API exposes range_min, range_max and writable, and checks them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role


def test_signal_limits_are_read_written_and_checked(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    body = {
        "device_id": plant.device_id,
        "name": "feed_override_pct",
        "range_min": 0,
        "range_max": 150,
        "writable": True,
    }
    created = client.post("/api/signals", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json() | {"range_min": 0.0, "range_max": 150.0, "writable": True} == created.json()
    signal_id = created.json()["id"]
    for patch, field in [
        ({"range_min": 200}, "body.range_max"),
        ({"range_max": None}, "body.writable"),
        ({"kind": "counter"}, "body.writable"),
        ({"writable": None}, "body.writable"),
    ]:
        response = client.patch(f"/api/signals/{signal_id}", json=patch, headers=headers)
        assert response.status_code == 422, patch
        assert response.json()["error"]["fields"][0]["field"] == field
    off = client.patch(f"/api/signals/{signal_id}", json={"writable": False, "range_max": None}, headers=headers)
    assert off.status_code == 200 and off.json()["writable"] is False
    state = {"device_id": plant.device_id, "name": "flag", "data_type": "bool", "range_min": 0, "range_max": 1}
    assert client.post("/api/signals", json=state, headers=headers).status_code == 422

"""Reading stored data through the API and pages: raw pages, roll-up series, latest values, exports, live views."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.roles import Role
from zhizao.telemetry.store.base import Batch, Point
from zhizao.telemetry.timeutil import to_us

START = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def _fill(app: FastAPI, plant: Plant, minutes: int = 10) -> None:
    """One sample a second on the speed signal; the machine Executing (3) throughout."""
    start_us = to_us(START)
    app.state.telemetry_store.prepare(start_us)
    points = [Point(plant.signal_id, start_us + i * 1_000_000, float(1000 + i % 60)) for i in range(minutes * 60)]
    points.append(Point(plant.state_signal_id, start_us, 3.0))
    app.state.telemetry_store.write(Batch(points=points))


def _range(minutes: int = 10) -> dict[str, str]:
    return {"start": START.isoformat(), "end": (START + timedelta(minutes=minutes)).isoformat()}


def test_raw_pages_cover_every_sample_once(app: FastAPI, client: TestClient, world: World) -> None:
    plant = build_plant(world)
    _fill(app, plant)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    seen: list[str] = []
    params = {**_range(), "limit": "250"}
    while True:
        page = client.get(f"/api/signals/{plant.signal_id}/raw", params=params, headers=headers).json()
        seen.extend(point["ts"] for point in page["points"])
        if page["next_after"] is None:
            break
        params["after"] = page["next_after"]
    assert len(seen) == 600 and len(set(seen)) == 600


def test_series_from_rollups_matches_the_raw_mean(app: FastAPI, client: TestClient, world: World) -> None:
    plant = build_plant(world)
    _fill(app, plant)
    headers = bearer(client, world.user(Role.OFFICER))
    series = client.get(
        f"/api/signals/{plant.signal_id}/series",
        params={**_range(), "bucket_seconds": 60, "aggregate": "avg"},
        headers=headers,
    ).json()
    assert len(series["points"]) == 10
    assert all(abs(point["value"] - 1029.5) < 1e-9 for point in series["points"])
    maximum = client.get(
        f"/api/signals/{plant.signal_id}/series",
        params={**_range(), "bucket_seconds": 600, "aggregate": "max"},
        headers=headers,
    ).json()
    assert [point["value"] for point in maximum["points"]] == [1059.0]


def test_bad_ranges_are_named(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ADMIN))
    naive = client.get(
        f"/api/signals/{plant.signal_id}/raw", params={"start": "2026-11-28T00:00:00", "end": "2026-11-29T00:00:00"},
        headers=headers,
    )  # fmt: skip
    assert naive.status_code == 422 and naive.json()["error"]["fields"][0]["field"] == "query.start"
    backwards = client.get(
        f"/api/signals/{plant.signal_id}/raw",
        params={"start": "2026-11-29T00:00:00Z", "end": "2026-11-28T00:00:00Z"},
        headers=headers,
    )
    assert backwards.json()["error"]["fields"][0]["field"] == "query.end"
    too_fine = client.get(
        f"/api/signals/{plant.signal_id}/series",
        params={"start": "2026-01-01T00:00:00Z", "end": "2026-12-31T00:00:00Z", "bucket_seconds": 1},
        headers=headers,
    )
    assert too_fine.status_code == 422


def test_latest_values_and_exports(app: FastAPI, client: TestClient, world: World) -> None:
    plant = build_plant(world)
    _fill(app, plant, minutes=2)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    latest = {
        row["name"]: row for row in client.get(f"/api/equipment/{plant.equipment_id}/latest", headers=headers).json()
    }
    assert latest["spindle_speed_rpm"]["value"] == 1059.0 and latest["machinery_item_state"]["value"] == 3.0
    csv_export = client.get(f"/api/signals/{plant.signal_id}/export", params=_range(2), headers=headers)
    lines = csv_export.text.strip().splitlines()
    assert lines[0] == "ts,spindle_speed_rpm" and len(lines) == 121
    assert csv_export.headers["content-disposition"].startswith("attachment;")
    parquet = client.get(
        f"/api/signals/{plant.signal_id}/export", params={**_range(2), "format": "parquet"}, headers=headers
    )
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 120 and table.column("value").to_pylist()[:2] == [1000.0, 1001.0]
    assert str(table.schema.field("ts").type) == "timestamp[us, tz=UTC]"


def _sign_in(client: TestClient, username: str, password: str) -> None:
    import re

    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1)})


def test_pages_show_the_plant_and_line_states(app: FastAPI, client: TestClient, world: World) -> None:
    plant = build_plant(world)
    _fill(app, plant, minutes=1)
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    _sign_in(client, owner.username, owner.password)
    ledger = client.get("/assets").text
    assert "缸体线" in ledger and "加工中心 1" in ledger and 'id="robot-count">1<' in ledger
    line = client.get(f"/lines/{plant.line_id}").text
    assert 'class="tile state-3"' in line and "运行中" in line
    equipment = client.get(f"/equipment/{plant.equipment_id}/view").text
    assert "spindle_speed_rpm" in equipment and f"/equipment/{plant.equipment_id}/live" in equipment
    stranger = world.user(Role.ENTERPRISE)
    client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    _sign_in(client, stranger.username, stranger.password)
    assert client.get(f"/lines/{plant.line_id}").status_code == 404
    assert client.get(f"/equipment/{plant.equipment_id}/live").status_code == 404


def test_live_stream_sends_latest_values(app: FastAPI, client: TestClient, world: World) -> None:
    plant = build_plant(world)
    _fill(app, plant, minutes=1)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    with client.stream("GET", f"/equipment/{plant.equipment_id}/live", headers=headers) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in stream.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    assert lines[0] == "event: latest"
    assert f'"{plant.signal_id}": {{"ts": ' in lines[-1]


def test_enterprise_manages_equipment_devices_and_credentials_from_the_pages(client: TestClient, world: World) -> None:
    import re

    plant = build_plant(world)
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    _sign_in(client, owner.username, owner.password)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/assets").text)
    assert csrf
    token = csrf.group(1)
    bad = client.post(
        "/assets/equipment", data={"code": "bad code", "name": "x", "equipment_type": "press", "csrf_token": token}
    )
    assert bad.status_code == 422
    created = client.post(
        "/assets/equipment",
        data={"code": "L1-PR-01", "name": "压力机 1 号", "equipment_type": "press", "node_id": str(plant.line_id),
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303
    page = created.headers["location"]
    equipment_id = int(page.split("/")[2])
    device = client.post(
        f"/equipment/{equipment_id}/devices",
        data={"code": "L1-PR-01", "name": "压力机网关", "protocol": "mqtt_json", "csrf_token": token},
    )
    assert device.status_code == 200 and "L1-PR-01" in device.text
    device_id = int(re.search(r'action="/devices/(\d+)/credential"', device.text).group(1))  # type: ignore[union-attr]
    credential = client.post(f"/devices/{device_id}/credential", data={"csrf_token": token})
    assert re.search(r'class="secret">zzd_', credential.text)
    signal = client.post(
        f"/devices/{device_id}/signals",
        data={"name": "tonnage_kn", "unit": "kN", "kind": "measurement", "data_type": "float", "csrf_token": token},
    )
    assert "tonnage_kn" in signal.text
    other = world.user(Role.ENTERPRISE)
    client.cookies.clear()
    _sign_in(client, other.username, other.password)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/assets").text).group(1)  # type: ignore[union-attr]
    assert client.post(f"/devices/{device_id}/credential", data={"csrf_token": token}).status_code == 404

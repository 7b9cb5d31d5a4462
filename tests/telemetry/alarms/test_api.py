"""The alarm API: validation naming fields, tenant isolation, roles, actions, history with export, flood."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update

from tests.conftest import World, bearer
from tests.telemetry.alarms.stored import alarms_for
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role
from zhizao.telemetry.models import Signal


def _rule(signal_id: int, **fields: object) -> dict[str, object]:
    return {"id": "TI-101.H", "kind": "threshold", "signal_id": signal_id, "severity": "high", "limit": "high",
            "setpoint": 80.0, **fields}  # fmt: skip


def test_rule_validation_names_the_field(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    bad = client.post("/api/alarms/rules", json=_rule(plant.signal_id, deadband=-1.0), headers=owner)
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["error"]["fields"]] == ["body.deadband"]
    with world.database.session() as session, session.begin():
        session.execute(update(Signal).where(Signal.id == plant.signal_id).values(range_min=0.0, range_max=50.0))
    outside = client.post("/api/alarms/rules", json=_rule(plant.signal_id), headers=owner)
    assert outside.status_code == 422 and outside.json()["error"]["fields"][0]["field"] == "body.setpoint"
    made = client.post("/api/alarms/rules", json=_rule(plant.signal_id, setpoint=40.0), headers=owner)
    assert made.status_code == 201, made.text
    assert made.json()["definition"]["range_max"] == 50.0 and made.json()["equipment_id"] == plant.equipment_id
    again = client.post("/api/alarms/rules", json=_rule(plant.signal_id, setpoint=45.0), headers=owner)
    assert again.status_code == 409 and again.json()["error"]["fields"][0]["field"] == "body.id"
    order = client.post("/api/alarms/rules", json=_rule(plant.signal_id, id="HH", limit="high_high", setpoint=30.0),
                        headers=owner)  # fmt: skip
    assert order.status_code == 422 and order.json()["error"]["fields"][0]["field"] == "body.setpoint"
    other = client.post("/api/alarms/rules", json=_rule(plant.signal_id, kind="nope"), headers=owner)
    assert other.status_code == 422 and other.json()["error"]["fields"][0]["field"] == "body.kind"


def test_tenant_isolation_and_roles(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    rule = client.post("/api/alarms/rules", json=_rule(plant.signal_id), headers=owner).json()
    stranger_account = world.user(Role.ENTERPRISE)
    stranger = bearer(client, stranger_account)
    assert client.get(f"/api/alarms/rules/{rule['id']}", headers=stranger).status_code == 404
    put = client.put(f"/api/alarms/rules/{rule['id']}", json=_rule(plant.signal_id), headers=stranger)
    assert put.status_code == 404
    ack = {"action": "acknowledge"}
    assert client.post(f"/api/alarms/rules/{rule['id']}/actions", json=ack, headers=stranger).status_code == 404
    assert client.get("/api/alarms/rules", headers=stranger).json() == []
    foreign_signal = client.post("/api/alarms/rules", json=_rule(plant.signal_id), headers=stranger)
    assert foreign_signal.status_code == 422
    assert foreign_signal.json()["error"]["fields"][0]["field"] == "body.signal_id"
    officer = bearer(client, world.user(Role.OFFICER))
    listed = client.get("/api/alarms/rules", params={"enterprise_id": plant.enterprise_id}, headers=officer)
    assert [r["rule_id"] for r in listed.json()] == ["TI-101.H"]
    assert client.post("/api/alarms/rules", json=_rule(plant.signal_id), headers=officer).status_code == 403
    assert client.post(f"/api/alarms/rules/{rule['id']}/actions", json=ack, headers=officer).status_code == 403
    expert = bearer(client, world.user(Role.EXPERT))
    assert client.get("/api/alarms/active", headers=expert).status_code == 403
    hook = {"name": "ops", "url": "http://127.0.0.1:9/hook"}
    made = client.post("/api/alarms/webhooks", json=hook, headers=owner).json()
    assert client.get(f"/api/alarms/webhooks/{made['id']}", headers=stranger).status_code == 404
    bad_url = client.post("/api/alarms/webhooks", json={**hook, "url": "ftp://x/y"}, headers=owner)
    assert bad_url.status_code == 422 and bad_url.json()["error"]["fields"][0]["field"] == "body.url"


def test_actions_history_export_and_flood(client: TestClient, world: World) -> None:
    alarms = alarms_for(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, alarms.plant.enterprise_id))
    rule = alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    conflict = client.post(f"/api/alarms/rules/{rule}/actions", json={"action": "acknowledge"}, headers=owner)
    assert conflict.status_code == 409 and "nothing to acknowledge" in conflict.json()["error"]["message"]
    # 12 activations in the first 10 minutes (a flood), 1 in the next.
    samples = [(t * 20.0 + dt, v) for t in range(12) for dt, v in ((0, 120.0), (10, 50.0))] + [(700, 120.0)]
    alarms.feed(*samples)
    active = client.get("/api/alarms/active", headers=owner).json()
    assert [(a["rule_id"], a["state"]) for a in active] == [("R1", "active_unacked")]
    assert client.get("/api/alarms/count", headers=owner).json()["unacknowledged"] == 1
    too_long = client.post(f"/api/alarms/rules/{rule}/actions", json={"action": "shelve", "duration_s": 90000,
                           "reason": "x"}, headers=owner)  # fmt: skip
    assert too_long.status_code == 422 and too_long.json()["error"]["fields"][0]["field"].endswith("duration_s")
    ack = client.post(f"/api/alarms/rules/{rule}/actions", json={"action": "acknowledge", "comment": "seen"},
                      headers=owner)  # fmt: skip
    assert ack.status_code == 200 and ack.json()["comment"] == "seen"

    start, end = "2026-01-01T08:00:00+08:00", "2026-01-01T08:10:00+08:00"
    page = client.get("/api/alarms/history", params={"start": start, "end": end, "event": "condition_true"},
                      headers=owner).json()  # fmt: skip
    assert page["total"] == 12 and len(page["items"]) == 12
    assert client.get("/api/alarms/history", params={"state": "active_acked"}, headers=owner).json()["total"] == 1
    limited = client.get("/api/alarms/history", params={"limit": 5, "offset": 20}, headers=owner).json()
    assert limited["total"] == 25 + 1 and len(limited["items"]) == 5
    assert client.get("/api/alarms/history", params={"severity": "low"}, headers=owner).json()["total"] == 0

    export = client.get("/api/alarms/history/export", params={"start": start, "end": end}, headers=owner)
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("时间", "报警规则", "设备", "数据点位", "事件")
    assert rows[1][0] == "2026-01-01 08:00:00.000"  # Asia/Shanghai
    assert rows[1][4] == "报警触发" and rows[1][3] == "spindle_speed_rpm" and rows[1][7] == 120
    assert len(rows) == 1 + 24

    flood = client.get("/api/alarms/flood", params={"start": start, "end": "2026-01-01T08:20:00+08:00"},
                       headers=owner).json()  # fmt: skip
    line = next(p for p in flood["positions"] if p["node_id"] == alarms.plant.line_id)
    assert line["counts"] == [12, 1] and line["flood_windows"] == 1 and line["load"] == "overloaded"
    assert line["average_per_10_min"] == 6.5 and line["name"] == "缸体线"


def test_pages_render_for_owner_and_officer(client: TestClient, world: World) -> None:
    alarms = alarms_for(world)
    rule = alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    alarms.feed((0, 120.0))
    owner = world.user(Role.ENTERPRISE, alarms.plant.enterprise_id)
    login = client.post("/login", data={"username": owner.username, "password": owner.password})
    assert login.status_code in (200, 303)
    page = client.get("/alarms")
    assert page.status_code == 200 and 'data-state="active_unacked"' in page.text
    assert 'hx-trigger="every 5s"' in page.text
    assert client.get("/alarms/badge").text.count("<strong>1</strong>") == 1
    for path in ("/alarms/rules", "/alarms/history", "/alarms/flood", "/alarms/webhooks", f"/alarms/rules/{rule}/edit"):
        assert client.get(path).status_code == 200, path

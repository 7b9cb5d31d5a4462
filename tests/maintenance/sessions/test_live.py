"""An open session's live data (with data quality), trend, alarms, diagnostics ("test connection"), commands
under their own consent and linked to the session, and the report with its PDF."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdfium2 as pdfium
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.maintenance.sessions.support import Rig, consent, open_session, rig
from tests.telemetry.alarms.stored import alarms_for
from tests.telemetry.commands.support import QUIET, RecordingPublisher, store_sample
from zhizao.accounts.models import AuditEntry
from zhizao.connectors.drivers import DriverRegistry
from zhizao.connectors.fake import FakeDriver
from zhizao.db.engine import Database
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.store.base import Point
from zhizao.telemetry.timeutil import now_us

S = 1_000_000


def _pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(io.BytesIO(content))
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text


def _connector(client: TestClient, r: Rig) -> int:
    body = {
        "name": "加工中心 OPC UA", "protocol": "opcua",
        "settings": {"endpoint": "fake://plc-1", "nodes": [
            {"node_id": "ns=2;s=Speed", "device_code": "L1-CNC-01", "signal": "spindle_speed_rpm"},
            {"node_id": "ns=2;s=State", "device_code": "L1-CNC-01", "signal": "machinery_item_state"},
        ]},
    }  # fmt: skip
    created = client.post("/api/connectors", json=body, headers=bearer(client, r.owner))
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_a_session_watches_diagnoses_commands_and_reports(
    app: FastAPI, client: TestClient, world: World, database: Database
) -> None:
    app.state.connector_drivers = DriverRegistry({Protocol.OPCUA: FakeDriver()})
    app.state.command_policy = QUIET
    app.state.command_publisher = RecordingPublisher()
    r = rig(world)
    plant = r.cp.plant
    alarms = alarms_for(world, plant)
    rule_pk = alarms.rule(kind="threshold", limit="high", setpoint=10_000.0, message="主轴转速过高")
    connector_id = _connector(client, r)
    consent(client, r.owner, r.operator, equipment_id=plant.equipment_id)
    headers = bearer(client, r.operator)
    session_id = open_session(client, r.operator, plant.equipment_id)
    base = f"/api/maintenance/sessions/{session_id}"

    # Live values: the newest sample of each point and whether it is still reporting.
    now = now_us()
    store_sample(app, r.cp.setpoint_id, now - 7200 * S, 3000.0)  # two hours old: stale (600 s assumed)
    for t in range(10):
        store_sample(app, plant.signal_id, now - (60 - t * 5) * S, 11_000.0 + t)
    alarms.evaluator.refresh(force=True)
    # While the session is open (an event before it would be history, not the session's).
    alarms.evaluator.evaluate([Point(plant.signal_id, now, 12_000.0)], [])
    store_sample(app, plant.signal_id, now, 12_000.0)
    live = client.get(f"{base}/live", headers=headers)
    assert live.status_code == 200, live.text
    points = {p["name"]: p for p in live.json()["signals"]}
    assert points["spindle_speed_rpm"]["value"] == 12_000.0 and points["spindle_speed_rpm"]["freshness"] == "fresh"
    assert (
        points["spindle_setpoint_rpm"]["freshness"] == "stale" and points["spindle_setpoint_rpm"]["stale_limit_assumed"]
    )
    assert points["coolant_on"]["freshness"] == "never" and points["coolant_on"]["value"] is None
    # The owner watches too; the owner's other machine is not this session's.
    assert client.get(f"{base}/live", headers=bearer(client, r.owner)).status_code == 200

    trend = client.get(f"{base}/trend", params={"signal_id": plant.signal_id, "minutes": 15}, headers=headers)
    assert trend.status_code == 200 and trend.json()["bucket_seconds"] == 10
    assert len(trend.json()["points"]) >= 5 and max(p["value"] for p in trend.json()["points"]) == 12_000.0
    assert (
        client.get(f"{base}/trend", params={"signal_id": plant.signal_id, "minutes": 7}, headers=headers).status_code
        == 422
    )
    robot_signal = client.get(f"{base}/trend", params={"signal_id": 999_999, "minutes": 15}, headers=headers)
    assert robot_signal.status_code == 404

    current = client.get(f"{base}/alarms", headers=headers).json()
    assert [(a["rule"], a["state"]) for a in current["current"]] == [(rule_pk, "active_unacked")]
    assert current["history"][0]["to_state"] == "active_unacked"

    diagnosis = client.get(f"{base}/diagnostics", headers=headers).json()
    assert (diagnosis["signals"], diagnosis["fresh"], diagnosis["stale"]) == (5, 1, 1)
    device = diagnosis["devices"][0]
    assert device["code"] == "L1-CNC-01" and [(c["id"], c["points"]) for c in device["connectors"]] == [
        (connector_id, 2)
    ]
    tested = client.post(f"{base}/connectors/{connector_id}/test", headers=headers)
    assert tested.status_code == 200 and tested.json()["result"]["ok"], tested.text
    assert client.post(f"{base}/connectors/999999/test", headers=headers).status_code == 404
    assert client.post(f"{base}/connectors/{connector_id}/test", headers=bearer(client, r.owner)).status_code == 403

    # Commands need the owner's remote_command consent as well.
    command = {"signal_id": r.cp.setpoint_id, "value": 4500}
    refused = client.post(f"{base}/commands", json=command, headers=headers)
    assert refused.status_code == 403 and "remote_command" in refused.json()["error"]["message"]
    consent(client, r.owner, r.operator, scope="remote_command", equipment_id=plant.equipment_id)
    prepared = client.post(f"{base}/commands", json=command, headers=headers)
    assert prepared.status_code == 201, prepared.text
    assert prepared.json()["maintenance_session_id"] == session_id and prepared.json()["old_value"] == 3000.0
    command_id = prepared.json()["id"]
    assert client.post(f"/api/commands/{command_id}/confirm", headers=headers).status_code == 200
    history = client.get("/api/commands", headers=bearer(client, r.owner)).json()["items"]
    assert [(c["id"], c["maintenance_session_id"]) for c in history] == [(command_id, session_id)]
    other_point = client.post(
        f"{base}/commands", json={"signal_id": plant.state_signal_id, "value": 1}, headers=headers
    )
    assert other_point.status_code == 422  # not writable: the command service's own checks still apply

    client.post(f"{base}/findings", json={"category": "cause", "text": "主轴轴承润滑不足"}, headers=headers)
    client.post(f"{base}/findings", json={"category": "recommendation", "text": "每周检查润滑"}, headers=headers)
    client.post(f"{base}/close", json={"summary": "已调整设定值"}, headers=headers)

    report = client.get(f"{base}/report", headers=bearer(client, r.owner)).json()
    assert [f["text"] for f in report["findings"]] == ["主轴轴承润滑不足", "每周检查润滑"]
    assert [(c["signal_name"], c["old_value"], c["value"]) for c in report["commands"]] == [
        ("spindle_setpoint_rpm", 3000.0, 4500)
    ]
    assert [e["to_state"] for e in report["alarms"]] == ["active_unacked"]
    pdf = client.get(f"{base}/report.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    for needle in ("远程运维报告", "加工中心 1", "主轴振动偏高", "主轴轴承润滑不足", "每周检查润滑", "已调整设定值",
                   "spindle_setpoint_rpm", "3000 → 4500", "主轴转速过高", "运维人员关闭", "报警未确认"):  # fmt: skip
        assert needle in text, needle
    english = _pdf_text(client.get(f"{base}/report.pdf?lang=en", headers=headers).content)
    assert (
        "Remote maintenance report" in english and "closed by the operator" in english and "主轴轴承润滑不足" in english
    )

    with database.session() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "maintenance_session").order_by(AuditEntry.id)
        ).all()
        commands = session.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "command.request").order_by(AuditEntry.id)
        ).all()
    assert actions == [
        "maintenance_session.open", "maintenance_session.test_connection", "maintenance_session.finding",
        "maintenance_session.finding", "maintenance_session.close",
    ]  # fmt: skip
    assert commands[-1] is not None and commands[-1]["maintenance_session"] == session_id
    assert datetime.fromisoformat(report["session"]["ended_at"]) <= datetime.now(UTC)

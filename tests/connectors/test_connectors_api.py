"""Connector configuration through the API, against the in-memory fake driver: CRUD, field errors, tenant scope,
roles, masked secrets, "test connection" and browsing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.connectors import service
from zhizao.connectors.base import BrowseNode
from zhizao.connectors.drivers import DriverRegistry
from zhizao.connectors.fake import FakeDriver, NotBrowsableDriver
from zhizao.connectors.models import ConnectorRecord
from zhizao.db.engine import Database
from zhizao.telemetry.kinds import Protocol


@pytest.fixture
def fake(app: FastAPI) -> FakeDriver:
    driver = FakeDriver()
    app.state.connector_drivers = DriverRegistry({Protocol.OPCUA: driver, Protocol.MODBUS: NotBrowsableDriver()})
    return driver


def settings(**extra: Any) -> dict[str, Any]:
    return {
        "endpoint": "fake://plc-1",
        "password": "s3cret-pw",
        "nodes": [
            {"node_id": "ns=2;s=Speed", "device_code": "L1-CNC-01", "signal": "spindle_speed_rpm"},
            {"node_id": "ns=2;s=State", "device_code": "L1-CNC-01", "signal": "machinery_item_state"},
        ],
        **extra,
    }


def create(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    payload = {"name": "加工中心 OPC UA", "protocol": "opcua", "settings": settings(), **body}
    return client.post("/api/connectors", json=payload, headers=headers)


@pytest.fixture
def plant(world: World) -> Plant:
    return build_plant(world)


def test_enterprise_user_creates_reads_updates_and_deletes(
    client: TestClient, world: World, plant: Plant, fake: FakeDriver, database: Database
) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    created = create(client, headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["enterprise_id"] == plant.enterprise_id and body["revision"] == 1 and body["enabled"]
    assert body["endpoint"] == "fake://plc-1" and body["settings"]["password"] == "**********"
    assert "s3cret-pw" not in created.text
    connector_id = body["id"]
    listed = client.get("/api/connectors", headers=headers).json()
    assert [c["id"] for c in listed] == [connector_id] and listed[0]["status"] is None
    # Masked or left-out secrets keep their stored value; the revision grows with each change.
    masked = dict(body["settings"], endpoint="fake://plc-2")
    updated = client.patch(f"/api/connectors/{connector_id}", json={"settings": masked}, headers=headers)
    assert updated.status_code == 200 and updated.json()["revision"] == 2
    assert updated.json()["endpoint"] == "fake://plc-2"
    without = {k: v for k, v in masked.items() if k != "password"}
    renamed = client.patch(
        f"/api/connectors/{connector_id}", json={"name": "一号机", "settings": without}, headers=headers
    )
    assert renamed.json()["name"] == "一号机" and renamed.json()["revision"] == 3
    with database.session() as session:
        record = session.get(ConnectorRecord, connector_id)
        assert record is not None and record.settings["password"] == "s3cret-pw"
        audits = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "connector")).all()
        details = " ".join(str(e.after) + str(e.before) for e in session.scalars(select(AuditEntry)))
    assert audits == ["connector.create", "connector.update", "connector.update"]
    assert "s3cret-pw" not in details
    disabled = client.post(f"/api/connectors/{connector_id}/disable", headers=headers)
    assert disabled.json()["enabled"] is False and disabled.json()["revision"] == 4
    assert client.post(f"/api/connectors/{connector_id}/enable", headers=headers).json()["enabled"] is True
    assert client.delete(f"/api/connectors/{connector_id}", headers=headers).status_code == 204
    assert client.get(f"/api/connectors/{connector_id}", headers=headers).status_code == 404


def test_settings_and_bindings_are_checked_field_by_field(
    client: TestClient, world: World, plant: Plant, fake: FakeDriver
) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    bad = settings()
    bad["nodes"][1]["node_id"] = ""
    bad["interval_s"] = -1
    invalid = create(client, headers, settings=bad)
    assert invalid.status_code == 422
    fields = {f["field"] for f in invalid.json()["error"]["fields"]}
    assert fields == {"body.settings.nodes[1].node_id", "body.settings.interval_s"}
    unknown = settings()
    unknown["nodes"].append({"node_id": "ns=2;s=X", "device_code": "NOPE", "signal": "x"})
    unknown["nodes"].append({"node_id": "ns=2;s=Y", "device_code": "L1-CNC-01", "signal": "not_a_signal"})
    refused = create(client, headers, settings=unknown)
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["error"]["fields"]] == [
        "body.settings.nodes[2].device_code",
        "body.settings.nodes[3].signal",
    ]
    assert create(client, headers, protocol="sparkplug_b").json()["error"]["fields"][0]["field"] == "body.protocol"
    assert create(client, headers).status_code == 201
    duplicate = create(client, headers)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["fields"][0]["field"] == "body.name"
    masked_new = create(client, headers, name="other", settings=settings(password="**********"))
    assert masked_new.status_code == 422


def test_other_tenants_and_roles(client: TestClient, world: World, plant: Plant, fake: FakeDriver) -> None:
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    connector_id = create(client, owner).json()["id"]
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get("/api/connectors", headers=stranger).json() == []
    for method, path in [
        ("GET", f"/api/connectors/{connector_id}"),
        ("PATCH", f"/api/connectors/{connector_id}"),
        ("POST", f"/api/connectors/{connector_id}/test"),
        ("POST", f"/api/connectors/{connector_id}/disable"),
        ("GET", f"/api/connectors/{connector_id}/browse"),
        ("DELETE", f"/api/connectors/{connector_id}"),
    ]:
        kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
        assert client.request(method, path, headers=stranger, **kwargs).status_code == 404, path
    # A stranger cannot bind its connector to another enterprise's device either.
    assert create(client, stranger).status_code == 422
    officer = bearer(client, world.user(Role.OFFICER))
    assert [c["id"] for c in client.get("/api/connectors", headers=officer).json()] == [connector_id]
    assert client.get(f"/api/connectors/{connector_id}", headers=officer).status_code == 200
    assert client.post(f"/api/connectors/{connector_id}/disable", headers=officer).status_code == 403
    assert create(client, officer).status_code == 403
    expert = bearer(client, world.user(Role.EXPERT))
    assert client.get("/api/connectors", headers=expert).status_code == 403
    admin = bearer(client, world.user(Role.ADMIN))
    assert create(client, admin, name="x").json()["error"]["fields"][0]["field"] == "body.enterprise_id"
    assert create(client, admin, name="x", enterprise_id=plant.enterprise_id).status_code == 201


def test_test_connection_and_browse(client: TestClient, world: World, plant: Plant, fake: FakeDriver) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    ok = client.post("/api/connectors/test", json={"protocol": "opcua", "settings": settings()}, headers=headers)
    assert ok.status_code == 200 and ok.json()["ok"] is True and "fake://plc-1" in ok.json()["message"]
    bad_node = settings(bad_nodes=["ns=2;s=State"])
    degraded = client.post("/api/connectors/test", json={"protocol": "opcua", "settings": bad_node}, headers=headers)
    assert degraded.json()["ok"] is False
    assert degraded.json()["bad_points"] == [{"key": "ns=2;s=State", "reason": "BadNodeIdUnknown"}]
    invalid = client.post(
        "/api/connectors/test", json={"protocol": "opcua", "settings": {"endpoint": "http://x"}}, headers=headers
    )
    assert invalid.status_code == 422 and invalid.json()["error"]["fields"][0]["field"] == "body.settings.endpoint"
    connector_id = create(client, headers).json()["id"]
    # From the edit form: masked secrets are filled in from the stored connector.
    masked = client.post(
        "/api/connectors/test",
        json={"protocol": "opcua", "settings": settings(password="**********"), "connector_id": connector_id},
        headers=headers,
    )
    assert masked.json()["ok"] is True
    fake.tree = {
        None: [BrowseNode("i=85", "0:Objects", "Objects", "Object", has_children=True)],
        "i=85": [BrowseNode("ns=2;s=Speed", "2:Speed", "主轴转速", "Variable", "Double", writable=False)],
    }
    root = client.get(f"/api/connectors/{connector_id}/browse", headers=headers)
    assert root.status_code == 200 and root.json()[0]["node_id"] == "i=85" and root.json()[0]["has_children"]
    children = client.get(f"/api/connectors/{connector_id}/browse", params={"node_id": "i=85"}, headers=headers)
    assert children.json()[0]["display_name"] == "主轴转速"
    fake.reachable = False
    assert client.post(f"/api/connectors/{connector_id}/test", headers=headers).json()["ok"] is False
    assert client.get(f"/api/connectors/{connector_id}/browse", headers=headers).status_code == 502
    modbus = create(client, headers, name="modbus", protocol="modbus").json()["id"]
    refused = client.get(f"/api/connectors/{modbus}/browse", headers=headers)
    assert refused.status_code == 409 and "cannot be browsed" in refused.json()["error"]["message"]


def test_binding_for_signal_finds_the_connector(
    client: TestClient, world: World, plant: Plant, fake: FakeDriver, database: Database, app: FastAPI
) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    nodes = settings()["nodes"]
    nodes[0]["writable"] = True
    connector_id = create(client, headers, settings=settings(nodes=nodes)).json()["id"]
    drivers = app.state.connector_drivers
    with database.session() as session:
        found = service.binding_for_signal(session, plant.enterprise_id, "L1-CNC-01", "spindle_speed_rpm", drivers)
        assert found is not None
        record, _settings, binding = found
        assert record.id == connector_id and binding.key == "ns=2;s=Speed" and binding.writable
        assert service.binding_for_signal(session, plant.enterprise_id, "L1-CNC-01", "nope", drivers) is None
        assert service.binding_for_signal(session, plant.enterprise_id + 99, "L1-CNC-01", "x", drivers) is None

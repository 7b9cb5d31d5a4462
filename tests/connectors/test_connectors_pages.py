"""Connector pages for an enterprise user: list, form (with field errors, 422), detail, test connection, browse."""

from __future__ import annotations

import json
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.roles import Role
from zhizao.connectors.base import BrowseNode
from zhizao.connectors.drivers import DriverRegistry
from zhizao.connectors.fake import FakeDriver
from zhizao.telemetry.kinds import Protocol

SETTINGS = {
    "endpoint": "fake://plc-1",
    "password": "s3cret-pw",
    "nodes": [{"node_id": "ns=2;s=Speed", "device_code": "L1-CNC-01", "signal": "spindle_speed_rpm"}],
}


@pytest.fixture
def fake(app: FastAPI) -> FakeDriver:
    driver = FakeDriver()
    app.state.connector_drivers = DriverRegistry({Protocol.OPCUA: driver})
    return driver


@pytest.fixture
def plant(world: World) -> Plant:
    return build_plant(world)


def _sign_in(client: TestClient, world: World, plant: Plant) -> str:
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"username": owner.username, "password": owner.password, "csrf_token": token.group(1)})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connectors/new").text)
    assert token
    return token.group(1)


def _form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, "name": "一号机", "protocol": "opcua", "enabled": "1",
            "settings": json.dumps(SETTINGS), **fields}  # fmt: skip


def test_create_list_detail_edit(client: TestClient, world: World, plant: Plant, fake: FakeDriver) -> None:
    csrf = _sign_in(client, world, plant)
    empty = client.get("/connectors")
    assert empty.status_code == 200 and 'href="/connectors"' in empty.text
    not_json = client.post("/connectors/new", data=_form(csrf, settings="{nope"))
    assert not_json.status_code == 422 and "body.settings" in not_json.text and "{nope" in not_json.text
    unknown = dict(SETTINGS, nodes=[{"node_id": "x", "device_code": "NOPE", "signal": "s"}])
    refused = client.post("/connectors/new", data=_form(csrf, settings=json.dumps(unknown)))
    assert refused.status_code == 422 and "body.settings.nodes[0].device_code" in refused.text
    created = client.post("/connectors/new", data=_form(csrf), follow_redirects=False)
    assert created.status_code == 303
    detail_url = created.headers["location"]
    detail = client.get(detail_url)
    assert detail.status_code == 200 and "一号机" in detail.text and "fake://plc-1" in detail.text
    assert "s3cret-pw" not in detail.text and "**********" in detail.text
    listed = client.get("/connectors").text
    assert "一号机" in listed and "fake://plc-1" in listed
    edit = client.get(f"{detail_url}/edit")
    assert edit.status_code == 200 and "s3cret-pw" not in edit.text
    duplicate = client.post("/connectors/new", data=_form(csrf))
    assert duplicate.status_code == 409 or duplicate.status_code == 422
    masked = dict(SETTINGS, password="**********", endpoint="fake://plc-2")
    saved = client.post(f"{detail_url}/edit", data=_form(csrf, settings=json.dumps(masked)), follow_redirects=False)
    assert saved.status_code == 303
    assert "fake://plc-2" in client.get(detail_url).text
    tested = client.post(f"{detail_url}/test", data={"csrf_token": csrf})
    assert tested.status_code == 200 and 'id="probe-result"' in tested.text
    unsaved = client.post("/connectors/new", data=_form(csrf, action="test", name="other"))
    assert unsaved.status_code == 200 and 'id="probe-result"' in unsaved.text
    disabled = client.post(f"{detail_url}/disable", data={"csrf_token": csrf}, follow_redirects=False)
    assert disabled.status_code == 303
    removed = client.post(f"{detail_url}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert removed.status_code == 303 and client.get(detail_url).status_code == 404


def test_browse_and_add_a_node(client: TestClient, world: World, plant: Plant, fake: FakeDriver) -> None:
    csrf = _sign_in(client, world, plant)
    detail_url = client.post("/connectors/new", data=_form(csrf), follow_redirects=False).headers["location"]
    fake.tree = {
        None: [BrowseNode("i=85", "0:Objects", "Objects", "Object", has_children=True)],
        "i=85": [BrowseNode("ns=2;s=State", "2:machinery_item_state", "状态", "Variable", "Int32")],
    }
    root = client.get(f"{detail_url}/browse")
    assert root.status_code == 200 and "node_id=i%3D85" in root.text
    children = client.get(f"{detail_url}/browse", params={"node_id": "i=85"})
    assert "状态" in children.text and 'value="machinery_item_state"' in children.text
    wrong = client.post(
        f"{detail_url}/browse",
        data={"csrf_token": csrf, "node_id": "ns=2;s=State", "device_code": "NOPE", "signal": "x", "parent_id": "i=85"},
    )
    assert wrong.status_code == 422 and "body.settings.nodes[1].device_code" in wrong.text
    added = client.post(
        f"{detail_url}/browse",
        data={"csrf_token": csrf, "node_id": "ns=2;s=State", "device_code": "L1-CNC-01",
              "signal": "machinery_item_state", "parent_id": "i=85"},
    )  # fmt: skip
    assert added.status_code == 200 and "ns=2;s=State" in client.get(detail_url).text
    fake.reachable = False
    unreachable = client.get(f"{detail_url}/browse")
    assert unreachable.status_code == 200 and "connection refused" in unreachable.text

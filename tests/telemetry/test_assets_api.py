"""The asset model through the API: ISA-95 rules, tenant scope, device credentials, the robot count, Excel import."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from tests.conftest import World, bearer
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role


def test_enterprise_builds_its_hierarchy_within_isa95_rules(client: TestClient, world: World) -> None:
    user = world.user(Role.ENTERPRISE)
    headers = bearer(client, user)
    site = client.post("/api/assets/nodes", json={"level": "site", "code": "S1", "name": "临港工厂"}, headers=headers)
    assert site.status_code == 201 and site.json()["enterprise_id"] == user.organisation_id
    line_under_site = client.post(
        "/api/assets/nodes",
        json={"level": "line", "code": "L1", "name": "缸体线", "parent_id": site.json()["id"]},
        headers=headers,
    )
    assert line_under_site.status_code == 422
    assert line_under_site.json()["error"]["fields"][0]["field"] == "body.parent_id"
    area = client.post(
        "/api/assets/nodes",
        json={"level": "area", "code": "A1", "name": "机加工车间", "parent_id": site.json()["id"]},
        headers=headers,
    )
    assert area.status_code == 201
    duplicate = client.post("/api/assets/nodes", json={"level": "site", "code": "S1", "name": "x"}, headers=headers)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["fields"][0]["field"] == "body.code"
    busy = client.delete(f"/api/assets/nodes/{site.json()['id']}", headers=headers)
    assert busy.status_code == 409


def test_other_tenants_assets_are_invisible(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get("/api/equipment", headers=stranger).json() == []
    assert client.get(f"/api/equipment/{plant.equipment_id}", headers=stranger).status_code == 404
    foreign_parent = client.post(
        "/api/equipment",
        json={"code": "X1", "name": "x", "equipment_type": "press", "node_id": plant.line_id},
        headers=stranger,
    )
    assert foreign_parent.status_code == 422
    officer = bearer(client, world.user(Role.OFFICER))
    assert len(client.get("/api/equipment", headers=officer).json()) == 2
    assert client.post("/api/equipment", json={}, headers=officer).status_code == 403


def test_robots_are_counted_from_the_asset_model(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    summary = client.get("/api/assets/summary", headers=owner).json()
    assert summary["robots"] == 1 and summary["devices"] == 1 and summary["signals"] == 2
    officer = bearer(client, world.user(Role.OFFICER))
    build_plant(world)
    assert client.get("/api/assets/summary", headers=officer).json()["robots"] == 2
    by_enterprise = client.get("/api/assets/summary", params={"enterprise_id": plant.enterprise_id}, headers=officer)
    assert by_enterprise.json()["robots"] == 1


def test_device_credential_is_shown_once_and_replaces_the_old(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    first = client.post(f"/api/devices/{plant.device_id}/credentials", headers=owner)
    assert first.status_code == 201
    body = first.json()
    assert body["token"].startswith("zzd_")
    assert body["mqtt_topic"] == f"zhizao/v1/{plant.enterprise_id}/L1-CNC-01/data"
    assert body["mqtt_username"] == f"{plant.enterprise_id}/L1-CNC-01"
    device = client.get(f"/api/devices/{plant.device_id}", headers=owner).json()
    assert device["has_credential"] and "token" not in device
    second = client.post(f"/api/devices/{plant.device_id}/credentials", headers=owner).json()
    assert second["token"] != body["token"]


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "厂区编码",
            "厂区名称",
            "车间编码",
            "车间名称",
            "产线编码",
            "产线名称",
            "设备编码",
            "设备名称",
            "设备类型",
            "出厂年份",
        ]
    )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_import_is_all_or_nothing_with_row_errors(client: TestClient, world: World) -> None:
    user = world.user(Role.ENTERPRISE)
    headers = bearer(client, user)
    bad = _workbook([
        ["S1", "临港工厂", "A1", "机加工车间", "L1", "缸体线", "L1-CNC-01", "加工中心", "数控机床", 2021],
        ["S1", "临港工厂", "A1", "机加工车间", "L1", "缸体线", "L1-RB-01", "机器人", "飞行器", 2021],
        ["S1", "临港工厂", "A1", "机加工车间", "L1", "缸体线", "bad code!", "x", "press", 1800],
    ])  # fmt: skip
    refused = client.post("/api/assets/import", files={"file": ("assets.xlsx", bad)}, headers=headers)
    assert refused.status_code == 422
    fields = [problem["field"] for problem in refused.json()["error"]["fields"]]
    assert "row 3" in fields and "row 4: code" in fields and "row 4: year" in fields
    assert client.get("/api/equipment", headers=headers).json() == []
    assert client.get("/api/assets/nodes", headers=headers).json() == []
    good = _workbook([
        ["S1", "临港工厂", "A1", "机加工车间", "L1", "缸体线", "L1-CNC-01", "加工中心", "数控机床", 2021],
        ["S1", "临港工厂", "A1", "机加工车间", "L1", "缸体线", "L1-RB-01", "机器人", "工业机器人", 2022],
        ["S1", "临港工厂", "A2", "装配车间", "L2", "总装线", "L2-PK-01", "包装机", "packaging_machine", ""],
    ])  # fmt: skip
    imported = client.post("/api/assets/import", files={"file": ("assets.xlsx", good)}, headers=headers)
    assert imported.json() == {"rows": 3, "nodes_created": 5, "equipment_created": 3, "equipment_updated": 0}
    again = client.post("/api/assets/import", files={"file": ("assets.xlsx", good)}, headers=headers)
    assert again.json()["equipment_updated"] == 3 and again.json()["nodes_created"] == 0
    assert client.get("/api/assets/summary", headers=headers).json()["robots"] == 1
    not_excel = client.post("/api/assets/import", files={"file": ("a.xlsx", b"hello")}, headers=headers)
    assert not_excel.status_code == 422 and not_excel.json()["error"]["fields"][0]["field"] == "file"


def test_import_template_round_trips(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE))
    template = client.get("/api/assets/import/template", headers=headers)
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert sheet.cell(1, 1).value == "厂区编码"
    imported = client.post("/api/assets/import", files={"file": ("t.xlsx", template.content)}, headers=headers)
    assert imported.status_code == 200 and imported.json()["equipment_created"] == 1

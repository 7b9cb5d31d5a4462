"""Products, operations and production orders through the API, and the Excel import of orders."""

from __future__ import annotations

import io
from datetime import datetime

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from tests.conftest import World, bearer
from tests.production.builders import build_production
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role

API = "/api/production"
ORDER = {
    "order_no": "MO-7",
    "quantity": 100,
    "planned_start": "2026-12-01T08:00:00+08:00",
    "planned_end": "2026-12-01T16:00:00+08:00",
}


def test_products_and_operations(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    product = client.post(f"{API}/products", json={"code": "CYL-4A", "name": "缸体 4A"}, headers=headers)
    assert product.status_code == 201 and product.json()["unit"] == "pcs"
    product_id = product.json()["id"]
    again = client.post(f"{API}/products", json={"code": "CYL-4A", "name": "x"}, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["fields"][0]["field"] == "body.code"

    zero = client.post(f"{API}/operations", json={"product_id": product_id, "pru_ms": 0}, headers=headers)
    assert zero.status_code == 422
    assert [problem["field"] for problem in zero.json()["error"]["fields"]] == ["body.pru_ms"]
    both = client.post(
        f"{API}/operations",
        json={"product_id": product_id, "equipment_id": plant.equipment_id, "equipment_type": "press", "pru_ms": 9},
        headers=headers,
    )
    assert both.status_code == 422 and both.json()["error"]["fields"][0]["field"] == "body.equipment_type"
    on_cnc = client.post(
        f"{API}/operations",
        json={"product_id": product_id, "equipment_id": plant.equipment_id, "program": "O4711", "pru_ms": 45_000},
        headers=headers,
    )
    assert on_cnc.status_code == 201, on_cnc.text
    on_presses = client.post(
        f"{API}/operations",
        json={"product_id": product_id, "equipment_type": "press", "pru_ms": 6_000},
        headers=headers,
    )
    assert on_presses.status_code == 201
    same = client.post(
        f"{API}/operations",
        json={"product_id": product_id, "equipment_id": plant.equipment_id, "program": "O4711", "pru_ms": 1},
        headers=headers,
    )
    assert same.status_code == 409
    listed = client.get(f"{API}/operations", params={"equipment_id": plant.equipment_id}, headers=headers).json()
    assert [row["program"] for row in listed] == ["O4711"]
    operation_url = f"{API}/operations/{on_cnc.json()['id']}"
    assert client.patch(operation_url, json={"pru_ms": 0}, headers=headers).status_code == 422
    assert client.patch(operation_url, json={"pru_ms": 44_000}, headers=headers).json()["pru_ms"] == 44_000

    renamed = client.patch(f"{API}/products/{product_id}", json={"name": "缸体 4A 型"}, headers=headers)
    assert renamed.json()["name"] == "缸体 4A 型"
    # Deleting a product takes its operations with it.
    assert client.delete(f"{API}/products/{product_id}", headers=headers).status_code == 204
    assert client.get(operation_url, headers=headers).status_code == 404


def test_order_lifecycle(client: TestClient, world: World) -> None:
    production = build_production(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, production.plant.enterprise_id))
    backwards = {**ORDER, "product_id": production.product_id, "planned_end": "2026-12-01T07:00:00+08:00"}
    refused = client.post(f"{API}/orders", json=backwards, headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "body.planned_end"
    assert client.post(f"{API}/orders", json={**ORDER, "product_id": production.product_id, "quantity": 0},
                       headers=headers).status_code == 422  # fmt: skip
    created = client.post(f"{API}/orders", json={**ORDER, "product_id": production.product_id}, headers=headers)
    assert created.status_code == 201 and created.json()["status"] == "planned"
    url = f"{API}/orders/{created.json()['id']}"
    duplicate = client.post(f"{API}/orders", json={**ORDER, "product_id": production.product_id}, headers=headers)
    assert duplicate.status_code == 409

    def move(target: str) -> int:
        return client.post(f"{url}/status", json={"status": target}, headers=headers).status_code

    assert move("running") == 409  # a planned order is released first
    assert move("released") == 200
    assert client.delete(url, headers=headers).status_code == 409  # released: cancel it instead
    assert client.patch(url, json={"quantity": 120}, headers=headers).json()["quantity"] == 120
    assert move("running") == 200 and move("done") == 200
    assert move("cancelled") == 409
    assert client.patch(url, json={"quantity": 130}, headers=headers).status_code == 409
    done = client.get(f"{API}/orders", params={"status": "done"}, headers=headers).json()
    assert [row["order_no"] for row in done] == ["MO-7"]
    # A product still used by orders stays.
    assert client.delete(f"{API}/products/{production.product_id}", headers=headers).status_code == 409

    planned = client.get(f"{API}/orders/{production.order_id}", headers=headers).json()
    assert planned["status"] == "planned"
    assert client.delete(f"{API}/orders/{production.order_id}", headers=headers).status_code == 204


def test_orders_refer_only_to_the_enterprises_own_records(client: TestClient, world: World) -> None:
    foreign = build_production(world)
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    stolen = client.post(f"{API}/orders", json={**ORDER, "product_id": foreign.product_id}, headers=headers)
    assert stolen.status_code == 422 and stolen.json()["error"]["fields"][0]["field"] == "body.product_id"
    foreign_op = client.post(f"{API}/operations", json={"product_id": foreign.product_id, "pru_ms": 5}, headers=headers)
    assert foreign_op.status_code == 404
    assert client.get(f"{API}/orders", headers=headers).json() == []
    assert client.get(f"{API}/products", headers=headers).json() == []


HEADER = ["订单号", "产品编码", "产品名称", "设备编码", "数量", "计划开始", "计划结束"]


def _workbook(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_order_import_is_all_or_nothing_with_row_errors(client: TestClient, world: World) -> None:
    production = build_production(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, production.plant.enterprise_id))
    start, end = datetime(2026, 12, 2, 8), datetime(2026, 12, 2, 16)  # noqa: DTZ001 - Excel's local times
    bad = _workbook([
        ["MO-10", "CYL-4A", "", "L1-CNC-01", 100, start, end],
        ["MO-11", "NEW-1", "", "", 100, start, end],
        ["MO-12", "CYL-4A", "", "NO-SUCH", 100, start, end],
        ["MO-13", "CYL-4A", "", "", 0, start, end],
        ["MO-14", "CYL-4A", "", "", 10, end, start],
        ["MO-15", "CYL-4A", "", "", 10, "tomorrow", end],
        ["MO-10", "CYL-4A", "", "", 10, start, end],
    ])  # fmt: skip
    refused = client.post(f"{API}/orders/import", files={"file": ("plan.xlsx", bad)}, headers=headers)
    assert refused.status_code == 422, refused.text
    fields = [problem["field"] for problem in refused.json()["error"]["fields"]]
    assert fields == ["row 3", "row 4", "row 5: quantity", "row 6", "row 7", "row 8"]
    assert [row["order_no"] for row in client.get(f"{API}/orders", headers=headers).json()] == ["MO-1"]
    assert len(client.get(f"{API}/products", headers=headers).json()) == 1

    good = _workbook(
        [
            ["MO-1", "CYL-4A", "", "L1-CNC-01", 500.0, "2026-12-01 08:00", "2026-12-01 17:00"],
            ["MO-20", "HEAD-2", "缸盖 2", "", 40, "2026-12-02T08:00:00+08:00", "2026-12-02T12:00:00+08:00"],
            ["MO-21", "HEAD-2", "", "L1-CNC-01", 60, start, end],
        ],
        header=[
            "order_no",
            "product_code",
            "product_name",
            "equipment_code",
            "quantity",
            "planned_start",
            "planned_end",
        ],
    )
    imported = client.post(f"{API}/orders/import", files={"file": ("plan.xlsx", good)}, headers=headers)
    assert imported.json() == {"rows": 3, "orders_created": 2, "orders_updated": 1, "products_created": 1}
    orders = {row["order_no"]: row for row in client.get(f"{API}/orders", headers=headers).json()}
    assert orders["MO-1"]["quantity"] == 500 and orders["MO-1"]["planned_end"] == "2026-12-01T09:00:00Z"
    assert orders["MO-21"]["planned_start"] == "2026-12-02T00:00:00Z"  # local 08:00 in Shanghai
    assert orders["MO-21"]["equipment_id"] == production.plant.equipment_id

    client.post(f"{API}/orders/{orders['MO-20']['id']}/status", json={"status": "cancelled"}, headers=headers)
    frozen = client.post(f"{API}/orders/import", files={"file": ("plan.xlsx", good)}, headers=headers)
    assert frozen.status_code == 422 and frozen.json()["error"]["fields"][0]["field"] == "row 3"
    missing = _workbook([["MO-30"]], header=["订单号"])
    no_columns = client.post(f"{API}/orders/import", files={"file": ("plan.xlsx", missing)}, headers=headers)
    assert no_columns.status_code == 422 and "产品编码" in no_columns.json()["error"]["message"]
    not_excel = client.post(f"{API}/orders/import", files={"file": ("plan.xlsx", b"PK nonsense")}, headers=headers)
    assert not_excel.status_code == 422 and not_excel.json()["error"]["fields"][0]["field"] == "file"


def test_order_import_template_round_trips(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    template = client.get(f"{API}/orders/import/template", headers=headers)
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADER
    imported = client.post(f"{API}/orders/import", files={"file": ("t.xlsx", template.content)}, headers=headers)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"rows": 2, "orders_created": 2, "orders_updated": 0, "products_created": 1}
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.get(f"{API}/orders/import/template", headers=officer).status_code == 403

"""Work orders through the API: validation, the lifecycle with the ledger match and the failure label, parts in
CNY, the Excel export, tenant isolation and the platform operator's consent."""

from __future__ import annotations

import io
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.conftest import World
from tests.maintenance.workorders.support import (
    API,
    act,
    bearer,
    build_breakdown_ledger,
    build_shop,
    create_order,
    grant_maintenance,
    local,
    platform_user,
)
from zhizao.accounts.roles import Role
from zhizao.maintenance.workorders.labels import failure_labels


def _fields(response: object) -> set[str]:
    body = response.json()  # type: ignore[attr-defined]
    return {problem["field"] for problem in body["error"]["fields"]}


def test_validation_names_the_fields(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    headers = bearer(client, shop.owner)
    bad = client.post(
        API,
        json={"equipment_id": shop.plant.equipment_id, "title": "", "priority": 9, "kind": "magic",
              "planned_start": "2026-12-01T10:00:00+08:00", "planned_end": "2026-12-01T09:00:00+08:00"},
        headers=headers,
    )  # fmt: skip
    assert bad.status_code == 422
    assert {"body.title", "body.priority", "body.kind"} <= _fields(bad)
    order = create_order(client, shop.owner, shop.plant.equipment_id)
    codes = client.patch(f"{API}/{order['id']}", json={"failure_mode": "XYZ", "labour_hours": "-1"}, headers=headers)
    assert codes.status_code == 422 and "body.labour_hours" in _fields(codes)
    codes = client.patch(f"{API}/{order['id']}", json={"failure_mode": "XYZ"}, headers=headers)
    assert codes.status_code == 422 and _fields(codes) == {"body.failure_mode"}
    part = client.post(
        f"{API}/{order['id']}/parts", json={"part_number": "P", "name": "x", "quantity": "0", "unit_cost": "1.234"},
        headers=headers,
    )  # fmt: skip
    assert part.status_code == 422 and {"body.quantity", "body.unit_cost"} <= _fields(part)
    assign = client.post(f"{API}/{order['id']}/transitions", json={"action": "assign"}, headers=headers)
    assert assign.status_code == 422 and _fields(assign) == {"body.assignee_name"}
    alarm = client.post(API, json={"equipment_id": shop.plant.equipment_id, "title": "t", "alarm_event_id": 99999},
                        headers=headers)  # fmt: skip
    assert alarm.status_code == 422 and _fields(alarm) == {"body.alarm_event_id"}


def test_lifecycle_with_ledger_match_and_failure_label(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    build_breakdown_ledger(world, shop.plant)
    order = create_order(client, shop.owner, shop.plant.equipment_id, priority=1)
    assert order["status"] == "open" and order["actions"] == ["assign", "cancel"]
    act(client, shop.owner, order["id"], "assign", assignee_user_id=shop.technician.user_id, assignee_name="李师傅")
    act(client, shop.technician, order["id"], "start", at=local(10, 15).isoformat())
    client.patch(
        f"{API}/{order['id']}", json={"failure_mode": "VIB", "failure_cause": "3.4", "remedy": "1"},
        headers=bearer(client, shop.technician),
    )  # fmt: skip
    done = act(client, shop.technician, order["id"], "finish", at=local(10, 55).isoformat())
    # The ledger shows the machine down 10:00–11:00: that is the repair, not the 10:15–10:55 typed in.
    assert done["repair_source"] == "ledger"
    assert done["repair_start"].startswith("2026-12-01T02:00:00") and done["repair_end"].startswith("2026-12-01T03:00")
    own = client.post(
        f"{API}/{order['id']}/transitions", json={"action": "verify"}, headers=bearer(client, shop.technician)
    )
    assert own.status_code == 403 and "did the work" in own.json()["error"]["message"]
    no_reason = client.post(
        f"{API}/{order['id']}/transitions", json={"action": "reopen"}, headers=bearer(client, shop.owner)
    )
    assert no_reason.status_code == 409
    act(client, shop.owner, order["id"], "reopen", comment="仍有振动")
    act(client, shop.technician, order["id"], "finish", at=local(11).isoformat())
    verified = act(client, shop.owner, order["id"], "verify")
    assert verified["status"] == "verified" and verified["actions"] == []
    assert [e["action"] for e in verified["timeline"]] == [
        "create",
        "assign",
        "start",
        "finish",
        "reopen",
        "finish",
        "verify",
    ]
    late = client.patch(f"{API}/{order['id']}", json={"notes": "x"}, headers=bearer(client, shop.owner))
    assert late.status_code == 409
    with world.database.session() as session:
        labels = failure_labels(session, shop.plant.enterprise_id, shop.plant.equipment_id)
    assert len(labels) == 1
    label = labels[0]
    assert (label.order_id, label.failure_mode, label.onset, label.source) == (order["id"], "VIB", None, "ledger")
    assert (label.failure, label.repair_end) == (local(10), local(11))


def test_without_ledger_the_order_times_are_the_repair(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    order = create_order(client, shop.owner, shop.plant.equipment_id, kind="preventive")
    act(client, shop.owner, order["id"], "assign", assignee_name="外委王工")
    act(client, shop.owner, order["id"], "start", at=local(9).isoformat())
    done = act(client, shop.owner, order["id"], "finish", at=local(9, 30).isoformat())
    assert done["repair_source"] == "order_no_ledger" and done["repair_start"].startswith("2026-12-01T01:00")
    cancel = client.post(f"{API}/{order['id']}/transitions", json={"action": "cancel", "comment": "x"},
                         headers=bearer(client, shop.owner))  # fmt: skip
    assert cancel.status_code == 409
    act(client, shop.technician, order["id"], "verify")
    with world.database.session() as session:  # a preventive order is no failure
        assert failure_labels(session, shop.plant.enterprise_id) == []


def test_parts_cost_and_excel_export(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    headers = bearer(client, shop.owner)
    order = create_order(client, shop.owner, shop.plant.equipment_id, title='=HYPERLINK("x")')
    for number, name, quantity, cost in (("6205-2RS", "深沟球轴承", "2", "35.50"), ("OR-30", "O 型圈", "1.5", "0.33")):
        response = client.post(
            f"{API}/{order['id']}/parts",
            json={"part_number": number, "name": name, "quantity": quantity, "unit_cost": cost}, headers=headers,
        )  # fmt: skip
        assert response.status_code == 201, response.text
    detail = response.json()
    assert Decimal(detail["parts_cost"]) == Decimal("71.50")  # 2 × 35.50 + 1.5 × 0.33 = 71.495 → 71.00 + 0.50
    act(client, shop.owner, order["id"], "cancel", comment="重复工单")
    other = create_order(client, shop.owner, shop.plant.robot_id, title="机器人抓手")
    export = client.get(f"{API}/export", params={"status": "cancelled"}, headers=headers)
    assert export.status_code == 200
    workbook = load_workbook(io.BytesIO(export.content))
    orders, parts = workbook["维修工单"], workbook["备件消耗"]
    header = [cell.value for cell in orders[1]]
    assert header[:3] == ["工单号", "设备", "标题"] and "备件费用（元）" in header
    rows = list(orders.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [order["id"]]  # the filter: the robot's open order is not there
    row = dict(zip(header, rows[0], strict=True))
    assert (row["状态"], row["设备"], row["备件费用（元）"]) == ("已取消", "加工中心 1", 71.5)
    assert row["创建时间"][:2] == "20" and other["id"] != order["id"]
    assert orders.cell(row=2, column=3).data_type == "s"  # a title typed as a formula stays text
    assert [r[2] for r in parts.iter_rows(min_row=2, values_only=True)] == ["6205-2RS", "OR-30"]


def test_other_tenants_and_officers(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    order = create_order(client, shop.owner, shop.plant.equipment_id)
    stranger = world.user(Role.ENTERPRISE)
    assert client.get(f"{API}/{order['id']}", headers=bearer(client, stranger)).status_code == 404
    assert client.get(API, headers=bearer(client, stranger)).json()["total"] == 0
    taken = client.post(
        API, json={"equipment_id": shop.plant.equipment_id, "title": "t"}, headers=bearer(client, stranger)
    )
    assert taken.status_code == 404
    officer = world.user(Role.OFFICER)
    seen = client.get(f"{API}/{order['id']}", headers=bearer(client, officer))
    assert seen.status_code == 200 and seen.json()["actions"] == []
    assert client.post(f"{API}/{order['id']}/transitions", json={"action": "assign", "assignee_name": "x"},
                       headers=bearer(client, officer)).status_code == 403  # fmt: skip


def test_platform_operator_works_on_consented_equipment_only(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    operator = platform_user(world)
    headers = bearer(client, operator)
    body = {"equipment_id": shop.plant.equipment_id, "title": "远程诊断: 主轴温升"}
    assert client.post(API, json=body, headers=headers).status_code == 404  # no consent yet
    owners = create_order(client, shop.owner, shop.plant.robot_id)
    grant_maintenance(client, shop.owner, operator, shop.plant.equipment_id)
    created = client.post(API, json=body, headers=headers)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    assert client.post(API, json={**body, "equipment_id": shop.plant.robot_id}, headers=headers).status_code == 404
    assert client.get(f"{API}/{owners['id']}", headers=headers).status_code == 404  # the robot is not consented
    assert [o["id"] for o in client.get(API, headers=headers).json()["items"]] == [order_id]
    act(client, operator, order_id, "assign", assignee_name="平台工程师")
    act(client, operator, order_id, "start")
    done = act(client, operator, order_id, "finish")
    assert done["actions"] == []  # the operator does not verify its own work: the owner does
    assert act(client, shop.owner, order_id, "verify")["status"] == "verified"
    consent = client.get("/api/consents", headers=bearer(client, shop.owner)).json()[0]["id"]
    revoked = client.post(f"/api/consents/{consent}/revoke", headers=bearer(client, shop.owner))
    assert revoked.status_code == 200, revoked.text
    assert client.get(f"{API}/{order_id}", headers=headers).status_code == 404

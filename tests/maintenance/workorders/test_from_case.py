"""A work order made from a maintenance case: the case must be of the same equipment, and verifying the repair
closes the case with the order as its resolution."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.maintenance.workorders.support import API, act, bearer, build_shop, create_order, local, open_case
from tests.telemetry.builders import build_plant
from zhizao.maintenance.health.kinds import CaseState
from zhizao.maintenance.models_health import MaintenanceCase


def test_verifying_the_order_closes_its_case(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    case_id = open_case(world, shop.plant.enterprise_id, shop.plant.equipment_id)
    order = create_order(client, shop.owner, shop.plant.equipment_id, case_id=case_id)
    assert order["source"] == "case" and order["case_id"] == case_id
    act(client, shop.owner, order["id"], "assign", assignee_user_id=shop.technician.user_id)
    act(client, shop.technician, order["id"], "start", at=local(9).isoformat())
    act(client, shop.technician, order["id"], "finish", at=local(10).isoformat())
    with world.database.session() as session:
        assert session.get(MaintenanceCase, case_id).state is CaseState.OPEN  # type: ignore[union-attr]
    act(client, shop.owner, order["id"], "verify")
    with world.database.session() as session:
        case = session.get(MaintenanceCase, case_id)
        assert case is not None and case.state is CaseState.CLOSED
        assert case.resolution is not None and f"work order {order['id']} verified" in case.resolution


def test_a_case_of_other_equipment_or_another_enterprise_is_refused(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    other = build_plant(world)
    foreign = open_case(world, other.enterprise_id, other.equipment_id)
    body = {"equipment_id": shop.plant.equipment_id, "title": "主轴异响", "case_id": foreign}
    response = client.post(API, json=body, headers=bearer(client, shop.owner))
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["error"]["fields"]] == ["body.case_id"]

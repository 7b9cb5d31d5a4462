"""Reliability figures through the API on a built ledger: MTTR, MTBF, availability per equipment and mode."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.maintenance.workorders.support import (
    API,
    act,
    bearer,
    build_breakdown_ledger,
    build_shop,
    create_order,
    local,
)
from zhizao.accounts.roles import Role


def test_figures_per_equipment_and_failure_mode(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    build_breakdown_ledger(world, shop.plant)  # CNC: 7 h operating, down 10:00–11:00
    cnc = create_order(client, shop.owner, shop.plant.equipment_id)
    client.patch(f"{API}/{cnc['id']}", json={"failure_mode": "VIB"}, headers=bearer(client, shop.owner))
    robot = create_order(client, shop.owner, shop.plant.robot_id)  # the robot has no ledger at all
    for order, start, end in ((cnc, local(10, 10), local(10, 50)), (robot, local(13), local(13, 30))):
        act(client, shop.owner, order["id"], "assign", assignee_name="李师傅")
        act(client, shop.owner, order["id"], "start", at=start.isoformat())
        act(client, shop.owner, order["id"], "finish", at=end.isoformat())
    open_order = create_order(client, shop.owner, shop.plant.equipment_id)  # not done: not counted
    assert open_order["status"] == "open"
    params = {"start": local(0).isoformat(), "end": local(23, 59).isoformat()}
    report = client.get(f"{API}/reliability", params=params, headers=bearer(client, shop.owner))
    assert report.status_code == 200, report.text
    body = report.json()
    figures = {row["key"]: row for row in body["equipment"]}
    machine = figures[str(shop.plant.equipment_id)]
    # One failure, 1 h repair (from the ledger), 7 h operating: MTTR 1 h, MTBF 7 h, A = 7/8.
    assert (machine["failures"], machine["repair_h"], machine["operating_h"]) == (1, 1.0, 7.0)
    assert (machine["mttr_h"], machine["mtbf_h"], machine["availability"], machine["status"]) == (1.0, 7.0, 0.875, "ok")
    arm = figures[str(shop.plant.robot_id)]
    assert (arm["failures"], arm["repair_h"], arm["mtbf_h"], arm["status"]) == (1, 0.5, None, "no_operating_data")
    modes = {row["key"]: row for row in body["failure_modes"]}
    assert set(modes) == {"VIB", ""} and modes["VIB"]["label"] == "Vibration"
    assert body["orders_from_order_times"] == 1
    stranger = world.user(Role.ENTERPRISE)
    other = client.get(
        f"{API}/reliability",
        params={**params, "equipment_id": shop.plant.equipment_id},
        headers=bearer(client, stranger),
    )
    assert other.status_code == 404
    wrong = client.get(f"{API}/reliability", params={"start": params["end"], "end": params["start"]},
                       headers=bearer(client, shop.owner))  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "query.end"

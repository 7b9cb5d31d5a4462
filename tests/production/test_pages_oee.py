"""The OEE dashboard page over the one-shift scenario: figures, drill-down, Pareto, tenant scope, zh-CN."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.production.conftest import ONE_SHIFT_DAY, Rig
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role
from zhizao.production import materialise
from zhizao.production.models import Operation
from zhizao.telemetry.models import Equipment

PERIOD = f"start={ONE_SHIFT_DAY}&end={ONE_SHIFT_DAY}"


def test_enterprise_view_shows_oee_lines_and_pareto_in_chinese(synced: Rig, world: World, client: TestClient) -> None:
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(f"/production/oee?{PERIOD}", headers=bearer(client, staff))
    assert response.status_code == 200, response.text
    page = response.text
    assert "设备综合效率" in page
    assert '<div class="stat" id="oee-value">88.9 %</div>' in page
    assert f'href="?node_id={synced.plant.line_id}&' in page  # drill-down into the line
    assert "未分类故障停机" in page


def test_line_view_lists_its_equipment(synced: Rig, world: World, client: TestClient) -> None:
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(f"/production/oee?node_id={synced.plant.line_id}&{PERIOD}", headers=bearer(client, staff))
    assert response.status_code == 200, response.text
    assert f"?equipment_id={synced.plant.equipment_id}&" in response.text
    assert "L1-RB-01" in response.text


def test_another_enterprises_line_is_not_found(synced: Rig, world: World, client: TestClient) -> None:
    other = build_plant(world)
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(f"/production/oee?node_id={other.line_id}", headers=bearer(client, staff))
    assert response.status_code == 404


def test_an_officer_first_chooses_an_enterprise(synced: Rig, world: World, client: TestClient) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    response = client.get("/production/oee", headers=officer)
    assert response.status_code == 200
    assert f"/production/oee?enterprise_id={synced.plant.enterprise_id}" in response.text
    response = client.get(f"/production/oee?enterprise_id={synced.plant.enterprise_id}&{PERIOD}", headers=officer)
    assert "88.9 %" in response.text


def test_integrators_may_not_see_oee(world: World, client: TestClient) -> None:
    response = client.get("/production/oee", headers=bearer(client, world.user(Role.INTEGRATOR)))
    assert response.status_code == 403


def test_effectiveness_above_110_percent_is_flagged(synced: Rig, world: World, client: TestClient) -> None:
    # A planned run time per unit of 80 s where the machine needs about 61 s: effectiveness 130 %.
    with synced.database.session() as session, session.begin():
        operation = session.scalars(select(Operation)).one()
        operation.pru_ms = 80_000
        equipment = session.get(Equipment, synced.plant.equipment_id)
        assert equipment is not None
        materialise.recompute(session, synced.store, equipment, [ONE_SHIFT_DAY])
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(f"/production/oee?{PERIOD}", headers=bearer(client, staff))
    assert response.status_code == 200, response.text
    assert "超过 110%：请核对单件计划运行时间" in response.text

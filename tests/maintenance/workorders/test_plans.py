"""Preventive plans: the API, and ``due_plans`` by calendar, operating hours (state ledger) and cycles (good-parts
counter) — each makes its order once, however often the job runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World
from tests.maintenance.workorders.support import API, bearer, build_breakdown_ledger, build_shop
from tests.production.builders import DAY
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.maintenance.models_workorders import WorkOrder
from zhizao.maintenance.workorders.plans import due_plans
from zhizao.production.models import LedgerProgress
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Batch, Point
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import to_us


def _plan(client: TestClient, owner: object, equipment_id: int, **body: object) -> dict[str, object]:
    response = client.post(f"{API}/plans", json={"equipment_id": equipment_id, "title": "保养", **body},
                           headers=bearer(client, owner))  # type: ignore[arg-type]  # fmt: skip
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def _orders(database: Database, plan_id: object) -> list[tuple[int | None, str]]:
    with database.session() as session:
        rows = session.scalars(select(WorkOrder).where(WorkOrder.plan_id == plan_id).order_by(WorkOrder.id)).all()
        return [(row.plan_occurrence, row.kind.value) for row in rows]


def test_plan_validation_and_roles(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    bad = client.post(
        f"{API}/plans", json={"equipment_id": shop.plant.equipment_id, "title": "x", "trigger": "calendar",
                              "interval": 0, "start_date": "2026-12-01"},
        headers=bearer(client, shop.owner),
    )  # fmt: skip
    assert bad.status_code == 422 and "body.interval" in {f["field"] for f in bad.json()["error"]["fields"]}
    no_unit = client.post(
        f"{API}/plans", json={"equipment_id": shop.plant.equipment_id, "title": "x", "trigger": "calendar",
                              "interval": 1, "start_date": "2026-12-01"},
        headers=bearer(client, shop.owner),
    )  # fmt: skip
    assert no_unit.status_code == 422 and "calendar_unit" in no_unit.text
    platform = world.user(Role.PLATFORM)
    assert client.get(f"{API}/plans", headers=bearer(client, platform)).json() == []
    body = {"equipment_id": shop.plant.equipment_id, "title": "x", "trigger": "cycles", "interval": 5,
            "start_date": "2026-12-01"}  # fmt: skip
    assert client.post(f"{API}/plans", json=body, headers=bearer(client, platform)).status_code == 403


def test_calendar_plan_is_due_once_and_advances(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    plan = _plan(client, shop.owner, shop.plant.equipment_id, trigger="calendar", interval=1, calendar_unit="week",
                 start_date="2026-12-01", lead=1)  # fmt: skip
    assert plan["next_due"] == "2026-12-01"
    before = datetime(2026, 11, 29, 12, tzinfo=UTC)  # 30 Nov in Shanghai, lead 1 day: not yet
    assert due_plans(world.database, before).created == []
    at = datetime(2026, 11, 30, 1, tzinfo=UTC)  # 30 Nov 09:00 Shanghai: due (1 Dec, one day ahead)
    first = due_plans(world.database, at)
    assert len(first.created) == 1
    assert due_plans(world.database, at).created == []  # idempotent
    assert _orders(world.database, plan["id"]) == [(0, "preventive")]
    read = client.get(f"{API}/plans/{plan['id']}", headers=bearer(client, shop.owner)).json()
    assert (read["next_due"], read["last_order_id"]) == ("2026-12-08", first.created[0])
    order = client.get(f"{API}/{first.created[0]}", headers=bearer(client, shop.owner)).json()
    assert order["source"] == "plan" and order["planned_start"].startswith("2026-12-01T00:00")
    assert order["timeline"][0]["user_name"] == "system"
    # Three weeks without the job: one order for the latest occurrence, the missed ones noted.
    late = due_plans(world.database, datetime(2026, 12, 21, 1, tzinfo=UTC))
    assert len(late.created) == 1 and _orders(world.database, plan["id"])[-1] == (3, "preventive")


def test_operating_hours_plan_counts_the_ledger(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    build_breakdown_ledger(world, shop.plant)  # 7 h operating on 1 December, 08:00–16:00 Shanghai
    plan = _plan(client, shop.owner, shop.plant.equipment_id, trigger="operating_hours", interval=4, lead=1,
                 start_date="2026-12-01")  # fmt: skip
    noon = DAY.replace(hour=12)  # by noon: 2 h + 1 h = 3 h operating = 4 h − 1 h lead: due
    assert due_plans(world.database, noon).skipped == [f"plan {plan['id']}: the equipment has no state ledger yet"]
    with world.database.session() as session, session.begin():
        session.add(LedgerProgress(equipment_id=shop.plant.equipment_id, built_until_us=to_us(DAY.replace(hour=11))))
    assert due_plans(world.database, noon).created == []  # built to 11:00 only: 2 h
    with world.database.session() as session, session.begin():
        progress = session.get(LedgerProgress, shop.plant.equipment_id)
        assert progress is not None
        progress.built_until_us = to_us(DAY + timedelta(days=1))
    assert len(due_plans(world.database, noon).created) == 1
    read = client.get(f"{API}/plans/{plan['id']}", headers=bearer(client, shop.owner)).json()
    assert read["usage"] == 3 * 3600 and read["next_due"] == "5.0 h"  # occurrence 2 at 8 h
    assert due_plans(world.database, DAY.replace(hour=15)).created == []  # 6 h < 8 h − 1 h
    assert len(due_plans(world.database, DAY.replace(hour=16)).created) == 1  # 7 h ≥ 8 h − 1 h
    assert len(due_plans(world.database, DAY.replace(hour=23)).created) == 0
    assert _orders(world.database, plan["id"]) == [(1, "preventive"), (2, "preventive")]


def test_cycle_plan_counts_good_parts(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    with world.database.session() as session:
        good = devices.create_signal(
            session, actor, SignalCreate(device_id=shop.plant.device_id, name="good_parts", kind=SignalKind.COUNTER)
        ).id
    store = open_store(world.database)
    start = DAY.replace(hour=8)
    store.prepare(to_us(start))
    # A counter since commissioning: 1000 at 08:00, +10 a minute for an hour, then reset to 0 and +5 a minute.
    points = [Point(good, to_us(start + timedelta(minutes=m)), 1000.0 + 10 * m) for m in range(61)]
    points += [Point(good, to_us(start + timedelta(minutes=61 + m)), 5.0 * m) for m in range(30)]
    store.write(Batch(points=points))
    plan = _plan(client, shop.owner, shop.plant.equipment_id, trigger="cycles", interval=700, lead=50,
                 start_date="2026-12-01")  # fmt: skip
    # By 09:00 600 parts (08:00's 1000 is the baseline): not due at 650. By 09:30: 600 + 0 + 29·5 = 745 ≥ 650.
    assert due_plans(world.database, start + timedelta(hours=1), store).created == []
    assert len(due_plans(world.database, start + timedelta(minutes=91), store).created) == 1
    assert due_plans(world.database, start + timedelta(minutes=91), store).created == []
    read = client.get(f"{API}/plans/{plan['id']}", headers=bearer(client, shop.owner)).json()
    assert read["usage"] == 745 and read["next_due"] == "655 pcs"
    store.close()

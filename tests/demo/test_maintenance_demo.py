"""The demo's maintenance story: the seeder's healthy cell history, deployed health baselines, plans and past
repairs; and the pinned truth of the cell's run — L3-CNC-01 is healthy through the history, starts to wear a
quarter of an hour into the demo and fails a few hours in, whatever the time of day the demo starts."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from zhizao.accounts import demo as accounts_demo
from zhizao.accounts.models import User
from zhizao.db.engine import Database
from zhizao.demo import connected
from zhizao.demo import maintenance as maintenance_demo
from zhizao.maintenance.health.kinds import HealthStatus, ModelKind, ModelStatus
from zhizao.maintenance.health.observer import HealthObserver
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceCase, MaintenanceModel, ModelDeployment
from zhizao.maintenance.models_workorders import FailureLabel, MaintenancePlan, WorkOrder, WorkOrderPart
from zhizao.maintenance.workorders.lifecycle import Status
from zhizao.maintenance.workorders.schedule import Trigger
from zhizao.settings import Settings
from zhizao.simulator import seed as factory_demo
from zhizao.simulator.model import FactoryRun, with_reporting
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.store.base import Batch, Point
from zhizao.telemetry.store.factory import open_store

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
MIDNIGHT_SHANGHAI_MS = int(datetime(2026, 11, 29, tzinfo=timezone(timedelta(hours=8))).timestamp() * 1000)


def test_the_seeder_writes_a_healthy_cell_history_baselines_plans_and_repairs(
    database: Database, settings: Settings
) -> None:
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    connected.seed(database, settings)
    before_ms = int(time.time() * 1000)
    report = maintenance_demo.seed(database, settings)
    after_ms = int(time.time() * 1000)
    assert report.rows[0][1:4] == ("2", "2", "3")
    store = open_store(database)
    try:
        start_ms = maintenance_demo.cell_history_start_ms(database, store)
        assert start_ms is not None
        assert connected.cell_start_ms(before_ms) <= start_ms <= connected.cell_start_ms(after_ms)
        with database.session() as session:
            models = session.scalars(select(MaintenanceModel).order_by(MaintenanceModel.name)).all()
            deployed = session.scalars(select(ModelDeployment).where(ModelDeployment.active.is_(True))).all()
            cell = dict(
                session.execute(
                    select(Equipment.code, Equipment.id).where(Equipment.code.in_(maintenance_demo.CELL))
                ).all()
            )
            signals = dict(
                session.execute(
                    select(Signal.name, Signal.id).where(Signal.equipment_id == cell[connected.OPCUA_MACHINE])
                ).all()
            )
        assert [m.name for m in models] == [f"health-baseline/{code}" for code in maintenance_demo.CELL]
        for model in models:
            assert model.kind is ModelKind.HEALTH_BASELINE and model.status is ModelStatus.DEPLOYED
            assert model.signals == maintenance_demo.BASELINE_SIGNALS
            assert model.training_start is not None and int(model.training_start.timestamp() * 1000) == start_ms
            assert model.metrics["windows"] >= 60 and model.metrics["median_score"] > 80
        assert {d.equipment_id for d in deployed} == set(cell.values())

        # The live run goes on from the seeded history: the same run gives the stored samples.
        run = connected.cell_run(start_ms)
        last_us = store.latest([signals["power_kw"]])[signals["power_kw"]].ts_us
        expected = [r for r in run.step(last_us // 1000 + 1) if r.device_code == connected.OPCUA_MACHINE]
        power = [r for r in expected if r.signal == "power_kw"]
        assert power[-1].ts_ms * 1000 == last_us
        stored = store.raw(signals["power_kw"], last_us, last_us + 1)
        assert stored[0].value == power[-1].value

        # Ten more minutes of the run, through the health observer: nothing reads as degraded.
        observer = HealthObserver(database, store, min_interval_s=60)
        observer.refresh(force=True)
        with database.session() as session:
            ids = {
                (code, name): signal_id
                for code, name, signal_id in session.execute(
                    select(Equipment.code, Signal.name, Signal.id).join(Signal, Signal.equipment_id == Equipment.id)
                )
            }
        points = [
            Point(ids[(r.device_code, r.signal)], r.ts_ms * 1000, float(r.value))
            for r in run.step(run.now_ms + 10 * MINUTE_MS)
            if not isinstance(r.value, str) and (r.device_code, r.signal) in ids
        ]
        store.prepare(points[-1].ts_us)
        store.write(Batch(points=points))
        observer.committed(points, [])
    finally:
        store.close()
    with database.session() as session:
        statuses = Counter(session.scalars(select(HealthAssessment.status)).all())
        # Check function is a setup (a shift change) or a missing signal: not a fault; none is degraded.
        assert set(statuses) <= {HealthStatus.NORMAL, HealthStatus.CHECK_FUNCTION}, statuses
        assert statuses[HealthStatus.NORMAL] >= 5
        assert session.scalar(select(MaintenanceCase.id)) is None

        plans = session.scalars(select(MaintenancePlan)).all()
        assert sorted(p.trigger for p in plans) == sorted([Trigger.CALENDAR, Trigger.OPERATING_HOURS])
        orders = session.scalars(select(WorkOrder).order_by(WorkOrder.id)).all()
        assert len(orders) == 3 and all(o.status is Status.VERIFIED for o in orders)
        assert all(o.failure_mode and o.failure_cause and o.remedy for o in orders)
        assert all(o.worked_by is not None and o.verified_by not in (None, o.worked_by) for o in orders)
        assert not set(cell.values()) & {o.equipment_id for o in orders}  # the MQTT lines' machines
        assert session.scalar(select(WorkOrderPart.id).where(WorkOrderPart.order_id == orders[0].id)) is not None
        assert len(session.scalars(select(FailureLabel)).all()) == 3
        technician = session.scalars(select(User).where(User.username == maintenance_demo.TECHNICIAN.username))
        assert technician.one().organisation_id == factory_demo.demo_enterprise_id(database)


def test_the_cell_degrades_early_in_the_demo_whenever_it_starts() -> None:
    """The truth of the cell's run for demos started every 10 minutes of a day (the shift changes at 00:00, 08:00
    and 16:00 Shanghai time move the onset): minutes after the demo started, i.e. after the two hours of history."""
    spec = with_reporting(connected.cell_spec(), period_ms=10 * MINUTE_MS)  # the lifecycle is the same, cheaper
    onsets: list[float] = []
    failures: list[float] = []
    healthy_after_repair: list[float] = []
    for k in range(144):
        demo_ms = MIDNIGHT_SHANGHAI_MS + k * 10 * MINUTE_MS + 17_000
        run = FactoryRun(spec, seed=connected.CELL_SEED, start_ms=connected.cell_start_ms(demo_ms), signals=[])
        run.step(demo_ms + 12 * HOUR_MS)
        truth = run.truth
        first, *later = [f for f in truth.failures if f.device_code == connected.OPCUA_MACHINE]
        assert first.repaired_ms is not None and first.repaired_ms - demo_ms < 7.5 * HOUR_MS
        assert not [f for f in truth.failures if f.device_code == connected.MODBUS_MACHINE]
        onsets.append((first.onset_ms - demo_ms) / MINUTE_MS)
        failures.append((first.failed_ms - demo_ms) / MINUTE_MS)
        # Its next life is drawn from the same short MTBF: it may start to wear again soon after the repair.
        healthy_after_repair.append((later[0].onset_ms - first.repaired_ms) / HOUR_MS if later else 12.0)
    # Healthy through the history (the baseline); wear starts 15–30 min in unless a changeover delays it.
    assert min(onsets) >= 15 and max(onsets) <= 50, (min(onsets), max(onsets))
    assert sum(15 <= m <= 30 for m in onsets) >= 0.9 * len(onsets)
    assert min(failures) >= 3.2 * 60 and max(failures) <= 4.2 * 60, (min(failures), max(failures))
    assert min(healthy_after_repair) >= 0.2 and sum(h >= 2 for h in healthy_after_repair) >= 0.9 * 144

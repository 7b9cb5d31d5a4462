"""Online: a simulated CNC machine that degrades and fails (``FactoryRun``, seed 1, a short healthy life) is written
to the store in ten-minute chunks and observed; its health, judged against a baseline learnt from its first hours,
drops and a case opens before the failure, and the failure itself is assessed as NE107 failure."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.conftest import World
from tests.maintenance.health.support import write
from tests.telemetry.builders import build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.maintenance.health import learn
from zhizao.maintenance.health.kinds import DEGRADED_STATUSES, HealthStatus
from zhizao.maintenance.health.observer import HealthObserver
from zhizao.maintenance.health.schemas import BaselineLearn
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceCase
from zhizao.simulator.catalogue import signal_catalogue
from zhizao.simulator.model import FactoryRun, FactorySpec, LineSpec, MachineSpec
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.models import Signal
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Point
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import from_us

HOUR_MS = 3_600_000
START_MS = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1000)  # a Monday, 08:00 in Shanghai
BASELINE_H = 2.5
SEED = 1  # onset of degradation 3.1 h after the start, failure at 8.8 h (checked below against the truth)
SIGNALS = ["vibration_rms_mm_s", "temperature_c", "power_kw"]


def test_health_drops_before_the_simulated_failure(world: World) -> None:
    plant = build_plant(world)  # its CNC machine is L1-CNC-01, as the simulated one
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    actor = Principal(owner.user_id, owner.username, owner.username, Role.ENTERPRISE, plant.enterprise_id)
    cnc = EquipmentType.CNC_MACHINE_TOOL
    with world.database.session() as session:
        have = set(session.scalars(select(Signal.name).where(Signal.device_id == plant.device_id)))
    for item in signal_catalogue(cnc, sample_period_ms=5_000):
        if item.name not in have:
            create = SignalCreate(
                device_id=plant.device_id, name=item.name, unit=item.unit, kind=item.kind, data_type=item.data_type
            )
            with world.database.session() as session:
                devices.create_signal(session, actor, create)
    with world.database.session() as session:
        ids = dict(session.execute(select(Signal.name, Signal.id).where(Signal.device_id == plant.device_id)).all())

    machine = MachineSpec(code="L1-CNC-01", name="CNC", equipment_type=cnc, mtbf_h=6.0)
    spec = FactorySpec(lines=(LineSpec(code="L1", name="L1", machines=(machine,)),), sample_period_ms=5_000)
    run = FactoryRun(spec, seed=SEED, start_ms=START_MS)
    store = open_store(world.database)
    observer = HealthObserver(world.database, store, min_interval_s=300)

    def push(until_ms: int) -> None:
        readings = run.step(until_ms)
        points = [
            Point(ids[r.signal], r.ts_ms * 1000, float(r.value)) for r in readings if not isinstance(r.value, str)
        ]
        write(store, points)
        observer.committed(points, [])

    baseline_end = START_MS + int(BASELINE_H * HOUR_MS)
    push(baseline_end)
    data = BaselineLearn(start=from_us(START_MS * 1000), end=from_us(baseline_end * 1000), signals=SIGNALS)
    with world.database.session() as session:
        model = learn.learn_baseline(session, store, actor, plant.equipment_id, data)
    assert model.metrics["windows"] >= 60 and model.metrics["median_score"] > 80
    observer.refresh(force=True)  # it checks the deployment revision every 2 s; the test is quicker

    t = baseline_end
    while t < START_MS + int(9.5 * HOUR_MS):
        t += 600_000
        push(t)
    failure = run.truth.failures[0]
    assert failure.onset_ms > baseline_end and failure.failed_ms < t  # the premise: it degraded after the baseline

    with world.database.session() as session:
        rows = session.scalars(select(HealthAssessment).order_by(HealthAssessment.window_end_us)).all()
        opened = session.scalars(select(MaintenanceCase)).all()
    assert observer.errors == 0
    healthy = [r for r in rows if r.window_end_us <= failure.onset_ms * 1000 and r.score is not None]
    assert len(healthy) >= 5 and sum(r.status == HealthStatus.NORMAL for r in healthy) >= 0.8 * len(healthy)
    degraded = [r for r in rows if r.status in DEGRADED_STATUSES and r.status != HealthStatus.FAILURE]
    first = degraded[0].window_end_us
    assert failure.onset_ms * 1000 < first < failure.failed_ms * 1000
    lead_h = (failure.failed_ms * 1000 - first) / 3.6e9
    assert lead_h > 1.0, f"warned only {lead_h:.2f} h before the failure"
    assert {d["signal"] for d in degraded[0].drivers} & {"vibration_rms_mm_s", "temperature_c"}
    assert any(r.status == HealthStatus.FAILURE for r in rows if r.window_end_us > failure.failed_ms * 1000)
    assert len(opened) == 1  # one case for the whole episode, failure included
    case = opened[0]
    assert case.evidence["start_us"] < failure.failed_ms * 1000
    assert case.failure_mode == "Spindle bearing wear"

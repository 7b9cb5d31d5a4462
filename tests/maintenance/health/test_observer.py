"""The stream observer on a real store (both backends): a baseline learned from normal samples; then a shift in two
correlated signals lowers health, names them as drivers and opens one case, not one per assessment."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import World
from tests.maintenance.health.support import MINUTE_US, health_plant, learned, recent_start, samples, write
from zhizao.maintenance.health.kinds import CaseState, HealthStatus, ModelKind, ModelStatus
from zhizao.maintenance.health.observer import HealthObserver, maintenance_observers
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceCase
from zhizao.telemetry.store.base import Point
from zhizao.telemetry.store.factory import open_store


def _assessments(world: World) -> list[HealthAssessment]:
    with world.database.session() as session:
        return list(session.scalars(select(HealthAssessment).order_by(HealthAssessment.window_end_us)))


def test_shift_lowers_health_names_drivers_and_opens_one_case(world: World) -> None:
    hp = health_plant(world)
    store = open_store(world.database)
    start = recent_start(100)
    write(store, samples(hp, start, 60, seed=1))
    model = learned(world, store, hp, start, 60)
    assert model.kind == ModelKind.HEALTH_BASELINE and model.status == ModelStatus.DEPLOYED
    assert model.signals == ["power_kw", "temperature_c", "vibration_rms_mm_s"]  # spindle speed: no data
    assert model.note is not None and "spindle_speed_rpm: dropped" in model.note
    assert model.metrics["windows"] == 60

    observer = HealthObserver(world.database, store)
    assert observer.evaluate([Point(hp.plant.signal_id + 10_000, start, 1.0)]) == 0  # not its signals: nothing
    t = start + 60 * MINUTE_US
    for minute in range(6):  # normal, a minute per batch
        batch = samples(hp, t + minute * MINUTE_US, 1, seed=100 + minute)
        write(store, batch)
        observer.committed(batch, [])
    normal = _assessments(world)
    assert len(normal) == 5  # the sixth minute is not complete until a later sample shows it is
    assert {a.status for a in normal} == {HealthStatus.NORMAL}
    assert all(a.score is not None and a.score > 60 for a in normal)

    t += 6 * MINUTE_US
    for minute in range(8):  # vibration and temperature rise together
        batch = samples(hp, t + minute * MINUTE_US, 1, seed=200 + minute, shift=4.0)
        write(store, batch)
        observer.committed(batch, [])
    assert observer.errors == 0
    degraded = _assessments(world)[6:]  # the first one still spans the last normal minute
    assert len(degraded) == 7
    assert all(a.score is not None and a.score < 60 for a in degraded)
    assert all(a.status in (HealthStatus.MAINTENANCE_REQUIRED, HealthStatus.OUT_OF_SPECIFICATION) for a in degraded)
    assert all({d["signal"] for d in a.drivers} == {"vibration_rms_mm_s", "temperature_c"} for a in degraded)
    with world.database.session() as session:
        opened = session.scalars(select(MaintenanceCase)).all()
    assert len(opened) == 1
    case = opened[0]
    assert case.state == CaseState.OPEN and case.failure_mode == "Spindle bearing wear"
    assert "spindle bearings" in case.recommended_action
    assert case.evidence["assessments"] == 6  # opened on the second degraded window, updated by the next five
    assert sorted(case.evidence["signal_ids"]) == sorted([hp.vib, hp.temp])


def test_replay_writes_nothing_twice_and_failure_and_setup_are_statuses(world: World) -> None:
    hp = health_plant(world)
    store = open_store(world.database)
    start = recent_start(100)
    write(store, samples(hp, start, 40, seed=3))
    learned(world, store, hp, start, 40)
    observer = maintenance_observers(world.database)[0]
    t = start + 40 * MINUTE_US
    batch = samples(hp, t, 3, seed=4) + samples(hp, t + 3 * MINUTE_US, 2, seed=5, state=3, mode=2)
    batch += samples(hp, t + 5 * MINUTE_US, 2, seed=6, state=1, mode=1)
    batch += samples(hp, t + 7 * MINUTE_US, 2, seed=7, state=2, mode=3)  # idle: skipped
    batch += [Point(hp.vib, t + 9 * MINUTE_US + 30_000_000, 1.1)]
    write(store, batch)
    observer.committed(batch, [])
    again = HealthObserver(world.database, store)  # a second worker (or a restart) sees the same batch
    again.committed(batch, [])
    statuses = [a.status for a in _assessments(world)]
    assert statuses == [
        *[HealthStatus.NORMAL] * 3,
        *[HealthStatus.CHECK_FUNCTION] * 2,  # setup mode
        *[HealthStatus.FAILURE] * 2,  # out of service
    ]
    assert all(a.score is None for a in _assessments(world)[3:])
    with world.database.session() as session:
        cases = session.scalars(select(MaintenanceCase)).all()
    assert len(cases) == 1 and cases[0].status == HealthStatus.FAILURE
    assert cases[0].failure_mode == "Breakdown"

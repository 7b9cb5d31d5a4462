"""A CNC machine with vibration, temperature, power, state and mode signals, and synthetic samples for it: normal
(vibration and temperature correlated through a common load), or shifted by a degradation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from tests.conftest import Account, World
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.maintenance.health import learn
from zhizao.maintenance.health.schemas import BaselineLearn
from zhizao.maintenance.models_health import MaintenanceModel
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore
from zhizao.telemetry.timeutil import from_us, now_us

MINUTE_US = 60_000_000
STEP_US = 10_000_000  # a sample every 10 s


@dataclass(frozen=True)
class HealthPlant:
    plant: Plant
    owner: Account
    actor: Principal
    vib: int
    temp: int
    power: int
    mode: int

    @property
    def equipment_id(self) -> int:
        return self.plant.equipment_id

    @property
    def state(self) -> int:
        return self.plant.state_signal_id


def health_plant(world: World) -> HealthPlant:
    plant = build_plant(world)
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    actor = Principal(owner.user_id, owner.username, owner.username, Role.ENTERPRISE, plant.enterprise_id)
    ids = {}
    with world.database.session() as session:
        for name, unit, kind in (
            ("vibration_rms_mm_s", "mm/s", SignalKind.MEASUREMENT),
            ("temperature_c", "°C", SignalKind.MEASUREMENT),
            ("power_kw", "kW", SignalKind.MEASUREMENT),
            ("operation_mode", None, SignalKind.STATE),
        ):
            data = SignalCreate(device_id=plant.device_id, name=name, unit=unit, kind=kind)
            ids[name] = devices.create_signal(session, actor, data).id
    return HealthPlant(
        plant, owner, actor, ids["vibration_rms_mm_s"], ids["temperature_c"], ids["power_kw"], ids["operation_mode"]
    )


def recent_start(minutes: int) -> int:
    """A whole minute ``minutes`` ago."""
    return (now_us() // MINUTE_US - minutes) * MINUTE_US


def samples(
    hp: HealthPlant,
    start_us: int,
    minutes: int,
    *,
    seed: int,
    shift: float = 0.0,
    state: int = 3,
    mode: int = 3,
) -> list[Point]:
    """Samples every 10 s; ``shift`` (in multiples of the normal spread) raises vibration and temperature together."""
    rng = np.random.default_rng(seed)
    points: list[Point] = []
    for k in range(minutes * MINUTE_US // STEP_US):
        ts = start_us + k * STEP_US
        load = rng.normal()
        points += [
            Point(hp.vib, ts, float(1.1 + 0.05 * load + 0.01 * rng.normal() + 0.05 * shift)),
            Point(hp.temp, ts, float(42.0 + 1.5 * load + 0.3 * rng.normal() + 1.5 * shift)),
            Point(hp.power, ts, float(9.0 + 0.2 * rng.normal())),
        ]
        if k % 6 == 0:  # the heartbeat of the state signals
            points += [Point(hp.state, ts, float(state)), Point(hp.mode, ts, float(mode))]
    return points


def write(store: TelemetryStore, points: list[Point]) -> None:
    for day in {point.ts_us // 86_400_000_000 for point in points}:  # PostgreSQL: the days' partitions
        store.prepare(day * 86_400_000_000)
    store.write(Batch(points=points))


def learned(world: World, store: TelemetryStore, hp: HealthPlant, start_us: int, minutes: int) -> MaintenanceModel:
    data = BaselineLearn(start=from_us(start_us), end=from_us(start_us + minutes * MINUTE_US))
    with world.database.session() as session:
        return learn.learn_baseline(session, store, hp.actor, hp.equipment_id, data)


def at(ts_us: int) -> datetime:
    return datetime.fromtimestamp(ts_us / 1e6, UTC)

"""A plant whose CNC machine publishes production signals into a real telemetry store, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import World
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.production.sources import ProductionSignals, production_signals
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.factory import open_store

T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class Rig:
    database: Database
    store: TelemetryStore
    plant: Plant
    signals: ProductionSignals


@pytest.fixture
def rig(world: World, database: Database) -> Iterator[Rig]:
    plant = build_plant(world)
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    with database.session() as session:
        devices.create_signal(
            session, actor, SignalCreate(device_id=plant.device_id, name="operation_mode", kind=SignalKind.STATE)
        )
        signals = production_signals(session, [plant.equipment_id])[plant.equipment_id]
    store = open_store(database)
    store.prepare(T0)
    yield Rig(database, store, plant, signals)
    store.close()

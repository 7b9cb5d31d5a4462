"""A plant whose CNC machine publishes production signals into a real telemetry store, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from tests.conftest import World
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.production import jobs
from zhizao.production.calendar import HolidayRegion, WorkCalendar
from zhizao.production.ledger_sync import SyncOptions
from zhizao.production.models import (
    EquipmentSetting,
    Operation,
    OrderStatus,
    Product,
    ProductionOrder,
    WorkCalendarRecord,
)
from zhizao.production.sources import ProductionSignals, production_signals
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.machinery import MachineryItemState as S
from zhizao.telemetry.machinery import OperationMode as M
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore
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


# One shift 08:00–16:00 (UTC calendar) with a 12:00–12:30 break; the machine breaks down 10:00–10:30 and stops
# for one minute at 14:00 (a micro-stop under the 120 s threshold); 400 good and 10 scrap parts of product P1
# whose PRU is 60 s, on 2026-01-01. By hand: POT 28 800 s, PDOT 1 800 s, PBT 27 000 s, ADOT 1 800 s, ADET 60 s
# (all micro), APT 25 140 s; PQ 410, GQ 400; OEE = PRU·GQ/PBT = 60·400/27 000 = 0.888…
ONE_SHIFT_DAY = date(2026, 1, 1)
T8 = T0 + 8 * 3_600_000_000
MIN = 60_000_000


def one_shift_calendar() -> WorkCalendar:
    return WorkCalendar.model_validate(
        {
            "timezone": "UTC",
            "shifts": [{"name": "A", "start": "08:00", "end": "16:00", "breaks": [{"start": "12:00", "end": "12:30"}]}],
            "weekdays": list(range(7)),
            "public_holidays": HolidayRegion.NONE,
        }
    )


def prepare_one_shift(rig: Rig, world: World) -> None:
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    enterprise, equipment = rig.plant.enterprise_id, rig.plant.equipment_id
    with rig.database.session() as session:
        for name in ("good_parts", "scrap_parts"):
            devices.create_signal(
                session, actor, SignalCreate(device_id=rig.plant.device_id, name=name, kind=SignalKind.COUNTER)
            )
    with rig.database.session() as session, session.begin():
        record = WorkCalendarRecord(
            enterprise_id=enterprise, name="一班制", definition=one_shift_calendar().model_dump(mode="json")
        )
        product = Product(enterprise_id=enterprise, code="P1", name="缸体")
        session.add_all([record, product])
        session.flush()
        session.add(
            EquipmentSetting(equipment_id=equipment, enterprise_id=enterprise, calendar_id=record.id, micro_stop_s=120)
        )
        session.add(Operation(enterprise_id=enterprise, product_id=product.id, pru_ms=60_000))
        session.add(
            ProductionOrder(
                enterprise_id=enterprise,
                order_no="MO-1",
                product_id=product.id,
                equipment_id=equipment,
                quantity=400,
                planned_start=datetime(2026, 1, 1, 0, tzinfo=UTC),
                planned_end=datetime(2026, 1, 2, 0, tzinfo=UTC),
                status=OrderStatus.RUNNING,
            )
        )


def one_shift_samples(rig: Rig) -> list[Point]:
    with rig.database.session() as session:
        signals = production_signals(session, [rig.plant.equipment_id])[rig.plant.equipment_id]
    assert signals.state and signals.mode and signals.good and signals.scrap
    run, down, idle = (S.EXECUTING, M.PROCESSING), (S.OUT_OF_SERVICE, M.MAINTENANCE), (S.NOT_EXECUTING, M.PROCESSING)
    timeline = [(0, run), (20, run), (40, run), (60, run), (80, run), (100, run), (120, down), (150, run)]
    timeline += [(t, run) for t in range(170, 360, 20)] + [(360, idle), (361, run)]
    timeline += [(t, run) for t in range(380, 480, 20)] + [(480, (S.NOT_EXECUTING, M.NONE))]
    points = []
    for minute, (state, mode) in timeline:
        points += [
            Point(signals.state, T8 + minute * MIN, float(state)),
            Point(signals.mode, T8 + minute * MIN, float(mode)),
        ]
    points += [Point(signals.good, T8, 1000.0), Point(signals.good, T8 + 479 * MIN, 1400.0)]
    points += [Point(signals.scrap, T8, 10.0), Point(signals.scrap, T8 + 479 * MIN, 20.0)]
    return points


@pytest.fixture
def synced(rig: Rig, world: World) -> Rig:
    """The one-shift scenario written to the store and synced into the ledger and totals."""
    prepare_one_shift(rig, world)
    rig.store.write(Batch(points=one_shift_samples(rig)))
    jobs.sync_all(rig.database, rig.store, now_us=T8 + 600 * MIN, options=SyncOptions(stale_after_us=30 * MIN))
    return rig

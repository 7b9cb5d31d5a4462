"""From telemetry samples to stored totals and KPIs, on both backends: the sync job end to end.

One shift 08:00–16:00 (UTC calendar) with a 12:00–12:30 break; the machine breaks down 10:00–10:30 and stops for
one minute at 14:00 (a micro-stop under the 120 s threshold); 400 good and 10 scrap parts of product P1 whose PRU
is 60 s. By hand: POT 28 800 s, PDOT 1 800 s, PBT 27 000 s, ADOT 1 800 s, ADET 60 s (all micro), APT 25 140 s;
PQ 410, GQ 400; OEE = PRU·GQ/PBT = 60·400/27 000 = 0.888…
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.conftest import World
from tests.production.conftest import Rig
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.production import jobs, kpi_service
from zhizao.production.ledger_sync import SyncOptions
from zhizao.production.calendar import HolidayRegion, WorkCalendar
from zhizao.production.models import (
    DailyOutput,
    EquipmentSetting,
    Operation,
    OrderStatus,
    Product,
    ProductionOrder,
    WorkCalendarRecord,
)
from zhizao.production.sources import production_signals
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.machinery import MachineryItemState as S
from zhizao.telemetry.machinery import OperationMode as M
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Batch, Point

MIN = 60_000_000
OPTIONS = SyncOptions(stale_after_us=30 * MIN)  # the samples below are 20 minutes apart
DAY = date(2026, 1, 1)
T8 = int(datetime(2026, 1, 1, 8, tzinfo=UTC).timestamp()) * 1_000_000


def _calendar() -> WorkCalendar:
    return WorkCalendar.model_validate(
        {
            "timezone": "UTC",
            "shifts": [{"name": "A", "start": "08:00", "end": "16:00", "breaks": [{"start": "12:00", "end": "12:30"}]}],
            "weekdays": list(range(7)),
            "public_holidays": HolidayRegion.NONE,
        }
    )


def _prepare(rig: Rig, world: World) -> None:
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
            enterprise_id=enterprise, name="一班制", definition=_calendar().model_dump(mode="json")
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


def _samples(rig: Rig) -> list[Point]:
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


def test_samples_become_totals_and_kpis(rig: Rig, world: World) -> None:
    _prepare(rig, world)
    rig.store.write(Batch(points=_samples(rig)))
    summary = jobs.sync_all(rig.database, rig.store, options=OPTIONS, now_us=T8 + 10 * 60 * MIN)
    assert summary.changed == 1
    with rig.database.session() as session:
        admin = world.user(Role.ADMIN)
        actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
        scope = kpi_service.resolve_scope(session, actor, node_id=rig.plant.line_id)
        totals = kpi_service.overall(session, scope, DAY, DAY)
        shifts = kpi_service.buckets(session, scope, DAY, DAY, kpi_service.Granularity.SHIFT)
        output = session.scalars(select(DailyOutput).where(DailyOutput.product_code == "P1")).one()
    seconds = 1_000_000
    assert (totals.pot_us, totals.pdot_us, totals.pbt_us) == (28_800 * seconds, 1_800 * seconds, 27_000 * seconds)
    assert (totals.adot_us, totals.adet_us, totals.micro_us) == (1_800 * seconds, 60 * seconds, 60 * seconds)
    assert totals.apt_us == 25_140 * seconds
    assert (totals.pq, totals.gq, totals.sq, totals.failures) == (410, 400, 10, 1)
    assert totals.pru_gq_us == 400 * 60 * seconds
    assert totals.pru_gq_us / totals.pbt_us == pytest.approx(0.8889, abs=1e-4)
    assert [bucket.key for bucket in shifts if bucket.totals.pot_us] == ["2026-01-01/A"]
    assert (output.good, output.scrap) == (400, 10)


def test_a_late_breakdown_changes_the_stored_totals(rig: Rig, world: World) -> None:
    _prepare(rig, world)
    points = _samples(rig)
    rig.store.write(Batch(points=points))
    jobs.sync_all(rig.database, rig.store, options=OPTIONS, now_us=T8 + 10 * 60 * MIN)
    with rig.database.session() as session:
        signals = production_signals(session, [rig.plant.equipment_id])[rig.plant.equipment_id]
    assert signals.state and signals.mode
    # A gateway delivers a 10-minute breakdown at 15:05 an hour late.
    late = [Point(signals.state, T8 + 425 * MIN, float(S.OUT_OF_SERVICE)), Point(signals.mode, T8 + 425 * MIN, 1.0)]
    late += [Point(signals.state, T8 + 435 * MIN, float(S.EXECUTING)), Point(signals.mode, T8 + 435 * MIN, 3.0)]
    rig.store.write(Batch(points=late))
    jobs.sync_all(rig.database, rig.store, options=OPTIONS, now_us=T8 + 11 * 60 * MIN)
    with rig.database.session() as session:
        admin = world.user(Role.ADMIN)
        actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
        totals = kpi_service.overall(
            session, kpi_service.resolve_scope(session, actor, equipment_id=rig.plant.equipment_id), DAY, DAY
        )
    assert totals.adot_us == 2_400 * 1_000_000
    assert totals.failures == 2

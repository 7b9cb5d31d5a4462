"""From telemetry samples to stored totals and KPIs, on both backends: the sync job end to end (the one-shift
scenario computed by hand in ``conftest``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import World
from tests.production.conftest import MIN, ONE_SHIFT_DAY, T8, Rig, one_shift_samples, prepare_one_shift
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.production import jobs, kpi_service
from zhizao.production.ledger_sync import SyncOptions
from zhizao.production.models import (
    DailyOutput,
)
from zhizao.production.sources import production_signals
from zhizao.telemetry.machinery import MachineryItemState as S
from zhizao.telemetry.store.base import Batch, Point

OPTIONS = SyncOptions(stale_after_us=30 * MIN)  # the samples below are 20 minutes apart
DAY = ONE_SHIFT_DAY


def test_samples_become_totals_and_kpis(rig: Rig, world: World) -> None:
    prepare_one_shift(rig, world)
    rig.store.write(Batch(points=one_shift_samples(rig)))
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
    prepare_one_shift(rig, world)
    points = one_shift_samples(rig)
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

"""The state ledger kept in step with telemetry, on both backends: derivation, late data, reasons, non-overlap."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.production.conftest import T0, Rig
from zhizao.production.ledger_sync import SyncOptions, sync_equipment
from zhizao.production.models import DowntimeReason, LossCategory, ReasonTree, StateInterval
from zhizao.telemetry.machinery import MachineryItemState as S
from zhizao.telemetry.machinery import OperationMode as M
from zhizao.telemetry.store.base import Batch, Point

MIN = 60_000_000


def _write(rig: Rig, *samples: tuple[int, S, M]) -> None:
    assert rig.signals.state is not None and rig.signals.mode is not None
    points = [Point(rig.signals.state, ts, float(state)) for ts, state, _mode in samples]
    points += [Point(rig.signals.mode, ts, float(mode)) for ts, _state, mode in samples]
    rig.store.write(Batch(points=points))


def _sync(rig: Rig, now_us: int) -> None:
    with rig.database.session() as session, session.begin():
        sync_equipment(
            session,
            rig.store,
            rig.plant.equipment_id,
            rig.plant.enterprise_id,
            rig.signals,
            now_us,
            SyncOptions(stale_after_us=30 * MIN),
        )


def _ledger(rig: Rig) -> list[tuple[int, int, int, int]]:
    with rig.database.session() as session:
        rows = session.scalars(
            select(StateInterval)
            .where(StateInterval.equipment_id == rig.plant.equipment_id)
            .order_by(StateInterval.start_us)
        )
        return [((row.start_us - T0) // MIN, (row.end_us - T0) // MIN, row.state, row.mode) for row in rows]


RUN, IDLE, DOWN = (S.EXECUTING, M.PROCESSING), (S.NOT_EXECUTING, M.PROCESSING), (S.OUT_OF_SERVICE, M.MAINTENANCE)


def test_intervals_follow_the_state_signals_and_extend_on_the_next_sync(rig: Rig) -> None:
    _write(rig, (T0, *RUN), (T0 + 10 * MIN, *IDLE), (T0 + 15 * MIN, *RUN))
    _sync(rig, T0 + 20 * MIN)
    assert _ledger(rig) == [(0, 10, 3, 3), (10, 15, 2, 3), (15, 20, 3, 3)]
    _write(rig, (T0 + 25 * MIN, *RUN), (T0 + 50 * MIN, *RUN), (T0 + 70 * MIN, *DOWN))
    _sync(rig, T0 + 80 * MIN)
    # The running interval is extended across the sync boundary, not split in two.
    assert _ledger(rig) == [(0, 10, 3, 3), (10, 15, 2, 3), (15, 70, 3, 3), (70, 80, 1, 1)]


def test_state_goes_unknown_after_the_stale_limit(rig: Rig) -> None:
    _write(rig, (T0, *RUN))
    _sync(rig, T0 + 60 * MIN)
    assert _ledger(rig) == [(0, 30, 3, 3)]


def test_late_data_for_an_hour_already_built_is_rebuilt(rig: Rig) -> None:
    _write(rig, (T0, *RUN), (T0 + 20 * MIN, *RUN), (T0 + 40 * MIN, *RUN), (T0 + 60 * MIN, *RUN))
    _sync(rig, T0 + 70 * MIN)
    assert _ledger(rig) == [(0, 70, 3, 3)]
    # A breakdown from minute 25 to 35 arrives late (a gateway's store-and-forward buffer).
    _write(rig, (T0 + 25 * MIN, *DOWN), (T0 + 35 * MIN, *RUN))
    _sync(rig, T0 + 75 * MIN)
    assert _ledger(rig) == [(0, 25, 3, 3), (25, 35, 1, 1), (35, 75, 3, 3)]


def test_a_classified_stop_keeps_its_reason_when_the_ledger_is_rebuilt(rig: Rig) -> None:
    _write(rig, (T0, *RUN), (T0 + 10 * MIN, *DOWN), (T0 + 20 * MIN, *RUN))
    _sync(rig, T0 + 30 * MIN)
    with rig.database.session() as session, session.begin():
        tree = ReasonTree(enterprise_id=rig.plant.enterprise_id, version=1)
        session.add(tree)
        session.flush()
        reason = DowntimeReason(tree_id=tree.id, code="E1", name="主轴故障", category=LossCategory.BREAKDOWN)
        session.add(reason)
        session.flush()
        stop = session.scalars(select(StateInterval).where(StateInterval.state == S.OUT_OF_SERVICE)).one()
        stop.reason_id = reason.id
        reason_id = reason.id
    # Late samples in the same hour force a rebuild of the whole hour.
    _write(rig, (T0 + 5 * MIN, *RUN))
    _sync(rig, T0 + 40 * MIN)
    with rig.database.session() as session:
        stop = session.scalars(select(StateInterval).where(StateInterval.state == S.OUT_OF_SERVICE)).one()
        assert stop.reason_id == reason_id


def test_unknown_state_codes_are_left_out_not_fatal(rig: Rig) -> None:
    assert rig.signals.state is not None and rig.signals.mode is not None
    rig.store.write(Batch(points=[Point(rig.signals.state, T0, 42.0), Point(rig.signals.mode, T0, 3.0)]))
    _write(rig, (T0 + 5 * MIN, *RUN))
    _sync(rig, T0 + 10 * MIN)
    assert _ledger(rig) == [(5, 10, 3, 3)]


def test_the_database_refuses_overlapping_intervals(rig: Rig) -> None:
    def interval(start: int, end: int) -> StateInterval:
        return StateInterval(
            enterprise_id=rig.plant.enterprise_id,
            equipment_id=rig.plant.equipment_id,
            start_us=T0 + start * MIN,
            end_us=T0 + end * MIN,
            state=3,
            mode=3,
        )

    with rig.database.session() as session, session.begin():
        session.add_all([interval(0, 10), interval(10, 20)])  # touching is fine
    with pytest.raises((IntegrityError, DBAPIError)), rig.database.session() as session, session.begin():
        session.add(interval(15, 25))
    with pytest.raises((IntegrityError, DBAPIError)), rig.database.session() as session, session.begin():
        row = session.scalars(select(StateInterval).order_by(StateInterval.start_us)).first()
        assert row is not None
        row.end_us = T0 + 12 * MIN
    assert _ledger(rig) == [(0, 10, 3, 3), (10, 20, 3, 3)]

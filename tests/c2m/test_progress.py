"""Orders walked along their timeline by an explicit clock: started and finished on the schedule, held by a machine
that is down, quality checked after the last operation, shipped a day later; idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.c2m.planning_world import (
    T0,
    Maker,
    Orders,
    build_maker,
    events_of,
    ledger_span,
    minutes,
    operations_of,
    order_row,
)
from tests.conftest import World
from zhizao.c2m import planning
from zhizao.c2m.models import OrderStatus, ScheduleRun
from zhizao.c2m.progress import advance
from zhizao.c2m.services import run_c2m_round
from zhizao.production.models import OrderStatus as FactoryStatus
from zhizao.production.models import ProductionOrder
from zhizao.telemetry.machinery import MachineryItemState

LIMIT = 2.0
ONE = [("HG-PR-01", "press", "冲压线"), ("HG-PT-01", "paint", "涂装线"), ("HG-TS-01", "test", "检测线")]


def test_an_order_walks_from_scheduled_to_shipped(world: World) -> None:
    maker = build_maker(world, centres=ONE)
    order_id = Orders(world, maker).add(due_at=T0 + timedelta(days=3))
    planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    # Press 0–30, paint 30–50, test 50–60 (minutes from T0).
    assert order_row(world, order_id).status == OrderStatus.SCHEDULED

    moved = advance(world.database, maker.maker_id, T0 + minutes(5))
    assert (moved.started, moved.finished) == (1, 0)
    order = order_row(world, order_id)
    assert (order.status, order.station) == (OrderStatus.IN_PRODUCTION, "冲压线")

    advance(world.database, maker.maker_id, T0 + minutes(40))
    ops = operations_of(world, order_id)
    assert [(op.started_at, op.finished_at) for op in ops] == [
        (T0, T0 + minutes(30)), (T0 + minutes(30), None), (None, None),
    ]  # fmt: skip
    assert order_row(world, order_id).station == "涂装线"

    moved = advance(world.database, maker.maker_id, T0 + minutes(60))
    assert moved.quality_checked == 1
    order = order_row(world, order_id)
    assert (order.status, order.station) == (OrderStatus.QUALITY_CHECKED, None)

    assert advance(world.database, maker.maker_id, T0 + minutes(60) + timedelta(hours=23)).shipped == 0
    assert advance(world.database, maker.maker_id, T0 + minutes(60) + timedelta(days=1)).shipped == 1
    assert order_row(world, order_id).status == OrderStatus.SHIPPED
    assert events_of(world, order_id) == [
        ("confirmed", None, T0),
        ("scheduled", None, T0),
        ("in_production", "冲压线", T0),
        ("in_production", "涂装线", T0 + minutes(30)),
        ("in_production", "检测线", T0 + minutes(50)),
        ("quality_checked", None, T0 + minutes(60)),
        ("shipped", None, T0 + minutes(60) + timedelta(days=1)),
    ]
    with world.database.session() as session:
        statuses = {row.status for row in session.scalars(select(ProductionOrder))}
    assert statuses == {FactoryStatus.DONE}


def test_advance_is_idempotent_and_catches_up_in_one_call(world: World) -> None:
    maker = build_maker(world, centres=ONE)
    orders = Orders(world, maker)
    first, second = orders.add(due_at=T0 + timedelta(days=3)), orders.add(due_at=T0 + timedelta(days=3))
    planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    late = T0 + timedelta(hours=5)
    moved = advance(world.database, maker.maker_id, late)
    assert (moved.started, moved.finished, moved.quality_checked) == (6, 6, 2)
    again = advance(world.database, maker.maker_id, late)
    assert not again.changed
    for order_id in (first, second):
        assert len(events_of(world, order_id)) == 6  # confirmed, scheduled, three stations, quality checked
        ops = operations_of(world, order_id)
        # Times are the schedule's, not the clock's.
        assert all(op.finished_at == op.planned_end and op.started_at == op.planned_start for op in ops)


def test_a_machine_that_is_down_holds_its_operation_until_the_reschedule_moves_it(world: World) -> None:
    maker = build_maker(world)  # two presses
    order_id = Orders(world, maker).add(due_at=T0 + timedelta(days=3))
    planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    press = operations_of(world, order_id)[0]
    code = code_of(maker, press.equipment_id)
    other = "HG-PR-02" if code == "HG-PR-01" else "HG-PR-01"
    advance(world.database, maker.maker_id, T0 + minutes(10))
    ledger_span(world, maker, code, T0 + minutes(20), T0 + minutes(40), MachineryItemState.OUT_OF_SERVICE)

    held = advance(world.database, maker.maker_id, T0 + minutes(45))
    assert held.finished == 0, "a machine that is down finishes nothing"
    assert operations_of(world, order_id)[0].finished_at is None

    outcome = planning.reschedule_if_down(world.database, maker.maker_id, T0 + minutes(45), time_limit_s=LIMIT)
    assert outcome is not None and outcome.interrupted == 1
    redo = operations_of(world, order_id)[0]
    assert (redo.equipment_id, redo.started_at, redo.planned_start) == (maker.equipment[other], None, T0 + minutes(45))

    advance(world.database, maker.maker_id, T0 + minutes(80))
    redo = operations_of(world, order_id)[0]
    assert (redo.started_at, redo.finished_at) == (T0 + minutes(45), T0 + minutes(75))


def code_of(maker: Maker, equipment_id: int | None) -> str:
    return next(code for code, eid in maker.equipment.items() if eid == equipment_id)


def test_an_operation_that_ended_before_the_machine_failed_still_finishes(world: World) -> None:
    maker = build_maker(world, centres=ONE)
    order_id = Orders(world, maker).add(due_at=T0 + timedelta(days=3))
    planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    ledger_span(world, maker, "HG-PR-01", T0 + minutes(35), T0 + minutes(36), MachineryItemState.OUT_OF_SERVICE)
    advance(world.database, maker.maker_id, T0 + minutes(40))
    ops = operations_of(world, order_id)
    assert ops[0].finished_at == T0 + minutes(30)
    assert ops[1].started_at == T0 + minutes(30)  # the paint line is up


def test_advance_leaves_other_makers_alone(world: World) -> None:
    ours, theirs = build_maker(world, centres=ONE), build_maker(world, centres=ONE)
    mine = Orders(world, ours).add(due_at=T0 + timedelta(days=3))
    other = Orders(world, theirs).add(due_at=T0 + timedelta(days=3))
    planning.plan(world.database, ours.maker_id, T0, time_limit_s=LIMIT)
    planning.plan(world.database, theirs.maker_id, T0, time_limit_s=LIMIT)
    advance(world.database, ours.maker_id, T0 + minutes(10))
    assert order_row(world, mine).status == OrderStatus.IN_PRODUCTION
    assert order_row(world, other).status == OrderStatus.SCHEDULED


def test_one_services_round_plans_new_orders_then_moves_them(world: World) -> None:
    maker = build_maker(world, centres=ONE)
    order_id = Orders(world, maker).add(due_at=T0 + timedelta(days=3))
    run_c2m_round(world.database, T0, time_limit_s=LIMIT)
    assert order_row(world, order_id).status == OrderStatus.IN_PRODUCTION  # planned, and its first step is due now
    assert [status for status, _station, _at in events_of(world, order_id)][1:] == ["scheduled", "in_production"]
    run_c2m_round(world.database, T0 + minutes(61), time_limit_s=LIMIT, ship_after=minutes(1))
    assert order_row(world, order_id).status == OrderStatus.SHIPPED
    with world.database.session() as session:
        assert [run.reason for run in session.scalars(select(ScheduleRun))] == ["new orders (1)"]

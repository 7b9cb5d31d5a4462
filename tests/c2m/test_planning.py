"""Planning a maker's open operations into the tables, and rescheduling around a machine that goes down."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.c2m.planning_world import (
    CENTRES,
    T0,
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
from zhizao.c2m.locks import maker_lock
from zhizao.c2m.models import ConsumerOrder, OrderOperation, OrderStatus, ScheduleRun
from zhizao.c2m.progress import advance
from zhizao.cli.c2m import c2m_app
from zhizao.errors import InputError
from zhizao.production.models import OrderStatus as FactoryStatus
from zhizao.production.models import Product, ProductionOrder
from zhizao.telemetry.machinery import MachineryItemState

LIMIT = 2.0


def _all_operations(world: World, maker_id: int) -> list[OrderOperation]:
    with world.database.session() as session:
        return list(
            session.scalars(
                select(OrderOperation)
                .join(ConsumerOrder, ConsumerOrder.id == OrderOperation.order_id)
                .where(ConsumerOrder.maker_id == maker_id)
            )
        )


def _assert_feasible(world: World, maker_id: int, kinds: dict[int, str]) -> None:
    ops = _all_operations(world, maker_id)
    for op in ops:
        assert op.equipment_id is not None and op.planned_start is not None and op.planned_end is not None
        assert kinds[op.equipment_id] == op.kind, "an operation sits on a work centre of another kind"
        assert op.planned_end - op.planned_start == minutes(op.minutes)
    for _, routing in itertools.groupby(sorted(ops, key=lambda op: (op.order_id, op.seq)), key=lambda op: op.order_id):
        for first, second in itertools.pairwise(routing):
            assert second.planned_start >= first.planned_end, "routing order broken"  # type: ignore[operator]
    by_machine = sorted(ops, key=lambda op: (op.equipment_id, op.planned_start))
    for first, second in itertools.pairwise(by_machine):
        if first.equipment_id == second.equipment_id:
            assert second.planned_start >= first.planned_end, "two operations at once on one machine"  # type: ignore[operator]


def test_plan_places_every_operation_on_an_eligible_machine_in_routing_order(world: World) -> None:
    maker = build_maker(world)
    orders = Orders(world, maker)
    ids = [orders.add(due_at=T0 + minutes(600)) for _ in range(3)]
    outcome = planning.plan(world.database, maker.maker_id, T0, reason="test", time_limit_s=LIMIT)

    assert outcome.run_id is not None and outcome.planned == 9 and outcome.scheduled_orders == 3
    # Hand-computed: two presses take two orders at 0–30 and the third at 30–60; the one paint line needs 3 × 20 from
    # 30 on (90), and the last test follows it: 100 minutes, none late.
    assert outcome.makespan_min == 100 and outcome.tardiness_min == 0
    assert outcome.solver_status == "optimal"
    kinds = {maker.equipment[code]: kind for code, kind, _station in CENTRES}
    _assert_feasible(world, maker.maker_id, kinds)
    assert all(op.planned_start >= T0 for op in _all_operations(world, maker.maker_id))  # type: ignore[operator]
    for order_id in ids:
        assert order_row(world, order_id).status == OrderStatus.SCHEDULED
        assert [status for status, _station, _at in events_of(world, order_id)] == ["confirmed", "scheduled"]
    with world.database.session() as session:
        run = session.scalars(select(ScheduleRun)).one()
        assert (run.reason, run.operations, run.makespan_min, run.time_limit_s) == ("test", 9, 100, LIMIT)


def test_plan_meets_a_tight_due_date_first(world: World) -> None:
    """One press: the order due at 40 min must go first (30 + 20 + 10 = 60 is its own length: due 60 is met only
    if it starts at once)."""
    maker = build_maker(
        world, centres=[("HG-PR-01", "press", "P"), ("HG-PT-01", "paint", "Q"), ("HG-TS-01", "test", "T")]
    )
    orders = Orders(world, maker)
    relaxed = orders.add(due_at=T0 + minutes(1000))
    urgent = orders.add(due_at=T0 + minutes(60))
    outcome = planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    assert outcome.tardiness_min == 0
    assert operations_of(world, urgent)[0].planned_start == T0
    assert operations_of(world, relaxed)[0].planned_start == T0 + minutes(30)
    assert operations_of(world, urgent)[-1].planned_end == T0 + minutes(60)


def test_plan_writes_one_factory_production_order_per_operation(world: World) -> None:
    maker = build_maker(world)
    order_id = Orders(world, maker).add(due_at=T0 + minutes(600))
    planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    ops = operations_of(world, order_id)
    number = order_row(world, order_id).number
    with world.database.session() as session:
        factory = {row.order_no: row for row in session.scalars(select(ProductionOrder))}
        product = session.scalars(select(Product)).one()
    assert sorted(factory) == sorted(f"C2M-{number.removeprefix('C2M-')}-{op.seq}" for op in ops)
    assert (product.code, product.enterprise_id) == ("ZX-T", maker.maker_id)
    for op in ops:
        row = factory[f"C2M-{number.removeprefix('C2M-')}-{op.seq}"]
        assert (row.id, row.equipment_id, row.planned_start, row.planned_end, row.status) == (
            op.production_order_id, op.equipment_id, op.planned_start, op.planned_end, FactoryStatus.PLANNED,
        )  # fmt: skip
    # Planning again updates the same production orders rather than adding more.
    planning.plan(world.database, maker.maker_id, T0 + minutes(1), time_limit_s=LIMIT)
    with world.database.session() as session:
        assert len(session.scalars(select(ProductionOrder)).all()) == 3


def test_a_machine_going_down_moves_its_work_to_another_of_its_kind(world: World) -> None:
    maker = build_maker(world)
    orders = Orders(world, maker)
    ids = [orders.add(due_at=T0 + minutes(600)) for _ in range(3)]
    planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    press_1 = maker.equipment["HG-PR-01"]
    advance(world.database, maker.maker_id, T0 + minutes(10))  # two press operations are running now
    running_on_1 = [op for i in ids for op in operations_of(world, i) if op.equipment_id == press_1 and op.started_at]
    assert len(running_on_1) == 1

    assert planning.reschedule_if_down(world.database, maker.maker_id, T0 + minutes(12)) is None  # nothing is down
    ledger_span(world, maker, "HG-PR-01", T0 + minutes(10), T0 + minutes(11), MachineryItemState.OUT_OF_SERVICE)
    outcome = planning.reschedule_if_down(world.database, maker.maker_id, T0 + minutes(12), time_limit_s=LIMIT)

    assert outcome is not None and outcome.run_id is not None
    assert outcome.reason == "HG-PR-01 down since 2026-03-02 08:10"  # Asia/Shanghai
    assert outcome.interrupted == 1 and outcome.kept == 1
    moved = [op for op in _all_operations(world, maker.maker_id) if op.kind == "press"]
    assert {op.equipment_id for op in moved} == {maker.equipment["HG-PR-02"]}
    assert all(op.planned_start >= T0 + minutes(12) for op in moved if op.started_at is None)  # type: ignore[operator]
    # The interrupted operation is to be done again: not started, planned afresh, its production order waiting.
    interrupted = next(op for op in moved if op.id == running_on_1[0].id)
    assert interrupted.started_at is None
    with world.database.session() as session:
        assert session.get(ProductionOrder, interrupted.production_order_id).status == FactoryStatus.PLANNED  # type: ignore[union-attr]
    # Nothing down holds work any more: no second run.
    assert planning.reschedule_if_down(world.database, maker.maker_id, T0 + minutes(13)) is None


def test_when_every_machine_of_a_kind_is_down_the_work_waits_for_an_assumed_repair(world: World) -> None:
    maker = build_maker(world)
    order_id = Orders(world, maker).add(due_at=T0 + minutes(600))
    ledger_span(world, maker, "HG-PT-01", T0 - minutes(5), T0, MachineryItemState.OUT_OF_SERVICE)
    outcome = planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    assert "HG-PT-01 assumed back 10:00" in outcome.reason  # two hours after 08:00 Shanghai
    paint = operations_of(world, order_id)[1]
    assert paint.planned_start == T0 + minutes(120)


def test_an_order_of_a_kind_without_work_centre_is_left_unplanned(world: World) -> None:
    maker = build_maker(world)
    orders = Orders(world, maker)
    stuck = orders.add(due_at=T0 + minutes(600), routing=[(10, "press", 30), (20, "weld", 10)])
    fine = orders.add(due_at=T0 + minutes(600))
    outcome = planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    assert outcome.unplanned == ((order_row(world, stuck).number, "no work centre of kind weld"),)
    assert order_row(world, stuck).status == OrderStatus.CONFIRMED
    assert order_row(world, fine).status == OrderStatus.SCHEDULED


def test_plan_new_orders_runs_only_for_waiting_orders(world: World) -> None:
    maker = build_maker(world)
    assert planning.plan_new_orders(world.database, maker.maker_id, T0) is None
    orders = Orders(world, maker)
    orders.add(due_at=T0 + minutes(600))
    outcome = planning.plan_new_orders(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    assert outcome is not None and outcome.reason == "new orders (1)"
    assert planning.plan_new_orders(world.database, maker.maker_id, T0) is None
    # An order that cannot be planned (no work centre welds) does not make it plan again and again.
    orders.add(due_at=T0 + minutes(600), routing=[(10, "press", 30), (20, "weld", 10)])
    assert planning.plan_new_orders(world.database, maker.maker_id, T0) is None


def test_plan_touches_only_its_own_makers_orders(world: World) -> None:
    ours, theirs = build_maker(world), build_maker(world)
    Orders(world, ours).add(due_at=T0 + minutes(600))
    other = Orders(world, theirs).add(due_at=T0 + minutes(600))
    planning.plan(world.database, ours.maker_id, T0, time_limit_s=LIMIT)
    assert all(op.planned_start is None for op in operations_of(world, other))
    assert order_row(world, other).status == OrderStatus.CONFIRMED


def test_a_held_maker_lock_makes_a_second_planner_stand_aside(world: World) -> None:
    maker = build_maker(world)
    Orders(world, maker).add(due_at=T0 + minutes(600))
    with world.database.session() as session, session.begin(), maker_lock(session, maker.maker_id) as held:
        assert held
        outcome = planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    assert outcome.busy and outcome.run_id is None
    assert planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT).run_id is not None


def test_nothing_to_plan_records_no_run(world: World) -> None:
    maker = build_maker(world)
    outcome = planning.plan(world.database, maker.maker_id, T0, time_limit_s=LIMIT)
    assert outcome.run_id is None and "nothing to plan" in outcome.notes


@pytest.mark.parametrize("limit", [0, -1, 301])
def test_a_time_limit_out_of_range_is_refused(limit: float) -> None:
    with pytest.raises(InputError) as caught:
        planning.check_time_limit(limit)
    assert caught.value.fields[0].field == "time_limit"


def _cli(world: World, *args: str) -> tuple[int, str]:
    url = world.database.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(c2m_app, ["plan", *args, "--database-url", url])
    return result.exit_code, result.output


def test_the_plan_command_plans_a_maker_by_id_or_name(world: World) -> None:
    maker = build_maker(world)
    Orders(world, maker).add(due_at=T0 + minutes(600))
    code, output = _cli(world, "--maker", str(maker.maker_id), "--time-limit", "2")
    assert code == 0, output
    assert "operations planned 3" in output and "(command line)" in output
    code, output = _cli(world, "--maker", "no such maker")
    assert code == 2 and "no organisation 'no such maker'" in output
    code, output = _cli(world, "--maker", str(maker.maker_id), "--time-limit", "0")
    assert code == 2 and "time_limit" in output

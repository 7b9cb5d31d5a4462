"""The C2M demo: the vehicle maker, its plant as work centres, the model released, and twelve weeks of orders whose
operations, machines and timelines agree with the routing — and which the planner and progress carry on from."""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from zhizao.accounts import demo as accounts_demo
from zhizao.accounts.models import Organisation, User
from zhizao.c2m import planning, progress
from zhizao.c2m.models import (
    ConsumerOrder,
    ModelStatus,
    OrderEvent,
    OrderOperation,
    OrderStatus,
    ProductModelRow,
    WorkCentre,
)
from zhizao.c2m.orders import routing_operations
from zhizao.c2m.product.bom import explode
from zhizao.c2m.product.loading import load_demo_model
from zhizao.c2m.product.release import validate_order
from zhizao.db.engine import Database, create_database
from zhizao.demo import SEEDERS
from zhizao.demo import c2m as c2m_demo
from zhizao.demo import sharing as sharing_demo
from zhizao.demo.c2m_history import SHIP_AFTER, UNPLANNED
from zhizao.settings import Settings, load_settings
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.models import Equipment


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _seed(directory: Path, template: Path) -> tuple[Database, Settings]:
    shutil.copyfile(template, directory / "zhizao.db")
    settings = load_settings(data_dir=directory, secret_key=TEST_SECRET)
    database = create_database(settings)
    accounts_demo.seed(database, settings)
    c2m_demo.seed(database, settings)
    return database, settings


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Database]:
    """One seeded demo for the tests that only read it (seeding takes a few seconds)."""
    database, _ = _seed(tmp_path_factory.mktemp("c2m-demo"), sqlite_template)
    yield database
    database.dispose()


@pytest.fixture
def fresh(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    database, _ = _seed(tmp_path, sqlite_template)
    yield database
    database.dispose()


def test_the_seeder_runs_after_the_sharing_demo() -> None:
    assert SEEDERS.index(c2m_demo.seed) > SEEDERS.index(sharing_demo.seed)


def _maker_id(session: object) -> int:
    found = session.scalar(select(Organisation.id).where(Organisation.name == c2m_demo.MAKER))  # type: ignore[attr-defined]
    assert isinstance(found, int)
    return found


def test_the_maker_its_plant_and_its_released_model(seeded: Database) -> None:
    model = load_demo_model()
    with seeded.session() as session:
        maker_id = _maker_id(session)
        [row] = session.scalars(select(ProductModelRow)).all()
        assert (row.enterprise_id, row.code, row.version, row.status) == (maker_id, model.code, 1, ModelStatus.RELEASED)
        centres = session.execute(
            select(WorkCentre.kind, Equipment.equipment_type).join(Equipment, Equipment.id == WorkCentre.equipment_id)
        ).all()
        kinds = {kind for kind, _ in centres}
        assert kinds == {operation.equipment_type for operation in model.routing}
        assert {kind: {t for k, t in centres if k == kind} for kind in ("press", "test")} == {
            "press": {EquipmentType.PRESS},
            "test": {EquipmentType.INSPECTION_STATION},
        }
        maker = session.scalar(select(User).where(User.username == c2m_demo.MAKER_USER.username))
        assert maker is not None and maker.organisation_id == maker_id and maker.is_active


def test_twelve_weeks_of_valid_orders_built_as_routed(seeded: Database) -> None:
    model = load_demo_model()
    now = datetime.now(UTC)
    with seeded.session() as session:
        orders = session.scalars(select(ConsumerOrder).order_by(ConsumerOrder.created_at)).all()
        assert 200 <= len(orders) <= 500
        assert orders[0].created_at < now - timedelta(weeks=11)
        statuses = {order.status for order in orders}
        assert {OrderStatus.SHIPPED, OrderStatus.CONFIRMED} <= statuses
        assert statuses & {OrderStatus.SCHEDULED, OrderStatus.IN_PRODUCTION}
        assert sum(order.status is OrderStatus.CONFIRMED for order in orders) == UNPLANNED
        assert all(
            order.status is OrderStatus.SHIPPED for order in orders if order.created_at < now - timedelta(days=5)
        )
        assert len({order.region for order in orders}) >= 15
        operations: dict[int, list[OrderOperation]] = defaultdict(list)
        for op in session.scalars(select(OrderOperation).order_by(OrderOperation.order_id, OrderOperation.seq)):
            operations[op.order_id].append(op)
        events: dict[int, list[OrderEvent]] = defaultdict(list)
        for event in session.scalars(select(OrderEvent).order_by(OrderEvent.at, OrderEvent.id)):
            events[event.order_id].append(event)
        stations = {
            row.equipment_id: row.station
            for row in session.execute(select(WorkCentre.equipment_id, WorkCentre.station))
        }
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for order in orders:
        validated = validate_order(model, 1, order.chosen)
        assert order.price_cny == validated.price
        ops = operations[order.id]
        expected = routing_operations(order.id, explode(model, order.chosen))
        assert [(op.seq, op.code, op.kind, op.minutes) for op in ops] == [
            (op.seq, op.code, op.kind, op.minutes) for op in expected
        ]
        timeline = events[order.id]
        assert timeline[0].status is OrderStatus.CONFIRMED and timeline[0].at == order.created_at
        assert timeline[-1].status is order.status
        previous_end = order.created_at
        for op in ops:
            if op.finished_at is not None:
                assert op.started_at is not None and op.finished_at - op.started_at == timedelta(minutes=op.minutes)
                assert op.started_at >= previous_end
                assert op.equipment_id is not None
                busy[op.equipment_id].append((op.started_at, op.finished_at))
                previous_end = op.finished_at
        visited = [event.station for event in timeline if event.status is OrderStatus.IN_PRODUCTION]
        assert all(station in stations.values() for station in visited)
        if order.status is OrderStatus.SHIPPED:
            assert all(op.finished_at is not None for op in ops)
            checked, shipped = timeline[-2], timeline[-1]
            assert checked.status is OrderStatus.QUALITY_CHECKED and checked.at == ops[-1].finished_at
            assert shipped.at == checked.at + SHIP_AFTER
            assert visited[0] == stations[ops[0].equipment_id]  # type: ignore[index]
    for spans in busy.values():
        spans.sort()
        assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))


def test_the_demo_consumer_has_one_shipped_order_and_one_under_way(seeded: Database) -> None:
    with seeded.session() as session:
        consumer = session.scalar(select(User.id).where(User.username == c2m_demo.DEMO_CONSUMER))
        mine = session.scalars(select(ConsumerOrder.status).where(ConsumerOrder.consumer_id == consumer)).all()
        assert len(mine) == 2
        assert OrderStatus.SHIPPED in mine
        assert {OrderStatus.SCHEDULED, OrderStatus.IN_PRODUCTION} & set(mine)
        buyers = session.scalars(select(User.is_active).where(User.username.like("c2m-buyer-%"))).all()
        assert len(buyers) == c2m_demo.BUYERS and not any(buyers)


def test_the_planner_and_progress_carry_on_from_the_demo(fresh: Database) -> None:
    """The open orders are planned on the demo's work centres and, with the clock moved on, shipped."""
    now = datetime.now(UTC)
    with fresh.session() as session:
        maker_id = _maker_id(session)
    outcome = planning.plan(fresh, maker_id, now, reason="demo test", time_limit_s=1)
    assert outcome.run_id is not None and outcome.scheduled_orders == UNPLANNED, outcome
    progress.advance(fresh, maker_id, now + timedelta(days=5))
    with fresh.session() as session:
        open_orders = session.scalars(
            select(ConsumerOrder.number).where(ConsumerOrder.status != OrderStatus.SHIPPED)
        ).all()
        assert open_orders == []

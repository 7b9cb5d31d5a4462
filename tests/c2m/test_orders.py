"""Consumer orders: placed from a valid configuration, exploded into operations with the routing's minutes, and
confirmed — or refused with the field named and nothing stored (stale version, discontinued option, broken rules,
a failure half-way). Scope of reading, filters, and the timeline the consumer follows."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.c2m.builders import DEMO_CODE, build_maker, build_shop, changed, cheapest, place, principal_of
from tests.conftest import World
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.c2m import orders, versions
from zhizao.c2m.models import ConsumerOrder, OrderEvent, OrderOperation, OrderStatus
from zhizao.c2m.product.bom import explode
from zhizao.c2m.product.loading import load_demo_model
from zhizao.c2m.product.results import ConfigurationRefused
from zhizao.c2m.regions import Region
from zhizao.c2m.timeline import StepState, timeline
from zhizao.db.engine import Database
from zhizao.errors import InputError, NotFound, PermissionDenied

TABLES = (ConsumerOrder, OrderEvent, OrderOperation)


def counts(database: Database) -> list[int]:
    with database.session() as session:
        return [session.scalar(select(func.count()).select_from(table)) or 0 for table in TABLES]


def test_an_order_is_exploded_confirmed_and_audited(world: World) -> None:
    build_maker(world)
    consumer = world.user(Role.CONSUMER)
    chosen = cheapest(("TOW_HITCH", "PAINT_RED"))
    placed_at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    with world.database.session() as session:
        request = orders.OrderRequest(DEMO_CODE, 1, list(reversed(chosen)), Region.JIANGSU)
        order = orders.place_order(session, principal_of(consumer), request, now=placed_at)
        order_id, number = order.id, order.number
    model = load_demo_model()
    expected = explode(model, chosen)
    with world.database.session() as session:
        stored = session.get(ConsumerOrder, order_id)
        assert stored is not None
        assert number == f"C2M-20261130-{order_id:06d}"
        assert stored.chosen == sorted(chosen)
        assert stored.price_cny == model.price_of(set(chosen))
        assert (stored.status, stored.region, stored.consumer_id) == (
            OrderStatus.CONFIRMED,
            "jiangsu",
            consumer.user_id,
        )
        assert stored.due_at == placed_at + timedelta(days=21)
        operations = orders.operations(session, order_id)
        assert [(op.seq, op.code, op.kind, op.minutes) for op in operations] == [
            (step.sequence, step.code, step.equipment_type, math.ceil(step.minutes)) for step in expected.routing
        ]
        assert "TOW_TEST" in [op.code for op in operations]  # the operation only a tow hitch needs
        [event] = orders.events(session, order_id)
        assert (event.status, event.at) == (OrderStatus.CONFIRMED, placed_at)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "c2m_order.place")).one()
        assert audit.after is not None and audit.after["number"] == number


def test_an_order_on_a_stale_version_is_refused_naming_the_version(world: World) -> None:
    made = build_maker(world)
    with world.database.session() as session:
        row = versions.create_draft(session, principal_of(made.maker), changed(load_demo_model(), version=2))
        second = row.id
    with world.database.session() as session:
        versions.release(session, principal_of(made.maker), second)
    before = counts(world.database)
    with pytest.raises(InputError) as caught:
        place(world, world.user(Role.CONSUMER), version=1)
    assert [problem.field for problem in caught.value.fields] == ["body.version"]
    assert "version 2 is current" in caught.value.message
    assert counts(world.database) == before
    place(world, world.user(Role.CONSUMER), version=2)
    assert counts(world.database) != before


def test_a_discontinued_option_is_refused_by_its_position(world: World) -> None:
    build_maker(world)
    chosen = [code if code != "BAT_66" else "BAT_75" for code in cheapest(("BAT_66",))]
    with pytest.raises(InputError) as caught:
        place(world, world.user(Role.CONSUMER), chosen)
    assert [problem.field for problem in caught.value.fields] == [f"body.chosen.{chosen.index('BAT_75')}"]
    assert "discontinued" in caught.value.message
    assert counts(world.database) == [0, 0, 0]


def test_an_invalid_configuration_names_the_broken_rules_and_stores_nothing(world: World) -> None:
    build_maker(world)
    chosen = [code if code != "DRIVE_AWD" else "DRIVE_RWD" for code in cheapest(("TOW_HITCH",))]
    with pytest.raises(ConfigurationRefused) as caught:
        place(world, world.user(Role.CONSUMER), chosen)
    assert {explanation.rule_id for explanation in caught.value.explanations} == {"R-TOW-AWD"}
    assert {problem.field for problem in caught.value.fields} == {"body.chosen"}
    with pytest.raises(ConfigurationRefused):  # a partial configuration is not an order either
        place(world, world.user(Role.CONSUMER), ["TOW_HITCH"])
    with pytest.raises(InputError) as unknown:
        place(world, world.user(Role.CONSUMER), [*cheapest(), "NOPE"])
    assert unknown.value.fields[0].field == f"body.chosen.{len(cheapest())}"
    with pytest.raises(InputError) as missing:
        place(world, world.user(Role.CONSUMER), code="ZX-NONE")
    assert missing.value.fields[0].field == "body.model_code"
    assert counts(world.database) == [0, 0, 0]


def test_a_failure_half_way_leaves_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    build_maker(world)

    def broken(order_id: int, explosion: object) -> list[OrderOperation]:
        raise RuntimeError("the database went away while writing the operations")

    monkeypatch.setattr(orders, "routing_operations", broken)
    with pytest.raises(RuntimeError):
        place(world, world.user(Role.CONSUMER))
    assert counts(world.database) == [0, 0, 0]


def test_only_consumers_place_orders(world: World) -> None:
    made = build_maker(world)
    with pytest.raises(PermissionDenied):
        place(world, made.maker)


def test_who_sees_which_order(world: World) -> None:
    shop = build_shop(world)
    rival = build_maker(world, code="RIVAL-X1")
    rival_order = place(world, shop.consumer, code="RIVAL-X1")
    with world.database.session() as session:
        for account in (shop.other_consumer, rival.maker, world.user(Role.ENTERPRISE), world.user(Role.EXPERT)):
            with pytest.raises(NotFound):
                orders.get_order(session, principal_of(account), shop.order_id)
            with pytest.raises(NotFound):
                orders.get_order_by_number(session, principal_of(account), shop.order_number)
        for account in (shop.consumer, shop.maker.maker, world.user(Role.OFFICER), world.user(Role.ADMIN)):
            assert orders.get_order(session, principal_of(account), shop.order_id).number == shop.order_number

        def numbers(account: object) -> set[str]:
            rows, total = orders.list_orders(session, principal_of(account), orders.OrderFilter())  # type: ignore[arg-type]
            assert total == len(rows)
            return {row.number for row in rows}

        assert numbers(shop.consumer) == {shop.order_number, rival_order.number}
        assert numbers(shop.maker.maker) == {shop.order_number}
        assert numbers(rival.maker) == {rival_order.number}
        assert numbers(shop.other_consumer) == set()
        assert numbers(world.user(Role.EXPERT)) == set()


def test_the_filters_of_the_order_list(world: World) -> None:
    shop = build_shop(world)
    place(world, shop.consumer, region=Region.GUANGDONG)
    admin = principal_of(world.user(Role.ADMIN))
    with world.database.session() as session:

        def total(where: orders.OrderFilter) -> int:
            return orders.list_orders(session, admin, where)[1]

        assert total(orders.OrderFilter(region=Region.GUANGDONG)) == 1
        assert total(orders.OrderFilter(status=OrderStatus.CONFIRMED)) == 2
        assert total(orders.OrderFilter(status=OrderStatus.SHIPPED)) == 0
        this_week = datetime.now(UTC).astimezone(orders.ZONE).date()
        monday = this_week - timedelta(days=this_week.weekday())
        assert total(orders.OrderFilter(week=monday)) == 2
        assert total(orders.OrderFilter(week=monday - timedelta(days=7))) == 0
    iso = monday.isocalendar()
    assert orders.parse_week(f"{iso.year}-W{iso.week:02d}", "query.week") == monday
    for wrong in ("2026-W99", "0001-W01", "9999-W52", "²-W1", "last week"):
        with pytest.raises(InputError) as caught:
            orders.parse_week(wrong, "query.week")
        assert caught.value.fields[0].field == "query.week"


def _event(status: OrderStatus, minutes: int, station: str | None = None) -> OrderEvent:
    return OrderEvent(order_id=1, status=status, station=station, at=START + timedelta(minutes=minutes))


START = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_the_timeline_steps() -> None:
    events = [
        _event(OrderStatus.CONFIRMED, 0),
        _event(OrderStatus.SCHEDULED, 5),
        _event(OrderStatus.IN_PRODUCTION, 60, "冲压 1 号线"),
        _event(OrderStatus.IN_PRODUCTION, 90, "焊装机器人 2"),
    ]
    steps = timeline(OrderStatus.IN_PRODUCTION, "焊装机器人 2", START, reversed(events))
    assert [(step.status, step.state) for step in steps] == [
        ("configured", StepState.DONE),
        ("confirmed", StepState.DONE),
        ("scheduled", StepState.DONE),
        ("in_production", StepState.CURRENT),
        ("quality_checked", StepState.PENDING),
        ("shipped", StepState.PENDING),
    ]
    assert [visit.station for visit in steps[3].visits] == ["冲压 1 号线", "焊装机器人 2"]
    assert steps[3].at == START + timedelta(minutes=60)
    shipped = timeline(
        OrderStatus.SHIPPED,
        None,
        START,
        [*events, _event(OrderStatus.QUALITY_CHECKED, 300), _event(OrderStatus.SHIPPED, 2000)],
    )
    assert [step.state for step in shipped] == [StepState.DONE] * 5 + [StepState.CURRENT]
    cancelled = timeline(OrderStatus.CANCELLED, None, START, [events[0], _event(OrderStatus.CANCELLED, 10)])
    assert [(step.status, step.state) for step in cancelled][-1] == ("cancelled", StepState.CURRENT)
    assert cancelled[2].state is StepState.PENDING and cancelled[1].state is StepState.DONE

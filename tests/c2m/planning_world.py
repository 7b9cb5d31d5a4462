"""A small maker for the planning, progress, analytics and API tests, written straight into the tables (equipment,
work centres, a released product model, orders with their operations), so that these tests do not depend on the
order service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from tests.c2m.product.builders import model_data, option
from tests.conftest import World
from zhizao.accounts.roles import Role
from zhizao.c2m.models import (
    ConsumerOrder,
    ModelStatus,
    OrderEvent,
    OrderOperation,
    OrderStatus,
    ProductModelRow,
    WorkCentre,
)
from zhizao.production.models import StateInterval
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.machinery import MachineryItemState
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.timeutil import to_us

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday, 08:00 in Shanghai
# (equipment code, routing kind, station)
CENTRES = (
    ("HG-PR-01", "press", "冲压 1 号线"),
    ("HG-PR-02", "press", "冲压 2 号线"),
    ("HG-PT-01", "paint", "涂装线"),
    ("HG-TS-01", "test", "下线检测"),
)
# (seq, kind, minutes): press, paint, test
ROUTING = ((10, "press", 30), (20, "paint", 20), (30, "test", 10))


def model_definition() -> dict[str, Any]:
    """PAINT exactly one of three, ROOF optional, EXTRAS up to two; BOM lines on conditions; a three-step routing."""
    data = model_data(
        [
            ("PAINT", 1, 1, [option("WHITE"), option("BLACK", 3000), option("RED", 5000)]),
            ("ROOF", 0, 1, [option("PANO", 8000)]),
            ("EXTRAS", 0, 2, [option("HUD", 4000), option("TOW", 3000)]),
        ],
        code="ZX-T",
        bom=[
            {"position": 10, "part_number": "BODY", "description": {"zh": "车身", "en": "Body"}, "quantity": 1},
            {"position": 20, "part_number": "GLASS-PANO", "description": {"zh": "全景天幕", "en": "Pano roof"},
             "quantity": 1, "condition": "PANO"},
            {"position": 30, "part_number": "ROOF-STEEL", "description": {"zh": "钢顶", "en": "Steel roof"},
             "quantity": 1, "condition": "!PANO"},
            {"position": 40, "part_number": "HITCH", "description": {"zh": "拖钩", "en": "Hitch"}, "quantity": 1,
             "condition": "TOW"},
            {"position": 50, "part_number": "PAINT-L", "description": {"zh": "面漆", "en": "Top coat"},
             "quantity": 4, "unit": "l"},
        ],
        routing=[
            {"sequence": seq, "code": f"OP{seq}", "name": {"zh": kind, "en": kind}, "equipment_type": kind,
             "base_minutes": minutes}
            for seq, kind, minutes in ROUTING
        ],
    )  # fmt: skip
    return data


@dataclass(frozen=True)
class Maker:
    maker_id: int
    consumer_id: int
    model_id: int
    equipment: dict[str, int]  # code → equipment id


class Orders:
    """Makes orders of one maker; numbers count up."""

    def __init__(self, world: World, maker: Maker) -> None:
        self.world, self.maker, self.count = world, maker, 0

    def add(
        self,
        *,
        due_at: datetime,
        created_at: datetime = T0,
        routing: Sequence[tuple[int, str, int]] = ROUTING,
        chosen: Sequence[str] = ("WHITE",),
        region: str = "shanghai",
        status: OrderStatus = OrderStatus.CONFIRMED,
    ) -> int:
        self.count += 1
        with self.world.database.session() as session, session.begin():
            order = ConsumerOrder(
                number=f"C2M-T{self.maker.maker_id}-{self.count:04d}", maker_id=self.maker.maker_id,
                consumer_id=self.maker.consumer_id, model_id=self.maker.model_id, chosen=sorted(chosen),
                price_cny=100000, region=region, status=status, due_at=due_at, created_at=created_at,
            )  # fmt: skip
            session.add(order)
            session.flush()
            session.add(OrderEvent(order_id=order.id, status=OrderStatus.CONFIRMED, at=created_at))
            for seq, kind, minutes in routing:
                session.add(OrderOperation(order_id=order.id, seq=seq, code=f"OP{seq}", kind=kind, minutes=minutes))
            return order.id


def build_maker(world: World, centres: Sequence[tuple[str, str, str]] = CENTRES) -> Maker:
    maker_id = world.organisation()
    consumer = world.user(Role.CONSUMER)
    with world.database.session() as session, session.begin():
        equipment: dict[str, int] = {}
        for code, kind, station in centres:
            row = Equipment(
                enterprise_id=maker_id, code=code, name=f"{kind} {code}", equipment_type=EquipmentType.OTHER
            )
            session.add(row)
            session.flush()
            equipment[code] = row.id
            session.add(WorkCentre(enterprise_id=maker_id, kind=kind, equipment_id=row.id, station=station))
        model = ProductModelRow(
            enterprise_id=maker_id, code="ZX-T", version=1, name="测试车型", status=ModelStatus.RELEASED,
            definition=model_definition(),
        )  # fmt: skip
        session.add(model)
        session.flush()
        return Maker(maker_id, consumer.user_id, model.id, equipment)


def ledger_span(
    world: World, maker: Maker, code: str, start: datetime, end: datetime, state: MachineryItemState
) -> None:
    with world.database.session() as session, session.begin():
        session.add(
            StateInterval(
                enterprise_id=maker.maker_id, equipment_id=maker.equipment[code], start_us=to_us(start),
                end_us=to_us(end), state=int(state), mode=0,
            )
        )  # fmt: skip


def operations_of(world: World, order_id: int) -> list[OrderOperation]:
    with world.database.session() as session:
        return list(
            session.scalars(
                select(OrderOperation).where(OrderOperation.order_id == order_id).order_by(OrderOperation.seq)
            )
        )


def order_row(world: World, order_id: int) -> ConsumerOrder:
    with world.database.session() as session:
        row = session.get(ConsumerOrder, order_id)
        assert row is not None
        return row


def events_of(world: World, order_id: int) -> list[tuple[str, str | None, datetime]]:
    with world.database.session() as session:
        rows = session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.at, OrderEvent.id)
        )
        return [(row.status.value, row.station, row.at) for row in rows]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)

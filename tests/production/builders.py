"""Builds an enterprise's production plans and a few ledger intervals through the services, for tests to act on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import World
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.production import plans, plans_orders, reasons
from zhizao.production.calendar import Break, DowntimeKind, Shift, WorkCalendar
from zhizao.production.models import StateInterval
from zhizao.production.schemas import (
    CalendarCreate,
    DowntimeCreate,
    EquipmentSettingUpdate,
    OperationCreate,
    OrderCreate,
    ProductCreate,
)
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.timeutil import to_us

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Tuesday 1 December 2026, an ordinary working day.
DAY = datetime(2026, 12, 1, tzinfo=SHANGHAI)


def two_shift_calendar() -> WorkCalendar:
    """08:00–16:00 with a lunch break 12:00–12:30, and 16:00–24:00; Monday to Friday, Chinese public holidays."""
    return WorkCalendar(
        shifts=(
            Shift(name="早班", start="08:00", end="16:00", breaks=(Break(start="12:00", end="12:30"),)),
            Shift(name="中班", start="16:00", end="24:00"),
        )
    )


@dataclass(frozen=True)
class Production:
    plant: Plant
    calendar_id: int
    downtime_id: int
    product_id: int
    operation_id: int
    order_id: int
    tree_id: int
    stop_id: int


def add_interval(
    database: Database,
    plant: Plant,
    start: datetime,
    end: datetime,
    state: MachineryItemState,
    mode: OperationMode = OperationMode.NONE,
    *,
    equipment_id: int | None = None,
) -> int:
    """One ledger interval, written as the ledger would write it."""
    with database.session() as session, session.begin():
        interval = StateInterval(
            enterprise_id=plant.enterprise_id,
            equipment_id=equipment_id or plant.equipment_id,
            start_us=to_us(start),
            end_us=to_us(end),
            state=int(state),
            mode=int(mode),
        )
        session.add(interval)
        session.flush()
        return interval.id


def build_production(world: World, plant: Plant | None = None) -> Production:
    """A plant with a calendar on its equipment, planned maintenance, a product made on the CNC, an order, the
    default reason tree and one breakdown in the morning shift."""
    plant = plant or build_plant(world)
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    enterprise = plant.enterprise_id
    with world.database.session() as session:
        calendar = plans.create_calendar(
            session, actor, CalendarCreate(enterprise_id=enterprise, name="两班制", definition=two_shift_calendar())
        )
        plans.assign_calendar_to_node(session, actor, plant.line_id, calendar.id)
        plans.update_setting(session, actor, plant.equipment_id, EquipmentSettingUpdate(micro_stop_s=60))
        downtime = plans.create_downtime(
            session,
            actor,
            DowntimeCreate(
                enterprise_id=enterprise,
                equipment_id=plant.equipment_id,
                start=DAY + timedelta(hours=14),
                end=DAY + timedelta(hours=15),
                kind=DowntimeKind.MAINTENANCE,
            ),
        )
        product = plans_orders.create_product(
            session, actor, ProductCreate(enterprise_id=enterprise, code="CYL-4A", name="缸体 4A")
        )
        operation = plans_orders.create_operation(
            session,
            actor,
            OperationCreate(product_id=product.id, equipment_id=plant.equipment_id, program="O4711", pru_ms=45_000),
        )
        order = plans_orders.create_order(
            session,
            actor,
            OrderCreate(
                enterprise_id=enterprise,
                order_no="MO-1",
                product_id=product.id,
                equipment_id=plant.equipment_id,
                quantity=480,
                planned_start=DAY + timedelta(hours=8),
                planned_end=DAY + timedelta(hours=16),
            ),
        )
        with session.begin():
            tree = reasons.ensure_current_tree(session, enterprise)
    stop = add_interval(
        world.database,
        plant,
        DAY + timedelta(hours=9),
        DAY + timedelta(hours=9, minutes=20),
        MachineryItemState.OUT_OF_SERVICE,
    )
    return Production(plant, calendar.id, downtime.id, product.id, operation.id, order.id, tree.id, stop)

"""A factory with two windows of telemetry totals and entered records, for programme-KPI verification tests.

The figures are those of the worked example in ``docs/programme-kpi.md``, spread over days and months as the sync
job and an Excel import would store them. By hand: products A (PRU 60 s) and B (PRU 120 s) give r̄ = 75 s, so
w_A = 0.8 and w_B = 1.6; EU 800 → 960 over 1000 labour hours each: productivity 0.8 → 0.96, +20 % (meets).
Costs at baseline prices 100 000 → 100 000 CNY: 125 → 104.1666… CNY/EU, −16.67 % (does not meet).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.conftest import World
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.production.models import BucketKind, BucketTotals, DailyOutput, Operation, Product
from zhizao.production.programme_inputs import CostCategory, CostLine, Delivery, EnteredRecords, LabourMonth
from zhizao.production.programme_service import DateWindow
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import EquipmentType, SignalKind
from zhizao.telemetry.machinery import ENERGY_COUNTER
from zhizao.telemetry.schemas import SignalCreate
from zhizao.ui.spreadsheet import XLSX_MEDIA_TYPE

BASELINE = DateWindow(date(2025, 1, 1), date(2025, 3, 31))  # 90 days
EVALUATION = DateWindow(date(2025, 4, 1), date(2025, 6, 30))  # 91 days
WINDOWS = {
    "baseline_start": "2025-01-01",
    "baseline_end": "2025-03-31",
    "evaluation_start": "2025-04-01",
    "evaluation_end": "2025-06-30",
}

# (day, product, good, scrap, rework) as DailyOutput rows; energy on the "" rows.
OUTPUT = [
    (date(2025, 1, 10), "A", 300, 10, 5),
    (date(2025, 2, 10), "A", 300, 20, 5),
    (date(2025, 3, 10), "B", 200, 10, 0),
    (date(2025, 4, 10), "A", 300, 5, 5),
    (date(2025, 5, 10), "B", 200, 5, 0),
    (date(2025, 6, 10), "B", 250, 0, 0),
]
ENERGY = [
    (date(2025, 1, 2), "5000"),
    (date(2025, 3, 30), "7000"),
    (date(2025, 4, 2), "5500"),
    (date(2025, 6, 3), "5500"),
]


def actor_of(world: World, role: Role, organisation_id: int | None = None) -> Principal:
    account = world.user(role, organisation_id)
    return Principal(account.user_id, account.username, account.username, role, account.organisation_id)


@dataclass(frozen=True)
class Factory:
    plant: Plant
    admin: Principal

    @property
    def enterprise_id(self) -> int:
        return self.plant.enterprise_id


def build_factory(world: World, *, output: bool = True) -> Factory:
    """A plant whose CNC machine has a state and an energy signal, products A and B with their operations, and
    (unless ``output`` is false) both windows' output and energy and a day total for every day."""
    plant = build_plant(world)
    admin = actor_of(world, Role.ADMIN)
    with world.database.session() as session:
        devices.create_signal(
            session, admin, SignalCreate(device_id=plant.device_id, name=ENERGY_COUNTER, kind=SignalKind.COUNTER)
        )
    with world.database.session() as session, session.begin():
        a = Product(enterprise_id=plant.enterprise_id, code="A", name="缸体 A")
        b = Product(enterprise_id=plant.enterprise_id, code="B", name="缸盖 B")
        session.add_all([a, b])
        session.flush()
        session.add_all(
            [
                # A: the machine-specific PRU is shorter; the product's standard is its general operation.
                Operation(enterprise_id=plant.enterprise_id, product_id=a.id, equipment_id=plant.equipment_id,
                          pru_ms=45_000),
                Operation(enterprise_id=plant.enterprise_id, product_id=a.id, pru_ms=60_000),
                # B: only machine-specific and type-level operations; the type level is the more general.
                Operation(enterprise_id=plant.enterprise_id, product_id=b.id, equipment_id=plant.equipment_id,
                          pru_ms=100_000),
                Operation(enterprise_id=plant.enterprise_id, product_id=b.id,
                          equipment_type=EquipmentType.CNC_MACHINE_TOOL, pru_ms=120_000),
            ]
        )  # fmt: skip
    factory = Factory(plant, admin)
    if output:
        add_output(world.database, factory)
        add_reporting_days(world.database, plant, BASELINE)
        add_reporting_days(world.database, plant, EVALUATION)
    return factory


def add_output(database: Database, factory: Factory) -> None:
    plant = factory.plant
    with database.session() as session, session.begin():
        for day, product, good, scrap, rework in OUTPUT:
            session.add(
                DailyOutput(equipment_id=plant.equipment_id, local_date=day, product_code=product,
                            enterprise_id=plant.enterprise_id, good=good, scrap=scrap, rework=rework)
            )  # fmt: skip
        for day, kwh in ENERGY:
            session.add(
                DailyOutput(equipment_id=plant.equipment_id, local_date=day, product_code="",
                            enterprise_id=plant.enterprise_id, energy_kwh=Decimal(kwh))
            )  # fmt: skip


def add_daily_output(
    database: Database, plant: Plant, day: date, product: str, good: int, scrap: int = 0, rework: int = 0
) -> None:
    with database.session() as session, session.begin():
        session.add(
            DailyOutput(equipment_id=plant.equipment_id, local_date=day, product_code=product,
                        enterprise_id=plant.enterprise_id, good=good, scrap=scrap, rework=rework)
        )  # fmt: skip


def add_reporting_days(
    database: Database, plant: Plant, window: DateWindow, *, skip_every: int = 0, equipment_id: int | None = None
) -> int:
    """A day total of the CNC (or ``equipment_id``) for each day of the window, leaving out every ``skip_every``-th
    day when given; returns the number of days written."""
    written = 0
    with database.session() as session, session.begin():
        for offset in range(window.days):
            if skip_every and offset % skip_every == 0:
                continue
            day = window.start + timedelta(days=offset)
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            session.add(
                BucketTotals(equipment_id=equipment_id or plant.equipment_id, kind=BucketKind.DAY,
                             start_us=int(midnight.timestamp()) * 1_000_000, enterprise_id=plant.enterprise_id,
                             local_date=day)
            )  # fmt: skip
            written += 1
    return written


def entered_records(*, skip_labour: str | None = None) -> EnteredRecords:
    """Labour 1000 h per window, materials and energy costs per month, two deliveries per window."""
    labour = {"2025-01": "300", "2025-02": "300", "2025-03": "400", "2025-04": "330", "2025-05": "330"}
    labour["2025-06"] = "340"
    materials = {"2025-01": ("26000", "100"), "2025-02": ("27000", "100"), "2025-03": ("27000", "100")}
    materials |= {"2025-04": ("29000", "110"), "2025-05": ("29000", "110"), "2025-06": ("30000", "110")}
    energy = {"2025-01": ("6000", "100"), "2025-02": ("7000", "100"), "2025-03": ("7000", "100")}
    energy |= dict.fromkeys(("2025-04", "2025-05", "2025-06"), ("7000", "105"))
    costs = [
        CostLine(category=category, amount=Decimal(amount), price_index=Decimal(index), month=month)
        for category, table in ((CostCategory.MATERIALS, materials), (CostCategory.ENERGY, energy))
        for month, (amount, index) in table.items()
    ]
    deliveries = [
        Delivery(order_id="SO-1", product="A", quantity=100, order_date=date(2025, 1, 5),
                 delivery_date=date(2025, 1, 15)),
        Delivery(order_id="SO-2", product="B", quantity=50, order_date=date(2025, 2, 1),
                 delivery_date=date(2025, 2, 9)),
        Delivery(order_id="SO-3", product="A", quantity=80, order_date=date(2025, 4, 1),
                 delivery_date=date(2025, 4, 6)),
        Delivery(order_id="SO-4", product="B", quantity=60, order_date=date(2025, 5, 1),
                 delivery_date=date(2025, 5, 7)),
    ]  # fmt: skip
    return EnteredRecords(
        labour=tuple(LabourMonth(month=m, hours=Decimal(h)) for m, h in labour.items() if m != skip_labour),
        costs=tuple(costs),
        deliveries=tuple(deliveries),
    )


# --- the Excel template filled in as an enterprise would (the same figures as `entered_records`) -------------

LABOUR = [("2025-01", 300), ("2025-02", 300), ("2025-03", 400), ("2025-04", 330), ("2025-05", 330), ("2025-06", 340)]
COSTS = [
    *[(month, "材料", amount, 100) for month, amount in (("2025-01", 26000), ("2025-02", 27000), ("2025-03", 27000))],
    *[(month, "能源", amount, 100) for month, amount in (("2025-01", 6000), ("2025-02", 7000), ("2025-03", 7000))],
    *[(month, "materials", amount, 110) for month, amount in (("2025-04", 29000), ("2025-05", 29000))],
    ("2025-06", "materials", 30000, 110),
    *[(month, "energy", 7000, 105) for month in ("2025-04", "2025-05", "2025-06")],
]
DELIVERIES = [
    ("SO-1", "A", 100, "2025-01-05", "2025-01-15"),
    ("SO-2", "B", 50, "2025/2/1", "2025年2月9日"),
    ("SO-3", "A", 80, "2025-04-01", "2025-04-06"),
    ("SO-4", "B", 60, "2025-05-01", "2025-05-07"),
]


def workbook(template: bytes, sheets: dict[str, list[tuple[Any, ...]]]) -> bytes:
    """The downloaded template with ``rows`` appended under the headers of each named sheet."""
    book = load_workbook(io.BytesIO(template))
    for title, rows in sheets.items():
        for row in rows:
            book[title].append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filled(client: TestClient, headers: dict[str, str]) -> bytes:
    template = client.get("/api/production/programme/template", headers=headers)
    assert template.status_code == 200
    assert template.headers["content-type"] == XLSX_MEDIA_TYPE
    return workbook(template.content, {"工时": LABOUR, "成本": COSTS, "交付": DELIVERIES})

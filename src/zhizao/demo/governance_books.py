"""KPI verifications of the demo programme's accepted factories, computed by production's own
``programme_service.run_verification`` from telemetry-side totals and the enterprise's entered books.

Only the demo enterprise has a simulated factory. For the others this module builds one production line through
the telemetry asset services (site, area, line, one machine with its gateway and signals) and the product master
through production's services (one product with its planned run time per unit), enters the books through
``programme_records.replace_entered_records``, and writes the telemetry-side daily totals **directly at the
materialised level** — ``DailyOutput`` (good, scrap, rework and kWh per day) and ``BucketTotals`` (the day's time
model, which is what telemetry coverage is counted from) — as the production sync job would have stored them.
Those totals are synthetic: no raw samples lie beneath them.

The figures are chosen so that the verification finds the plan's gains: the same crew and hours before and after,
output per day up by the productivity gain, and operating cost per good unit (labour, consumables, energy at the
industrial tariff, maintenance, overheads; evaluation prices up 2.5 %, removed by the price index) down by the cost
reduction. Windows are the third quarter of the year applied in (baseline) and of the next year (evaluation).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.demo.governance_plan import DemoProject
from zhizao.production import plans_orders, programme_records, programme_service
from zhizao.production.models import BucketKind, BucketTotals, DailyOutput
from zhizao.production.programme_inputs import CostCategory, CostLine, Delivery, EnteredRecords, LabourMonth
from zhizao.production.schemas import OperationCreate, ProductCreate
from zhizao.programme.kinds import Industry
from zhizao.telemetry import assets, devices
from zhizao.telemetry.kinds import DataType, EquipmentType, NodeLevel, Protocol, SignalKind
from zhizao.telemetry.machinery import ENERGY_COUNTER, GOOD_COUNTER, STATE_SIGNAL
from zhizao.telemetry.schemas import DeviceCreate, EquipmentCreate, NodeCreate, SignalCreate

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
PLANNED_US = 22 * HOUR_US + HOUR_US // 2  # three shifts less their breaks
PLANNED_DOWN_US = HOUR_US // 2  # changeovers and planned maintenance
SPEED = Decimal("0.93")  # the share of production time running at the planned rate
WAGE_CNY_PER_HOUR = Decimal("62")
TARIFF_CNY_PER_KWH = Decimal("0.82")
EVALUATION_PRICES = Decimal("102.5")  # baseline prices = 100
# Baseline operating cost by category, as shares of the whole.
LABOUR_SHARE, MATERIALS_SHARE, ENERGY_SHARE, MAINTENANCE_SHARE = (Decimal(s) for s in ("0.40", "0.12", "0.08", "0.20"))
SCRAP = {False: Decimal("0.025"), True: Decimal("0.012")}  # of good units: conventional, smart
REWORK = {False: Decimal("0.010"), True: Decimal("0.005")}
ENERGY_PER_UNIT_SAVED = Decimal("0.12")
MATERIALS_PER_UNIT_SAVED = Decimal("0.03")
LEAD_DAYS = {False: (8, 12), True: (5, 8)}  # order-to-delivery days: conventional, smart
CENT, KWH = Decimal("0.01"), Decimal("0.001")


@dataclass(frozen=True, slots=True)
class LineSpec:
    """The production line an industry's demo factory runs: where, on what machine, making what, how fast."""

    area: str
    line: str
    machine: str
    equipment_type: EquipmentType
    product_code: str
    product_name: str
    pru_s: int  # planned run time per unit, seconds


LINES: dict[Industry, LineSpec] = {
    Industry.AUTOMOTIVE: LineSpec("机加工车间", "壳体加工线", "卧式加工中心", EquipmentType.CNC_MACHINE_TOOL,
                                  "HSG-210", "变速箱壳体", 48),
    Industry.ELECTRONICS: LineSpec("SMT 车间", "SMT 贴片线", "贴片机", EquipmentType.OTHER, "PCBA-A1",
                                   "控制板组件", 9),
    Industry.HIGH_END_EQUIPMENT: LineSpec("精加工车间", "关键件加工线", "五轴加工中心",
                                          EquipmentType.CNC_MACHINE_TOOL, "JG-305", "精密结构件", 60),
    Industry.BIOMEDICINE: LineSpec("固体制剂车间", "泡罩包装线", "泡罩包装机", EquipmentType.PACKAGING_MACHINE,
                                   "BL-10", "片剂泡罩板", 2),
    Industry.AEROSPACE: LineSpec("结构件车间", "框梁加工线", "龙门加工中心", EquipmentType.CNC_MACHINE_TOOL,
                                 "KL-07", "机身框梁件", 75),
    Industry.CHEMICALS_MATERIALS: LineSpec("灌装车间", "桶装灌装线", "自动灌装机", EquipmentType.PACKAGING_MACHINE,
                                           "TZ-20", "20 L 桶装涂料", 20),
    Industry.FMCG_ENVIRONMENTAL: LineSpec("成品车间", "成品包装线", "装盒机", EquipmentType.PACKAGING_MACHINE,
                                          "CP-01", "成品装盒", 3),
}  # fmt: skip


def windows(applied_year: int) -> tuple[programme_service.DateWindow, programme_service.DateWindow]:
    """The third quarter of the year applied in, and of the next (matched seasons)."""
    return (
        programme_service.DateWindow(date(applied_year, 7, 1), date(applied_year, 9, 30)),
        programme_service.DateWindow(date(applied_year + 1, 7, 1), date(applied_year + 1, 9, 30)),
    )


def _days(window: programme_service.DateWindow) -> list[date]:
    return [window.start + timedelta(days=offset) for offset in range(window.days)]


def _midnight_us(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_US - 8 * HOUR_US  # Asia/Shanghai: UTC+8


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One day of one window: units by quality, energy, and the day's costs at baseline prices by category."""

    good: int
    scrap: int
    rework: int
    kwh: Decimal
    costs: dict[CostCategory, Decimal]

    @property
    def produced(self) -> int:
        return self.good + self.scrap + self.rework


def day_figures(project: DemoProject, labour_hours: Decimal) -> tuple[DayFigures, DayFigures]:
    """A baseline and an evaluation day whose ratios are the plan's productivity gain and cost reduction."""
    spec = LINES[project.industry]
    performance = Decimal(45 + zlib.crc32(project.name.encode()) % 15) / 100  # PRU·PQ / planned time
    produced = int(performance * PLANNED_US / 1_000_000 / spec.pru_s)
    good0 = int(produced / (1 + SCRAP[False] + REWORK[False]))
    gain = 1 + project.productivity_gain_pct / 100
    good1 = int((good0 * gain).to_integral_value())
    growth = Decimal(good1) / good0
    labour = labour_hours * WAGE_CNY_PER_HOUR
    cost0 = labour / LABOUR_SHARE
    kwh0 = cost0 * ENERGY_SHARE / TARIFF_CNY_PER_KWH
    kwh1 = kwh0 * growth * (1 - ENERGY_PER_UNIT_SAVED)
    materials1 = cost0 * MATERIALS_SHARE * growth * (1 - MATERIALS_PER_UNIT_SAVED)
    cost1 = cost0 * growth * (1 - project.cost_reduction_pct / 100)
    rest = cost1 - labour - materials1 - kwh1 * TARIFF_CNY_PER_KWH
    assert rest > 0, f"{project.name}: the cost reduction leaves nothing for maintenance and overheads"
    baseline = {
        CostCategory.LABOUR: labour,
        CostCategory.MATERIALS: cost0 * MATERIALS_SHARE,
        CostCategory.ENERGY: kwh0 * TARIFF_CNY_PER_KWH,
        CostCategory.MAINTENANCE: cost0 * MAINTENANCE_SHARE,
        CostCategory.OTHER: cost0 * (1 - LABOUR_SHARE - MATERIALS_SHARE - ENERGY_SHARE - MAINTENANCE_SHARE),
    }
    evaluation = {
        CostCategory.LABOUR: labour,
        CostCategory.MATERIALS: materials1,
        CostCategory.ENERGY: kwh1 * TARIFF_CNY_PER_KWH,
        CostCategory.MAINTENANCE: rest * Decimal("0.45"),
        CostCategory.OTHER: rest * Decimal("0.55"),
    }
    return (
        DayFigures(good0, _share(good0, SCRAP[False]), _share(good0, REWORK[False]), kwh0.quantize(KWH), baseline),
        DayFigures(good1, _share(good1, SCRAP[True]), _share(good1, REWORK[True]), kwh1.quantize(KWH), evaluation),
    )


def _share(units: int, share: Decimal) -> int:
    return int((units * share).to_integral_value())


def build_line(session: Session, admin: Principal, enterprise_id: int, industry: Industry) -> int:
    """The enterprise's site, workshop, line and machine with its gateway and signals, and the product it makes
    with its planned run time per unit, all through the services; returns the machine's equipment id."""
    spec = LINES[industry]
    node = None
    for level, code, name in ((NodeLevel.SITE, "S1", "一厂"), (NodeLevel.AREA, "A1", spec.area),
                              (NodeLevel.LINE, "L1", spec.line)):  # fmt: skip
        data = NodeCreate(enterprise_id=enterprise_id, parent_id=node, level=level, code=code, name=name)
        node = assets.create_node(_fresh(session), admin, data).id
    equipment = EquipmentCreate(
        enterprise_id=enterprise_id, node_id=node, code="L1-01", name=spec.machine, equipment_type=spec.equipment_type
    )
    equipment_id = assets.create_equipment(_fresh(session), admin, equipment).id
    device = DeviceCreate(
        enterprise_id=enterprise_id, equipment_id=equipment_id, code="GW-L1-01", name=f"{spec.machine}网关",
        protocol=Protocol.OPCUA,
    )  # fmt: skip
    device_id = devices.create_device(_fresh(session), admin, device).id
    for name, kind, data_type, unit in (
        (STATE_SIGNAL, SignalKind.STATE, DataType.INT, None),
        (GOOD_COUNTER, SignalKind.COUNTER, DataType.INT, "pcs"),
        (ENERGY_COUNTER, SignalKind.COUNTER, DataType.FLOAT, "kWh"),
    ):
        signal = SignalCreate(device_id=device_id, name=name, kind=kind, data_type=data_type, unit=unit)
        devices.create_signal(_fresh(session), admin, signal)
    product = ProductCreate(enterprise_id=enterprise_id, code=spec.product_code, name=spec.product_name)
    product_id = plans_orders.create_product(_fresh(session), admin, product).id
    operation = OperationCreate(product_id=product_id, equipment_type=spec.equipment_type, pru_ms=spec.pru_s * 1000)
    plans_orders.create_operation(_fresh(session), admin, operation)
    return equipment_id


def _fresh(session: Session) -> Session:
    """The session with no transaction open: each service begins its own."""
    session.rollback()
    return session


def write_totals(
    session: Session, enterprise_id: int, equipment_id: int, project: DemoProject, figures: tuple[DayFigures, ...]
) -> None:
    """The synthetic daily totals of both windows, at the level the production sync job materialises them."""
    pru_us = LINES[project.industry].pru_s * 1_000_000
    product = LINES[project.industry].product_code
    outputs, buckets = [], []
    for window, day in zip(windows(project.applied_year), figures, strict=True):
        apt = min(int(Decimal(day.produced * pru_us) / SPEED), PLANNED_US - PLANNED_DOWN_US)
        lost = PLANNED_US - PLANNED_DOWN_US - apt
        for local_date in _days(window):
            outputs.append(
                {"equipment_id": equipment_id, "local_date": local_date, "product_code": product,
                 "enterprise_id": enterprise_id, "good": day.good, "scrap": day.scrap, "rework": day.rework,
                 "energy_kwh": day.kwh}
            )  # fmt: skip
            buckets.append(
                {"equipment_id": equipment_id, "kind": BucketKind.DAY, "local_date": local_date, "label": "",
                 "start_us": _midnight_us(local_date), "enterprise_id": enterprise_id, "calendar_us": DAY_US,
                 "pot_us": PLANNED_US, "pdot_us": PLANNED_DOWN_US, "apt_us": apt, "aust_us": 0,
                 "adet_us": lost * 6 // 10, "micro_us": lost // 5, "adot_us": lost - lost * 6 // 10, "unknown_us": 0,
                 "pq": day.produced, "gq": day.good, "sq": day.scrap, "rq": day.rework,
                 "pru_pq_us": pru_us * day.produced, "pru_gq_us": pru_us * day.good,
                 "failures": 1 if day is figures[0] else 0, "unknown_pru_pq": 0}
            )  # fmt: skip
    with _fresh(session).begin():
        session.execute(insert(DailyOutput), outputs)
        session.execute(insert(BucketTotals), buckets)


def _month_days(window: programme_service.DateWindow) -> dict[str, int]:
    counted: dict[str, int] = {}
    for day in _days(window):
        key = f"{day.year:04d}-{day.month:02d}"
        counted[key] = counted.get(key, 0) + 1
    return counted


def entered_books(project: DemoProject, labour_hours: Decimal, figures: tuple[DayFigures, ...]) -> EnteredRecords:
    """Monthly labour hours and costs (nominal, with their price index) and the orders delivered in each window."""
    labour, costs, deliveries = [], [], []
    product = LINES[project.industry].product_code
    for smart, (window, day) in enumerate(zip(windows(project.applied_year), figures, strict=True)):
        index = EVALUATION_PRICES if smart else Decimal(100)
        for month, days in _month_days(window).items():
            labour.append(LabourMonth(month=month, hours=labour_hours * days))
            costs += [
                CostLine(category=category, amount=(amount * days * index / 100).quantize(CENT), price_index=index,
                         month=month)
                for category, amount in day.costs.items()
            ]  # fmt: skip
        shortest, longest = LEAD_DAYS[bool(smart)]
        for number, offset in enumerate(range(0, window.days, 4), start=1):
            ordered = window.start + timedelta(days=offset)
            delivered = ordered + timedelta(days=shortest + (offset // 4) % (longest - shortest + 1))
            if delivered <= window.end:
                deliveries.append(
                    Delivery(order_id=f"SO-{ordered:%Y%m%d}-{number:02d}", product=product,
                             quantity=day.good * 2, order_date=ordered, delivery_date=delivered)
                )  # fmt: skip
    return EnteredRecords(labour=tuple(labour), costs=tuple(costs), deliveries=tuple(deliveries))


def verify_project(
    session: Session, admin: Principal, officer: Principal, enterprise_id: int, project: DemoProject
) -> int:
    """Build the enterprise's line, its totals and books, and run the product's verification; returns its id."""
    equipment_id = build_line(session, admin, enterprise_id, project.industry)
    labour_hours = Decimal(max(24, project.employees // 20) * 8)  # the line's crew, three shifts
    figures = day_figures(project, labour_hours)
    write_totals(session, enterprise_id, equipment_id, project, figures)
    books = entered_books(project, labour_hours, figures)
    programme_records.replace_entered_records(_fresh(session), admin, enterprise_id, books)
    baseline, evaluation = windows(project.applied_year)
    stored = programme_service.run_verification(_fresh(session), officer, enterprise_id, baseline, evaluation)
    return stored.id

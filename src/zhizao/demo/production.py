"""Demo seeders: the virtual factory's production plans, and six months of its production history before and after
its smart upgrade.

The factory ran conventionally for the first three months and as a smart factory for the last three (the
simulator's ``upgrade_at_ms``). The history goes straight into the telemetry store (production signals only,
reported every ten minutes, as a polled PLC would), the production sync builds the state ledger and the OEE
totals from it, and the plant's calendar, products and planned run times come from the simulator's programs. The
live simulation of ``zhizao demo`` continues where the history ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.demo.programme import seed_programme
from zhizao.production import jobs, plans, plans_orders, reasons
from zhizao.production.calendar import HolidayRegion, Shift, WorkCalendar
from zhizao.production.programme import DEFAULT, VerificationRules
from zhizao.production.schemas import (
    CalendarCreate,
    EquipmentSettingUpdate,
    OperationCreate,
    ProductCreate,
)
from zhizao.seeding import DEMO_WINDOW_MONTHS, SeedReport
from zhizao.settings import Settings
from zhizao.simulator.catalogue import PROFILES, Reading
from zhizao.simulator.model import PRODUCTION_SIGNALS, FactoryRun, with_reporting
from zhizao.simulator.seed import demo_enterprise_id, demo_factory
from zhizao.telemetry.kinds import DataType, NodeLevel
from zhizao.telemetry.models import AssetNode, Device, Equipment, Signal
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore, TextPoint
from zhizao.telemetry.store.factory import open_store

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
WINDOW_MONTHS = DEMO_WINDOW_MONTHS
LIVE_HISTORY_MS = 2 * HOUR_MS  # ``zhizao demo`` publishes the last two hours live (DemoOptions.history_hours)
REPORTING_MS = 10 * 60_000
WRITE_BATCH = 50_000
SEED = 2020
MICRO_STOP_S = 300

PRODUCT_NAMES = {
    "O1001": "缸体粗加工",
    "O1002": "缸体精加工",
    "O2001": "缸盖加工",
    "PICK_PLACE_A": "上下料（缸体）",
    "PALLETIZE_B": "码垛（缸盖）",
    "CARTON_12": "12 件装箱",
    "CARTON_24": "24 件装箱",
}


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """The demo's history: a conventional baseline window, then the upgrade, then the smart-factory evaluation
    window, both whole local days (Asia/Shanghai: UTC+8, no daylight saving); the history runs on to ``end_ms``."""

    baseline: tuple[date, date]
    evaluation: tuple[date, date]
    end_ms: int

    @classmethod
    def monthly(cls, end_ms: int, months: int = WINDOW_MONTHS) -> HistoryPlan:
        """The last ``months`` whole calendar months before ``end_ms`` after the upgrade, as many before it: the
        enterprise's labour hours and costs are booked per month, so the windows are whole months."""
        this_month = _local_day(end_ms).replace(day=1)
        upgrade = _add_months(this_month, -months)
        start = _add_months(upgrade, -months)
        return cls((start, upgrade - timedelta(days=1)), (upgrade, this_month - timedelta(days=1)), end_ms)

    @classmethod
    def daily(cls, end_ms: int, days: int) -> HistoryPlan:
        """``days`` whole days after the upgrade ending the day before ``end_ms``, as many before it (tests)."""
        today = _local_day(end_ms)
        upgrade = today - timedelta(days=days)
        return cls(
            (upgrade - timedelta(days=days), upgrade - timedelta(days=1)), (upgrade, today - timedelta(days=1)), end_ms
        )

    @property
    def start_ms(self) -> int:
        return _midnight_ms(self.baseline[0])

    @property
    def upgrade_ms(self) -> int:
        return _midnight_ms(self.evaluation[0])


def _local_day(ms: int) -> date:
    return date(1970, 1, 1) + timedelta(days=(ms + 8 * HOUR_MS) // DAY_MS)


def _midnight_ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_MS - 8 * HOUR_MS


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _hh_mm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _admin(session: Session) -> Principal:
    admin = session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    assert admin is not None, "accounts are seeded first"
    actor = principal_of(admin)
    session.rollback()
    return actor


def _plans(session: Session, actor: Principal, enterprise_id: int) -> int:
    """The three-shift calendar, the micro-stop threshold, products and planned run times; returns products."""
    spec = demo_factory()
    shifts = [
        Shift(name=shift.name, start=_hh_mm(shift.start_minute), end=_hh_mm(shift.end_minute))
        for shift in spec.calendar.shifts
    ]
    calendar = plans.create_calendar(
        session,
        actor,
        CalendarCreate(
            enterprise_id=enterprise_id,
            name="三班连续生产",
            definition=WorkCalendar(
                shifts=tuple(shifts), weekdays=frozenset(range(7)), public_holidays=HolidayRegion.NONE
            ),
        ),
    )
    calendar_id = calendar.id
    site_id = session.scalar(
        select(AssetNode.id).where(AssetNode.enterprise_id == enterprise_id, AssetNode.level == NodeLevel.SITE)
    )
    equipment_ids = list(session.scalars(select(Equipment.id).where(Equipment.enterprise_id == enterprise_id)))
    session.rollback()  # the services below each run their own transaction
    assert site_id is not None, "the virtual factory's plant is seeded first"
    plans.assign_calendar_to_node(session, actor, site_id, calendar_id)
    for equipment_id in equipment_ids:
        plans.update_setting(session, actor, equipment_id, EquipmentSettingUpdate(micro_stop_s=MICRO_STOP_S))
    count = 0
    for equipment_type, profile in PROFILES.items():
        for program in profile.programs:
            product = plans_orders.create_product(
                session,
                actor,
                ProductCreate(
                    enterprise_id=enterprise_id, code=program.name, name=PRODUCT_NAMES.get(program.name, program.name)
                ),
            )
            product_id = product.id
            session.rollback()
            # The planned run time per unit is the program's ideal cycle time shared by the parts it makes.
            plans_orders.create_operation(
                session,
                actor,
                OperationCreate(
                    product_id=product_id,
                    equipment_type=equipment_type,
                    program=program.name,
                    pru_ms=max(1, program.cycle_ms // program.parts_per_cycle),
                ),
            )
            session.rollback()
            count += 1
    with session.begin():
        reasons.ensure_current_tree(session, enterprise_id)
    return count


def _signal_ids(session: Session, enterprise_id: int) -> dict[tuple[str, str], tuple[int, bool]]:
    """(device code, signal name) → (signal id, whether it is text)."""
    rows = session.execute(
        select(Device.code, Signal.name, Signal.id, Signal.data_type)
        .join(Signal, Signal.device_id == Device.id)
        .where(Device.enterprise_id == enterprise_id, Signal.name.in_(PRODUCTION_SIGNALS))
    ).all()
    session.rollback()
    return {(code, name): (signal_id, data_type == DataType.STRING) for code, name, signal_id, data_type in rows}


def write_history(store: TelemetryStore, signals: dict[tuple[str, str], tuple[int, bool]], plan: HistoryPlan) -> int:
    """The production signals of the whole history, written in batches; returns the samples written."""
    spec = with_reporting(demo_factory().model_copy(update={"upgrade_at_ms": plan.upgrade_ms}), period_ms=REPORTING_MS)
    run = FactoryRun(spec, seed=SEED, start_ms=plan.start_ms, signals=PRODUCTION_SIGNALS)
    store.prepare(plan.start_ms * 1000)
    written = 0
    points: list[Point] = []
    texts: list[TextPoint] = []
    for readings in run.chunks(plan.end_ms):
        for reading in readings:
            _append(reading, signals, points, texts)
        if len(points) + len(texts) >= WRITE_BATCH:
            written += store.write(Batch(points=points, texts=texts)).inserted
            points, texts = [], []
    written += store.write(Batch(points=points, texts=texts)).inserted
    return written


def _append(
    reading: Reading, signals: dict[tuple[str, str], tuple[int, bool]], points: list[Point], texts: list[TextPoint]
) -> None:
    found = signals.get((reading.device_code, reading.signal))
    if found is None:
        return
    signal_id, is_text = found
    if is_text:
        texts.append(TextPoint(signal_id, reading.ts_ms * 1000, str(reading.value)))
    else:
        points.append(Point(signal_id, reading.ts_ms * 1000, float(reading.value)))


def seed(database: Database, settings: Settings) -> SeedReport:
    """The plant's calendar, micro-stop threshold, products, planned run times and downtime reasons (fast)."""
    enterprise_id = demo_enterprise_id(database)
    with database.session() as session:
        actor = _admin(session)
        products = _plans(session, actor, enterprise_id)
    return SeedReport(
        title="Production plans (virtual factory)",
        headers=("calendar", "micro-stop threshold", "products with planned run times"),
        rows=[("三班连续生产", f"{MICRO_STOP_S} s", str(products))],
    )


def seed_history(database: Database, plan: HistoryPlan, rules: VerificationRules | None = DEFAULT) -> SeedReport:
    """Write the production history ending at ``end_ms`` and build the ledger and totals from it (minutes:
    ``zhizao demo`` runs it in the background while the web UI is already up)."""
    enterprise_id = demo_enterprise_id(database)
    began = time.monotonic()
    with database.session() as session:
        signals = _signal_ids(session, enterprise_id)
    store = open_store(database)
    try:
        samples = write_history(store, signals, plan)
        summary = jobs.sync_all(database, store, now_us=plan.end_ms * 1000, enterprise_id=enterprise_id)
    finally:
        store.close()
    verdicts: list[tuple[str, str]] = []
    if rules is not None:
        with database.session() as session:
            actor = _admin(session)
            verdicts = seed_programme(session, actor, enterprise_id, plan.baseline, plan.evaluation, rules)
    baseline, evaluation = plan.baseline, plan.evaluation
    return SeedReport(
        title="Production history (virtual factory)",
        headers=("what", "figure"),
        rows=[
            ("baseline (conventional)", f"{baseline[0]} – {baseline[1]}"),
            ("evaluation (smart factory)", f"{evaluation[0]} – {evaluation[1]}"),
            ("samples of production signals", f"{samples:,}"),
            ("state intervals", f"{summary.intervals:,}"),
            *((f"verified {kpi}", verdict) for kpi, verdict in verdicts),
            ("seconds", f"{time.monotonic() - began:.0f}"),
        ],
    )

"""Demo seeder: the maintenance story — the connected cell's healthy history with a health baseline per machine,
preventive plans, a maintenance technician and a few past repairs.

The cell's run (``connected.cell_run``) starts ``connected.HISTORY_MS`` before the demo. Its first hours, in which
both machines are healthy, are written to the store as their connectors would have stored them (OPC UA: every
sample at its source time, the program name as text; Modbus TCP: the numeric registers), and a health baseline
is learnt from them and deployed for each machine. ``zhizao demo`` then serves the same run from where this
history ends (``runtime.cell_servers``), so the live data follows without a gap: L3-CNC-01 starts to wear a
quarter of an hour in, its health drops and a case opens with a recommended action; after its failure and repair
it is normal again. The MQTT lines get two preventive plans (by calendar, by operating hours) and three verified
corrective orders with ISO 14224 codes and spare parts, so the work-order and reliability pages have content.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from zhizao.accounts import service as accounts_service
from zhizao.accounts.auth import principal_of
from zhizao.accounts.demo import DemoUser
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.accounts.schemas import UserCreate
from zhizao.db.engine import Database
from zhizao.demo import connected
from zhizao.maintenance.health import learn
from zhizao.maintenance.health.schemas import BaselineLearn
from zhizao.maintenance.workorders import plans, service, transitions
from zhizao.maintenance.workorders.lifecycle import Action
from zhizao.maintenance.workorders.schedule import CalendarUnit, Trigger
from zhizao.maintenance.workorders.schemas import (
    PartCreate,
    PlanCreate,
    TransitionIn,
    WorkOrderCreate,
    WorkOrderUpdate,
)
from zhizao.maintenance.workorders.types import OrderKind
from zhizao.seeding import SeedReport
from zhizao.settings import Settings
from zhizao.simulator.catalogue import Reading
from zhizao.simulator.seed import demo_enterprise_id
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore, TextPoint
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import from_us

DAY_US = 86_400_000_000
BATCH = 20_000
# Machine-level signals that do not depend on the NC program: the spindle's speed and load change with every
# changeover, so a baseline that included them would flag each new program as a fault.
BASELINE_SIGNALS = ["vibration_rms_mm_s", "temperature_c", "power_kw"]
TECHNICIAN = DemoUser("technician", "王师傅（设备维修）", Role.ENTERPRISE, "enterprise")
CELL = (connected.OPCUA_MACHINE, connected.MODBUS_MACHINE)


@dataclass(frozen=True)
class PastRepair:
    equipment: str
    title: str
    days_ago: int
    hours: float
    failure_mode: str
    cause: str
    remedy: str
    parts: tuple[tuple[str, str, str, str], ...]  # part number, name, quantity, unit cost (CNY)


PAST_REPAIRS = (
    PastRepair("L1-CNC-02", "主轴振动超标，更换主轴前轴承", 19, 5.5, "VIB", "3.4", "1",
               (("NSK-7014CTYNSULP4", "主轴角接触球轴承", "2", "1860.00"),
                ("KLUBER-NBU15", "主轴润滑脂 100g", "1", "320.00"))),
    PastRepair("L1-ROB-01", "第二轴减速机异响，更换减速机", 11, 7.0, "NOI", "3.4", "1",
               (("RV-40E-121", "RV 减速机", "1", "12800.00"),)),
    PastRepair("L2-PKG-01", "封口夹爪驱动过热停机，修理驱动并更换同步带", 4, 3.0, "OHE", "3.4", "2",
               (("HTD-8M-1200-30", "同步带 8M-1200", "1", "460.00"),
                ("SKF-6205-2RS", "深沟球轴承 6205", "2", "85.50"))),
)  # fmt: skip


def seed(database: Database, settings: Settings) -> SeedReport:
    enterprise_id = demo_enterprise_id(database)
    now_ms = int(time.time() * 1000)
    start_ms = connected.cell_start_ms(now_ms)
    owner, technician = _people(database, enterprise_id)
    equipment = _equipment_ids(database, enterprise_id)
    store = open_store(database)
    try:
        written = _write_history(database, store, enterprise_id, start_ms, now_ms)
        baselines = _baselines(database, store, owner, equipment, start_ms, now_ms)
    finally:
        store.close()
    plan_ids = _plans(database, owner, equipment, now_ms)
    orders = _past_repairs(database, owner, technician, equipment, now_ms)
    return SeedReport(
        title="Maintenance: cell history, health baselines, plans, past repairs",
        headers=("history points", "baselines", "plans", "verified orders", "technician login"),
        rows=[(str(written), str(baselines), str(len(plan_ids)), str(orders),
               f"{TECHNICIAN.username} / {TECHNICIAN.password}")],
    )  # fmt: skip


def cell_history_start_ms(database: Database, store: TelemetryStore) -> int | None:
    """Where the seeded history of the cell begins (the start of the run the demo must continue), or None when
    there is none (a database seeded without this seeder): the first power sample of the OPC UA machine, which the
    simulator takes at its run's very start."""
    with database.session() as session:
        signal_id = session.scalar(
            select(Signal.id)
            .join(Equipment, Equipment.id == Signal.equipment_id)
            .where(Equipment.code == connected.OPCUA_MACHINE, Signal.name == "power_kw")
        )
    if signal_id is None:
        return None
    now_us = int(time.time() * 1_000_000)
    first = store.raw(signal_id, now_us - 2 * DAY_US, now_us, limit=1)
    return first[0].ts_us // 1000 if first else None


def _people(database: Database, enterprise_id: int) -> tuple[Principal, Principal]:
    """The enterprise's owner (the first enterprise user) and its maintenance technician, created here: verifying a
    repair takes another user than the one who did it."""
    with database.session() as session:
        owner = session.scalar(
            select(User).where(User.role == Role.ENTERPRISE, User.organisation_id == enterprise_id).order_by(User.id)
        )
        assert owner is not None, "accounts are seeded first"
        actor = principal_of(owner)
        session.rollback()
        data = UserCreate(
            username=TECHNICIAN.username,
            display_name=TECHNICIAN.display_name,
            password=TECHNICIAN.password,
            role=TECHNICIAN.role,
            organisation_id=enterprise_id,
        )
        technician = accounts_service.create_user(session, None, data)
        return actor, principal_of(technician)


def _equipment_ids(database: Database, enterprise_id: int) -> dict[str, int]:
    with database.session() as session:
        rows = session.execute(select(Equipment.code, Equipment.id).where(Equipment.enterprise_id == enterprise_id))
        return dict(rows.all())


def _write_history(database: Database, store: TelemetryStore, enterprise_id: int, start_ms: int, end_ms: int) -> int:
    with database.session() as session:
        rows = session.execute(
            select(Equipment.code, Signal.name, Signal.id)
            .join(Signal, Signal.equipment_id == Equipment.id)
            .where(Equipment.enterprise_id == enterprise_id, Equipment.code.in_(CELL))
        )
        ids = {(code, name): signal_id for code, name, signal_id in rows}
    for day in range(start_ms * 1000 // DAY_US, end_ms * 1000 // DAY_US + 1):
        store.prepare(day * DAY_US)  # PostgreSQL: the days' partitions
    points: list[Point] = []
    texts: list[TextPoint] = []
    written = 0
    run = connected.cell_run(start_ms)
    while run.now_ms < end_ms:
        for reading in run.step(min(end_ms, run.now_ms + 600_000)):
            _convert(reading, ids, points, texts)
        if len(points) >= BATCH or run.now_ms >= end_ms:
            written += store.write(Batch(points=points, texts=texts)).inserted
            points, texts = [], []
    return written


def _convert(reading: Reading, ids: dict[tuple[str, str], int], points: list[Point], texts: list[TextPoint]) -> None:
    signal_id = ids.get((reading.device_code, reading.signal))
    if signal_id is None:
        return
    ts_us = reading.ts_ms * 1000
    if isinstance(reading.value, str):
        if reading.device_code == connected.OPCUA_MACHINE:  # Modbus registers hold no text
            texts.append(TextPoint(signal_id, ts_us, reading.value))
    else:
        points.append(Point(signal_id, ts_us, float(reading.value)))


def _baselines(
    database: Database, store: TelemetryStore, owner: Principal, equipment: dict[str, int], start_ms: int, end_ms: int
) -> int:
    # The last, partly filled minute stays out: the health observer assesses from the end of the training period.
    data = BaselineLearn(
        start=from_us(start_ms * 1000),
        end=from_us(end_ms // 60_000 * 60_000 * 1000),
        signals=BASELINE_SIGNALS,
        note="演示：柔性加工单元开机后两小时的正常运行",
    )
    for code in CELL:
        with database.session() as session:
            learn.learn_baseline(session, store, owner, equipment[code], data)
    return len(CELL)


def _plans(database: Database, owner: Principal, equipment: dict[str, int], now_ms: int) -> list[int]:
    today = datetime.fromtimestamp(now_ms / 1000, UTC).date()
    bodies = (
        # Monthly, started 25 days ago with a week's lead: its next order is due within the demo's first minutes.
        PlanCreate(equipment_id=equipment["L1-CNC-01"], title="月度保养：主轴润滑、导轨清洁与精度点检",
                   trigger=Trigger.CALENDAR, interval=1, calendar_unit=CalendarUnit.MONTH,
                   start_date=today - timedelta(days=25), lead=7, priority=3, assignee_name=TECHNICIAN.display_name),
        PlanCreate(equipment_id=equipment["L1-ROB-01"], title="每 500 运行小时：减速机换油与齿隙检查",
                   trigger=Trigger.OPERATING_HOURS, interval=500, start_date=today - timedelta(days=30), lead=24,
                   priority=3, assignee_name=TECHNICIAN.display_name),
    )  # fmt: skip
    made: list[int] = []
    for body in bodies:
        with database.session() as session:
            made.append(plans.create_plan(session, owner, body).id)
    return made


def _past_repairs(
    database: Database, owner: Principal, technician: Principal, equipment: dict[str, int], now_ms: int
) -> int:
    """Orders reported by the owner, worked by the technician and verified by the owner, days apart."""
    now = datetime.fromtimestamp(now_ms / 1000, UTC).replace(minute=0, second=0, microsecond=0)
    for repair in PAST_REPAIRS:
        reported = now - timedelta(days=repair.days_ago, hours=5)
        started, finished = reported + timedelta(minutes=40), reported + timedelta(minutes=40, hours=repair.hours)
        with database.session() as session:
            create = WorkOrderCreate(
                equipment_id=equipment[repair.equipment], title=repair.title, kind=OrderKind.CORRECTIVE, priority=2
            )
            order_id = service.create_order(session, owner, create, now=reported).id
            steps: tuple[tuple[Principal, TransitionIn, datetime], ...] = (
                (owner, TransitionIn(action=Action.ASSIGN, assignee_user_id=technician.user_id,
                                     assignee_name=technician.display_name), reported + timedelta(minutes=10)),
                (technician, TransitionIn(action=Action.START, at=started), started),
            )  # fmt: skip
            for actor, step, at in steps:
                transitions.transition(session, actor, order_id, step, now=at)
            update = WorkOrderUpdate(
                failure_mode=repair.failure_mode, failure_cause=repair.cause, remedy=repair.remedy,
                labour_hours=Decimal(str(repair.hours)),
            )  # fmt: skip
            service.update_order(session, technician, order_id, update, now=finished)
            for number, name, quantity, cost in repair.parts:
                part = PartCreate(part_number=number, name=name, quantity=Decimal(quantity), unit_cost=Decimal(cost))
                service.add_part(session, technician, order_id, part, now=finished)
            transitions.transition(
                session, technician, order_id, TransitionIn(action=Action.FINISH, at=finished), now=finished
            )
            verify = TransitionIn(action=Action.VERIFY, comment="试车正常，验收通过")
            transitions.transition(session, owner, order_id, verify, now=finished + timedelta(hours=2))
    return len(PAST_REPAIRS)

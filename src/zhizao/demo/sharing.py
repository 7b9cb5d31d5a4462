"""Demo seeder: capacity sharing — an equipment maker's fleet of four CNC machines leased to three small firms, with
the machines' data since the first day of last month, metered into the maker's meter log and invoiced.

Every job is written as its machine would have reported it: state and mode at each change and every ten minutes,
spindle speed and load every 20 s while cutting, the job id the maker's system sent at the start and cleared at the
end, and an overload alarm now and then; the production sync builds the state ledger from that, the meter writers
meter it, and last month's invoices are issued from the meter log — nothing is written into the billing tables by
hand. One machine has no spindle-load sensor: it is billed by time only, and its invoice lines say so. A tariff
change in the middle of last month, two cancellations, a no-show, upcoming bookings, an open dispute and a spindle
bearing replacement complete the picture. Logins: ``maker`` (the owner) and ``lessee`` (one of the small firms).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import service as accounts_service
from zhizao.accounts.auth import principal_of
from zhizao.accounts.demo import DemoUser
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate
from zhizao.db.engine import Database
from zhizao.feeds import link_sharing_clients
from zhizao.production import jobs
from zhizao.programme.kinds import Industry
from zhizao.programme.models_directory import Platform
from zhizao.seeding import SeedReport
from zhizao.settings import Settings
from zhizao.sharing import components, disputes, invoices, meters
from zhizao.sharing.billing_models import InvoiceLineRow
from zhizao.sharing.models import AvailabilityWindow, Booking, BookingStatus, SharedEquipment, Tariff
from zhizao.sharing.schemas import ReplacementCreate
from zhizao.telemetry import assets, devices
from zhizao.telemetry.alarms.models import AlarmEvent
from zhizao.telemetry.kinds import DataType, EquipmentType, NodeLevel, Protocol, SignalKind
from zhizao.telemetry.schemas import DeviceCreate, EquipmentCreate, NodeCreate, SignalCreate
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore, TextPoint
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import to_us

MAKER = "上海沪工精密机床有限公司"
SMES = ("上海嘉定精密零件加工厂", "上海松江模具小微企业", "上海青浦医疗器械配件有限公司")
MAKER_USER = DemoUser("maker", "吴经理（沪工机床·共享产能）", Role.ENTERPRISE, None)
LESSEE_USER = DemoUser("lessee", "周老板（嘉定精密零件）", Role.ENTERPRISE, None)
OVERLOAD_RULE = "SPINDLE_OVERLOAD"
SEED = 2022
MIN_US = 60_000_000
SPINDLE_STEP_US = 20_000_000
WRITE_BATCH = 50_000
WEAR_SPINDLE = {"kind": "spindle", "component_id": "spindle", "bearing": "ball", "speed_ref_rpm": 10000.0,
                "load_ref": 100.0, "l10h_ref": 20000.0}  # fmt: skip
BANDS = [{"min_notice_h": "0", "share": "0.5"}, {"min_notice_h": "24", "share": "0.25"},
         {"min_notice_h": "48", "share": "0"}]  # fmt: skip


@dataclass(frozen=True)
class FleetMachine:
    code: str
    name: str
    title: str
    hourly: str
    load_sensor: bool = True


FLEET = (
    FleetMachine("HG-VMC-850", "立式加工中心 VMC850", "三轴立加 VMC850（行程 800×500×500）", "95.00"),
    FleetMachine("HG-5AX-500", "五轴加工中心 5AX500", "五轴联动加工中心 5AX500", "260.00"),
    FleetMachine("HG-TC-46", "数控车床 TC46", "斜床身数控车床 TC46", "70.00"),
    FleetMachine("HG-HMC-630", "卧式加工中心 HMC630", "卧式加工中心 HMC630（无主轴负载传感器）", "180.00", False),
)


def _rates(hourly: str) -> dict[str, Any]:
    return {"hourly_rate": hourly, "setup_rate": "60.00", "wear_rates": {"spindle": "120000.00"},
            "incident_rates": {"overload": "300.00", "crash": "2000.00"}, "sla_credit_rate": "80.00",
            "no_show_share": "0.5", "cancellation": BANDS}  # fmt: skip


def _user(session: Session, user: DemoUser, organisation_id: int) -> Principal:
    created = accounts_service.create_user(
        session, None,
        UserCreate(username=user.username, display_name=user.display_name, password=user.password, role=user.role,
                   organisation_id=organisation_id),
    )  # fmt: skip
    actor = principal_of(created)
    session.rollback()  # reading the new user began a transaction; the next service begins its own
    return actor


def _organisation(session: Session, name: str) -> int:
    organisation_id = accounts_service.create_organisation(
        session, None, OrganisationCreate(name=name, kind=OrganisationKind.ENTERPRISE, district="嘉定区")
    ).id
    session.rollback()
    return organisation_id


@dataclass(frozen=True)
class Registered:
    equipment_id: int
    signals: dict[str, int]


def _register_fleet(session: Session, actor: Principal, maker_id: int) -> list[Registered]:
    site = assets.create_node(
        session, actor, NodeCreate(enterprise_id=maker_id, level=NodeLevel.SITE, code="HG", name="嘉定共享工厂")
    )
    area = assets.create_node(
        session, actor,
        NodeCreate(enterprise_id=maker_id, parent_id=site.id, level=NodeLevel.AREA, code="HG-A", name="共享加工车间"),
    )  # fmt: skip
    line = assets.create_node(
        session, actor,
        NodeCreate(enterprise_id=maker_id, parent_id=area.id, level=NodeLevel.LINE, code="HG-L", name="共享机床组"),
    )  # fmt: skip
    fleet = []
    for machine in FLEET:
        equipment = assets.create_equipment(
            session, actor,
            EquipmentCreate(enterprise_id=maker_id, node_id=line.id, code=machine.code, name=machine.name,
                            equipment_type=EquipmentType.CNC_MACHINE_TOOL, manufacturer="沪工精机", year=2021),
        )  # fmt: skip
        device = devices.create_device(
            session, actor,
            DeviceCreate(enterprise_id=maker_id, equipment_id=equipment.id, code=machine.code,
                         name=f"{machine.name} 网关", protocol=Protocol.MQTT_JSON),
        )  # fmt: skip
        specs = [("machinery_item_state", SignalKind.STATE, DataType.INT, None),
                 ("operation_mode", SignalKind.STATE, DataType.INT, None),
                 ("spindle_speed_rpm", SignalKind.MEASUREMENT, DataType.FLOAT, "rpm"),
                 ("job_id", SignalKind.TEXT, DataType.STRING, None)]  # fmt: skip
        if machine.load_sensor:
            specs.append(("spindle_load_pct", SignalKind.MEASUREMENT, DataType.FLOAT, "%"))
        ids = {}
        for name, kind, data_type, unit in specs:
            signal = devices.create_signal(
                session, actor, SignalCreate(device_id=device.id, name=name, kind=kind, data_type=data_type, unit=unit)
            )
            ids[name] = signal.id
        fleet.append(Registered(equipment.id, ids))
    return fleet


# -- the month of jobs -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class History:
    points: list[Point]
    texts: list[TextPoint]
    alarms: list[tuple[int, int]]  # (equipment id, ts_us) of overload alarms


def _state(history: History, signals: dict[str, int], at_us: int, state: int, mode: int) -> None:
    history.points += [Point(signals["machinery_item_state"], at_us, float(state)),
                       Point(signals["operation_mode"], at_us, float(mode))]  # fmt: skip


def _idle(history: History, signals: dict[str, int], start_us: int, end_us: int) -> None:
    """Not executing, reported at the change and every ten minutes (the heartbeat)."""
    for at_us in range(start_us, end_us, 10 * MIN_US):
        _state(history, signals, at_us, 2, 0)


def _job(rng: random.Random, history: History, machine: Registered, start_us: int, end_us: int, job_id: str) -> None:
    """A setup, then cutting in runs with short pauses, maybe a fault (the maker's) and an overload alarm."""
    signals = machine.signals
    history.texts.append(TextPoint(signals["job_id"], start_us - MIN_US, job_id))
    cursor = start_us + rng.randint(0, 10) * MIN_US
    _idle(history, signals, start_us, cursor)
    setup_end = cursor + rng.randint(15, 40) * MIN_US
    _state(history, signals, cursor, 3, 2)
    cursor = setup_end
    fault_at = rng.random() < 0.15
    while cursor < end_us - 20 * MIN_US:
        run_end = min(end_us - 5 * MIN_US, cursor + rng.randint(30, 90) * MIN_US)
        for at_us in range(cursor, run_end, 10 * MIN_US):
            _state(history, signals, at_us, 3, 3)
        speed, load = rng.uniform(5000, 12000), rng.uniform(25, 95)
        for at_us in range(cursor, run_end, SPINDLE_STEP_US):
            history.points.append(Point(signals["spindle_speed_rpm"], at_us, round(speed * rng.uniform(0.98, 1.02))))
            if "spindle_load_pct" in signals:
                history.points.append(Point(signals["spindle_load_pct"], at_us, round(load * rng.uniform(0.9, 1.1), 1)))
        if load > 90 and rng.random() < 0.3:
            history.alarms.append((machine.equipment_id, cursor + (run_end - cursor) // 2))
        cursor = run_end
        if fault_at:
            fault_at = False
            fault_end = cursor + rng.randint(20, 60) * MIN_US
            for at_us in range(cursor, min(fault_end, end_us), 10 * MIN_US):
                _state(history, signals, at_us, 1, 0)
            cursor = fault_end
        else:
            pause_end = cursor + rng.randint(3, 12) * MIN_US
            _idle(history, signals, cursor, min(pause_end, end_us))
            cursor = pause_end
    _idle(history, signals, min(cursor, end_us), end_us)
    history.texts.append(TextPoint(signals["job_id"], end_us, ""))


@dataclass(frozen=True)
class PlannedJob:
    machine: int  # index into FLEET
    lessee: int  # index into SMES
    start: datetime
    end: datetime


def _plan(rng: random.Random, first_day: date, today: date, zone: ZoneInfo) -> list[PlannedJob]:
    planned = []
    day = first_day
    while day < today:
        if day.weekday() < 6:
            for machine in range(len(FLEET)):
                if rng.random() < 0.7:
                    start = datetime(day.year, day.month, day.day, 8, tzinfo=zone) + timedelta(
                        minutes=30 * rng.randint(0, 4)
                    )
                    end = start + timedelta(hours=rng.randint(4, 9))
                    planned.append(PlannedJob(machine, rng.randrange(len(SMES)), start, end))
        day += timedelta(days=1)
    return planned


def _write(store: TelemetryStore, history: History) -> int:
    days = {p.ts_us // 86_400_000_000 for p in history.points} | {t.ts_us // 86_400_000_000 for t in history.texts}
    for day in sorted(days):
        store.prepare(day * 86_400_000_000)
    points = sorted(history.points, key=lambda p: p.ts_us)
    for index in range(0, len(points), WRITE_BATCH):
        store.write(Batch(points=points[index : index + WRITE_BATCH]))
    store.write(Batch(texts=history.texts))
    return len(points) + len(history.texts)


# -- seeding -----------------------------------------------------------------------------------------------------------


def _listings(
    session: Session, maker_id: int, fleet: list[Registered], first_day: datetime, mid_month: datetime, until: datetime
) -> list[SharedEquipment]:
    listings = []
    with session.begin():
        for index, (machine, registered) in enumerate(zip(FLEET, fleet, strict=True)):
            listing = SharedEquipment(
                enterprise_id=maker_id, equipment_id=registered.equipment_id, title=machine.title,
                description=f"沪工精机{machine.name}，按实际加工时长与主轴磨损计费，数据来自机床本身。",
                axes=5 if "5AX" in machine.code else 3, materials=["铝合金", "45#钢", "不锈钢"],
                precision_mm=Decimal("0.008"), location="上海市嘉定区", published=True,
                wear_components=[WEAR_SPINDLE] if machine.load_sensor else [],
                incident_alarms={OVERLOAD_RULE: "overload"},
            )  # fmt: skip
            session.add(listing)
            session.flush()
            session.add(Tariff(enterprise_id=maker_id, listing_id=listing.id, version=1, rates=_rates(machine.hourly),
                               valid_from=first_day - timedelta(days=1)))  # fmt: skip
            if index == 1:  # the five-axis machine's rate went up in the middle of last month
                raised = str((Decimal(machine.hourly) * Decimal("1.1")).quantize(Decimal("0.01")))
                session.add(Tariff(enterprise_id=maker_id, listing_id=listing.id, version=2, rates=_rates(raised),
                                   valid_from=mid_month))  # fmt: skip
            session.add(
                AvailabilityWindow(enterprise_id=maker_id, listing_id=listing.id, start_at=first_day, end_at=until)
            )
            listings.append(listing)
        session.flush()
    return listings


def _booking(
    session: Session,
    listing: SharedEquipment,
    lessee_id: int,
    start: datetime,
    end: datetime,
    status: BookingStatus,
    **extra: Any,
) -> Booking:
    hours = Decimal(int((end - start).total_seconds())) / 3600
    tariff = _first_tariff(session, listing.id)
    booking = Booking(
        listing_id=listing.id, equipment_id=listing.equipment_id, owner_id=listing.enterprise_id, lessee_id=lessee_id,
        start_at=start, end_at=end, status=status, estimated_hours=hours, tariff_id=tariff.id,
        quote_cny=(hours * Decimal(tariff.rates["hourly_rate"])).quantize(Decimal("0.01")),
        part_name="法兰盘" if status is not BookingStatus.REQUESTED else "阀体",
        quantity=50, **extra,
    )  # fmt: skip
    session.add(booking)
    session.flush()
    if status is not BookingStatus.REQUESTED:
        booking.job_id = f"SH-{booking.id}"
    return booking


def _first_tariff(session: Session, listing_id: int) -> Tariff:
    found = session.scalar(select(Tariff).where(Tariff.listing_id == listing_id).order_by(Tariff.version))
    assert found is not None
    return found


def seed(database: Database, settings: Settings) -> SeedReport:
    began = time.monotonic()
    zone = ZoneInfo(settings.timezone)
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    first_day = datetime(last_month.year, last_month.month, 1, tzinfo=zone)
    mid_month = first_day + timedelta(days=14)
    rng = random.Random(SEED)  # noqa: S311 - a reproducible demo, not a secret
    with database.session() as session:
        maker_id = _organisation(session, MAKER)
        sme_ids = [_organisation(session, name) for name in SMES]
        maker = _user(session, MAKER_USER, maker_id)
        lessee = _user(session, LESSEE_USER, sme_ids[0])
        fleet = _register_fleet(session, maker, maker_id)
        listings = _listings(session, maker_id, fleet, first_day, mid_month, now + timedelta(days=45))
        worn = next(listing.id for listing in listings if listing.wear_components)
        history = History([], [], [])
        with session.begin():
            for job in _plan(rng, first_day.date(), today, zone):
                booking = _booking(session, listings[job.machine], sme_ids[job.lessee], job.start, job.end,
                                   BookingStatus.COMPLETED, started_at=job.start, completed_at=job.end)  # fmt: skip
                _job(rng, history, fleet[job.machine], to_us(job.start), to_us(job.end), f"SH-{booking.id}")
            # Last month's cancellations (30 h and 3 days' notice) and a no-show, on Sundays when no job runs.
            sundays = [
                first_day + timedelta(days=d) for d in range(28) if (first_day + timedelta(days=d)).weekday() == 6
            ]
            for index, (notice, status) in enumerate(((timedelta(hours=30), BookingStatus.CANCELLED),
                                                      (timedelta(days=3), BookingStatus.CANCELLED),
                                                      (None, BookingStatus.NO_SHOW))):  # fmt: skip
                start = sundays[index % len(sundays)] + timedelta(hours=9)
                extra = {"cancelled_at": start - notice} if notice else {}
                _booking(session, listings[index % len(FLEET)], sme_ids[index % len(SMES)], start,
                         start + timedelta(hours=4), status, **extra)  # fmt: skip
            upcoming = datetime(today.year, today.month, today.day, 9, tzinfo=zone) + timedelta(days=2)
            for index in range(3):
                start = upcoming + timedelta(days=index)
                _booking(
                    session, listings[index], sme_ids[0], start, start + timedelta(hours=6), BookingStatus.CONFIRMED
                )
            _booking(session, listings[1], sme_ids[0], upcoming + timedelta(days=5),
                     upcoming + timedelta(days=5, hours=8), BookingStatus.REQUESTED)  # fmt: skip
            for registered in fleet:  # idle from the last job to now
                history.texts.append(TextPoint(registered.signals["job_id"], to_us(first_day), ""))
            for equipment_id, at_us in history.alarms:
                session.add(AlarmEvent(
                    enterprise_id=maker_id, rule_id=OVERLOAD_RULE, equipment_id=equipment_id, event="condition_true",
                    from_state="normal", to_state="unack_active", ts_us=at_us, severity="high", priority=2,
                    message="主轴过载报警",
                ))  # fmt: skip
    _fill_idle(history, fleet, to_us(first_day), to_us(now))
    store = open_store(database)
    try:
        samples = _write(store, history)
        jobs.sync_all(database, store, now_us=to_us(now), enterprise_id=maker_id)
        metered = meters.meter_all(database, store, now, zone, owner_id=maker_id)
    finally:
        store.close()
    issued = _invoices(
        database, maker, maker_id, sme_ids, lessee, f"{last_month.year:04d}-{last_month.month:02d}", now, zone
    )
    # The first machine's spindle bearings were renewed on the second Sunday of last month (no job runs on Sundays).
    with database.session() as session:
        renewed = ReplacementCreate(component_id="spindle", replaced_at=sundays[1] + timedelta(hours=8),
                                    note="主轴轴承定期更换")  # fmt: skip
        components.record_replacement(session, maker, worn, renewed, now)
    linked = _platform(database, maker_id, today)
    return SeedReport(
        title="Capacity sharing (an equipment maker's fleet leased to small firms)",
        headers=("what", "figure"),
        rows=[
            ("machines", f"{len(FLEET)} ({', '.join(m.code for m in FLEET)})"),
            (
                "logins",
                f"{MAKER_USER.username} / {MAKER_USER.password}, {LESSEE_USER.username} / {LESSEE_USER.password}",
            ),
            ("samples", f"{samples:,}"),
            ("meter records", f"{metered.records:,}"),
            ("invoices of last month", str(issued)),
            ("platform clients linked (platform target)", str(linked)),
            ("seconds", f"{time.monotonic() - began:.0f}"),
        ],
    )


def _fill_idle(history: History, fleet: list[Registered], start_us: int, end_us: int) -> None:
    """Heartbeats of the idle state wherever a machine reported nothing for ten minutes (between jobs)."""
    by_signal: dict[int, list[int]] = {}
    for point in history.points:
        by_signal.setdefault(point.signal_id, []).append(point.ts_us)
    for registered in fleet:
        state_id = registered.signals["machinery_item_state"]
        busy = sorted(by_signal.get(state_id, []))
        cursor, index = start_us, 0
        while cursor < end_us:
            while index < len(busy) and busy[index] < cursor:
                index += 1
            next_busy = busy[index] if index < len(busy) else end_us
            if next_busy - cursor >= 10 * MIN_US:
                _state(history, registered.signals, cursor, 2, 0)
                cursor += 10 * MIN_US
            else:
                cursor = next_busy + 10 * MIN_US


def _invoices(
    database: Database,
    maker: Principal,
    maker_id: int,
    sme_ids: list[int],
    lessee: Principal,
    period: str,
    now: datetime,
    zone: ZoneInfo,
) -> int:
    issued = 0
    for sme_id in sme_ids:
        with database.session() as session:
            invoice = invoices.issue_invoice(session, maker, maker_id, sme_id, period, now, zone)
            invoice_id, number = invoice.id, invoice.number
        issued += 1
        if sme_id == lessee.organisation_id:
            with database.session() as session:
                line_id = session.scalar(
                    select(InvoiceLineRow.id).where(
                        InvoiceLineRow.invoice_id == invoice_id, InvoiceLineRow.kind == "setup"
                    )
                )
            if line_id is not None:
                with database.session() as session:
                    disputes.raise_dispute(
                        session, lessee, invoice_id, line_id, f"{number}：有一次换型是机床厂换刀，不应计费", now
                    )
    return issued


def _platform(database: Database, maker_id: int, today: date) -> int:
    """The maker's sharing service as a registered platform, run by the demo's platform operator, so that the small
    firms it served count towards the programme's platform target (``zhizao.feeds``)."""
    with database.session() as session:
        operator_id = session.scalar(
            select(Organisation.id).where(Organisation.kind == OrganisationKind.PLATFORM).order_by(Organisation.id)
        )
        session.rollback()
        if operator_id is None:
            return 0
        with session.begin():
            session.add(Platform(
                operator_id=operator_id, name="沪工共享制造平台", industry=Industry.HIGH_END_EQUIPMENT,
                description="数控机床产能共享：按加工时长与主轴磨损计费，账单可按计量记录复算。",
                enterprises_served=0, served_as_of=today, sharing_owner_id=maker_id,
            ))  # fmt: skip
    with database.session() as session:
        return link_sharing_clients(session)

"""A month of leasing written straight into the tables (the past cannot be booked through the API): an owner's CNC,
its tariff versions, bookings, the state ledger, spindle telemetry, the job id the machine reported and alarms.

October 2026, Asia/Shanghai. Tariff v1 (from 1 Oct): 120 CNY/h, setup 50, spindle 90,000 per life (ball bearings,
n_ref 10,000 rpm, P_ref 100 %, L10h_ref 20,000 h), overload 200, SLA credit 150 CNY/h, no-show 50 %, cancellation
≥ 48 h 0 %, ≥ 24 h 25 %, else 50 %. v2 (from 15 Oct): the same at 132 CNY/h.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from tests.conftest import Account, World
from tests.telemetry.builders import build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.production.models import LedgerProgress, StateInterval
from zhizao.sharing import disputes, invoices, meters
from zhizao.sharing.models import Booking, BookingStatus, SharedEquipment, Tariff
from zhizao.telemetry import devices
from zhizao.telemetry.alarms.models import AlarmEvent
from zhizao.telemetry.kinds import DataType, SignalKind
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore, TextPoint
from zhizao.telemetry.timeutil import to_us

ZONE = ZoneInfo("Asia/Shanghai")
PERIOD = "2026-10"
INVOICED_AT = datetime(2026, 11, 29, 10, tzinfo=UTC)  # the month is over and its machine data is in
OVERLOAD_RULE = "SPINDLE_OVERLOAD"
SPINDLE = {"kind": "spindle", "component_id": "spindle", "bearing": "ball", "speed_ref_rpm": 10000.0,
           "load_ref": 100.0, "l10h_ref": 20000.0}  # fmt: skip
BANDS = [{"min_notice_h": "0", "share": "0.5"}, {"min_notice_h": "24", "share": "0.25"},
         {"min_notice_h": "48", "share": "0"}]  # fmt: skip


def rates(hourly: str) -> dict[str, Any]:
    return {"hourly_rate": hourly, "setup_rate": "50.00", "wear_rates": {"spindle": "90000.00"},
            "incident_rates": {"overload": "200.00"}, "sla_credit_rate": "150.00", "no_show_share": "0.5",
            "cancellation": BANDS}  # fmt: skip


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=ZONE)


def us(day: int, hour: int, minute: int = 0) -> int:
    return to_us(local(day, hour, minute))


@dataclass(frozen=True)
class Leasing:
    owner: Account
    lessee: Account
    owner_id: int
    lessee_id: int
    listing_id: int
    equipment_id: int
    speed_id: int
    load_id: int
    job_signal_id: int
    tariff_ids: tuple[int, int]


def build_leasing(world: World, *, wear: bool = True) -> Leasing:
    plant = build_plant(world)
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    lessee_id = world.organisation()
    lessee = world.user(Role.ENTERPRISE, lessee_id)
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    with world.database.session() as session:
        load = devices.create_signal(
            session, actor, SignalCreate(device_id=plant.device_id, name="spindle_load_pct", unit="%")
        )
        job = devices.create_signal(
            session, actor,
            SignalCreate(device_id=plant.device_id, name="job_id", kind=SignalKind.TEXT, data_type=DataType.STRING),
        )  # fmt: skip
    with world.database.session() as session, session.begin():
        listing = SharedEquipment(
            enterprise_id=plant.enterprise_id, equipment_id=plant.equipment_id, title="五轴加工中心", published=True,
            wear_components=[SPINDLE] if wear else [], incident_alarms={OVERLOAD_RULE: "overload"},
        )  # fmt: skip
        session.add(listing)
        session.flush()
        v1 = Tariff(enterprise_id=plant.enterprise_id, listing_id=listing.id, version=1, rates=rates("120.00"),
                    valid_from=local(1, 0))  # fmt: skip
        v2 = Tariff(enterprise_id=plant.enterprise_id, listing_id=listing.id, version=2, rates=rates("132.00"),
                    valid_from=local(15, 0))  # fmt: skip
        session.add_all([v1, v2])
        session.flush()
        ids = (listing.id, load.id, job.id, v1.id, v2.id)
    return Leasing(owner, lessee, plant.enterprise_id, lessee_id, ids[0], plant.equipment_id, plant.signal_id,
                   ids[1], ids[2], (ids[3], ids[4]))  # fmt: skip


def add_booking(
    world: World, leasing: Leasing, start: datetime, end: datetime, status: BookingStatus, **extra: Any
) -> int:
    with world.database.session() as session, session.begin():
        booking = Booking(
            listing_id=leasing.listing_id, equipment_id=leasing.equipment_id, owner_id=leasing.owner_id,
            lessee_id=leasing.lessee_id, start_at=start, end_at=end, status=status, estimated_hours=Decimal(4),
            tariff_id=leasing.tariff_ids[0], quote_cny=Decimal("480.00"), **extra,
        )  # fmt: skip
        session.add(booking)
        session.flush()
        if "job_id" not in extra and status is not BookingStatus.REQUESTED:
            booking.job_id = f"SH-{booking.id}"
        return booking.id


def add_ledger(world: World, leasing: Leasing, spans: list[tuple[int, int, int, int]], built_until_us: int) -> None:
    """(start_us, end_us, state, mode) spans, and the ledger built up to ``built_until_us``."""
    with world.database.session() as session, session.begin():
        for start_us, end_us, state, mode in spans:
            session.add(StateInterval(enterprise_id=leasing.owner_id, equipment_id=leasing.equipment_id,
                                      start_us=start_us, end_us=end_us, state=state, mode=mode))  # fmt: skip
        progress = session.get(LedgerProgress, leasing.equipment_id)
        if progress is None:
            session.add(
                LedgerProgress(equipment_id=leasing.equipment_id, built_until_us=built_until_us, source_counts={})
            )
        else:
            progress.built_until_us = built_until_us


def spindle(leasing: Leasing, start_us: int, end_us: int, speed: float, load: float, step_s: int = 10) -> list[Point]:
    points = []
    for ts in range(start_us, end_us, step_s * 1_000_000):
        points += [Point(leasing.speed_id, ts, speed), Point(leasing.load_id, ts, load)]
    return points


def write(store: TelemetryStore, points: list[Point], texts: list[TextPoint] = ()) -> None:  # type: ignore[assignment]
    days = {p.ts_us // 86_400_000_000 for p in points} | {t.ts_us // 86_400_000_000 for t in texts}
    for day in days:
        store.prepare(day * 86_400_000_000)
    store.write(Batch(points=points, texts=list(texts)))


def add_alarm(world: World, leasing: Leasing, at_us: int, rule_id: str = OVERLOAD_RULE) -> None:
    with world.database.session() as session, session.begin():
        session.add(
            AlarmEvent(
                enterprise_id=leasing.owner_id, rule_id=rule_id, equipment_id=leasing.equipment_id,
                event="condition_true", from_state="normal", to_state="unack_active", ts_us=at_us, severity="high",
                priority=2, message="主轴过载",
            )
        )  # fmt: skip


def worked_example(world: World, store: TelemetryStore, leasing: Leasing) -> int:
    """The documented worked example on 5 Oct 08:00–12:00: setup 20 min, heavy cutting 40 min, a 30 min fault,
    light cutting 150 min, one overload alarm; the machine reported the job id from 07:58. Returns the booking id."""
    booking_id = add_booking(
        world, leasing, local(5, 8), local(5, 12), BookingStatus.COMPLETED,
        started_at=local(5, 8), completed_at=local(5, 12),
    )  # fmt: skip
    add_ledger(
        world, leasing,
        [(us(5, 7), us(5, 8), 2, 0), (us(5, 8), us(5, 8, 20), 3, 2), (us(5, 8, 20), us(5, 9), 3, 3),
         (us(5, 9), us(5, 9, 30), 1, 0), (us(5, 9, 30), us(5, 12), 3, 3), (us(5, 12), us(5, 13), 2, 0)],
        built_until_us=us(31, 23),
    )  # fmt: skip
    points = spindle(leasing, us(5, 8, 20), us(5, 9), 8000.0, 100.0) + spindle(
        leasing, us(5, 9, 30), us(5, 12), 8000.0, 50.0
    )
    write(store, points, [TextPoint(leasing.job_signal_id, us(5, 7, 58), f"SH-{booking_id}"),
                          TextPoint(leasing.job_signal_id, us(5, 12, 1), "")])  # fmt: skip
    add_alarm(world, leasing, us(5, 10))
    return booking_id


def report_job(store: TelemetryStore, leasing: Leasing, booking_id: int, start_us: int, end_us: int) -> None:
    """The machine reports the booking's job id over [start, end) (sent to it when the owner starts the job)."""
    write(store, [], [TextPoint(leasing.job_signal_id, start_us, f"SH-{booking_id}"),
                      TextPoint(leasing.job_signal_id, end_us, "")])  # fmt: skip


def month_of_leasing(world: World, store: TelemetryStore) -> tuple[Leasing, int, int, int]:
    """The worked example (5 Oct, tariff v1), a confirmed booking cancelled with 30 h notice and a no-show (both
    after the change to v2 on 15 Oct): (leasing, job, cancelled, no-show booking ids)."""
    leasing = build_leasing(world)
    job = worked_example(world, store, leasing)
    cancelled = add_booking(
        world, leasing, local(20, 8), local(20, 12), BookingStatus.CANCELLED, cancelled_at=local(19, 2)
    )
    no_show = add_booking(world, leasing, local(25, 8), local(25, 12), BookingStatus.NO_SHOW)
    return leasing, job, cancelled, no_show


def tamper(database: Database, statement: str) -> None:
    """Change the log around its append-only trigger, as someone with database access could."""
    with database.engine.begin() as connection:
        if database.is_sqlite:
            connection.execute(text("DROP TRIGGER share_meter_record_update_refused"))
            connection.execute(text("DROP TRIGGER share_meter_record_delete_refused"))
        else:
            connection.execute(text("ALTER TABLE share_meter_record DISABLE TRIGGER share_meter_record_append_only"))
        connection.execute(text(statement))


def principal_of_account(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


@dataclass(frozen=True)
class Disputed:
    leasing: Leasing
    invoice_id: int
    line_id: int
    dispute_id: int


def disputed_invoice(world: World, store: TelemetryStore) -> Disputed:
    """The smallest invoiced month: one booking cancelled with 30 h notice (4 h × 132 × 25 % = 132.00), metered,
    invoiced for October 2026 by the owner, and its line disputed (open) by the lessee."""
    leasing = build_leasing(world, wear=False)
    add_booking(world, leasing, local(20, 8), local(20, 12), BookingStatus.CANCELLED, cancelled_at=local(19, 2))
    meters.meter_all(world.database, store, INVOICED_AT, ZONE, owner_id=leasing.owner_id)
    with world.database.session() as session:
        invoice = invoices.issue_invoice(
            session, principal_of_account(leasing.owner), leasing.owner_id, leasing.lessee_id, PERIOD,
            INVOICED_AT, ZONE,
        )  # fmt: skip
    with world.database.session() as session:
        line_id = invoices.lines_of(session, invoice.id)[0].id
    with world.database.session() as session:
        dispute = disputes.raise_dispute(
            session, principal_of_account(leasing.lessee), invoice.id, line_id, "30 h notice was given", INVOICED_AT
        )
    return Disputed(leasing, invoice.id, line_id, dispute.id)

"""Metering from the ledger and telemetry into the owner's meter log, monthly invoices, recomputation, tampering and
disputes — on SQLite and PostgreSQL. The figures are the hand-computed reference cases of docs/sharing-billing.md."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from tests.conftest import Account, World
from tests.sharing.billing_world import (
    PERIOD,
    ZONE,
    add_booking,
    add_ledger,
    build_leasing,
    local,
    month_of_leasing,
    report_job,
    spindle,
    tamper,
    us,
    write,
)
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.errors import Conflict, InputError, PermissionDenied
from zhizao.sharing import disputes, invoices, meters
from zhizao.sharing.billing_models import InvoiceLineRow, InvoiceStatus, MeterRecordRow
from zhizao.sharing.models import BookingStatus, SharedEquipment, Tariff
from zhizao.telemetry import devices
from zhizao.telemetry.models import Signal
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Point, TelemetryStore, TextPoint
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import to_us

NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)


@pytest.fixture
def store(database: Database) -> Iterator[TelemetryStore]:
    opened = open_store(database)
    yield opened
    opened.close()


def principal(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


def meter(database: Database, store: TelemetryStore, now: datetime = NOW) -> meters.MeterSummary:
    return meters.meter_all(database, store, now, ZONE)


def issue(world: World, leasing, period: str = PERIOD):  # type: ignore[no-untyped-def]
    with world.database.session() as session:
        return invoices.issue_invoice(
            session, principal(leasing.owner), leasing.owner_id, leasing.lessee_id, period, NOW, ZONE
        )


def amounts(world: World, invoice_id: int) -> list[tuple[int, str, str | None, str, Decimal]]:
    with world.database.session() as session:
        rows = invoices.lines_of(session, invoice_id)
        return [(row.booking_id, row.kind, row.component, row.quantity, Decimal(row.amount_cny)) for row in rows]


def test_a_month_is_metered_and_invoiced_as_the_reference_cases_say(world: World, store: TelemetryStore) -> None:
    leasing, job, cancelled, no_show = month_of_leasing(world, store)
    summary = meter(world.database, store)
    assert summary.failed == [] and summary.bookings == 3
    invoice = issue(world, leasing)
    assert amounts(world, invoice.id) == [
        (job, "time", None, "3.166667", Decimal("380.00")),
        (job, "wear", "spindle", "0.000039167", Decimal("3.53")),
        (job, "setup", None, "1", Decimal("50.00")),
        (job, "incident", "overload", "1", Decimal("200.00")),
        (job, "sla_credit", None, "0.5", Decimal("-75.00")),
        (cancelled, "cancellation", None, "4", Decimal("132.00")),
        (no_show, "no_show", None, "4", Decimal("264.00")),
    ]
    assert invoice.total_cny == Decimal("954.53")
    with world.database.session() as session:
        assert invoices.recompute(session, invoice).matches


def test_metering_twice_writes_nothing_new_and_the_chain_is_gapless(world: World, store: TelemetryStore) -> None:
    month_of_leasing(world, store)
    first = meter(world.database, store)
    again = meter(world.database, store)
    assert first.records > 0 and again.records == 0 and again.bookings == 0
    with world.database.session() as session:
        seqs = list(session.scalars(select(MeterRecordRow.seq).order_by(MeterRecordRow.seq)))
    assert seqs == list(range(first.records))


def test_time_the_machine_reported_another_job_is_not_billed(world: World, store: TelemetryStore) -> None:
    leasing = build_leasing(world)
    job = add_booking(world, leasing, local(6, 8), local(6, 10), BookingStatus.COMPLETED,
                      started_at=local(6, 8), completed_at=local(6, 10))  # fmt: skip
    add_ledger(world, leasing, [(us(6, 8), us(6, 10), 3, 3)], built_until_us=us(31, 0))
    write(store, spindle(leasing, us(6, 8), us(6, 10), 6000.0, 60.0),
          [TextPoint(leasing.job_signal_id, us(6, 8), f"SH-{job}"),
           TextPoint(leasing.job_signal_id, us(6, 9), "OWNER-7")])  # fmt: skip
    meter(world.database, store)
    invoice = issue(world, leasing)
    assert amounts(world, invoice.id)[0] == (job, "time", None, "1", Decimal("120.00"))


def test_a_machine_without_wear_components_is_billed_by_time_only_and_the_invoice_says_so(
    world: World, store: TelemetryStore
) -> None:
    leasing = build_leasing(world, wear=False)
    job = add_booking(world, leasing, local(6, 8), local(6, 10), BookingStatus.COMPLETED,
                      started_at=local(6, 8), completed_at=local(6, 10))  # fmt: skip
    add_ledger(world, leasing, [(us(6, 8), us(6, 10), 3, 3)], built_until_us=us(31, 0))
    report_job(store, leasing, job, us(6, 8), us(6, 10))
    meter(world.database, store)
    invoice = issue(world, leasing)
    with world.database.session() as session:
        rows = invoices.lines_of(session, invoice.id)
    assert [row.kind for row in rows] == ["time", "wear_not_metered"]
    assert rows[1].amount_cny == 0 and "billed by time only" in (rows[1].note or "")


def test_heavy_cutting_costs_more_wear_than_light_cutting_for_the_same_time(
    world: World, store: TelemetryStore
) -> None:
    leasing = build_leasing(world)
    heavy = add_booking(world, leasing, local(7, 8), local(7, 10), BookingStatus.COMPLETED,
                        started_at=local(7, 8), completed_at=local(7, 10))  # fmt: skip
    light = add_booking(world, leasing, local(8, 8), local(8, 10), BookingStatus.COMPLETED,
                        started_at=local(8, 8), completed_at=local(8, 10))  # fmt: skip
    add_ledger(world, leasing, [(us(7, 8), us(7, 10), 3, 3), (us(8, 8), us(8, 10), 3, 3)], built_until_us=us(31, 0))
    report_job(store, leasing, heavy, us(7, 8), us(7, 10))
    report_job(store, leasing, light, us(8, 8), us(8, 10))
    write(
        store,
        spindle(leasing, us(7, 8), us(7, 10), 10000.0, 100.0) + spindle(leasing, us(8, 8), us(8, 10), 10000.0, 50.0),
    )
    meter(world.database, store)
    lines = amounts(world, issue(world, leasing).id)
    wear = {booking: amount for booking, kind, _, _, amount in lines if kind == "wear"}
    time = {booking: amount for booking, kind, _, _, amount in lines if kind == "time"}
    # 2 h × (1)^3 / 20000 × 90000 = 9.00; at half the load 1/8 of it = 1.125 → 1.13
    assert (wear[heavy], wear[light]) == (Decimal("9.00"), Decimal("1.13"))
    assert time[heavy] == time[light] == Decimal("240.00")


def test_a_job_across_the_month_end_is_cut_there(world: World, store: TelemetryStore) -> None:
    leasing = build_leasing(world, wear=False)
    start, end = local(31, 22), datetime(2026, 11, 1, 2, tzinfo=ZONE)
    job = add_booking(world, leasing, start, end, BookingStatus.COMPLETED, started_at=start, completed_at=end)
    report_job(store, leasing, job, to_us(start), to_us(end))
    add_ledger(
        world,
        leasing,
        [(us(31, 22), us(31, 22) + 4 * 3_600_000_000, 3, 3)],
        built_until_us=us(31, 22) + 5 * 3_600_000_000,
    )
    meter(world.database, store)
    october = amounts(world, issue(world, leasing).id)
    assert october[0][3] == "2" and october[0][4] == Decimal("264.00")  # 22:00–24:00 at v2's 132 CNY/h
    with world.database.session() as session:
        periods = sorted(session.scalars(select(MeterRecordRow.period).where(MeterRecordRow.kind == "usage")))
    assert periods == ["2026-10", "2026-11"]


def test_an_invoice_waits_for_the_month_to_end_and_for_its_machine_data(world: World, store: TelemetryStore) -> None:
    leasing = build_leasing(world)
    with pytest.raises(InputError, match="not over yet") as caught:
        issue(world, leasing, "2026-11")
    assert caught.value.fields[0].field == "body.period"
    with pytest.raises(InputError, match="YYYY-MM"):
        issue(world, leasing, "2026-13")
    add_booking(world, leasing, local(9, 8), local(9, 12), BookingStatus.ACTIVE, started_at=local(9, 8))
    add_ledger(world, leasing, [(us(9, 8), us(9, 10), 3, 3)], built_until_us=us(9, 10))
    meter(world.database, store)
    with pytest.raises(Conflict, match="metered only until"):
        issue(world, leasing)


def test_only_the_owner_issues_and_an_invoice_is_issued_once(world: World, store: TelemetryStore) -> None:
    leasing, *_ = month_of_leasing(world, store)
    meter(world.database, store)
    with world.database.session() as session, pytest.raises(PermissionDenied):
        invoices.issue_invoice(
            session, principal(leasing.lessee), leasing.owner_id, leasing.lessee_id, PERIOD, NOW, ZONE
        )
    issue(world, leasing)
    with pytest.raises(Conflict, match="issued already"):
        issue(world, leasing)


def test_the_meter_log_refuses_updates_and_deletes(world: World, store: TelemetryStore) -> None:
    month_of_leasing(world, store)
    meter(world.database, store)
    for statement in ("UPDATE share_meter_record SET quantity = '1' WHERE seq = 0", "DELETE FROM share_meter_record"):
        with pytest.raises(Exception, match="append-only"), world.database.engine.begin() as connection:
            connection.execute(text(statement))


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("UPDATE share_meter_record SET quantity = '7200000000' WHERE kind = 'usage'", "altered"),
        ("DELETE FROM share_meter_record WHERE seq = (SELECT MAX(seq) FROM share_meter_record)", "truncated"),
    ],
)
def test_recomputation_detects_an_altered_or_truncated_log(
    world: World, store: TelemetryStore, statement: str, expected: str
) -> None:
    leasing, *_ = month_of_leasing(world, store)
    meter(world.database, store)
    invoice = issue(world, leasing)
    tamper(world.database, statement)
    with world.database.session() as session:
        result = invoices.recompute(session, invoice)
    assert not result.matches
    assert any(expected in problem for problem in result.problems), result.problems


def test_a_dispute_ends_in_a_credit_note_or_an_explanation(world: World, store: TelemetryStore) -> None:
    leasing, *_ = month_of_leasing(world, store)
    meter(world.database, store)
    invoice = issue(world, leasing)
    owner, lessee = principal(leasing.owner), principal(leasing.lessee)
    with world.database.session() as session:
        time_line, setup_line = (
            session.scalar(
                select(InvoiceLineRow.id).where(InvoiceLineRow.invoice_id == invoice.id, InvoiceLineRow.kind == kind)
            )
            for kind in ("time", "setup")
        )
    assert time_line is not None and setup_line is not None
    db = world.database

    def raised(actor: Principal, line_id: int, reason: str) -> int:
        with db.session() as session:
            return disputes.raise_dispute(session, actor, invoice.id, line_id, reason, NOW).id

    def answered(dispute_id: int, accept: bool, answer: str, credit: Decimal | None) -> None:
        with db.session() as session:
            disputes.answer_dispute(session, owner, dispute_id, accept=accept, answer=answer, credit=credit, now=NOW)

    with pytest.raises(PermissionDenied):
        raised(owner, time_line, "?")
    first = raised(lessee, time_line, "10 min were the owner's tool change")
    second = raised(lessee, setup_line, "no setup was needed")
    with pytest.raises(Conflict, match="disputed already"):
        raised(lessee, time_line, "again")
    with pytest.raises(InputError, match=r"at most 380\.00") as caught:
        answered(first, True, "ok", Decimal("400"))
    assert caught.value.fields[0].field == "body.credit"
    answered(first, True, "换刀 10 分钟退回", Decimal("20"))
    with world.database.session() as session:
        assert session.get(type(invoice), invoice.id).status is InvoiceStatus.DISPUTED  # the second is still open
    answered(second, False, "换型记录见 08:00–08:20", None)
    with world.database.session() as session:
        stored = session.get(type(invoice), invoice.id)
        assert stored is not None and stored.status is InvoiceStatus.SETTLED and stored.total_cny == Decimal("954.53")
        notes = disputes.credit_notes(session, invoice.id)
        assert [(note.number, note.amount_cny) for note in notes] == [(f"{invoice.number}-C01", Decimal("20.00"))]
        assert invoices.recompute(session, stored).matches  # a credit note never changes the invoice


def test_thermal_cycles_and_tool_life_are_metered_from_their_signals(world: World, store: TelemetryStore) -> None:
    """Motor: ΔT 40 K and 20 K cycles, (40/40)² + (20/40)² = 1.25 of 10,000 rated cycles → ΔD 0.000125 × 50,000 =
    6.25. Tool T1 (120 min life): counter 100 → 130 (+30), a tool change to 10 (+10), → 40 (+30): 70/120 of a life
    = 0.583333333 × 600 = 350.00. Readings outside the job (07:50) only anchor the first step."""
    leasing = build_leasing(world, wear=False)
    with world.database.session() as session, session.begin():
        device_id = session.get(Signal, leasing.speed_id).device_id  # type: ignore[union-attr]
        listing = session.get(SharedEquipment, leasing.listing_id)
        assert listing is not None
        listing.wear_components = [
            {"kind": "thermal", "component_id": "motor", "delta_t_ref_k": 40.0, "cycles_ref": 10000.0},
            {"kind": "tool", "component_id": "T1", "rated_life": 120.0},
        ]
        for tariff in session.scalars(select(Tariff).where(Tariff.listing_id == leasing.listing_id)):
            tariff.rates = {**tariff.rates, "wear_rates": {"motor": "50000.00", "T1": "600.00"}}
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    with world.database.session() as session:
        thermal = devices.create_signal(session, actor, SignalCreate(device_id=device_id, name="thermal_cycle_k"))
    with world.database.session() as session:
        tool = devices.create_signal(session, actor, SignalCreate(device_id=device_id, name="tool_life_T1"))
    job = add_booking(world, leasing, local(6, 8), local(6, 12), BookingStatus.COMPLETED,
                      started_at=local(6, 8), completed_at=local(6, 12))  # fmt: skip
    add_ledger(world, leasing, [(us(6, 8), us(6, 12), 3, 3)], built_until_us=us(31, 0))
    report_job(store, leasing, job, us(6, 8), us(6, 12))
    write(store, [Point(thermal.id, us(6, 9), 40.0), Point(thermal.id, us(6, 10), 20.0),
                  Point(thermal.id, us(6, 13), 40.0),  # after the job: not the lessee's
                  Point(tool.id, us(6, 7, 50), 100.0), Point(tool.id, us(6, 9), 130.0),
                  Point(tool.id, us(6, 10), 10.0), Point(tool.id, us(6, 11), 40.0)])  # fmt: skip
    meter(world.database, store)
    wear = {component: amount for _, kind, component, _, amount in amounts(world, issue(world, leasing).id)
            if kind == "wear"}  # fmt: skip
    assert wear == {"motor": Decimal("6.25"), "T1": Decimal("350.00")}

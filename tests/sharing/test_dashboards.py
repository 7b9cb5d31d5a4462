"""Sharing dashboards: the owner's utilisation, revenue, wear and bookings; the lessee's bookings, live job status
(only while the job runs, only the job's own samples) and costs; the programme office's figures — by API and page,
each confined to the caller's tenant.

The month's records are written straight into the tables (the meter log and invoices are the billing services'
business, tested in their own suites): a machine offered 100 h last month, 25 h of it billed, two wear records,
an invoice of 3,000.00 with a credit note of 150.00, and bookings in several statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.sharing.owner_helpers import principal, sign_in
from tests.sharing.tenant_cases import API, Offer, bearer, build_offer
from zhizao.accounts.roles import Role
from zhizao.sharing import dashboards
from zhizao.sharing.billing_models import CreditNoteRow, DisputeRow, InvoiceLineRow, InvoiceRow, MeterRecordRow
from zhizao.sharing.models import AvailabilityWindow, Booking, BookingStatus, Tariff
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.models import Signal
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore
from zhizao.telemetry.timeutil import to_us

ZONE = ZoneInfo("Asia/Shanghai")
HOUR_US = 3_600_000_000
BOARDS = f"{API}/dashboards"


@dataclass(frozen=True)
class Month:
    offer: Offer
    period: str  # last month, local
    lessee_id: int
    active_booking: int


def _last_month() -> tuple[str, datetime]:
    shown = dashboards.periods(datetime.now(UTC), ZONE, 2)
    year, month = (int(part) for part in shown[0].split("-"))
    return shown[0], datetime(year, month, 3, 8, tzinfo=ZONE)


def _booking(
    world: World, offer: Offer, lessee_id: int, start: datetime, status: BookingStatus, **extra: object
) -> int:
    with world.database.session() as session, session.begin():
        tariff = session.scalars(select(Tariff.id).where(Tariff.listing_id == offer.listing_id)).first()
        listing_owner = offer.owner.organisation_id
        assert tariff is not None and listing_owner is not None
        booking = Booking(
            listing_id=offer.listing_id, equipment_id=offer.equipment_id, owner_id=listing_owner, lessee_id=lessee_id,
            start_at=start, end_at=start + timedelta(hours=4), status=status, estimated_hours=Decimal(4),
            tariff_id=tariff, quote_cny=Decimal("480.00"), **extra,
        )  # fmt: skip
        session.add(booking)
        session.flush()
        return booking.id


def _record(owner: int, lessee: int, offer: Offer, booking: int, seq: int, kind: str, quantity: str, period: str,
            component: str | None = None) -> MeterRecordRow:  # fmt: skip
    return MeterRecordRow(
        owner_id=owner, seq=seq, record_id=f"T{booking}-{seq}", lessee_id=lessee, listing_id=offer.listing_id,
        booking_id=booking, machine_id="L1-CNC-01", kind=kind, start_us=0, end_us=0, quantity=quantity,
        intervals=[], component=component, prev_hash="0" * 64, hash=f"{seq:064d}", period=period,
    )  # fmt: skip


def build_month(world: World, client: TestClient) -> Month:
    offer = build_offer(world, client)
    owner = offer.owner.organisation_id
    lessee = offer.lessee.organisation_id
    assert owner is not None and lessee is not None
    period, start = _last_month()
    done = _booking(world, offer, lessee, start, BookingStatus.COMPLETED, started_at=start, completed_at=start)
    _booking(world, offer, world.organisation(), start + timedelta(days=1), BookingStatus.CANCELLED)
    active = _booking(
        world, offer, lessee, datetime.now(UTC) - timedelta(hours=1), BookingStatus.ACTIVE,
        started_at=datetime.now(UTC) - timedelta(hours=1),
    )  # fmt: skip
    with world.database.session() as session, session.begin():
        session.add(AvailabilityWindow(enterprise_id=owner, listing_id=offer.listing_id, start_at=start,
                                       end_at=start + timedelta(hours=100)))  # fmt: skip
        session.add_all([
            _record(owner, lessee, offer, done, 0, "usage", str(20 * HOUR_US), period),
            _record(owner, lessee, offer, done, 1, "usage", str(5 * HOUR_US), period),
            _record(owner, lessee, offer, done, 2, "wear", "0.000100000", period, "spindle"),
            _record(owner, lessee, offer, done, 3, "wear", "0.000200000", period, "spindle"),
        ])  # fmt: skip
        invoice = InvoiceRow(number="INV-1", owner_id=owner, lessee_id=lessee, period=period,
                             total_cny=Decimal("3000.00"), head_seq=3, head_hash="0" * 64, record_ids=[])  # fmt: skip
        session.add(invoice)
        session.flush()
        tariff_pk = _tariff_pk(session, offer)
        lines = [_line(invoice.id, index, done, offer, tariff_pk, kind, amount)
                 for index, (kind, amount) in enumerate([("time", "2800.00"), ("setup", "200.00")])]  # fmt: skip
        session.add_all(lines)
        session.flush()
        dispute = DisputeRow(invoice_id=invoice.id, line_id=lines[1].id, owner_id=owner, lessee_id=lessee,
                             reason="没有换刀", credit_cny=Decimal("150.00"))  # fmt: skip
        session.add(dispute)
        session.flush()
        session.add(CreditNoteRow(number="CN-1", invoice_id=invoice.id, dispute_id=dispute.id, owner_id=owner,
                                  lessee_id=lessee, amount_cny=Decimal("150.00"), reason="同意"))  # fmt: skip
    return Month(offer, period, lessee, active)


def _line(
    invoice: int, position: int, booking: int, offer: Offer, tariff: int, kind: str, amount: str
) -> InvoiceLineRow:
    return InvoiceLineRow(
        invoice_id=invoice, position=position, booking_id=booking, listing_id=offer.listing_id, kind=kind,
        tariff_pk=tariff, tariff_version=1, quantity="1", unit="h", unit_rate=amount, amount_cny=Decimal(amount),
        record_ids=[], intervals=[],
    )  # fmt: skip


def _tariff_pk(session: Session, offer: Offer) -> int:
    found = session.scalars(select(Tariff.id).where(Tariff.listing_id == offer.listing_id)).first()
    assert found is not None
    return found


def test_the_owner_sees_utilisation_revenue_wear_and_bookings(client: TestClient, world: World) -> None:
    month = build_month(world, client)
    board = client.get(f"{BOARDS}/owner", params={"months": 2}, headers=bearer(client, month.offer.owner)).json()
    assert board["periods"][0] == month.period and board["enterprise_id"] == month.offer.owner.organisation_id
    [machine] = board["machines"]
    last = machine["months"][0]
    assert (last["billed_hours"], last["available_hours"], last["utilisation"]) == ("25.00", "100.00", "0.2500")
    assert last["revenue_cny"] == "2850.00"  # 2,800 + 200 − the 150 credited on the setup line
    assert machine["wear"] == [{"component_id": "spindle", "replaced_at": None, "consumed": "0.000300000",
                                "remaining": "0.999700000"}]  # fmt: skip
    assert machine["bookings"]["completed"] == 1 and machine["bookings"]["active"] == 1
    assert machine["bookings"]["cancelled"] == 1 and board["bookings"]["requested"] == 0
    assert board["revenue"][0] == {"period": month.period, "invoiced_cny": "3000.00", "credited_cny": "150.00",
                                   "net_cny": "2850.00"}  # fmt: skip
    assert board["revenue"][1]["invoiced_cny"] == "0.00"

    csrf = sign_in(client, month.offer.owner, "/sharing/dashboards/owner")
    assert csrf
    page = client.get("/sharing/dashboards/owner")
    assert page.status_code == 200 and "25.0 %" in page.text and "2850.00" in page.text and "echarts" in page.text


def test_a_lessee_sees_its_running_job_and_nothing_of_the_machine_outside_it(client: TestClient, world: World) -> None:
    month = build_month(world, client)
    store: TelemetryStore = client.app.state.telemetry_store  # type: ignore[attr-defined]
    ids = _live_signals(world, month)
    started = _started_us(world, month.active_booking)
    store.prepare(started)
    store.write(Batch(points=[
        Point(ids["machinery_item_state"], started - 2 * HOUR_US, 1.0),  # someone else's time: never shown
        Point(ids["operation_mode"], started - 2 * HOUR_US, 1.0),
        Point(ids["good_parts"], started - 10 * 60_000_000, 100.0),
        Point(ids["machinery_item_state"], started + 60_000_000, 3.0),
        Point(ids["good_parts"], started + 30 * 60_000_000, 130.0),
    ]))  # fmt: skip
    lessee = bearer(client, month.offer.lessee)
    board = client.get(f"{BOARDS}/lessee", params={"months": 2}, headers=lessee).json()
    [live] = board["live"]
    assert live["booking_id"] == month.active_booking and live["state"] == 3
    assert live["mode"] is None  # its only sample is from before the job
    assert live["good_parts"] == 30.0 and live["scrap_parts"] is None
    assert {row["id"] for row in board["bookings"]} >= {month.active_booking}
    assert board["costs"][0] == {"period": month.period, "invoiced_cny": "3000.00", "credited_cny": "150.00",
                                 "net_cny": "2850.00"}  # fmt: skip

    # Another enterprise sees neither the job nor the costs, and may not ask for the lessee's.
    other = bearer(client, world.user(Role.ENTERPRISE))
    theirs = client.get(f"{BOARDS}/lessee", headers=other).json()
    assert theirs["live"] == [] and theirs["bookings"] == [] and all(r["net_cny"] == "0.00" for r in theirs["costs"])
    peek = client.get(f"{BOARDS}/lessee", params={"enterprise_id": month.lessee_id}, headers=other)
    assert peek.status_code == 404
    assert client.get(f"{BOARDS}/owner", params={"enterprise_id": month.offer.owner.organisation_id},
                      headers=other).status_code == 404  # fmt: skip

    # Once the job is over, the machine's state is no longer the lessee's to see.
    with world.database.session() as session, session.begin():
        booking = session.get(Booking, month.active_booking)
        assert booking is not None
        booking.status = BookingStatus.COMPLETED
    assert client.get(f"{BOARDS}/lessee", headers=lessee).json()["live"] == []
    sign_in(client, month.offer.lessee, "/sharing/dashboards/lessee")
    assert 'id="live-' not in client.get("/sharing/dashboards/lessee").text


def _live_signals(world: World, month: Month) -> dict[str, int]:
    admin = principal(world.user(Role.ADMIN))
    with world.database.session() as session:
        state = session.scalars(
            select(Signal).where(Signal.equipment_id == month.offer.equipment_id, Signal.name == "machinery_item_state")
        ).one()
        device_id, ids = state.device_id, {"machinery_item_state": state.id}
    for name, kind in (("operation_mode", SignalKind.STATE), ("good_parts", SignalKind.COUNTER)):
        with world.database.session() as session:
            ids[name] = devices.create_signal(
                session, admin, SignalCreate(device_id=device_id, name=name, kind=kind)
            ).id
    return ids


def _started_us(world: World, booking_id: int) -> int:
    with world.database.session() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None and booking.started_at is not None
        return to_us(booking.started_at)


def test_the_programme_office_sees_machines_owners_smes_and_billed_hours(client: TestClient, world: World) -> None:
    month = build_month(world, client)
    build_offer(world, client, published=False)  # a draft is not a shared machine yet
    officer = bearer(client, world.user(Role.OFFICER))
    board = client.get(f"{BOARDS}/programme", params={"months": 2}, headers=officer).json()
    assert (board["shared_machines"], board["owners"], board["smes_served"]) == (1, 1, 1)
    assert board["billed_hours"][0] == {"period": month.period, "billed_hours": "25.00"}
    assert board["billed_hours_total"] == "25.00"
    every_owner = client.get(f"{BOARDS}/owner", headers=officer).json()
    assert every_owner["enterprise_id"] is None and len(every_owner["machines"]) == 2
    for account in (month.offer.owner, month.offer.lessee):
        assert client.get(f"{BOARDS}/programme", headers=bearer(client, account)).status_code == 403
    sign_in(client, world.user(Role.OFFICER), "/sharing/dashboards/programme")
    page = client.get("/sharing/dashboards/programme")
    assert page.status_code == 200 and 'id="smes-served">1<' in page.text


def test_months_are_local_and_bounded(client: TestClient, world: World) -> None:
    assert dashboards.periods(datetime(2026, 1, 31, 17, tzinfo=UTC), ZONE, 3) == ["2025-12", "2026-01", "2026-02"]
    start, end = dashboards.month_bounds("2026-02", ZONE)
    assert end - start == 28 * 24 * HOUR_US
    owner = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"{BOARDS}/owner", params={"months": 0}, headers=owner).status_code == 422
    assert client.get(f"{BOARDS}/owner", params={"months": 37}, headers=owner).status_code == 422
    assert client.get(f"{BOARDS}/owner", headers=bearer(client, world.user(Role.EXPERT))).status_code == 403

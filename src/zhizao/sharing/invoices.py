"""Monthly invoices from an owner to a lessee, priced from the meter log, and their recomputation.

An invoice covers one local month ('YYYY-MM') and every meter record of the owner's log for that lessee in that
month; its lines are grouped by booking (each line is priced by the versions of that booking's listing tariff). It is
issued only when the month is over and every booking of the month is metered to the month's end, so that no later
machine data can change it. It stores the head of the owner's chain it was computed from: recomputation verifies the
chain from the genesis up to that head, re-prices the invoice's records and must reproduce every stored line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied
from zhizao.sharing import invoicing, meterlog
from zhizao.sharing.billing_models import InvoiceLineRow, InvoiceRow, MeterRecordRow
from zhizao.sharing.catalogue import require_owner_role
from zhizao.sharing.invoicing import InvoiceLine, LineKind
from zhizao.sharing.metering import Interval
from zhizao.sharing.meterlog import MeterRecord
from zhizao.sharing.meters import as_record, chain_rows, lock_chain, month_bounds
from zhizao.sharing.models import Booking, BookingStatus
from zhizao.sharing.pricing import tariff_book
from zhizao.telemetry.timeutil import from_us, to_us

__all__ = ["Recomputation", "check_period", "get_invoice", "issue_invoice", "line_of", "lines_of", "recompute"]


@dataclass(frozen=True, slots=True)
class Recomputation:
    matches: bool
    problems: tuple[str, ...]
    lines: tuple[tuple[int, InvoiceLine], ...]  # (booking id, line) as recomputed
    total: Decimal


def check_period(period: str, now: datetime, zone: ZoneInfo, field: str = "body.period") -> tuple[int, int]:
    """The month's [start_us, end_us); InputError unless 'YYYY-MM' of a month that is over."""
    try:
        year, month = (int(part) for part in period.split("-"))
        if len(period) != 7 or not 1 <= month <= 12 or year < 2000:
            raise ValueError
    except ValueError:
        raise InputError.for_field(field, f"{period!r} is not a month written YYYY-MM") from None
    start_us, end_us = month_bounds(period, zone)
    if end_us > to_us(now):
        raise InputError.for_field(field, f"{period} is not over yet: a month is invoiced after its last day")
    return start_us, end_us


def _unmetered(session: Session, owner_id: int, lessee_id: int, start_us: int, end_us: int) -> list[str]:
    """Why the month cannot be invoiced yet: bookings whose metering has not reached the month's end."""
    bookings = session.scalars(
        select(Booking).where(
            Booking.owner_id == owner_id,
            Booking.lessee_id == lessee_id,
            Booking.metering_closed.is_(False),
            or_(
                Booking.status.in_((BookingStatus.ACTIVE, BookingStatus.COMPLETED)),
                Booking.status.in_((BookingStatus.CANCELLED, BookingStatus.NO_SHOW)) & Booking.job_id.is_not(None),
            ),
        )
    )
    problems = []
    for booking in bookings:
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            problems.append(f"booking {booking.id} ({booking.status.value}) is not metered yet")
        elif (
            booking.started_at is not None
            and to_us(booking.started_at) < end_us
            and (booking.metered_until_us or 0) < end_us
        ):
            until = "its start" if booking.metered_until_us is None else from_us(booking.metered_until_us).isoformat()
            problems.append(f"booking {booking.id} is metered only until {until} (its machine data is not all in)")
    return problems


def _verified_chain(session: Session, owner_id: int, head_seq: int | None = None) -> list[MeterRecord]:
    records = [as_record(row) for row in chain_rows(session, owner_id, head_seq)]
    verdict = meterlog.verify(records)
    if not verdict.ok:
        raise Conflict(f"the meter log of owner {owner_id} is broken: {verdict.reason}")
    return records


def _priced(
    session: Session, records: Sequence[MeterRecord], booking_listing: dict[int, int]
) -> list[tuple[int, InvoiceLine]]:
    by_booking: dict[int, list[MeterRecord]] = defaultdict(list)
    for record in records:
        by_booking[int(record.entry.booking_id)].append(record)
    lines: list[tuple[int, InvoiceLine]] = []
    for booking_id in sorted(by_booking):
        book = tariff_book(session, booking_listing[booking_id])
        lines += [(booking_id, line) for line in invoicing.invoice_lines(by_booking[booking_id], book.versions)]
    return lines


def _next_number(session: Session, owner_id: int, period: str) -> str:
    count = session.scalar(select(func.count()).select_from(InvoiceRow).where(InvoiceRow.owner_id == owner_id))
    return f"ZS{owner_id:04d}-{period.replace('-', '')}-{(count or 0) + 1:04d}"


def issue_invoice(
    session: Session, actor: Principal, owner_id: int, lessee_id: int, period: str, now: datetime, zone: ZoneInfo
) -> InvoiceRow:
    """Issue the owner's invoice to the lessee for ``period``; run the meters first (``meters.meter_all``)."""
    require_owner_role(actor)
    if not actor.may_access_tenant(owner_id):
        raise PermissionDenied("only the owner issues its invoices")
    start_us, end_us = check_period(period, now, zone)
    with session.begin():
        lock_chain(session, owner_id)
        if session.scalar(
            select(InvoiceRow.id).where(
                InvoiceRow.owner_id == owner_id, InvoiceRow.lessee_id == lessee_id, InvoiceRow.period == period
            )
        ):
            raise Conflict(f"the invoice of {period} to this lessee is issued already")
        problems = _unmetered(session, owner_id, lessee_id, start_us, end_us)
        if problems:
            raise Conflict("the month cannot be invoiced yet: " + "; ".join(problems))
        chain = _verified_chain(session, owner_id)
        chosen_rows = session.scalars(
            select(MeterRecordRow).where(
                MeterRecordRow.owner_id == owner_id,
                MeterRecordRow.lessee_id == lessee_id,
                MeterRecordRow.period == period,
            )
        ).all()
        if not chosen_rows:
            raise InputError.for_field("body.period", f"nothing was metered for this lessee in {period}")
        chosen = {row.record_id for row in chosen_rows}
        listing_of = {row.booking_id: row.listing_id for row in chosen_rows}
        lines = _priced(session, [r for r in chain if r.record_id in chosen], listing_of)
        invoice = InvoiceRow(
            number=_next_number(session, owner_id, period), owner_id=owner_id, lessee_id=lessee_id, period=period,
            total_cny=invoicing.total(line for _, line in lines), head_seq=chain[-1].seq, head_hash=chain[-1].hash,
            record_ids=sorted(chosen), issued_by=actor.user_id, issued_at=now,
        )  # fmt: skip
        session.add(invoice)
        session.flush()
        for position, (booking_id, line) in enumerate(lines):
            session.add(_line_row(session, invoice.id, position, booking_id, listing_of[booking_id], line))
        session.flush()
        audit.record(
            session, actor, action="share_invoice.issue", entity_type="share_invoice", entity_id=invoice.id,
            organisation_id=owner_id,
            after={"number": invoice.number, "lessee_id": lessee_id, "period": period, "total": str(invoice.total_cny)},
        )  # fmt: skip
    return invoice


def _line_row(
    session: Session, invoice_id: int, position: int, booking_id: int, listing_id: int, line: InvoiceLine
) -> InvoiceLineRow:
    book = tariff_book(session, listing_id)
    return InvoiceLineRow(
        invoice_id=invoice_id, position=position, booking_id=booking_id, listing_id=listing_id,
        kind=line.kind.value, tariff_pk=book.row_ids[line.tariff_version], tariff_version=line.tariff_version,
        component=line.component, quantity=meterlog.decimal_text(line.quantity), unit=line.unit,
        unit_rate=meterlog.decimal_text(line.unit_rate),
        amount_cny=line.amount, record_ids=list(line.record_ids),
        intervals=[[i.start_us, i.end_us] for i in line.intervals], basis_us=line.basis_us, note=line.note,
    )  # fmt: skip


def line_of(row: InvoiceLineRow) -> InvoiceLine:
    """The pure line a stored row holds (amounts and quantities exactly as issued)."""
    return InvoiceLine(
        kind=LineKind(row.kind),
        tariff_id=str(row.listing_id),
        tariff_version=row.tariff_version,
        component=row.component,
        quantity=Decimal(row.quantity),
        unit=row.unit,
        unit_rate=Decimal(row.unit_rate),
        amount=Decimal(row.amount_cny).quantize(Decimal("0.01")),
        record_ids=tuple(row.record_ids),
        intervals=tuple(Interval(int(a), int(b)) for a, b in row.intervals),
        basis_us=row.basis_us,
        note=row.note,
    )


def lines_of(session: Session, invoice_id: int) -> list[InvoiceLineRow]:
    return list(
        session.scalars(
            select(InvoiceLineRow).where(InvoiceLineRow.invoice_id == invoice_id).order_by(InvoiceLineRow.position)
        )
    )


def _same(stored: InvoiceLine, fresh: InvoiceLine) -> bool:
    def key(line: InvoiceLine) -> tuple[object, ...]:
        return (
            line.kind, line.tariff_version, line.component, line.quantity.normalize(), line.unit,
            line.unit_rate.normalize(), line.amount, line.record_ids, line.intervals, line.basis_us, line.note,
        )  # fmt: skip

    return key(stored) == key(fresh)


def recompute(session: Session, invoice: InvoiceRow) -> Recomputation:
    """Re-verify the owner's log up to the invoice's head and re-price its records; compare line by line."""
    problems: list[str] = []
    rows = chain_rows(session, invoice.owner_id, invoice.head_seq)
    records = [as_record(row) for row in rows]
    if not records or records[-1].seq != invoice.head_seq or records[-1].hash != invoice.head_hash:
        problems.append(
            f"the meter log no longer reaches the invoice's head (record {invoice.head_seq}): truncated or rewritten"
        )
    verdict = meterlog.verify(records)
    if not verdict.ok:
        problems.append(verdict.reason or "the meter log is broken")
    listing_of = {row.booking_id: row.listing_id for row in rows}
    chosen = set(invoice.record_ids)
    missing = chosen - {record.record_id for record in records}
    if missing:
        problems.append(f"records of the invoice are missing from the log: {', '.join(sorted(missing))}")
    try:
        fresh = _priced(session, [r for r in records if r.record_id in chosen], listing_of)
    except InputError as error:  # an altered record may no longer price at all
        problems.append(error.message)
        fresh = []
    stored = [(row.booking_id, line_of(row)) for row in lines_of(session, invoice.id)]
    if len(fresh) != len(stored):
        problems.append(f"{len(fresh)} lines recomputed, {len(stored)} issued")
    for index, ((booking_a, a), (booking_b, b)) in enumerate(zip(stored, fresh, strict=False)):
        if booking_a != booking_b or not _same(a, b):
            problems.append(
                f"line {index + 1} ({a.kind.value}): issued {a.quantity} × {a.unit_rate} = {a.amount}, "
                f"recomputed {b.quantity} × {b.unit_rate} = {b.amount}"
            )
    fresh_total = invoicing.total(line for _, line in fresh)
    if fresh_total != invoice.total_cny:
        problems.append(f"total issued {invoice.total_cny}, recomputed {fresh_total}")
    return Recomputation(not problems, tuple(problems), tuple(fresh), fresh_total)


def get_invoice(session: Session, actor: Principal, invoice_id: int) -> InvoiceRow:
    """An invoice its owner or its lessee (or a platform administrator) may see; 404 for anyone else."""
    invoice = session.get(InvoiceRow, invoice_id)
    if invoice is None or not (actor.may_access_tenant(invoice.owner_id) or actor.may_access_tenant(invoice.lessee_id)):
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice

"""What the invoice API, pages and documents show of invoices: a caller's invoices, one invoice with its lines
grouped by booking, its disputes, credit notes and the tariff versions that priced it, and the meter records it
covers (so that a lessee can recompute it by hand). Reads only; the services in ``invoices`` and ``disputes``
change things."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.errors import NotFound
from zhizao.sharing.billing_models import (
    CreditNoteRow,
    DisputeRow,
    DisputeStatus,
    InvoiceLineRow,
    InvoiceRow,
    MeterRecordRow,
)
from zhizao.sharing.bookings import Side
from zhizao.sharing.disputes import credit_notes, disputes_of
from zhizao.sharing.invoices import lines_of
from zhizao.sharing.invoicing import LineKind
from zhizao.sharing.models import Booking, SharedEquipment, Tariff
from zhizao.telemetry.timeutil import from_us
from zhizao.ui.i18n import N_

CENT = Decimal("0.01")
LINE_KIND_LABELS: dict[str, str] = {
    LineKind.TIME: N_("Machine time"),
    LineKind.WEAR: N_("Wear"),
    LineKind.WEAR_NOT_METERED: N_("Wear not metered"),
    LineKind.SETUP: N_("Setups"),
    LineKind.INCIDENT: N_("Incidents"),
    LineKind.SLA_CREDIT: N_("Owner downtime credit"),
    LineKind.CANCELLATION: N_("Cancellation fee"),
    LineKind.NO_SHOW: N_("No-show fee"),
}
UNIT_LABELS: dict[str, str] = {
    "h": N_("h"),
    "damage": N_("of a life"),
    "setup": N_("setups"),
    "incident": N_("incidents"),
}
INVOICE_STATUS_LABELS: dict[str, str] = {
    "issued": N_("Issued"),
    "disputed": N_("Disputed"),
    "settled": N_("Settled"),
}
DISPUTE_STATUS_LABELS: dict[str, str] = {
    DisputeStatus.OPEN: N_("Awaiting answer"),
    DisputeStatus.ACCEPTED: N_("Accepted with credit"),
    DisputeStatus.REJECTED: N_("Rejected with answer"),
}


def cny(value: Decimal | int | float) -> Decimal:
    """An amount as stored (a backend may hand back a float or another scale), to the fen."""
    return Decimal(str(value)).quantize(CENT)


@dataclass(frozen=True, slots=True)
class BookingLines:
    booking_id: int
    listing_id: int
    listing_title: str
    start_at: datetime
    end_at: datetime
    lines: tuple[InvoiceLineRow, ...]

    @property
    def subtotal(self) -> Decimal:
        return sum((cny(line.amount_cny) for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class InvoiceView:
    invoice: InvoiceRow
    owner_name: str
    lessee_name: str
    bookings: tuple[BookingLines, ...]
    disputes: tuple[DisputeRow, ...]
    credit_notes: tuple[CreditNoteRow, ...]
    tariffs: tuple[Tariff, ...]  # the versions its lines name, by listing and version

    @property
    def lines(self) -> list[InvoiceLineRow]:
        return [line for group in self.bookings for line in group.lines]

    @property
    def line_numbers(self) -> dict[int, int]:
        """Line id → its number on the invoice (1, 2, …)."""
        return {line.id: line.position + 1 for line in self.lines}

    @property
    def listing_titles(self) -> dict[int, str]:
        return {group.listing_id: group.listing_title for group in self.bookings}

    @property
    def credited(self) -> Decimal:
        return sum((cny(note.amount_cny) for note in self.credit_notes), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        return cny(self.invoice.total_cny) - self.credited

    def credited_on(self, line_id: int) -> Decimal:
        return sum(
            (cny(d.credit_cny) for d in self.disputes if d.line_id == line_id and d.credit_cny is not None),
            Decimal("0.00"),
        )

    def open_dispute(self, line_id: int) -> DisputeRow | None:
        return next((d for d in self.disputes if d.line_id == line_id and d.status is DisputeStatus.OPEN), None)


def side_of(actor: Principal, invoice: InvoiceRow) -> Side | None:
    """Which party the caller is on this invoice (None for an administrator or officer of neither)."""
    if actor.organisation_id == invoice.owner_id:
        return Side.OWNER
    if actor.organisation_id == invoice.lessee_id:
        return Side.LESSEE
    return None


def list_invoices(
    session: Session, actor: Principal, *, side: Side | None = None, period: str | None = None,
    offset: int = 0, limit: int = 50,
) -> tuple[Sequence[InvoiceRow], int]:  # fmt: skip
    """The caller's invoices, as owner or lessee (``side`` narrows it); administrators and officers see all, and
    with ``side`` those of their own organisation on that side."""
    query = select(InvoiceRow)
    org = actor.organisation_id
    if not actor.sees_all_tenants:
        query = query.where(or_(InvoiceRow.owner_id == org, InvoiceRow.lessee_id == org))
    if side is Side.OWNER:
        query = query.where(InvoiceRow.owner_id == org)
    elif side is Side.LESSEE:
        query = query.where(InvoiceRow.lessee_id == org)
    if period:
        query = query.where(InvoiceRow.period == period)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(InvoiceRow.period.desc(), InvoiceRow.id.desc()).offset(offset).limit(limit))
    return rows.all(), total


def organisation_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted)))
    return {int(org_id): str(name) for org_id, name in rows}


def _tariffs(session: Session, lines: Sequence[InvoiceLineRow]) -> tuple[Tariff, ...]:
    ids = {line.tariff_pk for line in lines}
    if not ids:
        return ()
    rows = session.scalars(select(Tariff).where(Tariff.id.in_(ids)).order_by(Tariff.listing_id, Tariff.version))
    return tuple(rows)


def invoice_view(session: Session, invoice: InvoiceRow) -> InvoiceView:
    """The invoice with everything its pages and documents show; the caller has checked it may see it."""
    lines = lines_of(session, invoice.id)
    booking_ids = sorted({line.booking_id for line in lines})
    bookings = {b.id: b for b in session.scalars(select(Booking).where(Booking.id.in_(booking_ids)))}
    listing_ids = {line.listing_id for line in lines}
    rows = session.execute(select(SharedEquipment.id, SharedEquipment.title).where(SharedEquipment.id.in_(listing_ids)))
    titles = {int(listing_id): str(title) for listing_id, title in rows}
    groups = []
    for booking_id in booking_ids:
        own = tuple(line for line in lines if line.booking_id == booking_id)
        booking = bookings[booking_id]
        title = titles.get(own[0].listing_id, "")
        groups.append(BookingLines(booking_id, own[0].listing_id, title, booking.start_at, booking.end_at, own))
    names = organisation_names(session, (invoice.owner_id, invoice.lessee_id))
    return InvoiceView(
        invoice=invoice, owner_name=names.get(invoice.owner_id, str(invoice.owner_id)),
        lessee_name=names.get(invoice.lessee_id, str(invoice.lessee_id)), bookings=tuple(groups),
        disputes=tuple(disputes_of(session, invoice.id)), credit_notes=tuple(credit_notes(session, invoice.id)),
        tariffs=_tariffs(session, lines),
    )  # fmt: skip


def covered_records(session: Session, invoice: InvoiceRow) -> list[MeterRecordRow]:
    """The meter records the invoice prices, in log order."""
    if not invoice.record_ids:
        return []
    query = select(MeterRecordRow).where(
        MeterRecordRow.owner_id == invoice.owner_id, MeterRecordRow.record_id.in_(list(invoice.record_ids))
    )
    return list(session.scalars(query.order_by(MeterRecordRow.seq)))


@dataclass(frozen=True, slots=True)
class Counterparty:
    """A lessee the owner may invoice: an organisation with bookings on the owner's equipment."""

    owner_id: int
    owner_name: str
    lessee_id: int
    lessee_name: str


def invoiceable_lessees(session: Session, actor: Principal) -> list[Counterparty]:
    """Lessees with bookings on the caller's equipment (every owner's, for an administrator)."""
    query = select(Booking.owner_id, Booking.lessee_id).distinct()
    if not actor.sees_all_tenants:
        query = query.where(Booking.owner_id == actor.organisation_id)
    pairs = [(int(owner), int(lessee)) for owner, lessee in session.execute(query.limit(500))]
    names = organisation_names(session, {org for pair in pairs for org in pair})
    found = [Counterparty(o, names.get(o, str(o)), le, names.get(le, str(le))) for o, le in pairs]
    return sorted(found, key=lambda party: (party.owner_name, party.lessee_name))


def dispute_in_scope(session: Session, actor: Principal, dispute_id: int) -> DisputeRow:
    """A dispute either party (or an administrator or officer) may see; 404 for anyone else."""
    dispute = session.get(DisputeRow, dispute_id)
    if dispute is None or not (actor.may_access_tenant(dispute.owner_id) or actor.may_access_tenant(dispute.lessee_id)):
        raise NotFound(f"dispute {dispute_id} not found")
    return dispute


def has_bookings(session: Session, owner_id: int, lessee_id: int) -> bool:
    found = session.scalar(
        select(Booking.id).where(Booking.owner_id == owner_id, Booking.lessee_id == lessee_id).limit(1)
    )
    return found is not None


# -- time, as documents and pages show it ---------------------------------------------------------------------------


def local_moment(at_us: int, zone: ZoneInfo, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    return from_us(at_us).astimezone(zone).strftime(pattern)


def interval_text(start_us: int, end_us: int, zone: ZoneInfo) -> str:
    """``10-05 08:20:00–09:00:00`` (the end's day only when it is another day)."""
    start, end = from_us(start_us).astimezone(zone), from_us(end_us).astimezone(zone)
    tail = end.strftime("%H:%M:%S") if end.date() == start.date() else end.strftime("%m-%d %H:%M:%S")
    return f"{start:%m-%d %H:%M:%S}–{tail}"


def intervals_text(intervals: Iterable[Sequence[int]], zone: ZoneInfo, limit: int | None = None) -> str:
    """Meter intervals in local time, ``; ``-separated; past ``limit`` of them, how many more."""
    spans = [interval_text(int(pair[0]), int(pair[1]), zone) for pair in intervals]
    if limit is not None and len(spans) > limit:
        return "; ".join(spans[:limit]) + f"; … (+{len(spans) - limit})"
    return "; ".join(spans)


def rates_text(rates: dict[str, Any]) -> str:
    """A tariff version's rates on one line, as stored (``wear_rates: spindle=90000.00``), in a reading order."""
    order = ("hourly_rate", "setup_rate", "wear_rates", "incident_rates", "sla_credit_rate", "no_show_share")
    parts = []
    for key in (key for key in order if key in rates):
        value = rates[key]
        if isinstance(value, dict):
            parts.append(f"{key}: " + (", ".join(f"{name}={rate}" for name, rate in value.items()) or "—"))
        else:
            parts.append(f"{key}={value}")
    if "cancellation" in rates:
        bands = ", ".join(f"≥{band['min_notice_h']} h: {band['share']}" for band in rates["cancellation"])
        parts.append(f"cancellation: {bands}")
    return "; ".join(parts)

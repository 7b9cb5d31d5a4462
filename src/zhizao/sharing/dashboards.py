"""Figures of the sharing dashboards for owners and for the programme office (lessees: ``dashboards_lessee``).

Owner, per machine and local month:
- utilisation = billed hours ÷ available hours. Billed hours are the ``usage`` meter records (billable machine time
  as invoiced, µs); available hours are the owner's availability windows inside the month. Both count from what the
  platform recorded: a machine offered with no window that month has no utilisation (None), not 0.
- revenue = the machine's invoice lines of the month minus the credit notes issued on those lines (owner totals:
  the invoices' totals minus their credit notes). Credit notes count in the month of the invoice they correct.
- wear: ΣΔD of the ``wear`` meter records per component since its last recorded replacement, and remaining life
  = 1 − ΣΔD (see ``components`` for the assumption behind it).
Programme: shared machines (published listings), owners, SMEs served (distinct lessee enterprises with at least one
completed booking) and billed machine hours per month — the figure for the platform targets: see docs/sharing.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import NotFound, PermissionDenied
from zhizao.sharing import components
from zhizao.sharing.billing_models import CreditNoteRow, DisputeRow, InvoiceLineRow, InvoiceRow, MeterRecordRow
from zhizao.sharing.dashboard_schemas import (
    MachineFigures,
    MachineMonth,
    MonthAmount,
    MonthHours,
    OwnerDashboard,
    ProgrammeDashboard,
)
from zhizao.sharing.models import AvailabilityWindow, Booking, BookingStatus, SharedEquipment
from zhizao.telemetry.timeutil import from_us, to_us

US_PER_HOUR = Decimal(3_600_000_000)
HOURS = Decimal("0.01")
SHARE = Decimal("0.0001")
MAX_MONTHS = 36


def periods(now: datetime, zone: ZoneInfo, months: int) -> list[str]:
    """The last ``months`` local months up to the one holding ``now``, oldest first ('YYYY-MM')."""
    local = now.astimezone(zone)
    index = local.year * 12 + local.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def month_bounds(period: str, zone: ZoneInfo) -> tuple[int, int]:
    """[start_us, end_us) of a local month."""
    year, month = (int(part) for part in period.split("-"))
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return to_us(datetime(year, month, 1, tzinfo=zone)), to_us(datetime(*following, 1, tzinfo=zone))


def scope(actor: Principal, enterprise_id: int | None) -> int | None:
    """The enterprise whose figures the caller may see: an enterprise user its own (another's id is 404);
    administrators and officers any, or every enterprise (None)."""
    if actor.role == Role.ENTERPRISE:
        if enterprise_id is not None and enterprise_id != actor.organisation_id:
            raise NotFound(f"organisation {enterprise_id} not found")
        return actor.organisation_id
    if actor.sees_all_tenants:
        return enterprise_id
    raise PermissionDenied(f"role {actor.role.value} has no sharing dashboard")


def hours(us: Decimal | int) -> Decimal:
    return (Decimal(us) / US_PER_HOUR).quantize(HOURS, rounding=ROUND_HALF_UP)


def _available_us(windows: Iterable[AvailabilityWindow], start_us: int, end_us: int) -> int:
    return sum(max(0, min(to_us(w.end_at), end_us) - max(to_us(w.start_at), start_us)) for w in windows)


def _money(rows: Iterable[tuple[object, ...]]) -> dict[tuple[object, ...], Decimal]:
    """Σ of the last column per the other columns; summed here so that every backend adds Decimals exactly."""
    sums: dict[tuple[object, ...], Decimal] = defaultdict(Decimal)
    for *key, amount in rows:
        sums[tuple(key)] += Decimal(str(amount))
    return sums


def _line_revenue(session: Session, owner: int | None, months: Sequence[str]) -> dict[tuple[object, ...], Decimal]:
    lines = select(InvoiceLineRow.listing_id, InvoiceRow.period, InvoiceLineRow.amount_cny).join(
        InvoiceRow, InvoiceRow.id == InvoiceLineRow.invoice_id
    )
    credits = (
        select(InvoiceLineRow.listing_id, InvoiceRow.period, CreditNoteRow.amount_cny)
        .join(DisputeRow, DisputeRow.id == CreditNoteRow.dispute_id)
        .join(InvoiceLineRow, InvoiceLineRow.id == DisputeRow.line_id)
        .join(InvoiceRow, InvoiceRow.id == CreditNoteRow.invoice_id)
    )
    if owner is not None:
        lines, credits = lines.where(InvoiceRow.owner_id == owner), credits.where(InvoiceRow.owner_id == owner)
    revenue = _money(session.execute(lines.where(InvoiceRow.period.in_(months))))
    for key, amount in _money(session.execute(credits.where(InvoiceRow.period.in_(months)))).items():
        revenue[key] = revenue.get(key, Decimal(0)) - amount
    return revenue


def month_amounts(session: Session, months: Sequence[str], *where: ColumnElement[bool]) -> list[MonthAmount]:
    """Invoiced, credited and net per month of the invoices ``where`` selects (e.g. one owner's)."""
    invoices = select(InvoiceRow.period, InvoiceRow.total_cny).where(InvoiceRow.period.in_(months), *where)
    credits = (
        select(InvoiceRow.period, CreditNoteRow.amount_cny)
        .join(InvoiceRow, InvoiceRow.id == CreditNoteRow.invoice_id)
        .where(InvoiceRow.period.in_(months), *where)
    )
    invoiced = _money(session.execute(invoices))
    credited = _money(session.execute(credits))
    out = []
    for period in months:
        billed, credit = invoiced.get((period,), Decimal("0.00")), credited.get((period,), Decimal("0.00"))
        out.append(MonthAmount(period=period, invoiced_cny=billed, credited_cny=credit, net_cny=billed - credit))
    return out


def _statuses(rows: Iterable[tuple[BookingStatus, int]]) -> dict[BookingStatus, int]:
    counts = Counter(dict.fromkeys(BookingStatus, 0))
    for status, count in rows:
        counts[BookingStatus(status)] += int(count)
    return dict(counts)


def owner_dashboard(
    session: Session, actor: Principal, enterprise_id: int | None, now: datetime, zone: ZoneInfo, months: int = 12
) -> OwnerDashboard:
    owner = scope(actor, enterprise_id)
    shown = periods(now, zone, months)
    query = select(SharedEquipment).order_by(SharedEquipment.id)
    if owner is not None:
        query = query.where(SharedEquipment.enterprise_id == owner)
    listings = list(session.scalars(query.limit(500)))
    ids = [listing.id for listing in listings]
    first_us, last_us = month_bounds(shown[0], zone)[0], month_bounds(shown[-1], zone)[1]
    usage: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for listing_id, period, quantity in session.execute(
        select(MeterRecordRow.listing_id, MeterRecordRow.period, MeterRecordRow.quantity).where(
            MeterRecordRow.listing_id.in_(ids), MeterRecordRow.kind == "usage", MeterRecordRow.period.in_(shown)
        )
    ):
        usage[(listing_id, period)] += Decimal(quantity)
    wear = components.lives(session, listings)
    windows: dict[int, list[AvailabilityWindow]] = defaultdict(list)
    for window in session.scalars(
        select(AvailabilityWindow).where(
            AvailabilityWindow.listing_id.in_(ids),
            AvailabilityWindow.start_at < from_us(last_us),
            AvailabilityWindow.end_at > from_us(first_us),
        )
    ):
        windows[window.listing_id].append(window)
    revenue = _line_revenue(session, owner, shown)
    statuses: dict[int, list[tuple[BookingStatus, int]]] = defaultdict(list)
    for listing_id, status, count in session.execute(
        select(Booking.listing_id, Booking.status, func.count())
        .where(Booking.listing_id.in_(ids))
        .group_by(Booking.listing_id, Booking.status)
    ):
        statuses[listing_id].append((status, count))
    machines = []
    for listing in listings:
        rows = []
        for period in shown:
            billed_us = usage.get((listing.id, period), Decimal(0))
            available_us = _available_us(windows[listing.id], *month_bounds(period, zone))
            share = (billed_us / available_us).quantize(SHARE, ROUND_HALF_UP) if available_us else None
            rows.append(
                MachineMonth(
                    period=period, billed_hours=hours(billed_us), available_hours=hours(available_us),
                    utilisation=share, revenue_cny=revenue.get((listing.id, period), Decimal("0.00")),
                )
            )  # fmt: skip
        machines.append(
            MachineFigures(
                listing_id=listing.id, title=listing.title, published=listing.published, months=rows,
                wear=wear[listing.id],
                bookings=_statuses(statuses[listing.id]),
            )
        )  # fmt: skip
    totals = _statuses((status, count) for machine in machines for status, count in machine.bookings.items())
    amounts = month_amounts(session, shown, *([] if owner is None else [InvoiceRow.owner_id == owner]))
    return OwnerDashboard(enterprise_id=owner, periods=shown, machines=machines, revenue=amounts, bookings=totals)


def programme_dashboard(session: Session, now: datetime, zone: ZoneInfo, months: int = 12) -> ProgrammeDashboard:
    """Across every owner and lessee (the programme office sees all tenants)."""
    shown = periods(now, zone, months)
    published = SharedEquipment.published.is_(True)
    machines = session.scalar(select(func.count()).select_from(SharedEquipment).where(published)) or 0
    owners = session.scalar(select(func.count(distinct(SharedEquipment.enterprise_id))).where(published)) or 0
    served = session.scalar(
        select(func.count(distinct(Booking.lessee_id))).where(Booking.status == BookingStatus.COMPLETED)
    )
    billed: dict[str, Decimal] = defaultdict(Decimal)
    for period, quantity in session.execute(
        select(MeterRecordRow.period, MeterRecordRow.quantity).where(
            MeterRecordRow.kind == "usage", MeterRecordRow.period.in_(shown)
        )
    ):
        billed[period] += Decimal(quantity)
    per_month = [MonthHours(period=period, billed_hours=hours(billed[period])) for period in shown]
    return ProgrammeDashboard(
        periods=shown, shared_machines=machines, owners=owners, smes_served=served or 0, billed_hours=per_month,
        billed_hours_total=hours(sum(billed.values(), Decimal(0))),
    )  # fmt: skip

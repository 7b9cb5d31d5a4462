"""What the sharing dashboards show (the JSON API returns these; the pages render them). Months are local
calendar months ('YYYY-MM', the platform's time zone), as invoices and meter records are."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from zhizao.sharing.models import BookingStatus


class MachineMonth(BaseModel):
    period: str
    billed_hours: Decimal  # Σ usage meter records (billable machine time), 2 places
    available_hours: Decimal  # Σ availability windows inside the month, 2 places
    utilisation: Decimal | None  # billed ÷ available, 4 places; None without availability
    revenue_cny: Decimal  # the machine's invoice lines of the month minus credit notes on them


class ComponentLife(BaseModel):
    component_id: str
    replaced_at: datetime | None  # the last recorded replacement; None: the component metering began with
    consumed: Decimal  # Σ ΔD of the wear meter records since then (1 = one whole life)
    remaining: Decimal  # 1 − consumed: see ``components`` for the assumption behind it


class MachineFigures(BaseModel):
    listing_id: int
    title: str
    published: bool
    months: list[MachineMonth]
    wear: list[ComponentLife]
    bookings: dict[BookingStatus, int]


class MonthAmount(BaseModel):
    period: str
    invoiced_cny: Decimal  # Σ issued invoices' totals of the month
    credited_cny: Decimal  # Σ credit notes on those invoices
    net_cny: Decimal


class OwnerDashboard(BaseModel):
    enterprise_id: int | None  # None: every owner (administrators and officers)
    periods: list[str]
    machines: list[MachineFigures]
    revenue: list[MonthAmount]
    bookings: dict[BookingStatus, int]


class LesseeBookingRow(BaseModel):
    id: int
    listing_id: int
    title: str
    status: BookingStatus
    start_at: datetime
    end_at: datetime
    quote_cny: Decimal
    job_id: str | None


class LiveJob(BaseModel):
    """The machine as it is now, while the lessee's job runs: only samples taken since the job started."""

    booking_id: int
    listing_id: int
    title: str
    started_at: datetime
    state: int | None  # OPC 40001 MachineryItemState
    mode: int | None  # OPC 40001 OperationMode
    good_parts: float | None  # counted since the job started
    scrap_parts: float | None
    updated_at: datetime | None  # the newest sample shown


class LesseeDashboard(BaseModel):
    enterprise_id: int | None
    periods: list[str]
    bookings: list[LesseeBookingRow]
    live: list[LiveJob]
    costs: list[MonthAmount]


class MonthHours(BaseModel):
    period: str
    billed_hours: Decimal


class ProgrammeDashboard(BaseModel):
    periods: list[str]
    shared_machines: int  # published listings
    owners: int  # enterprises with a published listing
    smes_served: int  # distinct lessee enterprises with at least one completed booking
    billed_hours: list[MonthHours]  # Σ billed machine hours of all owners per month
    billed_hours_total: Decimal

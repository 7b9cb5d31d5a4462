"""The lessee's dashboard: my bookings, the live status of my running jobs and my costs per month.

A lessee sees the machine only through its own job: the live status is shown for bookings that are active (started
by the owner, not yet completed) and holds only samples taken since the job started — the machine's state, mode
and part counters as the telemetry store's ``latest()`` has them. A sample from before the start (the machine's
state while someone else used it) is never shown; the part counters are shown as parts made since the start.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.sharing.billing_models import InvoiceRow
from zhizao.sharing.dashboard_schemas import LesseeBookingRow, LesseeDashboard, LiveJob
from zhizao.sharing.dashboards import month_amounts, periods, scope
from zhizao.sharing.models import Booking, BookingStatus, SharedEquipment
from zhizao.telemetry.machinery import GOOD_COUNTER, MODE_SIGNAL, SCRAP_COUNTER, STATE_SIGNAL
from zhizao.telemetry.models import Signal
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import from_us, to_us

LIVE_SIGNALS = (STATE_SIGNAL, MODE_SIGNAL, GOOD_COUNTER, SCRAP_COUNTER)
COUNTER_LOOKBACK_US = 3_600_000_000  # a counter's reading before the job start is looked for this far back
RAW_PAGE = 10_000
MAX_BOOKINGS = 100


def _baseline(store: TelemetryStore, signal_id: int, start_us: int, now_us: int) -> float | None:
    """The counter's reading to count the job's parts from: the last before the job started (within the lookback),
    else the first since (which may already count the job's first part)."""
    last: float | None = None
    after: int | None = None
    while True:
        page = store.raw(signal_id, start_us - COUNTER_LOOKBACK_US, start_us, limit=RAW_PAGE, after_us=after)
        if page:
            last, after = page[-1].value, page[-1].ts_us
        if len(page) < RAW_PAGE:
            break
    if last is None:
        first = store.raw(signal_id, start_us, now_us + 1, limit=1)
        last = first[0].value if first else None
    return last


def _fields(booking: Booking) -> dict[str, object]:
    names = ("id", "listing_id", "status", "start_at", "end_at", "quote_cny", "job_id")
    return {name: getattr(booking, name) for name in names}


def live_job(session: Session, store: TelemetryStore, booking: Booking, title: str) -> LiveJob:
    """The machine now, as far as the job's own samples tell; ``booking`` must be active and started."""
    assert booking.started_at is not None
    started_us = to_us(booking.started_at)
    signals = {
        str(name): int(signal_id)
        for name, signal_id in session.execute(
            select(Signal.name, Signal.id)
            .where(Signal.equipment_id == booking.equipment_id, Signal.name.in_(LIVE_SIGNALS))
            .order_by(Signal.id.desc())
        )
    }
    latest = store.latest(list(signals.values()))
    # Only what the machine reported since the job started: older samples are the owner's or another lessee's time.
    fresh = {name: latest[sid] for name, sid in signals.items() if sid in latest and latest[sid].ts_us >= started_us}
    counts: dict[str, float | None] = {}
    for name in (GOOD_COUNTER, SCRAP_COUNTER):
        point = fresh.get(name)
        base = None if point is None else _baseline(store, signals[name], started_us, point.ts_us)
        counts[name] = None if point is None or base is None else max(point.value - base, 0.0)
    newest = max((point.ts_us for point in fresh.values()), default=None)
    state, mode = fresh.get(STATE_SIGNAL), fresh.get(MODE_SIGNAL)
    return LiveJob(
        booking_id=booking.id, listing_id=booking.listing_id, title=title, started_at=booking.started_at,
        state=None if state is None else int(state.value), mode=None if mode is None else int(mode.value),
        good_parts=counts[GOOD_COUNTER], scrap_parts=counts[SCRAP_COUNTER],
        updated_at=None if newest is None else from_us(newest),
    )  # fmt: skip


def lessee_dashboard(
    session: Session, store: TelemetryStore, actor: Principal, enterprise_id: int | None, now: datetime,
    zone: ZoneInfo, months: int = 12,
) -> LesseeDashboard:  # fmt: skip
    lessee = scope(actor, enterprise_id)
    shown = periods(now, zone, months)
    query = select(Booking, SharedEquipment.title).join(SharedEquipment, SharedEquipment.id == Booking.listing_id)
    if lessee is not None:
        query = query.where(Booking.lessee_id == lessee)
    rows = session.execute(query.order_by(Booking.start_at.desc()).limit(MAX_BOOKINGS)).all()
    bookings = [LesseeBookingRow.model_validate({**_fields(b), "title": title}) for b, title in rows]
    live = [
        live_job(session, store, b, title)
        for b, title in rows
        if b.status is BookingStatus.ACTIVE and b.started_at is not None
    ]
    costs = month_amounts(session, shown, *([] if lessee is None else [InvoiceRow.lessee_id == lessee]))
    return LesseeDashboard(enterprise_id=lessee, periods=shown, bookings=bookings, live=live, costs=costs)

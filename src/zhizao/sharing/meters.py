"""Meter writers: bookings → records in the owner's hash-chained meter log, from the state ledger and telemetry.

Each booking is metered in its own transaction, which first locks the owner's chain (an advisory lock on
PostgreSQL; on SQLite the first statement is an UPDATE, which takes the database's single write lock), appends
records after the chain's head and advances ``metered_until_us``. The unique (owner, seq) and record-id constraints
refuse any record written twice, whatever happens around the lock.

What gets metered:
- a job (started, then active or completed): up to the time the ledger is built (a completed job an hour after its
  completion in any case), see :mod:`zhizao.sharing.meter_entries`;
- a confirmed booking cancelled by the lessee: one cancellation record (the tariff's notice bands price it);
- a no-show: one no-show record over the booked window.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from zhizao.db.engine import Database
from zhizao.production.ledger import Span
from zhizao.production.models import LedgerProgress, StateInterval
from zhizao.sharing import meterlog
from zhizao.sharing.billing_models import MeterRecordRow
from zhizao.sharing.meter_entries import Incident, JobStretch, job_entries, reported_windows
from zhizao.sharing.metering import Interval
from zhizao.sharing.meterlog import MeterEntry, MeterKind, MeterRecord
from zhizao.sharing.models import Booking, BookingStatus, SharedEquipment
from zhizao.sharing.pricing import tariff_book
from zhizao.sharing.tariffs import IncidentKind
from zhizao.sharing.wear import (
    ComponentSpec,
    SpindleSegment,
    SpindleSpec,
    ThermalCycle,
    ThermalSpec,
    ToolCounterReading,
    ToolSpec,
    WearSignals,
    parse_specs,
)
from zhizao.telemetry.alarms.models import AlarmEvent
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.paging import all_raw, all_raw_text
from zhizao.telemetry.timeutil import to_us

log = logging.getLogger(__name__)

JOB_SIGNAL = "job_id"  # text: the job id the machine is working for (sent to it when the job starts)
SPEED_SIGNAL = "spindle_speed_rpm"
LOAD_SIGNAL = "spindle_load_pct"
# Each sample is one thermal cycle that closed at its time, the value its range ΔT in kelvin (counted on the
# controller or the gateway, e.g. by rainflow on the spindle-motor temperature).
THERMAL_SIGNAL = "thermal_cycle_k"
TOOL_SIGNAL_PREFIX = "tool_life_"  # + the component id: the controller's tool-life counter (minutes or parts used)
CHAIN_LOCK_NAMESPACE = 0x5348  # "SH": the first key of the meter-chain advisory lock (the second is the owner id)
COMPLETION_GRACE = timedelta(hours=1)  # after this, a completed job is metered to its end even if the ledger lags
JOB_LOOKBACK_US = 3_600_000_000  # the machine may report the job id shortly before the owner's start action
SAMPLE_HOLD_US = 30_000_000  # a speed/load sample stands for at most this long
INCIDENT_EVENT = "condition_true"


@dataclass(slots=True)
class MeterSummary:
    bookings: int = 0
    records: int = 0
    failed: list[int] = field(default_factory=list)


# -- the chain -------------------------------------------------------------------------------------------------------


def as_record(row: MeterRecordRow) -> MeterRecord:
    entry = MeterEntry(
        record_id=row.record_id,
        machine_id=row.machine_id,
        booking_id=str(row.booking_id),
        kind=MeterKind(row.kind),
        start_us=row.start_us,
        end_us=row.end_us,
        quantity=Decimal(row.quantity),
        intervals=tuple(Interval(int(a), int(b)) for a, b in row.intervals),
        component=row.component,
        event_us=row.event_us,
        note=row.note,
    )
    return MeterRecord(entry, row.seq, row.prev_hash, row.hash)


def chain_rows(session: Session, owner_id: int, up_to_seq: int | None = None) -> list[MeterRecordRow]:
    query = select(MeterRecordRow).where(MeterRecordRow.owner_id == owner_id)
    if up_to_seq is not None:
        query = query.where(MeterRecordRow.seq <= up_to_seq)
    return list(session.scalars(query.order_by(MeterRecordRow.seq)))


def lock_chain(session: Session, owner_id: int) -> None:
    """Serialise writers of one owner's chain: as the transaction's first statement (on SQLite an UPDATE, which
    takes the database's single write lock; the row itself is left as it is)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :owner)"), {"ns": CHAIN_LOCK_NAMESPACE, "owner": owner_id}
        )
    else:
        session.execute(text("UPDATE organisation SET id = id WHERE id = :owner"), {"owner": owner_id})


def _head(session: Session, owner_id: int) -> MeterRecordRow | None:
    return session.scalar(
        select(MeterRecordRow).where(MeterRecordRow.owner_id == owner_id).order_by(MeterRecordRow.seq.desc()).limit(1)
    )


def _append(session: Session, booking: Booking, entries: Sequence[MeterEntry], zone: ZoneInfo) -> int:
    head = _head(session, booking.owner_id)
    seq, prev_hash = (0, meterlog.GENESIS_HASH) if head is None else (head.seq + 1, head.hash)
    for entry in entries:
        record = meterlog.link(entry, seq, prev_hash)
        session.add(
            MeterRecordRow(
                owner_id=booking.owner_id, seq=record.seq, record_id=entry.record_id, lessee_id=booking.lessee_id,
                listing_id=booking.listing_id, booking_id=booking.id, machine_id=entry.machine_id,
                kind=entry.kind.value, start_us=entry.start_us, end_us=entry.end_us,
                quantity=meterlog.decimal_text(entry.quantity),
                intervals=[[i.start_us, i.end_us] for i in entry.intervals], component=entry.component,
                event_us=entry.event_us, note=entry.note, prev_hash=record.prev_hash, hash=record.hash,
                period=period_of(entry.event_us if entry.kind is MeterKind.CANCELLATION else entry.start_us, zone),
            )
        )  # fmt: skip
        seq, prev_hash = record.seq + 1, record.hash
    session.flush()
    return len(entries)


# -- time ------------------------------------------------------------------------------------------------------------


def period_of(at_us: int | None, zone: ZoneInfo) -> str:
    moment = datetime.fromtimestamp((at_us or 0) / 1e6, zone)
    return f"{moment.year:04d}-{moment.month:02d}"


def month_bounds(period: str, zone: ZoneInfo) -> tuple[int, int]:
    """[start_us, end_us) of a 'YYYY-MM' month in local time."""
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return to_us(start), to_us(end)


def month_cuts(start_us: int, end_us: int, zone: ZoneInfo) -> list[int]:
    cuts: list[int] = []
    cursor = month_bounds(period_of(start_us, zone), zone)[1]
    while cursor < end_us:
        cuts.append(cursor)
        cursor = month_bounds(period_of(cursor, zone), zone)[1]
    return cuts


# -- inputs ----------------------------------------------------------------------------------------------------------


def _signal_ids(session: Session, equipment_id: int, names: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(Signal.name, Signal.id)
        .where(Signal.equipment_id == equipment_id, Signal.name.in_(names))
        .order_by(Signal.id.desc())
    )
    return {str(name): int(signal_id) for name, signal_id in rows}


def ledger_spans(session: Session, equipment_id: int, start_us: int, end_us: int) -> list[Span]:
    rows = session.scalars(
        select(StateInterval)
        .where(
            StateInterval.equipment_id == equipment_id, StateInterval.end_us > start_us, StateInterval.start_us < end_us
        )
        .order_by(StateInterval.start_us)
    )
    return [
        Span(
            max(row.start_us, start_us),
            min(row.end_us, end_us),
            MachineryItemState(row.state),
            OperationMode(row.mode),
            row.program,
        )
        for row in rows
    ]


def spindle_segments(
    store: TelemetryStore, speed_id: int, load_id: int, start_us: int, end_us: int
) -> list[SpindleSegment]:
    """Constant-condition segments from the speed and load samples: each sample holds until the next one of either
    signal, for at most ``SAMPLE_HOLD_US`` (a gap in the data is a gap in coverage, not a guess)."""
    speeds = all_raw(store, speed_id, start_us - SAMPLE_HOLD_US, end_us)
    loads = all_raw(store, load_id, start_us - SAMPLE_HOLD_US, end_us)
    events = sorted([(ts, 0, value) for ts, value in speeds] + [(ts, 1, value) for ts, value in loads])
    current: list[tuple[int, float] | None] = [None, None]
    segments: list[SpindleSegment] = []
    for index, (ts, which, value) in enumerate(events):
        current[which] = (ts, value)
        following = events[index + 1][0] if index + 1 < len(events) else end_us
        speed, load = current
        if speed is None or load is None or following <= ts:
            continue
        hold_end = min(following, speed[0] + SAMPLE_HOLD_US, load[0] + SAMPLE_HOLD_US, end_us)
        low = max(ts, start_us)
        if hold_end > low:
            segments.append(SpindleSegment(low, hold_end, speed[1], load[1]))
    return segments


def wear_signal_names(spec: ComponentSpec) -> tuple[str, ...]:
    """The signals the meter reads for one wear component."""
    if isinstance(spec, SpindleSpec):
        return (SPEED_SIGNAL, LOAD_SIGNAL)
    if isinstance(spec, ThermalSpec):
        return (THERMAL_SIGNAL,)
    return (TOOL_SIGNAL_PREFIX + spec.component_id,)


def _wear_signals(
    session: Session,
    store: TelemetryStore,
    equipment_id: int,
    specs: Sequence[ComponentSpec],
    start_us: int,
    end_us: int,
) -> WearSignals:
    """What the components need, read from telemetry; None where the machine lacks a signal (→ billed by time only)."""
    tool_names = {
        TOOL_SIGNAL_PREFIX + spec.component_id: spec.component_id for spec in specs if isinstance(spec, ToolSpec)
    }
    ids = _signal_ids(session, equipment_id, (SPEED_SIGNAL, LOAD_SIGNAL, THERMAL_SIGNAL, *tool_names))
    spindle = None
    if SPEED_SIGNAL in ids and LOAD_SIGNAL in ids:
        spindle = spindle_segments(store, ids[SPEED_SIGNAL], ids[LOAD_SIGNAL], start_us, end_us)
    thermal = None
    if THERMAL_SIGNAL in ids:
        thermal = [ThermalCycle(ts, value) for ts, value in all_raw(store, ids[THERMAL_SIGNAL], start_us, end_us)]
    # A counter step is attributed to its later reading, so the reading just before the stretch is needed too.
    tools = {
        component: [
            ToolCounterReading(ts, value) for ts, value in all_raw(store, ids[name], start_us - JOB_LOOKBACK_US, end_us)
        ]
        for name, component in tool_names.items()
        if name in ids
    }
    return WearSignals(spindle=spindle, thermal=thermal, tools=tools or None)


def _incidents(session: Session, listing: SharedEquipment, start_us: int, end_us: int) -> list[Incident]:
    if not listing.incident_alarms:
        return []
    rows = session.scalars(
        select(AlarmEvent).where(
            AlarmEvent.equipment_id == listing.equipment_id,
            AlarmEvent.event == INCIDENT_EVENT,
            AlarmEvent.rule_id.in_(list(listing.incident_alarms)),
            AlarmEvent.ts_us >= start_us,
            AlarmEvent.ts_us < end_us,
        )
    )
    return [Incident(f"alarm{row.id}", row.ts_us, IncidentKind(listing.incident_alarms[row.rule_id])) for row in rows]


def _built_until(session: Session, equipment_id: int) -> int:
    progress = session.get(LedgerProgress, equipment_id)
    return 0 if progress is None else progress.built_until_us


def _job_until(session: Session, booking: Booking, now: datetime) -> int:
    built = _built_until(session, booking.equipment_id)
    if booking.status is BookingStatus.COMPLETED and booking.completed_at is not None:
        end_us = to_us(booking.completed_at)
        return end_us if now >= booking.completed_at + COMPLETION_GRACE else min(end_us, built)
    return min(to_us(now), built)


# -- metering --------------------------------------------------------------------------------------------------------


def _job_stretch(
    session: Session, store: TelemetryStore, booking: Booking, listing: SharedEquipment, now: datetime, zone: ZoneInfo
) -> JobStretch | None:
    assert booking.started_at is not None and booking.job_id is not None
    started_us = to_us(booking.started_at)
    from_us = booking.metered_until_us or started_us
    until_us = _job_until(session, booking, now)
    if until_us <= from_us:
        return None
    equipment = session.get(Equipment, booking.equipment_id)
    assert equipment is not None
    book = tariff_book(session, booking.listing_id)
    specs = parse_specs(listing.wear_components, "listing.wear_components")
    job_signal = _signal_ids(session, equipment.id, (JOB_SIGNAL,)).get(JOB_SIGNAL)
    reported = None
    if job_signal is not None:
        readings = all_raw_text(store, job_signal, started_us - JOB_LOOKBACK_US, until_us)
        reported = reported_windows(readings, booking.job_id, until_us)
    return JobStretch(
        booking_id=booking.id,
        machine_id=equipment.code,
        job_started_us=started_us,
        from_us=from_us,
        until_us=until_us,
        spans=ledger_spans(session, equipment.id, started_us, until_us),
        reported=reported,
        cuts_us=month_cuts(from_us, until_us, zone) + book.changes_us,
        tariffs=book.versions,
        wear_specs=specs,
        wear_signals=_wear_signals(session, store, equipment.id, specs, from_us, until_us),
        incidents=_incidents(session, listing, from_us, until_us),
    )


def _closing_entry(booking: Booking, machine_id: str) -> MeterEntry:
    """The single record of a cancelled (after confirmation) or no-show booking."""
    start_us, end_us = to_us(booking.start_at), to_us(booking.end_at)
    cancelled = booking.status is BookingStatus.CANCELLED
    return MeterEntry(
        record_id=f"B{booking.id}-{'cancellation' if cancelled else 'no_show'}",
        machine_id=machine_id,
        booking_id=str(booking.id),
        kind=MeterKind.CANCELLATION if cancelled else MeterKind.NO_SHOW,
        start_us=start_us,
        end_us=end_us,
        quantity=Decimal(end_us - start_us),
        intervals=(Interval(start_us, end_us),),
        event_us=to_us(booking.cancelled_at) if cancelled and booking.cancelled_at else None,
    )


def meter_booking(session: Session, store: TelemetryStore, booking_id: int, now: datetime, zone: ZoneInfo) -> int:
    """Append the booking's due meter records in one transaction; the number of records written."""
    with session.begin():
        owner_id = session.scalar(select(Booking.owner_id).where(Booking.id == booking_id))
        if owner_id is None:
            return 0
        lock_chain(session, owner_id)
        booking = session.get(Booking, booking_id, populate_existing=True)
        assert booking is not None
        if booking.metering_closed:
            return 0
        listing = session.get(SharedEquipment, booking.listing_id)
        equipment = session.get(Equipment, booking.equipment_id)
        assert listing is not None and equipment is not None
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            written = _append(session, booking, [_closing_entry(booking, equipment.code)], zone)
            booking.metering_closed = True
            return written
        stretch = _job_stretch(session, store, booking, listing, now, zone)
        if stretch is None:
            return 0
        written = _append(session, booking, job_entries(stretch), zone)
        booking.metered_until_us = stretch.until_us
        completed_us = to_us(booking.completed_at) if booking.completed_at else None
        booking.metering_closed = completed_us is not None and stretch.until_us >= completed_us
        return written


def due_bookings(session: Session, owner_id: int | None = None) -> list[int]:
    """Bookings with metering to do: started jobs not closed, and cancellations/no-shows after a confirmation."""
    query = select(Booking.id).where(
        Booking.metering_closed.is_(False),
        or_(
            Booking.status.in_((BookingStatus.ACTIVE, BookingStatus.COMPLETED)) & Booking.started_at.is_not(None),
            Booking.status.in_((BookingStatus.CANCELLED, BookingStatus.NO_SHOW)) & Booking.job_id.is_not(None),
        ),
    )
    if owner_id is not None:
        query = query.where(Booking.owner_id == owner_id)
    return list(session.scalars(query.order_by(Booking.id)))


def meter_all(
    database: Database, store: TelemetryStore, now: datetime, zone: ZoneInfo, owner_id: int | None = None
) -> MeterSummary:
    """Meter every due booking, each in its own transaction; one failing booking does not stop the others."""
    summary = MeterSummary()
    with database.session() as session:
        due = due_bookings(session, owner_id)
    for booking_id in due:
        try:
            with database.session() as session:
                summary.records += meter_booking(session, store, booking_id, now, zone)
            summary.bookings += 1
        except Exception:
            log.exception("metering booking %s failed", booking_id)
            summary.failed.append(booking_id)
    return summary

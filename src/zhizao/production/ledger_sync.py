"""Keeps the state ledger of each piece of equipment in step with its state signals, late data included.

A sync derives intervals from the state and mode samples from where the ledger was built up to now. Late data is
found without touching the ingest path: for every hour of a look-back horizon the sync remembers how many samples
of the equipment's production signals the roll-ups held when it last built that hour; an hour whose count has
changed since is rebuilt, and so is everything after it. Operators' stop classifications survive a rebuild: a new
stop takes the reason of the old stop of the same state that it overlaps most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from zhizao.production.ledger import Span, StateSample, derive_spans
from zhizao.production.models import LedgerProgress, StateInterval
from zhizao.production.sources import (
    HOUR_US,
    ProductionSignals,
    first_sample_us,
    hourly_sample_counts,
)
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.paging import all_raw, all_raw_text

DAY_US = 24 * HOUR_US
_STATES = frozenset(float(code) for code in MachineryItemState)
_MODES = frozenset(float(code) for code in OperationMode)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    stale_after_us: int = 15 * 60_000_000  # no state sample for this long: the state is unknown
    horizon_us: int = 7 * DAY_US  # how far back late data is looked for on every sync
    backfill_us: int = 400 * DAY_US  # how far back a first sync goes


DEFAULT_SYNC = SyncOptions()


@dataclass(frozen=True, slots=True)
class LedgerChange:
    """What one sync changed for one piece of equipment: the ledger from ``from_us`` to ``to_us`` was rebuilt."""

    equipment_id: int
    from_us: int
    to_us: int
    intervals: int


def sync_equipment(
    session: Session,
    store: TelemetryStore,
    equipment_id: int,
    enterprise_id: int,
    signals: ProductionSignals,
    now_us: int,
    options: SyncOptions = DEFAULT_SYNC,
) -> LedgerChange | None:
    """Bring one equipment's ledger up to ``now_us``; None when it has no state signal or no data yet.

    Runs inside the caller's transaction, so the ledger and the progress marker commit together.
    """
    if signals.state is None or signals.mode is None:
        return None
    tracked = signals.tracked
    progress = session.get(LedgerProgress, equipment_id)
    if progress is None:
        first = first_sample_us(store, tracked, now_us)
        if first is None:
            return None
        progress = LedgerProgress(
            equipment_id=equipment_id, built_until_us=max(first, now_us - options.backfill_us), source_counts={}
        )
        session.add(progress)
    horizon_start = _floor(max(now_us - options.horizon_us, 0), HOUR_US)
    counts = hourly_sample_counts(store, tracked, horizon_start, now_us)
    rebuild_from = min([progress.built_until_us, *_changed_hours(progress.source_counts, counts, horizon_start)])
    rebuild_from = _floor(rebuild_from, HOUR_US)
    if rebuild_from >= now_us:
        return None
    spans = _derive(store, signals, rebuild_from, now_us, options)
    written = _replace(session, enterprise_id, equipment_id, spans, rebuild_from)
    progress.built_until_us = now_us
    progress.source_counts = {str(hour): count for hour, count in counts.items() if hour >= horizon_start}
    return LedgerChange(equipment_id, rebuild_from, now_us, written)


def _changed_hours(previous: dict[str, int], current: dict[int, int], horizon_start: int) -> list[int]:
    before = {int(hour): count for hour, count in previous.items() if int(hour) >= horizon_start}
    return [hour for hour in before.keys() | current.keys() if before.get(hour, 0) != current.get(hour, 0)]


def _derive(
    store: TelemetryStore, signals: ProductionSignals, start_us: int, end_us: int, options: SyncOptions
) -> list[Span]:
    # The state holding at start_us was set by a sample up to stale_after_us earlier.
    low = start_us - options.stale_after_us
    assert signals.state is not None and signals.mode is not None
    # A code outside OPC 40001 (a misconfigured PLC tag) is left out rather than blocking the ledger for good.
    state_rows, mode_rows = all_raw(store, signals.state, low, end_us), all_raw(store, signals.mode, low, end_us)
    states = [StateSample(ts, int(value)) for ts, value in state_rows if value in _STATES]
    modes = [StateSample(ts, int(value)) for ts, value in mode_rows if value in _MODES]
    programs = all_raw_text(store, signals.program, low, end_us) if signals.program is not None else []
    spans = derive_spans(states, modes, low, end_us, stale_after_us=options.stale_after_us, programs=programs)
    return [clipped for span in spans if (clipped := _clip(span, start_us, end_us)) is not None]


def _clip(span: Span, start_us: int, end_us: int) -> Span | None:
    low, high = max(span.start_us, start_us), min(span.end_us, end_us)
    return span._replace(start_us=low, end_us=high) if low < high else None


def _replace(session: Session, enterprise_id: int, equipment_id: int, spans: Sequence[Span], from_us: int) -> int:
    """Swap the ledger from ``from_us`` on for ``spans``, keeping reasons; returns the intervals written."""
    old = list(
        session.scalars(
            select(StateInterval)
            .where(StateInterval.equipment_id == equipment_id, StateInterval.end_us > from_us)
            .order_by(StateInterval.start_us)
        )
    )
    carried = [
        _Classification(
            row.start_us, row.end_us, row.state, row.mode, row.reason_id, row.classified_by, row.classified_at
        )
        for row in old
        if row.reason_id is not None
    ]
    previous: StateInterval | None = None
    for row in old:
        if row.start_us < from_us:
            row.end_us = from_us  # the interval straddling the rebuild point keeps its part before it
            previous = row
    session.execute(
        delete(StateInterval).where(StateInterval.equipment_id == equipment_id, StateInterval.start_us >= from_us)
    )
    session.flush()
    if spans and previous is not None and previous.end_us == spans[0].start_us and _same(previous, spans[0]):
        previous.end_us = spans[0].end_us  # one interval, not two, across the rebuild point
        session.flush()
        spans = spans[1:]
    rows = []
    for span in spans:
        reason = _carried_reason(span, carried)
        rows.append(
            {
                "enterprise_id": enterprise_id,
                "equipment_id": equipment_id,
                "start_us": span.start_us,
                "end_us": span.end_us,
                "state": int(span.state),
                "mode": int(span.mode),
                "program": span.program,
                "reason_id": reason.reason_id if reason else None,
                "classified_by": reason.by if reason else None,
                "classified_at": reason.at if reason else None,
            }
        )
    if rows:
        # One executemany, not an ORM object per interval: a first sync writes months of intervals.
        session.execute(insert(StateInterval), rows)
    return len(rows)


def _same(row: StateInterval, span: Span) -> bool:
    return (row.state, row.mode, row.program) == (int(span.state), int(span.mode), span.program)


@dataclass(frozen=True, slots=True)
class _Classification:
    start_us: int
    end_us: int
    state: int
    mode: int
    reason_id: int
    by: int | None
    at: datetime | None


def _carried_reason(span: Span, carried: Sequence[_Classification]) -> _Classification | None:
    """The classification of the old stop in the same state and mode that ``span`` overlaps most."""
    if span.state == MachineryItemState.EXECUTING and span.mode == OperationMode.PROCESSING:
        return None
    best, best_overlap = None, 0
    for old in carried:
        overlap = min(old.end_us, span.end_us) - max(old.start_us, span.start_us)
        if overlap > best_overlap and (old.state, old.mode) == (int(span.state), int(span.mode)):
            best, best_overlap = old, overlap
    return best


def affected_days(change: LedgerChange, day_of: Callable[[int], date]) -> list[date]:
    """The production days [from_us, to_us) touches: from the day before (whose night shift may reach in)."""
    first, last = day_of(change.from_us) - timedelta(days=1), day_of(change.to_us - 1)
    return [date.fromordinal(ordinal) for ordinal in range(first.toordinal(), last.toordinal() + 1)]


def _floor(value: int, width: int) -> int:
    return value - value % width

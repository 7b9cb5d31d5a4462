"""Recompute the stored per-shift and per-day ``Totals`` and daily output of one piece of equipment.

Called by the sync job for the days whose ledger or counters changed, and by the plan services when a calendar,
planned downtime, threshold or operation changes. Production days follow the equipment's calendar: a night shift
belongs to the day it starts on, so every evaluation reaches one day past the last day asked for.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from zhizao.production import corrections
from zhizao.production.calendar import (
    WorkCalendar,
    local_date_of,
    local_midnight_us,
)
from zhizao.production.counts import CountRecord
from zhizao.production.equipment_plan import calendar_of, windows_for
from zhizao.production.ledger import Span
from zhizao.production.models import (
    TOTAL_COLUMNS,
    BucketKind,
    BucketTotals,
    DailyOutput,
    StateInterval,
)
from zhizao.production.products import ProductResolver, resolver_for
from zhizao.production.sources import HOUR_US, ProductionSignals, counter_increments, production_signals
from zhizao.production.timemodel import Bucketing, evaluate
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.store.base import TelemetryStore

DEFAULT_ZONE = "Asia/Shanghai"
DAY_US = 24 * HOUR_US
UNKNOWN_PRODUCT = ""  # units made while no order or program told which product
_BUCKET_KINDS = ((Bucketing.SHIFT, BucketKind.SHIFT), (Bucketing.DAY, BucketKind.DAY))


def day_function(session: Session, equipment: Equipment) -> Callable[[int], date]:
    calendar, _threshold = calendar_of(session, equipment)
    zone = ZoneInfo(calendar.timezone if calendar is not None else DEFAULT_ZONE)
    return lambda ts_us: local_date_of(zone, ts_us)


def _ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Contiguous runs of days, first and last inclusive."""
    ordered = sorted(set(days))
    runs: list[tuple[date, date]] = []
    for day in ordered:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def recompute(
    session: Session,
    store: TelemetryStore,
    equipment: Equipment,
    days: Iterable[date],
    signals: ProductionSignals | None = None,
) -> None:
    """Replace the stored totals and output of ``days`` (production days) for one piece of equipment."""
    if signals is None:
        signals = production_signals(session, [equipment.id])[equipment.id]
    calendar, threshold_us = calendar_of(session, equipment)
    for first, last in _ranges(days):
        _clear(session, equipment.id, first, last)
        if calendar is not None:
            _compute(session, store, equipment, signals, calendar, threshold_us, first, last)
    session.flush()


def recompute_around(session: Session, store: TelemetryStore, equipment: Equipment, ts_us: int) -> None:
    """Recompute the production day holding ``ts_us`` and the one before (whose night shift may reach past
    midnight), e.g. after a count correction at that time."""
    day = day_function(session, equipment)(ts_us)
    recompute(session, store, equipment, [day - timedelta(days=1), day])


def _clear(session: Session, equipment_id: int, first: date, last: date) -> None:
    for table in (BucketTotals, DailyOutput):
        session.execute(
            delete(table).where(table.equipment_id == equipment_id, table.local_date >= first, table.local_date <= last)
        )


def _compute(
    session: Session,
    store: TelemetryStore,
    equipment: Equipment,
    signals: ProductionSignals,
    calendar: WorkCalendar,
    threshold_us: int,
    first: date,
    last: date,
) -> None:
    zone = ZoneInfo(calendar.timezone)
    # A night shift that starts on the last day ends on the next one.
    start_us, end_us = local_midnight_us(zone, first), local_midnight_us(zone, last + timedelta(days=2))
    windows = windows_for(session, equipment, calendar, start_us, end_us)
    spans = _spans(session, equipment.id, start_us - DAY_US, end_us + DAY_US)
    resolver = resolver_for(session, equipment, start_us, end_us)
    moves = corrections.minute_moves(session, equipment.id, start_us, end_us)
    counts = _counts(store, signals, spans, resolver, start_us, end_us, moves)
    shift_starts = {(shift.local_date, shift.name): shift.start_us for shift in windows.shifts}
    rows = []
    for bucketing, kind in _BUCKET_KINDS:
        per_bucket = evaluate(spans, windows, counts, resolver.pru_us, micro_stop_us=threshold_us, bucketing=bucketing)
        for key, totals in per_bucket.items():
            if not first <= key.day <= last:
                continue
            label = (key.shift or "") if kind is BucketKind.SHIFT else ""
            rows.append(
                {
                    "equipment_id": equipment.id,
                    "kind": kind,
                    "local_date": key.day,
                    "label": label,
                    "start_us": shift_starts.get((key.day, label), local_midnight_us(zone, key.day)),
                    "enterprise_id": equipment.enterprise_id,
                    **{name: getattr(totals, name) for name in TOTAL_COLUMNS},
                }
            )
    if rows:
        session.execute(insert(BucketTotals), rows)
    _store_output(session, store, equipment, signals, counts, zone, first, last)


def _spans(session: Session, equipment_id: int, start_us: int, end_us: int) -> list[Span]:
    rows = session.execute(
        select(
            StateInterval.start_us, StateInterval.end_us, StateInterval.state, StateInterval.mode, StateInterval.program
        )
        .where(
            StateInterval.equipment_id == equipment_id,
            StateInterval.end_us > start_us,
            StateInterval.start_us < end_us,
        )
        .order_by(StateInterval.start_us)
    )
    return [
        Span(start, end, MachineryItemState(state), OperationMode(mode), program)
        for start, end, state, mode, program in rows
    ]


def _counts(
    store: TelemetryStore,
    signals: ProductionSignals,
    spans: Sequence[Span],
    resolver: ProductResolver,
    start_us: int,
    end_us: int,
    moves: dict[int, int],
) -> list[CountRecord]:
    """Per-minute increments of the good, scrap and rework counters, each with the product made then; ``moves``
    (units moved to scrap per minute, ``corrections``) shift units between good and scrap in their minute."""
    per_minute: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for slot, signal_id in enumerate((signals.good, signals.scrap, signals.rework)):
        for ts_us, delta in counter_increments(store, signal_id, start_us, end_us):
            per_minute[ts_us][slot] += round(delta)
    for ts_us, moved in moves.items():
        per_minute[ts_us][0] -= moved
        per_minute[ts_us][1] += moved
    starts = [span.start_us for span in spans]
    records = []
    for ts_us in sorted(per_minute):
        index = bisect.bisect_right(starts, ts_us) - 1
        program = spans[index].program if index >= 0 and ts_us < spans[index].end_us else None
        product = resolver.product_at(ts_us, program) or UNKNOWN_PRODUCT
        good, scrap, rework = per_minute[ts_us]
        records.append(CountRecord(ts_us, product, good, scrap, rework))
    return records


def _store_output(
    session: Session,
    store: TelemetryStore,
    equipment: Equipment,
    signals: ProductionSignals,
    counts: Sequence[CountRecord],
    zone: ZoneInfo,
    first: date,
    last: date,
) -> None:
    output: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for record in counts:
        day = local_date_of(zone, record.ts_us)
        if first <= day <= last:
            row = output[(day, record.product_code)]
            row[0] += record.good
            row[1] += record.scrap
            row[2] += record.rework
    energy: dict[date, float] = defaultdict(float)
    start_us, end_us = local_midnight_us(zone, first), local_midnight_us(zone, last + timedelta(days=1))
    for ts_us, delta in counter_increments(store, signals.energy, start_us, end_us, step_us=HOUR_US):
        energy[local_date_of(zone, ts_us)] += delta
    for day in energy:
        output.setdefault((day, UNKNOWN_PRODUCT), [0, 0, 0])
    for (day, product), (good, scrap, rework) in output.items():
        kwh = Decimal(str(round(energy.get(day, 0.0), 3))) if product == UNKNOWN_PRODUCT else Decimal(0)
        session.add(
            DailyOutput(
                equipment_id=equipment.id,
                local_date=day,
                product_code=product,
                enterprise_id=equipment.enterprise_id,
                good=good,
                scrap=scrap,
                rework=rework,
                energy_kwh=kwh,
            )
        )

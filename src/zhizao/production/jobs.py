"""The periodic production job: sync every ledger, then recompute the totals of the days that changed.

Each piece of equipment is synced in its own transaction, ledger and totals together. On PostgreSQL the
transaction first takes an advisory lock on the equipment, so that several replicas running the job share the
work instead of colliding; SQLite has one writer anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from zhizao.db.engine import Database
from zhizao.production import materialise
from zhizao.production.ledger_sync import DEFAULT_SYNC, SyncOptions, affected_days, sync_equipment
from zhizao.production.sources import production_signals
from zhizao.telemetry.machinery import STATE_SIGNAL
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import now_us as clock_now_us

log = logging.getLogger(__name__)
ADVISORY_NAMESPACE = 0x5A48  # "ZH": keeps our advisory lock keys apart from other applications'


@dataclass(slots=True)
class SyncSummary:
    equipment: int = 0
    changed: int = 0
    intervals: int = 0
    days: int = 0
    skipped: list[int] = field(default_factory=list)  # equipment another replica was syncing


def _locked(session: Session, equipment_id: int) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:ns, :id)"), {"ns": ADVISORY_NAMESPACE, "id": equipment_id}
        )
    )


def sync_all(
    database: Database,
    store: TelemetryStore,
    *,
    now_us: int | None = None,
    enterprise_id: int | None = None,
    options: SyncOptions = DEFAULT_SYNC,
) -> SyncSummary:
    """Sync the ledgers of all equipment with a state signal (of one enterprise, when given)."""
    now = now_us if now_us is not None else clock_now_us()
    summary = SyncSummary()
    with database.session() as session:
        query = (
            select(Equipment.id).join(Signal, Signal.equipment_id == Equipment.id).where(Signal.name == STATE_SIGNAL)
        )
        if enterprise_id is not None:
            query = query.where(Equipment.enterprise_id == enterprise_id)
        equipment_ids = list(session.scalars(query.distinct().order_by(Equipment.id)))
    for equipment_id in equipment_ids:
        summary.equipment += 1
        with database.session() as session, session.begin():
            if not _locked(session, equipment_id):
                summary.skipped.append(equipment_id)
                continue
            row = session.get(Equipment, equipment_id)
            if row is None:  # deleted since it was listed
                continue
            signals = production_signals(session, [equipment_id])[equipment_id]
            change = sync_equipment(session, store, row.id, row.enterprise_id, signals, now, options)
            if change is None:
                continue
            days = affected_days(change, materialise.day_function(session, row))
            materialise.recompute(session, store, row, days, signals)
        summary.changed += 1
        summary.intervals += change.intervals
        summary.days += len(days)
    log.info(
        "production sync: %d equipment, %d changed, %d intervals, %d days",
        summary.equipment,
        summary.changed,
        summary.intervals,
        summary.days,
    )
    return summary


async def run_periodically(
    database: Database,
    store: TelemetryStore,
    *,
    interval_s: float,
    stop: asyncio.Event,
    options: SyncOptions = DEFAULT_SYNC,
) -> None:
    """Sync every ``interval_s`` seconds until ``stop`` is set; a failed round is logged and retried next time
    (the ledger of an equipment commits whole or not at all, so a failure leaves nothing half-written)."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(sync_all, database, store, options=options)
        except Exception:  # one bad round must not end the job; the error is logged with its trace
            log.exception("production sync failed; retrying in %.0f s", interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)

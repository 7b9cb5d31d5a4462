"""Alarms evaluated on the ingest stream, and the ticker that fires deadlines when no sample comes.

``AlarmEvaluator`` is a ``CommitObserver``: after each committed batch it picks the samples of signals that have
enabled rules (a dict lookup per sample; a cache of rule keys by signal, reloaded when the rule-revision counter
changes and every ``refresh_s`` anyway), loads those rules' states under row locks, feeds the samples in time
order through ``AlarmEngine`` and writes states, events and webhook deliveries in one transaction. Several ingest
workers may evaluate at once: the row locks (PostgreSQL ``FOR UPDATE``) serialise them per rule, and a sample one
worker sees after another moved the rule's clock past it is late (ignored, counted) — never a second alarm.

``tick`` ticks the rules whose deadline (an on/off delay, stale data, a shelf) has come, with a watermark of
"now minus the accepted lateness"; on PostgreSQL one ticker runs at a time (a transaction-level advisory lock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from sqlalchemy import select, text

from zhizao.db.engine import Database
from zhizao.telemetry.alarms import records
from zhizao.telemetry.alarms.models import AlarmEvent, AlarmRuleRevision, AlarmRuleRow, AlarmStatus
from zhizao.telemetry.alarms.state import Sample
from zhizao.telemetry.store.base import Point, TextPoint

logger = logging.getLogger(__name__)

TICKER_LOCK_KEY = 0x7A68_616C  # "zhal": the advisory lock of the alarm ticker
TICK_BATCH = 500  # rules ticked per transaction


class AlarmEvaluator:
    """The ingest pipeline's commit observer for alarms (one per worker; called from its writer thread)."""

    def __init__(
        self,
        database: Database,
        *,
        refresh_s: float = 30.0,
        revision_check_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.refresh_s = refresh_s
        self.revision_check_s = revision_check_s
        self._clock = clock
        self._by_signal: dict[int, tuple[int, ...]] = {}
        self._revision: int | None = None
        self._loaded_at = float("-inf")
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self.events_written = 0
        self.errors = 0

    def committed(self, points: Sequence[Point], texts: Sequence[TextPoint]) -> None:
        try:
            self.evaluate(points, texts)
        except Exception:  # the batch is committed; alarms must not stop ingest. Logged and counted.
            self.errors += 1
            logger.exception("alarm evaluation failed for a batch of %d samples", len(points) + len(texts))

    def evaluate(self, points: Sequence[Point], texts: Sequence[TextPoint] = ()) -> list[AlarmEvent]:
        """Evaluate one committed batch; the alarm events it produced."""
        self.refresh()
        by_signal = self._by_signal
        if not by_signal:
            return []
        samples: list[Sample] = [Sample(*point) for point in points if point.signal_id in by_signal]
        samples += [Sample(*item) for item in texts if item.signal_id in by_signal]
        if not samples:
            return []
        samples.sort(key=lambda sample: sample.ts_us)
        keys = {key for sample in samples for key in by_signal[sample.signal_id]}
        with self.database.session() as session, session.begin():
            rules = records.load_locked(session, keys)
            events = records.run(session, rules, lambda engine: engine.feed(samples))
        self.events_written += len(events)
        return events

    def refresh(self, *, force: bool = False) -> None:
        """Reload the rule cache when the revision changed (checked every ``revision_check_s``) or it is old."""
        now = self._clock()
        if not force and now - self._checked_at < self.revision_check_s:
            return
        with self._lock:
            self._checked_at = now
            with self.database.session() as session:
                revision = session.scalar(select(AlarmRuleRevision.revision).where(AlarmRuleRevision.id == 1)) or 0
                if not force and revision == self._revision and now - self._loaded_at < self.refresh_s:
                    return
                rows = session.execute(select(AlarmRuleRow.id, AlarmRuleRow.signal_id).where(AlarmRuleRow.enabled))
                by_signal: dict[int, list[int]] = defaultdict(list)
                for rule_pk, signal_id in rows:
                    by_signal[signal_id].append(rule_pk)
            self._by_signal = {signal: tuple(keys) for signal, keys in by_signal.items()}
            self._revision = revision
            self._loaded_at = now


def tick(database: Database, watermark_us: int, *, batch: int = TICK_BATCH) -> list[AlarmEvent]:
    """Tick every enabled rule whose deadline is at or before ``watermark_us``; the events that came of it.

    On PostgreSQL each transaction first takes the ticker's advisory lock; when another ticker holds it, nothing
    is done here (that one ticks the rules)."""
    events: list[AlarmEvent] = []
    last_pk = 0
    while True:
        with database.session() as session, session.begin():
            if not database.is_sqlite and not session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": TICKER_LOCK_KEY}
            ):
                return events
            due = session.scalars(
                select(AlarmStatus.rule_pk)
                .join(AlarmRuleRow, AlarmRuleRow.id == AlarmStatus.rule_pk)
                .where(
                    AlarmRuleRow.enabled,
                    AlarmStatus.deadline_us <= watermark_us,
                    AlarmStatus.rule_pk > last_pk,
                )
                .order_by(AlarmStatus.rule_pk)
                .limit(batch)
            ).all()
            if not due:
                return events
            last_pk = due[-1]
            rules = records.load_locked(session, due)
            events += records.run(session, rules, lambda engine: engine.tick(watermark_us))
        if len(due) < batch:
            return events

"""Health evaluated on the ingest stream: a ``CommitObserver`` for ``IngestPipeline(observers=...)``.

After each committed batch it looks up each sample's signal in a cache of "signals of equipment with an active
deployment" (one dict lookup per sample; reloaded when the deployment revision changes, checked every
``revision_check_s``, and every ``refresh_s`` anyway) and keeps, per equipment, the newest sample time it has seen.
When that time passes the end of a window (plus ``grace_s`` for samples still on their way) the window is complete,
and at most every ``min_interval_s`` of data time per equipment one window is evaluated (``evaluate.evaluate_window``:
assessment, predictions, cases in one transaction).

The window's features are read back from the store (the per-minute roll-ups), not summed in memory: with several
ingest workers sharing a subscription each sees only part of an equipment's samples, but all of them are in the
store once committed. Each stored window is unique per deployment, so two workers evaluating one window store it
once. Times are data times, so a replayed history is evaluated as it happened.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from zhizao.db.engine import Database
from zhizao.maintenance import registry
from zhizao.maintenance.health.evaluate import Deployed, evaluate_window
from zhizao.maintenance.health.reading import WINDOW_US, StateSignals, state_signals
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceModel, ModelDeployment, Prediction
from zhizao.telemetry.ingest.pipeline import CommitObserver
from zhizao.telemetry.models import Signal
from zhizao.telemetry.store.base import Point, TelemetryStore, TextPoint

logger = logging.getLogger(__name__)

MAX_CATCH_UP = 60  # windows evaluated for one equipment after one batch (a replay jumping hours ahead)


@dataclass(frozen=True, slots=True)
class _Target:
    equipment_id: int
    deployments: tuple[Deployed, ...]
    signals: StateSignals


class HealthObserver:
    """The ingest pipeline's commit observer for equipment health (one per worker; called from its writer thread)."""

    def __init__(
        self,
        database: Database,
        store: TelemetryStore | None = None,
        *,
        min_interval_s: float = 60.0,
        grace_s: float = 5.0,
        refresh_s: float = 30.0,
        revision_check_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self._store = store
        self.interval_us = max(WINDOW_US, int(min_interval_s * 1_000_000) // WINDOW_US * WINDOW_US)
        self.grace_us = int(grace_s * 1_000_000)
        self.refresh_s = refresh_s
        self.revision_check_s = revision_check_s
        self._clock = clock
        self._by_signal: dict[int, int] = {}  # signal id → equipment id
        self._targets: dict[int, _Target] = {}
        self._revision: int | None = None
        self._loaded_at = float("-inf")
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._done: dict[int, int] = {}  # equipment id → end of the last window stored (data time, µs)
        self.assessments_written = 0
        self.predictions_written = 0
        self.errors = 0

    @property
    def store(self) -> TelemetryStore:
        if self._store is None:
            from zhizao.telemetry.store.factory import open_store

            self._store = open_store(self.database)
        return self._store

    def committed(self, points: Sequence[Point], texts: Sequence[TextPoint]) -> None:
        try:
            self.evaluate(points)
        except Exception:  # the batch is committed; health must not stop ingest. Logged and counted.
            self.errors += 1
            logger.exception("health evaluation failed for a batch of %d samples", len(points))

    def evaluate(self, points: Sequence[Point]) -> int:
        """Evaluate what one committed batch completes; the number of windows stored."""
        self.refresh()
        by_signal = self._by_signal
        if not by_signal:
            return 0
        newest: dict[int, int] = {}
        for point in points:
            equipment_id = by_signal.get(point.signal_id)
            if equipment_id is not None and point.ts_us > newest.get(equipment_id, -1):
                newest[equipment_id] = point.ts_us
        stored = 0
        for equipment_id, ts_us in newest.items():
            target = self._targets.get(equipment_id)
            if target is not None:
                stored += self._advance(target, (ts_us - self.grace_us) // WINDOW_US * WINDOW_US)
        return stored

    def _advance(self, target: _Target, complete_end: int) -> int:
        done = self._done.get(target.equipment_id)
        if done is None:
            done = self._done[target.equipment_id] = self._last_stored(target)
        since = max(d.since_us for d in target.deployments)
        first = max(done, since) + self.interval_us
        first = max(first, complete_end - (MAX_CATCH_UP - 1) * self.interval_us)
        stored = 0
        for end_us in range(first, complete_end + 1, self.interval_us) if first <= complete_end else ():
            with self.database.session() as session:
                outcome = evaluate_window(
                    session, self.store, target.equipment_id, target.deployments, target.signals, end_us
                )
            self.assessments_written += outcome.assessments
            self.predictions_written += outcome.predictions
            self._done[target.equipment_id] = end_us  # a skipped (idle) window counts as done too
            stored += outcome.assessments + outcome.predictions
        return stored

    def _last_stored(self, target: _Target) -> int:
        ids = [d.id for d in target.deployments]
        with self.database.session() as session:
            ends = [
                session.scalar(select(func.max(model.window_end_us)).where(model.deployment_id.in_(ids)))
                for model in (HealthAssessment, Prediction)
            ]
        known = [end for end in ends if end is not None]
        return max(known) if known else -1

    def refresh(self, *, force: bool = False) -> None:
        """Reload the cache when the deployment revision changed (checked every ``revision_check_s``) or it is old."""
        now = self._clock()
        if not force and now - self._checked_at < self.revision_check_s:
            return
        with self._lock:
            self._checked_at = now
            with self.database.session() as session:
                revision = registry.current_revision(session)
                if not force and revision == self._revision and now - self._loaded_at < self.refresh_s:
                    return
                rows = session.execute(
                    select(ModelDeployment, MaintenanceModel)
                    .join(MaintenanceModel, MaintenanceModel.id == ModelDeployment.model_id)
                    .where(ModelDeployment.active)
                ).all()
                by_equipment: dict[int, list[Deployed]] = defaultdict(list)
                for row, model in rows:
                    by_equipment[row.equipment_id].append(Deployed.of(row, model))
                targets = {
                    equipment_id: _Target(equipment_id, tuple(found), state_signals(session, equipment_id))
                    for equipment_id, found in by_equipment.items()
                }
                by_signal = dict(
                    session.execute(
                        select(Signal.id, Signal.equipment_id).where(Signal.equipment_id.in_(list(targets)))
                    ).all()
                )
            changed = {e for e in targets if self._targets.get(e) != targets[e]}
            for equipment_id in changed:
                self._done.pop(equipment_id, None)  # a new deployment starts from what is stored for it
            self._targets = targets
            self._by_signal = {s: e for s, e in by_signal.items() if e is not None}
            self._revision = revision
            self._loaded_at = now


def maintenance_observers(database: Database) -> list[CommitObserver]:
    """The commit observers of the maintenance context, for ``run_worker(..., observers=...)`` and the demo."""
    return [HealthObserver(database)]

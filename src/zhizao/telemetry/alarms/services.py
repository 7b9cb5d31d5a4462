"""What runs alarms beside ingest, for ``zhizao ingest``, the runner process and ``zhizao demo``:

- ``alarm_observers(database)``: the commit observers for ``run_worker(..., observers=alarm_observers)``;
- ``run_alarm_services(database, stop)``: the ticker (every second, watermark = now − lateness) and the webhook
  delivery loop, until ``stop`` is set. Safe to run in several processes: on PostgreSQL one ticker ticks at a
  time (advisory lock) and deliveries are claimed with ``SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from zhizao.db.engine import Database
from zhizao.telemetry.alarms.evaluator import AlarmEvaluator, tick
from zhizao.telemetry.alarms.webhooks import DeliveryPolicy, deliver_due
from zhizao.telemetry.ingest.pipeline import CommitObserver
from zhizao.telemetry.timeutil import now_us

logger = logging.getLogger(__name__)

TICK_INTERVAL_S = 1.0
ALLOWED_LATENESS_S = 2.0  # samples up to this much behind the wall clock still count
DELIVERY_INTERVAL_S = 1.0


def alarm_observers(database: Database) -> list[CommitObserver]:
    return [AlarmEvaluator(database)]


async def run_alarm_services(
    database: Database,
    stop: asyncio.Event,
    *,
    tick_interval_s: float = TICK_INTERVAL_S,
    lateness_s: float = ALLOWED_LATENESS_S,
    delivery_interval_s: float = DELIVERY_INTERVAL_S,
    policy: DeliveryPolicy | None = None,
) -> None:
    """Tick alarm deadlines and deliver webhooks until ``stop`` is set."""

    def ticker() -> object:
        return tick(database, now_us() - round(lateness_s * 1_000_000))

    def delivery() -> object:
        return deliver_due(database, policy)

    await asyncio.gather(
        _every(tick_interval_s, stop, ticker, "alarm ticker"),
        _every(delivery_interval_s, stop, delivery, "webhook delivery"),
    )


async def _every(interval_s: float, stop: asyncio.Event, work: Callable[[], object], name: str) -> None:
    while not stop.is_set():
        try:
            await asyncio.to_thread(work)
        except Exception:  # the database may be restarting; try again next round
            logger.exception("%s failed", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)

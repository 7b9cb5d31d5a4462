"""What runs beside ingest for maintenance: the health observer on each commit, and the periodic job that turns
due preventive plans into work orders (idempotent: safe in several processes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from zhizao.db.engine import Database
from zhizao.maintenance.health.observer import maintenance_observers
from zhizao.maintenance.workorders.plans import due_plans
from zhizao.telemetry.store.factory import open_store

__all__ = ["maintenance_observers", "run_maintenance_services"]

logger = logging.getLogger(__name__)

PLANS_INTERVAL_S = 60.0  # preventive plans are due by the day or the operating hour: a minute is prompt enough


async def run_maintenance_services(
    database: Database, stop: asyncio.Event, *, interval_s: float = PLANS_INTERVAL_S
) -> None:
    """Make the work orders of due preventive plans every ``interval_s`` until ``stop`` is set."""
    store = open_store(database)
    try:
        while not stop.is_set():
            try:
                summary = await asyncio.to_thread(due_plans, database, datetime.now(UTC), store)
                if summary.created:
                    logger.info("preventive maintenance: %s", summary)
            except Exception:  # the database may be restarting; the next round tries again
                logger.exception("preventive maintenance plans could not be checked")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
    finally:
        store.close()

"""What runs beside ingest for capacity sharing: the meter writers, every few minutes, so that the meter log keeps up
with the machines (each booking in its own transaction under its owner's chain lock: safe in several processes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from zhizao.db.engine import Database
from zhizao.sharing.meters import meter_all
from zhizao.telemetry.store.factory import open_store

__all__ = ["run_sharing_services"]

logger = logging.getLogger(__name__)

METER_INTERVAL_S = 300.0  # the ledger itself is built every minute or so; invoices are monthly


async def run_sharing_services(
    database: Database, stop: asyncio.Event, *, timezone: str = "Asia/Shanghai", interval_s: float = METER_INTERVAL_S
) -> None:
    """Meter the due bookings every ``interval_s`` until ``stop`` is set."""
    store = open_store(database)
    zone = ZoneInfo(timezone)
    try:
        while not stop.is_set():
            try:
                summary = await asyncio.to_thread(meter_all, database, store, datetime.now(UTC), zone)
                if summary.records or summary.failed:
                    logger.info("sharing meters: %s", summary)
            except Exception:  # the database may be restarting; the next round tries again
                logger.exception("sharing meters could not run")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
    finally:
        store.close()

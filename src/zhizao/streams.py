"""What every process that stores telemetry runs beside it, in one place: the commit observers (alarm rules,
equipment health) and the background services (alarm ticker and webhooks, preventive maintenance plans, sharing meters).

Used by ``zhizao ingest``, ``zhizao connectors run`` and ``zhizao demo``. Each is safe in several processes: the
alarm ticker takes an advisory lock on PostgreSQL, webhook deliveries are claimed with SKIP LOCKED, a plan's work
order is unique per occurrence."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from zhizao.c2m.services import run_c2m_services
from zhizao.db.engine import Database
from zhizao.feeds import link_sharing_clients
from zhizao.maintenance.services import maintenance_observers, run_maintenance_services
from zhizao.settings import Settings
from zhizao.sharing.services import run_sharing_services
from zhizao.telemetry.alarms.services import alarm_observers, run_alarm_services
from zhizao.telemetry.ingest.pipeline import CommitObserver
from zhizao.vision.station_services import run_station_services

logger = logging.getLogger(__name__)
FEEDS_INTERVAL_S = 300.0


def stream_observers(database: Database) -> list[CommitObserver]:
    return [*alarm_observers(database), *maintenance_observers(database)]


async def run_stream_services(
    database: Database, stop: asyncio.Event, *, timezone: str = "Asia/Shanghai", settings: Settings | None = None
) -> None:
    """The alarm ticker, webhook delivery, preventive plans, the sharing meters, C2M planning and the feeds between
    contexts, until ``stop`` is set; with ``settings`` (their data dir and broker), the inspection stations' folder
    watch and MQTT listener too."""
    await asyncio.gather(
        run_alarm_services(database, stop),
        run_maintenance_services(database, stop),
        run_sharing_services(database, stop, timezone=timezone),
        run_c2m_services(database, stop, timezone=timezone),
        _run_feeds(database, stop),
        *([run_station_services(database, settings, stop)] if settings is not None else []),
    )


async def _run_feeds(database: Database, stop: asyncio.Event, interval_s: float = FEEDS_INTERVAL_S) -> None:
    """Capacity sharing's served firms into the programme's platform target (``zhizao.feeds``)."""
    while not stop.is_set():
        try:
            with database.session() as session:
                added = await asyncio.to_thread(link_sharing_clients, session)
            if added:
                logger.info("platform clients linked from capacity sharing: %d", added)
        except Exception:  # the database may be restarting; the next round tries again
            logger.exception("platform clients could not be linked from capacity sharing")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)

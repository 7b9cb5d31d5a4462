"""What runs beside ingest for C2M, every minute for each maker with work centres: plan newly confirmed orders,
re-plan around machines that went down, and move orders along their schedule (:mod:`.progress`).

Safe in several processes: every write takes the maker's lock (:mod:`.locks`), and a round that finds it held
leaves that maker to the next round. A failed round is logged and retried a minute later; each step commits whole
or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from zhizao.c2m.models import WorkCentre
from zhizao.c2m.planning import DEFAULT_TIME_LIMIT_S, plan_new_orders, reschedule_if_down
from zhizao.c2m.progress import DEFAULT_SHIP_AFTER, advance
from zhizao.db.engine import Database

__all__ = ["C2M_INTERVAL_S", "run_c2m_round", "run_c2m_services"]

logger = logging.getLogger(__name__)

C2M_INTERVAL_S = 60.0


def makers(database: Database) -> list[int]:
    with database.session() as session:
        return list(session.scalars(select(WorkCentre.enterprise_id).distinct().order_by(WorkCentre.enterprise_id)))


def run_c2m_round(
    database: Database,
    now: datetime | None = None,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    ship_after: timedelta = DEFAULT_SHIP_AFTER,
    timezone: str = "Asia/Shanghai",
) -> None:
    """One round over every maker: plan, reschedule, advance (in that order, so that progress follows the plan)."""
    moment = now or datetime.now(UTC)
    zone = ZoneInfo(timezone)
    for maker_id in makers(database):
        planned = plan_new_orders(database, maker_id, moment, time_limit_s=time_limit_s)
        replanned = reschedule_if_down(database, maker_id, moment, time_limit_s=time_limit_s, zone=zone)
        moved = advance(database, maker_id, moment, ship_after=ship_after)
        for outcome in (planned, replanned):
            if outcome is not None and outcome.run_id is not None:
                logger.info("c2m maker %d planned (%s): %s", maker_id, outcome.reason, outcome.solver_status)
        if moved.changed:
            logger.info("c2m maker %d progress: %s", maker_id, moved)


async def run_c2m_services(
    database: Database,
    stop: asyncio.Event,
    *,
    interval_s: float = C2M_INTERVAL_S,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    ship_after: timedelta = DEFAULT_SHIP_AFTER,
    timezone: str = "Asia/Shanghai",
) -> None:
    """A round every ``interval_s`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(
                run_c2m_round, database, time_limit_s=time_limit_s, ship_after=ship_after, timezone=timezone
            )
        except Exception:  # the database may be restarting; the next round tries again
            logger.exception("c2m services could not run; retrying in %.0f s", interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)

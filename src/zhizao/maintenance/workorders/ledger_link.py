"""Reads of production's state ledger that work orders need: the spans around a repair, operating time.

Read only. Production publishes no query function for raw ledger spans yet (its own reader is private to
``materialise``), so this reads its ``StateInterval`` table directly, read-only and by the same index
(equipment, start); the day production offers one, this module is the only place to change.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.maintenance.workorders.reliability import LedgerSpan, MatchedRepair, match_repair, operating_us
from zhizao.production.models import LedgerProgress, StateInterval

DAY_US = 86_400_000_000
# How far around an order's window the ledger is read: a down run that began up to a week before the order was
# written (a weekend breakdown found on Monday) is still found whole.
LOOK_AROUND_US = 7 * DAY_US
# An order's recorded start and end are typed by people: a down interval within 30 minutes of them is the same repair.
SLACK_US = 30 * 60_000_000


def spans(session: Session, equipment_id: int, start_us: int, end_us: int) -> list[LedgerSpan]:
    rows = session.execute(
        select(StateInterval.start_us, StateInterval.end_us, StateInterval.state, StateInterval.mode)
        .where(
            StateInterval.equipment_id == equipment_id,
            StateInterval.end_us > start_us,
            StateInterval.start_us < end_us,
        )
        .order_by(StateInterval.start_us)
    )
    return [LedgerSpan(*row) for row in rows]


def match_order(session: Session, equipment_id: int, start_us: int, end_us: int) -> MatchedRepair:
    """The repair interval of an order worked on [start_us, end_us), from the ledger when it has data then."""
    around = spans(session, equipment_id, start_us - LOOK_AROUND_US, end_us + LOOK_AROUND_US)
    return match_repair(around, start_us, end_us, slack_us=SLACK_US)


def operating_by_equipment(
    session: Session, equipment_ids: Iterable[int], start_us: int, end_us: int
) -> dict[int, int | None]:
    """Operating time per equipment in [start_us, end_us); None where the ledger has no interval in the period."""
    ids = list(equipment_ids)
    result: dict[int, int | None] = dict.fromkeys(ids)
    if not ids:
        return result
    rows = session.execute(
        select(StateInterval.equipment_id, StateInterval.start_us, StateInterval.end_us, StateInterval.state,
               StateInterval.mode)
        .where(StateInterval.equipment_id.in_(ids), StateInterval.end_us > start_us, StateInterval.start_us < end_us)
    )  # fmt: skip
    for equipment_id, low, high, state, mode in rows:
        seen = result[equipment_id] or 0
        result[equipment_id] = seen + operating_us([LedgerSpan(low, high, state, mode)], start_us, end_us)
    return result


def operating_seconds(session: Session, equipment_id: int, start_us: int, end_us: int) -> int:
    """Whole operating seconds in [start_us, end_us). Counter plans count in short steps (each run of the job
    counts since the last), so the ledger rows read stay few."""
    return operating_us(spans(session, equipment_id, start_us, end_us), start_us, end_us) // 1_000_000


def built_until_us(session: Session, equipment_id: int) -> int | None:
    """How far production has built this equipment's ledger (None: never), so counting stops there."""
    progress = session.get(LedgerProgress, equipment_id)
    return None if progress is None else progress.built_until_us

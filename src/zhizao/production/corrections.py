"""Count corrections: units moved between good and scrap after they were counted (``models.CountCorrection``).

``record`` adds one in the caller's transaction, at the time the unit was counted; ``minute_moves`` gives them per
minute to ``materialise``, which adds them to the counter increments of that minute, so every figure built from the
stored totals (OEE's quality ratio, shift reports, daily output and the programme's KPIs) shows the reviewed verdict
and the produced quantity stays the units actually made. Callers then recompute the day the unit was counted on
(``materialise.recompute_around``): the sync job revisits a day only when its ledger or counters change.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.production.models import CountCorrection
from zhizao.production.sources import MINUTE_US, counter_increments
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.store.base import TelemetryStore


def record(
    session: Session, equipment: Equipment, ts_us: int, to_scrap: int, source: str, reference: str
) -> CountCorrection:
    """Move ``to_scrap`` units counted at ``ts_us`` from good to scrap (negative: from scrap to good)."""
    if to_scrap == 0:
        raise ValueError("a count correction moves at least one unit")
    row = CountCorrection(
        equipment_id=equipment.id, enterprise_id=equipment.enterprise_id, ts_us=ts_us, to_scrap=to_scrap,
        source=source, reference=reference,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def minute_moves(session: Session, equipment_id: int, start_us: int, end_us: int) -> dict[int, int]:
    """Net units moved to scrap per minute (bucket start µs) in [start_us, end_us)."""
    moves: dict[int, int] = defaultdict(int)
    for ts_us, to_scrap in session.execute(
        select(CountCorrection.ts_us, CountCorrection.to_scrap).where(
            CountCorrection.equipment_id == equipment_id,
            CountCorrection.ts_us >= start_us,
            CountCorrection.ts_us < end_us,
        )
    ):
        moves[ts_us - ts_us % MINUTE_US] += to_scrap
    return {minute: moved for minute, moved in moves.items() if moved}


def reviewed_good_units(
    session: Session, store: TelemetryStore, equipment_id: int, good_signal_id: int, start_us: int, end_us: int
) -> int:
    """Good units of ``equipment_id`` in [start_us, end_us) as reviewed: its good counter's increments less the
    units a review moved to scrap (plus those it moved back)."""
    counted = sum(value for _minute, value in counter_increments(store, good_signal_id, start_us, end_us))
    return int(counted) - sum(minute_moves(session, equipment_id, start_us, end_us).values())

"""Which of a maker's machines are down now, read from production's state ledger.

A machine is down when the latest ledger span that has begun by ``now`` is OPC 40001 OUT_OF_SERVICE. The ledger
ends where the machine's data ends, so a span's end is no promise that the machine is back: a machine that fails
and then falls silent stays down until a span in another state begins. "Down since" is the start of the unbroken
run of OUT_OF_SERVICE spans that ends with the latest one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.production.models import StateInterval
from zhizao.telemetry.machinery import MachineryItemState
from zhizao.telemetry.timeutil import from_us, to_us

# How far back an unbroken down run is followed; a longer run reads as down since its 50th span.
_RUN_SPANS = 50


def down_since(session: Session, equipment_ids: Iterable[int], now: datetime) -> dict[int, datetime]:
    """The equipment among ``equipment_ids`` that is down at ``now``, with the time each went down."""
    now_us = to_us(now)
    down: dict[int, datetime] = {}
    for equipment_id in sorted(set(equipment_ids)):
        spans = session.execute(
            select(StateInterval.start_us, StateInterval.end_us, StateInterval.state)
            .where(StateInterval.equipment_id == equipment_id, StateInterval.start_us <= now_us)
            .order_by(StateInterval.start_us.desc())
            .limit(_RUN_SPANS)
        ).all()
        if not spans or spans[0].state != MachineryItemState.OUT_OF_SERVICE:
            continue
        since_us = spans[0].start_us
        for later, earlier in itertools.pairwise(spans):
            if earlier.state != MachineryItemState.OUT_OF_SERVICE or earlier.end_us != later.start_us:
                break
            since_us = earlier.start_us
        down[equipment_id] = from_us(since_us)
    return down

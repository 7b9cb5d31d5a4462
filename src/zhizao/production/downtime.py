"""Lost time by downtime reason over a scope and period: the Pareto operators and managers act on.

Only the part of a stop inside planned busy time counts (the time model's classification), so a breakdown that
runs through the night shift nobody planned adds nothing, and a stop that spans a break counts around it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.errors import InputError
from zhizao.production.calendar import local_midnight_us
from zhizao.production.equipment_plan import calendar_of, windows_for
from zhizao.production.kpi_service import Scope, check_period
from zhizao.production.ledger import Span
from zhizao.production.losses import ParetoRow, pareto
from zhizao.production.models import DowntimeReason, StateInterval
from zhizao.production.timemodel import TimeCategory, classify
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

MAX_PARETO_DAYS = 93
LOST = frozenset({TimeCategory.DOWN, TimeCategory.DELAY, TimeCategory.MICRO_STOP, TimeCategory.SETUP})
UNCLASSIFIED = "unclassified:"  # + the time category, for stops nobody has classified yet


def lost_time_by_reason(session: Session, scope: Scope, start: date, end: date) -> list[ParetoRow]:
    """Downtime, setup and delays in planned busy time per reason name (``unclassified:<category>`` for stops
    nobody classified: they are still told apart by what the machine did, so the Pareto helps from day one)."""
    check_period(start, end)
    if (end - start).days + 1 > MAX_PARETO_DAYS:
        raise InputError.for_field("query.end", f"a downtime Pareto covers at most {MAX_PARETO_DAYS} days")
    lost: dict[str, int] = defaultdict(int)
    for equipment in scope.equipment:
        calendar, threshold_us = calendar_of(session, equipment)
        if calendar is None:
            continue
        zone = ZoneInfo(calendar.timezone)
        start_us, end_us = local_midnight_us(zone, start), local_midnight_us(zone, end + timedelta(days=1))
        windows = windows_for(session, equipment, calendar, start_us, end_us)
        rows = _intervals(session, equipment.id, start_us, end_us)
        spans = [Span(row[0], row[1], MachineryItemState(row[2]), OperationMode(row[3]), None) for row in rows]
        for piece in classify(spans, windows, micro_stop_us=threshold_us):
            if piece.category in LOST:
                lost[rows[piece.span_index][4] or _category_label(piece.category)] += piece.end_us - piece.start_us
    return pareto(lost.items())


def _category_label(category: TimeCategory) -> str:
    return UNCLASSIFIED + category.name.lower()


def _intervals(
    session: Session, equipment_id: int, start_us: int, end_us: int
) -> Sequence[tuple[int, int, int, int, str | None]]:
    rows = session.execute(
        select(
            StateInterval.start_us, StateInterval.end_us, StateInterval.state, StateInterval.mode, DowntimeReason.name
        )
        .outerjoin(DowntimeReason, DowntimeReason.id == StateInterval.reason_id)
        .where(
            StateInterval.equipment_id == equipment_id,
            StateInterval.end_us > start_us - 86_400_000_000,
            StateInterval.start_us < end_us,
        )
        .order_by(StateInterval.start_us)
    ).all()
    return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]

"""Alarm history (every stored lifecycle transition) with filters and paging, and the alarm-flood summary.

Operator position (for the flood metric): the production line — more exactly the asset node (line, or the area or
cell) the alarm's equipment stands in; alarms of equipment placed in no node, or of no equipment, count for the
enterprise as a whole. Only activations count (``to_state = active_unacked``), in fixed 10-minute windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.telemetry.alarms.flood import FLOOD_THRESHOLD, WINDOW_S, flood_summary
from zhizao.telemetry.alarms.lifecycle import AlarmState
from zhizao.telemetry.alarms.models import AlarmEvent
from zhizao.telemetry.alarms.schemas import FloodPosition, FloodReport
from zhizao.telemetry.models import AssetNode, Equipment
from zhizao.telemetry.scope import enterprise_for_read
from zhizao.telemetry.timeutil import from_us, to_us

MAX_EXPORT_ROWS = 50_000
MAX_FLOOD_WINDOWS = 6 * 24 * 31  # a month of 10-minute windows


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    enterprise_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    equipment_id: int | None = None
    signal_id: int | None = None
    rule_id: str | None = None
    severity: str | None = None
    priority: int | None = None
    event: str | None = None
    state: str | None = None  # the state the transition led to


def _query(session: Session, actor: Principal, where: HistoryFilter) -> Select[AlarmEvent]:
    enterprise = enterprise_for_read(session, actor, where.enterprise_id)
    clauses: list[ColumnElement[bool]] = [AlarmEvent.enterprise_id == enterprise]
    if where.start is not None:
        clauses.append(AlarmEvent.ts_us >= _us(where.start, "query.start"))
    if where.end is not None:
        clauses.append(AlarmEvent.ts_us < _us(where.end, "query.end"))
    if where.start is not None and where.end is not None and where.end <= where.start:
        raise InputError.for_field("query.end", "must be after start")
    for column, value in (
        (AlarmEvent.equipment_id, where.equipment_id),
        (AlarmEvent.signal_id, where.signal_id),
        (AlarmEvent.rule_id, where.rule_id),
        (AlarmEvent.severity, where.severity),
        (AlarmEvent.priority, where.priority),
        (AlarmEvent.event, where.event),
        (AlarmEvent.to_state, where.state),
    ):
        if value is not None and value != "":
            clauses.append(column == value)
    return select(AlarmEvent).where(*clauses)


def _us(moment: datetime, field: str) -> int:
    if moment.tzinfo is None:
        raise InputError.for_field(field, "give a time zone (e.g. +08:00)")
    return to_us(moment)


def history(
    session: Session, actor: Principal, where: HistoryFilter, *, offset: int = 0, limit: int = 50
) -> tuple[Sequence[AlarmEvent], int]:
    """One page of events, newest first, and the number of all that match."""
    query = _query(session, actor, where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AlarmEvent.ts_us.desc(), AlarmEvent.id.desc()).offset(offset).limit(limit))
    return rows.all(), total


def history_for_export(session: Session, actor: Principal, where: HistoryFilter) -> Sequence[AlarmEvent]:
    """Every matching event in time order (at most ``MAX_EXPORT_ROWS``; narrow the filter for more)."""
    query = _query(session, actor, where).order_by(AlarmEvent.ts_us, AlarmEvent.id).limit(MAX_EXPORT_ROWS + 1)
    rows = session.scalars(query).all()
    if len(rows) > MAX_EXPORT_ROWS:
        raise InputError.for_field("query.start", f"more than {MAX_EXPORT_ROWS} events: choose a shorter period")
    return rows


def flood(session: Session, actor: Principal, enterprise_id: int | None, start: datetime, end: datetime) -> FloodReport:
    """Activations per operator position in 10-minute windows over [start, end) (start rounded down and end up to
    whole windows), against the ISA-18.2 benchmarks."""
    enterprise = enterprise_for_read(session, actor, enterprise_id)
    window_us = WINDOW_S * 1_000_000
    start_us = _us(start, "query.start") // window_us * window_us
    end_us = -(-_us(end, "query.end") // window_us) * window_us
    if end_us <= start_us:
        raise InputError.for_field("query.end", "must be after start")
    if (end_us - start_us) // window_us > MAX_FLOOD_WINDOWS:
        raise InputError.for_field("query.end", "at most 31 days at once")
    rows = session.execute(
        select(AlarmEvent.ts_us, Equipment.node_id)
        .outerjoin(Equipment, Equipment.id == AlarmEvent.equipment_id)
        .where(
            AlarmEvent.enterprise_id == enterprise,
            AlarmEvent.to_state == AlarmState.ACTIVE_UNACKED.value,
            AlarmEvent.ts_us >= start_us,
            AlarmEvent.ts_us < end_us,
        )
    )
    activations = [(node_id, ts_us) for ts_us, node_id in rows]
    nodes = dict(
        session.execute(select(AssetNode.id, AssetNode.name).where(AssetNode.enterprise_id == enterprise)).all()
    )
    summaries = flood_summary(activations, start_us=start_us, end_us=end_us, keys=[None])
    positions = [
        FloodPosition(
            node_id=key,
            name=nodes.get(key, str(key)) if key is not None else "",
            windows=summary.windows,
            activations=summary.activations,
            counts=list(summary.counts),
            average_per_10_min=summary.average_per_10_min,
            max_per_window=summary.max_per_window,
            flood_windows=summary.flood_windows,
            flood_share=summary.flood_share,
            load=summary.load.value,
        )
        for key, summary in summaries.items()
    ]
    positions.sort(key=lambda position: (-position.activations, position.node_id or 0))
    return FloodReport(
        enterprise_id=enterprise,
        start=from_us(start_us),
        end=from_us(end_us),
        window_s=WINDOW_S,
        flood_threshold=FLOOD_THRESHOLD,
        positions=positions,
    )

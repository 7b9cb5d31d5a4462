"""OEE and ISO 22400-2 KPIs over any scope (equipment, line, area, site, enterprise) and any period.

Reads the materialised per-shift and per-day ``Totals`` and sums them: a line's OEE for a month is computed from
the summed times and counts of its machines' days, never as an average of percentages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.production.models import TOTAL_COLUMNS, BucketKind, BucketTotals
from zhizao.production.totals import Totals
from zhizao.telemetry.models import AssetNode, Equipment
from zhizao.telemetry.scope import get_scoped, tenant_clauses

MAX_DAYS = 3 * 366


class Granularity(StrEnum):
    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Scope:
    """The equipment a KPI query covers, and what it is called."""

    enterprise_id: int
    equipment: tuple[Equipment, ...]
    node: AssetNode | None = None
    single: bool = False  # one piece of equipment was asked for

    @property
    def equipment_ids(self) -> list[int]:
        return [row.id for row in self.equipment]


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str  # 2026-03-02, 2026-03-02/B, 2026-W10, 2026-03
    start: date
    totals: Totals


def resolve_scope(
    session: Session,
    actor: Principal,
    *,
    enterprise_id: int | None = None,
    node_id: int | None = None,
    equipment_id: int | None = None,
) -> Scope:
    """Equipment of one piece, of an asset node's subtree, or of a whole enterprise — within the caller's tenant."""
    if equipment_id is not None:
        row = get_scoped(session, actor, Equipment, equipment_id, "equipment")
        return Scope(row.enterprise_id, (row,), single=True)
    if node_id is not None:
        node = get_scoped(session, actor, AssetNode, node_id, "asset node")
        return Scope(node.enterprise_id, tuple(_equipment_under(session, node)), node)
    if enterprise_id is None:
        if actor.organisation_id is None or actor.sees_all_tenants:
            raise InputError.for_field("query.enterprise_id", "name the enterprise, an asset node or equipment")
        enterprise_id = actor.organisation_id
    clauses = tenant_clauses(actor, Equipment.enterprise_id, enterprise_id)
    equipment = session.scalars(select(Equipment).where(*clauses).order_by(Equipment.code)).all()
    return Scope(enterprise_id, tuple(equipment))


def _equipment_under(session: Session, node: AssetNode) -> list[Equipment]:
    nodes = session.scalars(select(AssetNode).where(AssetNode.enterprise_id == node.enterprise_id)).all()
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in nodes:
        children[row.parent_id].append(row.id)
    wanted, frontier = {node.id}, [node.id]
    while frontier:
        below = children.get(frontier.pop(), [])
        wanted.update(below)
        frontier.extend(below)
    return list(session.scalars(select(Equipment).where(Equipment.node_id.in_(wanted)).order_by(Equipment.code)).all())


def check_period(start: date, end: date) -> None:
    if end < start:
        raise InputError.for_field("query.end", "the period ends before it starts")
    if (end - start).days + 1 > MAX_DAYS:
        raise InputError.for_field("query.end", f"at most {MAX_DAYS} days at a time")


def _sums() -> list[ColumnElement[int]]:
    return [func.coalesce(func.sum(getattr(BucketTotals, name)), 0) for name in TOTAL_COLUMNS]


def _totals(values: Sequence[object]) -> Totals:
    return Totals(*(int(value) for value in values))  # type: ignore[call-overload]


def _where(equipment_ids: Iterable[int], kind: BucketKind, start: date, end: date) -> list[ColumnElement[bool]]:
    return [
        BucketTotals.equipment_id.in_(list(equipment_ids)),
        BucketTotals.kind == kind,
        BucketTotals.local_date >= start,
        BucketTotals.local_date <= end,
    ]


def buckets(session: Session, scope: Scope, start: date, end: date, granularity: Granularity) -> list[Bucket]:
    """Summed totals per shift, day, ISO week or month of [start, end] (local dates), oldest first."""
    check_period(start, end)
    if granularity is Granularity.SHIFT:
        rows = session.execute(
            select(BucketTotals.local_date, BucketTotals.label, func.min(BucketTotals.start_us), *_sums())
            .where(*_where(scope.equipment_ids, BucketKind.SHIFT, start, end))
            .group_by(BucketTotals.local_date, BucketTotals.label)
            .order_by(func.min(BucketTotals.start_us))
        ).all()
        return [Bucket(f"{row[0].isoformat()}/{row[1]}", row[0], _totals(row[3:])) for row in rows]
    day_rows = session.execute(
        select(BucketTotals.local_date, *_sums())
        .where(*_where(scope.equipment_ids, BucketKind.DAY, start, end))
        .group_by(BucketTotals.local_date)
        .order_by(BucketTotals.local_date)
    ).all()
    days = [Bucket(row[0].isoformat(), row[0], _totals(row[1:])) for row in day_rows]
    if granularity is Granularity.DAY:
        return days
    grouped: dict[str, Bucket] = {}
    for day in days:
        key, first = _period_of(day.start, granularity)
        held = grouped.get(key)
        grouped[key] = Bucket(key, first, day.totals if held is None else held.totals + day.totals)
    return list(grouped.values())


def _period_of(day: date, granularity: Granularity) -> tuple[str, date]:
    if granularity is Granularity.WEEK:
        year, week, weekday = day.isocalendar()
        return f"{year}-W{week:02d}", day - timedelta(days=weekday - 1)
    return f"{day.year}-{day.month:02d}", day.replace(day=1)


def by_equipment(session: Session, scope: Scope, start: date, end: date) -> dict[int, Totals]:
    """Summed day totals of each piece of equipment in the scope over [start, end] (for drill-down)."""
    check_period(start, end)
    rows = session.execute(
        select(BucketTotals.equipment_id, *_sums())
        .where(*_where(scope.equipment_ids, BucketKind.DAY, start, end))
        .group_by(BucketTotals.equipment_id)
    ).all()
    found = {row[0]: _totals(row[1:]) for row in rows}
    return {equipment_id: found.get(equipment_id, Totals()) for equipment_id in scope.equipment_ids}


def overall(session: Session, scope: Scope, start: date, end: date) -> Totals:
    check_period(start, end)
    row = session.execute(select(*_sums()).where(*_where(scope.equipment_ids, BucketKind.DAY, start, end))).one()
    return _totals(row)

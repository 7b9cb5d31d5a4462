"""What the demand analytics read: one maker's orders of one product model (every version of its code) over a window
of whole local weeks, and the option families and names of the model's latest version. Cancelled orders are left
out: they are not demand that will be built."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.c2m.analytics import FamilyInfo, OrderFacts, families_from_definition, week_of
from zhizao.c2m.models import ConsumerOrder, ModelStatus, OrderStatus, ProductModelRow
from zhizao.errors import InputError

DEFAULT_WEEKS = 12
MAX_WEEKS = 104


@dataclass(frozen=True)
class Demand:
    model_code: str | None
    families: list[FamilyInfo]
    names: dict[str, tuple[str, str]]  # option or family code → (zh, en)
    definition: dict[str, Any]  # of the latest version
    orders: list[OrderFacts]
    model_ids: list[int]  # per order, the version it was configured on
    history: list[date]  # the complete weeks (Mondays), oldest first
    current: date  # the week now is in
    since: date
    weeks: int
    model_rows: dict[int, ProductModelRow] = field(default_factory=dict)

    def name(self, code: str) -> tuple[str, str]:
        return self.names.get(code, (code, code))


def check_weeks(weeks: int) -> int:
    if not 1 <= weeks <= MAX_WEEKS:
        raise InputError.for_field("weeks", f"must be between 1 and {MAX_WEEKS}")
    return weeks


def load_demand(
    session: Session, maker_id: int, model_code: str | None, now: datetime, zone: tzinfo, weeks: int = DEFAULT_WEEKS
) -> Demand:
    check_weeks(weeks)
    current = week_of(now, zone)
    history = [current - timedelta(weeks=k) for k in range(weeks, 0, -1)]
    since = history[0]
    start = datetime.combine(since, time(), tzinfo=zone)
    code = model_code or _busiest_model(session, maker_id, start, now)
    rows = (
        list(
            session.scalars(
                select(ProductModelRow)
                .where(ProductModelRow.enterprise_id == maker_id, ProductModelRow.code == code)
                .order_by(ProductModelRow.version)
            )
        )
        if code
        else []
    )
    if model_code is not None and not rows:
        raise InputError.for_field("model", f"no product model {model_code!r} of yours")
    latest = _latest(rows)
    found = (
        session.execute(
            select(ConsumerOrder.chosen, ConsumerOrder.region, ConsumerOrder.created_at, ConsumerOrder.model_id)
            .where(
                ConsumerOrder.maker_id == maker_id,
                ConsumerOrder.model_id.in_([row.id for row in rows]),
                ConsumerOrder.status != OrderStatus.CANCELLED,
                ConsumerOrder.created_at >= start,
                ConsumerOrder.created_at < now,
            )
            .order_by(ConsumerOrder.created_at, ConsumerOrder.id)
        ).all()
        if rows
        else []
    )
    definition = latest.definition if latest is not None else {}
    return Demand(
        model_code=code,
        families=families_from_definition(definition),
        names=_names(definition),
        definition=definition,
        orders=[OrderFacts(frozenset(row.chosen), row.region, row.created_at) for row in found],
        model_ids=[row.model_id for row in found],
        history=history,
        current=current,
        since=since,
        weeks=weeks,
        model_rows={row.id: row for row in rows},
    )


def _busiest_model(session: Session, maker_id: int, start: datetime, now: datetime) -> str | None:
    """The code of the maker's model with the most orders in the window; else its latest released model's."""
    busiest = session.execute(
        select(ProductModelRow.code, func.count(ConsumerOrder.id).label("orders"))
        .join(ConsumerOrder, ConsumerOrder.model_id == ProductModelRow.id)
        .where(ConsumerOrder.maker_id == maker_id, ConsumerOrder.created_at >= start, ConsumerOrder.created_at < now)
        .group_by(ProductModelRow.code)
        .order_by(func.count(ConsumerOrder.id).desc(), ProductModelRow.code)
        .limit(1)
    ).first()
    if busiest is not None:
        return str(busiest.code)
    released = session.scalar(
        select(ProductModelRow.code)
        .where(ProductModelRow.enterprise_id == maker_id, ProductModelRow.status == ModelStatus.RELEASED)
        .order_by(ProductModelRow.id.desc())
        .limit(1)
    )
    return str(released) if released is not None else None


def _latest(rows: list[ProductModelRow]) -> ProductModelRow | None:
    released = [row for row in rows if row.status != ModelStatus.DRAFT]
    return (released or rows)[-1] if rows else None


def _names(definition: dict[str, Any]) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for family in definition.get("families") or []:
        if not isinstance(family, dict):
            continue
        names[str(family.get("code"))] = _text(family.get("name"), str(family.get("code")))
        for option in family.get("options") or []:
            if isinstance(option, dict):
                names[str(option.get("code"))] = _text(option.get("name"), str(option.get("code")))
    for line in definition.get("bom") or []:
        if isinstance(line, dict):
            names.setdefault(str(line.get("part_number")), _text(line.get("description"), str(line.get("part_number"))))
    return names


def _text(value: object, fallback: str) -> tuple[str, str]:
    if isinstance(value, dict):
        return str(value.get("zh") or fallback), str(value.get("en") or fallback)
    return fallback, fallback

"""An order's timeline as the consumer follows it: configured, confirmed, scheduled, in production (at each station
in turn), quality checked, shipped — each step done, current or still to come, with its time. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from zhizao.c2m.models import OrderEvent, OrderStatus
from zhizao.ui.i18n import N_

CONFIGURED = "configured"  # not a status of its own: the order was placed from the configuration at once
STEPS: tuple[str, ...] = (
    CONFIGURED,
    OrderStatus.CONFIRMED,
    OrderStatus.SCHEDULED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.QUALITY_CHECKED,
    OrderStatus.SHIPPED,
)
STATUS_LABELS: dict[str, str] = {
    CONFIGURED: N_("Order configured"),
    OrderStatus.CONFIRMED: N_("Order confirmed"),
    OrderStatus.SCHEDULED: N_("Production scheduled"),
    OrderStatus.IN_PRODUCTION: N_("In production"),
    OrderStatus.QUALITY_CHECKED: N_("Quality checked"),
    OrderStatus.SHIPPED: N_("Shipped"),
    OrderStatus.CANCELLED: N_("Order cancelled"),
}


class StepState(StrEnum):
    DONE = "done"
    CURRENT = "current"
    PENDING = "pending"


@dataclass(frozen=True)
class Visit:
    station: str
    at: datetime


@dataclass(frozen=True)
class TimelineStep:
    status: str
    label: str
    state: StepState
    at: datetime | None  # when the step was reached (its first event)
    visits: tuple[Visit, ...] = field(default=())  # in production: the stations, in order
    detail: str | None = None


def timeline(
    status: OrderStatus, station: str | None, created_at: datetime, events: Iterable[OrderEvent]
) -> list[TimelineStep]:
    """The steps of an order in ``status`` (the order row's, which the events led to)."""
    reached: dict[str, OrderEvent] = {}
    visits: list[Visit] = []
    for event in sorted(events, key=lambda event: event.at):
        reached.setdefault(event.status.value, event)
        if event.status is OrderStatus.IN_PRODUCTION and event.station:
            visits.append(Visit(event.station, event.at))
    current = STEPS.index(status.value) if status is not OrderStatus.CANCELLED else -1
    steps = []
    for index, key in enumerate(STEPS):
        first = reached.get(key)
        at: datetime | None = created_at
        if key == CONFIGURED:
            state = StepState.DONE
        else:
            state = _state(index, current, first is not None)
            at = first.at if first is not None else None
        shown_visits = tuple(visits) if key == OrderStatus.IN_PRODUCTION else ()
        if key == OrderStatus.IN_PRODUCTION and state is StepState.CURRENT and station and not visits:
            shown_visits = (Visit(station, at or created_at),)
        detail = first.detail if first is not None else None
        steps.append(TimelineStep(key, STATUS_LABELS[key], state, at, shown_visits, detail))
    if status is OrderStatus.CANCELLED:
        cancelled = reached.get(OrderStatus.CANCELLED.value)
        steps.append(
            TimelineStep(
                OrderStatus.CANCELLED.value, STATUS_LABELS[OrderStatus.CANCELLED], StepState.CURRENT,
                cancelled.at if cancelled else None, (), cancelled.detail if cancelled else None,
            )
        )  # fmt: skip
    return steps


def _state(index: int, current: int, has_event: bool) -> StepState:
    if current < 0:  # cancelled: what happened before is done, the rest never comes
        return StepState.DONE if has_event else StepState.PENDING
    if index < current:
        return StepState.DONE
    return StepState.CURRENT if index == current else StepState.PENDING

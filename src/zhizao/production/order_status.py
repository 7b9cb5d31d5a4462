"""The lifecycle of a production order as a pure transition table. No I/O.

    planned ──► released ──► running ──► done
       │            │           │
       └────────────┴───────────┴──► cancelled

``done`` and ``cancelled`` are final: a final order is neither changed nor moved again.
"""

from __future__ import annotations

from zhizao.errors import Conflict, FieldProblem
from zhizao.production.models import OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLANNED: frozenset({OrderStatus.RELEASED, OrderStatus.CANCELLED}),
    OrderStatus.RELEASED: frozenset({OrderStatus.RUNNING, OrderStatus.CANCELLED}),
    OrderStatus.RUNNING: frozenset({OrderStatus.DONE, OrderStatus.CANCELLED}),
    OrderStatus.DONE: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


def allowed(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def check_transition(order_no: str, current: OrderStatus, target: OrderStatus) -> None:
    """Raise a 409 naming the order and the allowed next statuses unless ``current → target`` is allowed."""
    if allowed(current, target):
        return
    targets = ", ".join(sorted(TRANSITIONS[current])) or "none, it is final"
    message = f"order {order_no} is {current.value}: it cannot become {target.value} (allowed: {targets})"
    raise Conflict(message, fields=[FieldProblem("body.status", message)])


def check_editable(order_no: str, current: OrderStatus) -> None:
    """A done or cancelled order is a record of what happened; it is not edited."""
    if current in FINAL:
        raise Conflict(f"order {order_no} is {current.value}: a final order cannot be changed")

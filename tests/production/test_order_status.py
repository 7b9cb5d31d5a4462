"""The production-order lifecycle, table-driven: every (current, target) pair of statuses, allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from zhizao.errors import Conflict
from zhizao.production import order_status
from zhizao.production.models import OrderStatus

P, REL, RUN, DONE, CXL = (
    OrderStatus.PLANNED,
    OrderStatus.RELEASED,
    OrderStatus.RUNNING,
    OrderStatus.DONE,
    OrderStatus.CANCELLED,
)

# Written out by hand from the issue, not derived from the module under test.
ALLOWED = {(P, REL), (REL, RUN), (RUN, DONE), (P, CXL), (REL, CXL), (RUN, CXL)}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(OrderStatus, OrderStatus)))
def test_transition_table(current: OrderStatus, target: OrderStatus) -> None:
    expected = (current, target) in ALLOWED
    assert order_status.allowed(current, target) is expected
    if expected:
        order_status.check_transition("MO-1", current, target)
    else:
        with pytest.raises(Conflict) as refused:
            order_status.check_transition("MO-1", current, target)
        assert "MO-1" in refused.value.message and refused.value.fields[0].field == "body.status"


@pytest.mark.parametrize("status", list(OrderStatus))
def test_only_final_orders_are_frozen(status: OrderStatus) -> None:
    if status in (DONE, CXL):
        with pytest.raises(Conflict, match="final"):
            order_status.check_editable("MO-2", status)
    else:
        order_status.check_editable("MO-2", status)
    assert (status in order_status.FINAL) is (status in (DONE, CXL))

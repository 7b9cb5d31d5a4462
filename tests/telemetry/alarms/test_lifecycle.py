"""The ISA-18.2 lifecycle, table-driven: every (state, event) pair either moves as listed or is refused."""

from __future__ import annotations

import itertools

import pytest

from zhizao.errors import Conflict
from zhizao.telemetry.alarms.lifecycle import (
    ANNUNCIATED,
    BY_CONDITION,
    TRANSITIONS,
    AlarmState,
    LifecycleEvent,
    Target,
    TransitionRefused,
    next_state,
)

S, E = AlarmState, LifecycleEvent

# Every allowed pair. BY_CONDITION: active_unacked if the condition holds, normal if not.
ALLOWED: list[tuple[AlarmState, LifecycleEvent, Target]] = [
    (S.NORMAL, E.CONDITION_TRUE, S.ACTIVE_UNACKED),
    (S.NORMAL, E.SHELVE, S.SHELVED),
    (S.NORMAL, E.REMOVE_FROM_SERVICE, S.OUT_OF_SERVICE),
    (S.ACTIVE_UNACKED, E.CONDITION_FALSE, S.CLEARED_UNACKED),
    (S.ACTIVE_UNACKED, E.ACKNOWLEDGE, S.ACTIVE_ACKED),
    (S.ACTIVE_UNACKED, E.SHELVE, S.SHELVED),
    (S.ACTIVE_UNACKED, E.REMOVE_FROM_SERVICE, S.OUT_OF_SERVICE),
    (S.ACTIVE_ACKED, E.CONDITION_FALSE, S.NORMAL),
    (S.ACTIVE_ACKED, E.SHELVE, S.SHELVED),
    (S.ACTIVE_ACKED, E.REMOVE_FROM_SERVICE, S.OUT_OF_SERVICE),
    (S.CLEARED_UNACKED, E.CONDITION_TRUE, S.ACTIVE_UNACKED),
    (S.CLEARED_UNACKED, E.ACKNOWLEDGE, S.NORMAL),
    (S.CLEARED_UNACKED, E.SHELVE, S.SHELVED),
    (S.CLEARED_UNACKED, E.REMOVE_FROM_SERVICE, S.OUT_OF_SERVICE),
    (S.SHELVED, E.CONDITION_TRUE, S.SHELVED),
    (S.SHELVED, E.CONDITION_FALSE, S.SHELVED),
    (S.SHELVED, E.UNSHELVE, BY_CONDITION),
    (S.SHELVED, E.SHELF_EXPIRED, BY_CONDITION),
    (S.SHELVED, E.REMOVE_FROM_SERVICE, S.OUT_OF_SERVICE),
    (S.OUT_OF_SERVICE, E.CONDITION_TRUE, S.OUT_OF_SERVICE),
    (S.OUT_OF_SERVICE, E.CONDITION_FALSE, S.OUT_OF_SERVICE),
    (S.OUT_OF_SERVICE, E.RETURN_TO_SERVICE, BY_CONDITION),
]

# Every refused pair, with the reason the error gives.
REFUSED: list[tuple[AlarmState, LifecycleEvent, str]] = [
    (S.NORMAL, E.CONDITION_FALSE, "already clear"),
    (S.NORMAL, E.ACKNOWLEDGE, "nothing to acknowledge"),
    (S.NORMAL, E.UNSHELVE, "not shelved"),
    (S.NORMAL, E.SHELF_EXPIRED, "not shelved"),
    (S.NORMAL, E.RETURN_TO_SERVICE, "not out of service"),
    (S.ACTIVE_UNACKED, E.CONDITION_TRUE, "already active"),
    (S.ACTIVE_UNACKED, E.UNSHELVE, "not shelved"),
    (S.ACTIVE_UNACKED, E.SHELF_EXPIRED, "not shelved"),
    (S.ACTIVE_UNACKED, E.RETURN_TO_SERVICE, "not out of service"),
    (S.ACTIVE_ACKED, E.CONDITION_TRUE, "already active"),
    (S.ACTIVE_ACKED, E.ACKNOWLEDGE, "nothing to acknowledge"),
    (S.ACTIVE_ACKED, E.UNSHELVE, "not shelved"),
    (S.ACTIVE_ACKED, E.SHELF_EXPIRED, "not shelved"),
    (S.ACTIVE_ACKED, E.RETURN_TO_SERVICE, "not out of service"),
    (S.CLEARED_UNACKED, E.CONDITION_FALSE, "already clear"),
    (S.CLEARED_UNACKED, E.UNSHELVE, "not shelved"),
    (S.CLEARED_UNACKED, E.SHELF_EXPIRED, "not shelved"),
    (S.CLEARED_UNACKED, E.RETURN_TO_SERVICE, "not out of service"),
    (S.SHELVED, E.ACKNOWLEDGE, "nothing to acknowledge"),
    (S.SHELVED, E.SHELVE, "already shelved"),
    (S.SHELVED, E.RETURN_TO_SERVICE, "not out of service"),
    (S.OUT_OF_SERVICE, E.ACKNOWLEDGE, "nothing to acknowledge"),
    (S.OUT_OF_SERVICE, E.SHELVE, "out of service"),
    (S.OUT_OF_SERVICE, E.UNSHELVE, "not shelved"),
    (S.OUT_OF_SERVICE, E.SHELF_EXPIRED, "not shelved"),
    (S.OUT_OF_SERVICE, E.REMOVE_FROM_SERVICE, "already out of service"),
]


def test_every_pair_is_either_allowed_or_refused_exactly_once() -> None:
    listed = [(state, event) for state, event, _ in ALLOWED] + [(state, event) for state, event, _ in REFUSED]
    assert sorted(listed) == sorted(itertools.product(S, E))


def test_the_table_is_exactly_the_allowed_list() -> None:
    assert {(state, event): target for state, event, target in ALLOWED} == TRANSITIONS


@pytest.mark.parametrize(("state", "event", "target"), ALLOWED)
@pytest.mark.parametrize("condition_active", [True, False])
def test_allowed_transitions(state: AlarmState, event: LifecycleEvent, target: Target, condition_active: bool) -> None:
    implied = S.ACTIVE_UNACKED if condition_active else S.NORMAL
    expected = implied if target is BY_CONDITION else target
    assert next_state(state, event, condition_active=condition_active) == expected


@pytest.mark.parametrize(("state", "event", "reason"), REFUSED)
def test_refused_transitions_say_why(state: AlarmState, event: LifecycleEvent, reason: str) -> None:
    with pytest.raises(TransitionRefused, match=reason) as caught:
        next_state(state, event, condition_active=False)
    assert isinstance(caught.value, Conflict)  # 409 at the API
    assert caught.value.state is state
    assert caught.value.event is event
    assert state.value.replace("_", " ") in caught.value.message


def test_acknowledging_a_normal_alarm_is_refused() -> None:
    with pytest.raises(TransitionRefused, match="a normal alarm cannot take acknowledge: there is nothing"):
        next_state(S.NORMAL, E.ACKNOWLEDGE, condition_active=False)


def test_suppressed_states_are_not_annunciated() -> None:
    assert S.SHELVED not in ANNUNCIATED
    assert S.OUT_OF_SERVICE not in ANNUNCIATED
    assert S.NORMAL not in ANNUNCIATED

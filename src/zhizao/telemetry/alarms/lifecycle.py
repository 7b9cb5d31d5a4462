"""The ISA-18.2 alarm lifecycle as a pure transition table (state, event) → next state.

States (after the alarm state transition diagram of ANSI/ISA-18.2-2016):

=====================  ==============================================================================
state                  meaning
=====================  ==============================================================================
``normal``             condition clear, nothing to acknowledge
``active_unacked``     condition present, not yet acknowledged: annunciated, the operator must respond
``active_acked``       condition present, acknowledged
``cleared_unacked``    returned to normal before it was acknowledged: still shown until acknowledged
``shelved``            suppressed by the operator for a limited time; the condition is still tracked
``out_of_service``     removed from service (maintenance, a broken instrument); the condition is tracked
=====================  ==============================================================================

Shelving is the operator's temporary tool and always expires; taking an alarm out of service is maintenance's,
with no expiry. Leaving either (unshelve, shelf expiry, return to service) puts the alarm in the state its
condition implies: ``active_unacked`` (annunciated again) if the condition holds, ``normal`` otherwise.

Every (state, event) pair is in the table: allowed ones lead to a state (or to ``BY_CONDITION``), the others
(acknowledging a normal alarm, shelving a shelved one, a condition that "becomes true" while it already is) are
refused with ``TransitionRefused``.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from zhizao.errors import Conflict


class AlarmState(StrEnum):
    NORMAL = "normal"
    ACTIVE_UNACKED = "active_unacked"
    ACTIVE_ACKED = "active_acked"
    CLEARED_UNACKED = "cleared_unacked"
    SHELVED = "shelved"
    OUT_OF_SERVICE = "out_of_service"


class LifecycleEvent(StrEnum):
    """What happens to an alarm: its condition changes, or an operator (or the shelf's clock) acts on it."""

    CONDITION_TRUE = "condition_true"  # the (delayed) condition becomes true
    CONDITION_FALSE = "condition_false"  # the (delayed) condition becomes false
    ACKNOWLEDGE = "acknowledge"  # by a user, with an optional comment
    SHELVE = "shelve"  # by a user, with a duration and a reason
    UNSHELVE = "unshelve"  # by a user, before the shelf expires
    SHELF_EXPIRED = "shelf_expired"  # the shelving duration ran out
    REMOVE_FROM_SERVICE = "remove_from_service"  # by a user, with a reason
    RETURN_TO_SERVICE = "return_to_service"  # by a user


class Resolved(Enum):
    """A target that depends on the condition: ``active_unacked`` if it holds, ``normal`` if not."""

    BY_CONDITION = "by_condition"


Target = AlarmState | Resolved

_S, _E = AlarmState, LifecycleEvent
BY_CONDITION = Resolved.BY_CONDITION
IN_SERVICE = (_S.NORMAL, _S.ACTIVE_UNACKED, _S.ACTIVE_ACKED, _S.CLEARED_UNACKED)
SUPPRESSED = (_S.SHELVED, _S.OUT_OF_SERVICE)

TRANSITIONS: dict[tuple[AlarmState, LifecycleEvent], Target] = {
    (_S.NORMAL, _E.CONDITION_TRUE): _S.ACTIVE_UNACKED,
    (_S.ACTIVE_UNACKED, _E.CONDITION_FALSE): _S.CLEARED_UNACKED,
    (_S.ACTIVE_UNACKED, _E.ACKNOWLEDGE): _S.ACTIVE_ACKED,
    (_S.ACTIVE_ACKED, _E.CONDITION_FALSE): _S.NORMAL,
    (_S.CLEARED_UNACKED, _E.CONDITION_TRUE): _S.ACTIVE_UNACKED,
    (_S.CLEARED_UNACKED, _E.ACKNOWLEDGE): _S.NORMAL,
    # Suppressed alarms keep tracking their condition without annunciating it.
    **{(state, event): state for state in SUPPRESSED for event in (_E.CONDITION_TRUE, _E.CONDITION_FALSE)},
    **{(state, _E.SHELVE): _S.SHELVED for state in IN_SERVICE},
    (_S.SHELVED, _E.UNSHELVE): BY_CONDITION,
    (_S.SHELVED, _E.SHELF_EXPIRED): BY_CONDITION,
    **{(state, _E.REMOVE_FROM_SERVICE): _S.OUT_OF_SERVICE for state in (*IN_SERVICE, _S.SHELVED)},
    (_S.OUT_OF_SERVICE, _E.RETURN_TO_SERVICE): BY_CONDITION,
}

# Why each refused pair is refused, by event (the state completes the sentence).
_REFUSALS: dict[LifecycleEvent, str] = {
    _E.CONDITION_TRUE: "its condition is already active",
    _E.CONDITION_FALSE: "its condition is already clear",
    _E.ACKNOWLEDGE: "there is nothing to acknowledge",
    _E.SHELVE: "it is already shelved or out of service",
    _E.UNSHELVE: "it is not shelved",
    _E.SHELF_EXPIRED: "it is not shelved",
    _E.REMOVE_FROM_SERVICE: "it is already out of service",
    _E.RETURN_TO_SERVICE: "it is not out of service",
}

# States the operator sees (annunciated or waiting for acknowledgement).
ANNUNCIATED = frozenset({_S.ACTIVE_UNACKED, _S.ACTIVE_ACKED, _S.CLEARED_UNACKED})
UNACKNOWLEDGED = frozenset({_S.ACTIVE_UNACKED, _S.CLEARED_UNACKED})


class TransitionRefused(Conflict):
    """An event that the alarm's state does not allow (409)."""

    code = "alarm_transition_refused"

    def __init__(self, state: AlarmState, event: LifecycleEvent) -> None:
        reason = _REFUSALS[event]
        super().__init__(
            f"a {state.value.replace('_', ' ')} alarm cannot take {event.value.replace('_', ' ')}: {reason}"
        )
        self.state = state
        self.event = event


def target(state: AlarmState, event: LifecycleEvent) -> Target:
    """The table's entry for (state, event); TransitionRefused when there is none."""
    found = TRANSITIONS.get((state, event))
    if found is None:
        raise TransitionRefused(state, event)
    return found


def next_state(state: AlarmState, event: LifecycleEvent, *, condition_active: bool) -> AlarmState:
    """The state after ``event``; ``condition_active`` (the delayed condition now) resolves ``BY_CONDITION``."""
    found = target(state, event)
    if isinstance(found, Resolved):
        return implied_state(condition_active=condition_active)
    return found


def implied_state(*, condition_active: bool) -> AlarmState:
    """Where an alarm that comes back from suppression goes: annunciated again if its condition holds."""
    return _S.ACTIVE_UNACKED if condition_active else _S.NORMAL

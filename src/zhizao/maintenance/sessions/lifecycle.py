"""The session lifecycle as a pure transition table, and the categories of findings. No I/O.

    open ──close (operator)──────────► closed
         ──end (owner)───────────────► ended
         ──consent revoked / expired─► lapsed

Every end is final: a finished session is never reopened (a new one is opened instead, so each report covers one
uninterrupted period under one consent).
"""

from __future__ import annotations

from enum import StrEnum

from zhizao.errors import Conflict
from zhizao.ui.i18n import N_


class SessionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # by its operator, with findings
    ENDED = "ended"  # by the owner enterprise
    LAPSED = "lapsed"  # the consent it relied on was revoked or expired


class SessionEvent(StrEnum):
    CLOSE = "close"
    END = "end"
    CONSENT_REVOKED = "consent_revoked"
    CONSENT_EXPIRED = "consent_expired"


class EndReason(StrEnum):
    CLOSED = "closed"
    ENDED_BY_OWNER = "ended_by_owner"
    CONSENT_REVOKED = "consent_revoked"
    CONSENT_EXPIRED = "consent_expired"


class FindingCategory(StrEnum):
    OBSERVATION = "observation"
    CAUSE = "cause"
    ACTION_TAKEN = "action_taken"
    RECOMMENDATION = "recommendation"


# (state, event) → (next state, why it ended). Anything absent is refused.
TRANSITIONS: dict[tuple[SessionStatus, SessionEvent], tuple[SessionStatus, EndReason]] = {
    (SessionStatus.OPEN, SessionEvent.CLOSE): (SessionStatus.CLOSED, EndReason.CLOSED),
    (SessionStatus.OPEN, SessionEvent.END): (SessionStatus.ENDED, EndReason.ENDED_BY_OWNER),
    (SessionStatus.OPEN, SessionEvent.CONSENT_REVOKED): (SessionStatus.LAPSED, EndReason.CONSENT_REVOKED),
    (SessionStatus.OPEN, SessionEvent.CONSENT_EXPIRED): (SessionStatus.LAPSED, EndReason.CONSENT_EXPIRED),
}

STATUS_LABELS: dict[str, str] = {
    SessionStatus.OPEN: N_("Open"),
    SessionStatus.CLOSED: N_("Closed"),
    SessionStatus.ENDED: N_("Ended by the owner"),
    SessionStatus.LAPSED: N_("Lapsed"),
}

END_REASON_LABELS: dict[str, str] = {
    EndReason.CLOSED: N_("closed by the operator"),
    EndReason.ENDED_BY_OWNER: N_("ended by the owner"),
    EndReason.CONSENT_REVOKED: N_("ended: consent revoked"),
    EndReason.CONSENT_EXPIRED: N_("ended: consent expired"),
}

CATEGORY_LABELS: dict[str, str] = {
    FindingCategory.OBSERVATION: N_("Observation"),
    FindingCategory.CAUSE: N_("Cause"),
    FindingCategory.ACTION_TAKEN: N_("Action taken"),
    FindingCategory.RECOMMENDATION: N_("Recommendation"),
}


class SessionEnded(Conflict):
    """The session is not open (409), saying how it ended."""

    def __init__(self, session_id: int, reason: EndReason | None) -> None:
        how = END_REASON_LABELS[reason] if reason is not None else "ended"
        super().__init__(f"maintenance session {session_id} is no longer open ({how})")
        self.reason = reason


def next_state(state: SessionStatus, event: SessionEvent) -> tuple[SessionStatus, EndReason]:
    """The state ``event`` leads to from ``state``; ``Conflict`` when the table has no such transition."""
    found = TRANSITIONS.get((state, event))
    if found is None:
        raise Conflict(f"a {state.value} session cannot be {event.value.replace('_', ' ')}")
    return found

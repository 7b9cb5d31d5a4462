"""The lifecycle of a work order as a pure transition table (status, action) → Transition.

open → assigned → in progress → done → verified; cancelled from open or assigned; a failed verification reopens a
done order (back to in progress). Each transition names the roles that may make it and a rule about *who*:

- verify and reopen belong to the owner (enterprise users, administrators), never to a platform operator who did
  the work, and must be made by a different user than the one who finished the work (four-eyes principle);
- cancel belongs to the owner and needs a reason; reopening needs one too (what failed the verification).

Officers read work orders and never change them, so they appear in no row of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, PermissionDenied
from zhizao.ui.i18n import N_


class Status(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED = "verified"
    CANCELLED = "cancelled"


class Action(StrEnum):
    ASSIGN = "assign"
    START = "start"
    FINISH = "finish"
    VERIFY = "verify"
    REOPEN = "reopen"
    CANCEL = "cancel"


class Who(StrEnum):
    """Who, beyond the role, may make a transition."""

    ANYONE = "anyone"  # any user of an allowed role
    NOT_THE_WORKER = "not_the_worker"  # a different user than the one who finished the work


@dataclass(frozen=True, slots=True)
class Transition:
    target: Status
    roles: frozenset[Role]
    who: Who = Who.ANYONE
    needs_comment: bool = False


_S, _A = Status, Action
OWNERS = frozenset({Role.ADMIN, Role.ENTERPRISE})
WORKERS = frozenset({Role.ADMIN, Role.ENTERPRISE, Role.PLATFORM})

TRANSITIONS: dict[tuple[Status, Action], Transition] = {
    (_S.OPEN, _A.ASSIGN): Transition(_S.ASSIGNED, WORKERS),
    (_S.ASSIGNED, _A.ASSIGN): Transition(_S.ASSIGNED, WORKERS),  # reassign to another technician
    (_S.ASSIGNED, _A.START): Transition(_S.IN_PROGRESS, WORKERS),
    (_S.IN_PROGRESS, _A.FINISH): Transition(_S.DONE, WORKERS),
    (_S.DONE, _A.VERIFY): Transition(_S.VERIFIED, OWNERS, Who.NOT_THE_WORKER),
    (_S.DONE, _A.REOPEN): Transition(_S.IN_PROGRESS, OWNERS, Who.NOT_THE_WORKER, needs_comment=True),
    (_S.OPEN, _A.CANCEL): Transition(_S.CANCELLED, OWNERS, needs_comment=True),
    (_S.ASSIGNED, _A.CANCEL): Transition(_S.CANCELLED, OWNERS, needs_comment=True),
}

INITIAL_STATUS = _S.OPEN
FINAL_STATUSES = frozenset({_S.VERIFIED, _S.CANCELLED})
# Statuses in which the order's fields, codes and parts may still be changed (a verified order is history).
EDITABLE_STATUSES = frozenset({_S.OPEN, _S.ASSIGNED, _S.IN_PROGRESS, _S.DONE})

STATUS_LABELS: dict[str, str] = {
    _S.OPEN: N_("Waiting for assignment"),
    _S.ASSIGNED: N_("Assigned"),
    _S.IN_PROGRESS: N_("In progress"),
    _S.DONE: N_("Work done"),
    _S.VERIFIED: N_("Accepted after repair"),
    _S.CANCELLED: N_("Cancelled"),
}
ACTION_LABELS: dict[str, str] = {
    "create": N_("Created"),
    _A.ASSIGN: N_("Assign"),
    _A.START: N_("Start work"),
    _A.FINISH: N_("Finish work"),
    _A.VERIFY: N_("Verify"),
    _A.REOPEN: N_("Reopen (verification failed)"),
    _A.CANCEL: N_("Cancel"),
}


def _words(action: Action) -> str:
    return action.value.replace("_", " ")


def next_transition(
    status: Status,
    action: Action,
    role: Role,
    *,
    actor_id: int,
    worked_by: int | None,
    comment: str | None = None,
) -> Transition:
    """The transition ``action`` makes from ``status`` for this caller.

    Conflict (409) when the status does not allow the action or a required comment is missing; PermissionDenied
    (403) when the role may not make it, or the rule about who forbids this user (e.g. verifying one's own work)."""
    found = TRANSITIONS.get((status, action))
    if found is None:
        raise Conflict(f"a work order that is {status.value.replace('_', ' ')} cannot {_words(action)}")
    if role not in found.roles:
        raise PermissionDenied(f"role {role.value} may not {_words(action)} a work order")
    if found.who is Who.NOT_THE_WORKER and worked_by is not None and worked_by == actor_id:
        raise PermissionDenied(f"the user who did the work may not {_words(action)} it: another user must")
    if found.needs_comment and not (comment and comment.strip()):
        raise Conflict(f"give a reason to {_words(action)} a work order")
    return found


def available_actions(status: Status, role: Role, *, actor_id: int, worked_by: int | None) -> list[Action]:
    """The actions this caller may take from ``status``, in the table's order (for the detail page's buttons)."""
    actions = []
    for (origin, action), found in TRANSITIONS.items():
        if origin != status or role not in found.roles:
            continue
        if found.who is Who.NOT_THE_WORKER and worked_by is not None and worked_by == actor_id:
            continue
        actions.append(action)
    return actions

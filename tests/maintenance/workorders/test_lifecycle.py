"""The work-order lifecycle, table-driven: every (status, action) pair either moves as listed, for the roles listed,
or is refused — Conflict for the status, PermissionDenied for the role or the user."""

from __future__ import annotations

import itertools

import pytest

from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, PermissionDenied
from zhizao.maintenance.workorders.lifecycle import (
    FINAL_STATUSES,
    TRANSITIONS,
    Action,
    Status,
    Who,
    available_actions,
    next_transition,
)

S, A = Status, Action
OWNERS = {Role.ADMIN, Role.ENTERPRISE}
WORKERS = {Role.ADMIN, Role.ENTERPRISE, Role.PLATFORM}
WORKER_ID, OTHER_ID = 7, 8

# (status, action) → target, roles, who, comment required
ALLOWED: dict[tuple[Status, Action], tuple[Status, set[Role], Who, bool]] = {
    (S.OPEN, A.ASSIGN): (S.ASSIGNED, WORKERS, Who.ANYONE, False),
    (S.ASSIGNED, A.ASSIGN): (S.ASSIGNED, WORKERS, Who.ANYONE, False),
    (S.ASSIGNED, A.START): (S.IN_PROGRESS, WORKERS, Who.ANYONE, False),
    (S.IN_PROGRESS, A.FINISH): (S.DONE, WORKERS, Who.ANYONE, False),
    (S.DONE, A.VERIFY): (S.VERIFIED, OWNERS, Who.NOT_THE_WORKER, False),
    (S.DONE, A.REOPEN): (S.IN_PROGRESS, OWNERS, Who.NOT_THE_WORKER, True),
    (S.OPEN, A.CANCEL): (S.CANCELLED, OWNERS, Who.ANYONE, True),
    (S.ASSIGNED, A.CANCEL): (S.CANCELLED, OWNERS, Who.ANYONE, True),
}
ALLOWED_WITH_ROLE = [(s, a, role) for (s, a), spec in ALLOWED.items() for role in sorted(spec[1])]
REFUSED_ROLE = [(s, a, role) for (s, a), spec in ALLOWED.items() for role in sorted(set(Role) - spec[1])]
NOT_FROM_STATUS = [(s, a) for s, a in itertools.product(S, A) if (s, a) not in ALLOWED]


def test_the_table_is_exactly_the_allowed_list() -> None:
    assert {key: (t.target, set(t.roles), t.who, t.needs_comment) for key, t in TRANSITIONS.items()} == ALLOWED


@pytest.mark.parametrize(("status", "action", "role"), ALLOWED_WITH_ROLE)
def test_allowed_transitions_for_their_roles(status: Status, action: Action, role: Role) -> None:
    found = next_transition(status, action, role, actor_id=OTHER_ID, worked_by=WORKER_ID, comment="bearing noisy")
    assert found.target == ALLOWED[(status, action)][0]


@pytest.mark.parametrize(("status", "action", "role"), REFUSED_ROLE)
def test_other_roles_are_refused(status: Status, action: Action, role: Role) -> None:
    with pytest.raises(PermissionDenied, match=f"role {role.value} may not"):
        next_transition(status, action, role, actor_id=OTHER_ID, worked_by=WORKER_ID, comment="x")


@pytest.mark.parametrize(("status", "action"), NOT_FROM_STATUS)
@pytest.mark.parametrize("role", [Role.ADMIN, Role.ENTERPRISE, Role.PLATFORM])
def test_every_other_pair_is_a_conflict(status: Status, action: Action, role: Role) -> None:
    with pytest.raises(Conflict, match=r"a work order that is .* cannot"):
        next_transition(status, action, role, actor_id=OTHER_ID, worked_by=WORKER_ID, comment="x")


@pytest.mark.parametrize("action", [A.VERIFY, A.REOPEN])
def test_the_worker_may_not_verify_or_reject_their_own_work(action: Action) -> None:
    with pytest.raises(PermissionDenied, match="the user who did the work may not"):
        next_transition(S.DONE, action, Role.ENTERPRISE, actor_id=WORKER_ID, worked_by=WORKER_ID, comment="x")


@pytest.mark.parametrize(("status", "action"), [(S.DONE, A.REOPEN), (S.OPEN, A.CANCEL), (S.ASSIGNED, A.CANCEL)])
@pytest.mark.parametrize("comment", [None, "", "   "])
def test_reopen_and_cancel_need_a_reason(status: Status, action: Action, comment: str | None) -> None:
    with pytest.raises(Conflict, match="give a reason"):
        next_transition(status, action, Role.ENTERPRISE, actor_id=OTHER_ID, worked_by=WORKER_ID, comment=comment)


def test_final_statuses_have_no_way_out_and_every_other_has_one() -> None:
    assert {S.VERIFIED, S.CANCELLED} == FINAL_STATUSES
    assert {status for status, _ in TRANSITIONS} == set(S) - FINAL_STATUSES


def test_the_happy_path_and_a_failed_verification() -> None:
    status = S.OPEN
    for action in (A.ASSIGN, A.START, A.FINISH, A.REOPEN, A.FINISH, A.VERIFY):
        status = next_transition(status, action, Role.ADMIN, actor_id=OTHER_ID, worked_by=WORKER_ID, comment="c").target
    assert status is S.VERIFIED


@pytest.mark.parametrize(
    ("status", "role", "actor", "expected"),
    [
        (S.OPEN, Role.ENTERPRISE, OTHER_ID, [A.ASSIGN, A.CANCEL]),
        (S.OPEN, Role.PLATFORM, OTHER_ID, [A.ASSIGN]),
        (S.DONE, Role.ENTERPRISE, OTHER_ID, [A.VERIFY, A.REOPEN]),
        (S.DONE, Role.ENTERPRISE, WORKER_ID, []),
        (S.DONE, Role.PLATFORM, OTHER_ID, []),
        (S.IN_PROGRESS, Role.OFFICER, OTHER_ID, []),
        (S.VERIFIED, Role.ADMIN, OTHER_ID, []),
    ],
)
def test_available_actions(status: Status, role: Role, actor: int, expected: list[Action]) -> None:
    assert available_actions(status, role, actor_id=actor, worked_by=WORKER_ID) == expected

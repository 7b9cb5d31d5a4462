"""The assessment lifecycle, table-driven: every (kind, status, action) either moves as listed or is refused."""

from __future__ import annotations

import itertools

import pytest

from zhizao.assessment.lifecycle import (
    FINAL_STATUSES,
    TRANSITIONS,
    Action,
    AssessmentKind,
    AssessmentStatus,
    next_status,
)
from zhizao.errors import Conflict

S, K, A = AssessmentStatus, AssessmentKind, Action

ALLOWED = [
    (K.SELF, S.DRAFT, A.SUBMIT, S.SUBMITTED),
    (K.DIAGNOSIS, S.OPENED, A.PROPOSE_TEAM, S.TEAM_PROPOSED),
    (K.DIAGNOSIS, S.TEAM_PROPOSED, A.PROPOSE_TEAM, S.TEAM_PROPOSED),
    (K.DIAGNOSIS, S.TEAM_PROPOSED, A.START, S.IN_PROGRESS),
    (K.DIAGNOSIS, S.IN_PROGRESS, A.START_CONSENSUS, S.CONSENSUS),
    (K.DIAGNOSIS, S.CONSENSUS, A.CLOSE, S.CLOSED),
    (K.DIAGNOSIS, S.OPENED, A.CANCEL, S.CANCELLED),
    (K.DIAGNOSIS, S.TEAM_PROPOSED, A.CANCEL, S.CANCELLED),
    (K.DIAGNOSIS, S.IN_PROGRESS, A.CANCEL, S.CANCELLED),
    (K.DIAGNOSIS, S.CONSENSUS, A.CANCEL, S.CANCELLED),
]


@pytest.mark.parametrize(("kind", "status", "action", "target"), ALLOWED)
def test_allowed_transitions(
    kind: AssessmentKind, status: AssessmentStatus, action: Action, target: AssessmentStatus
) -> None:
    assert next_status(kind, status, action) == target


def test_the_table_is_exactly_the_allowed_list() -> None:
    assert {(kind, status, action): target for kind, status, action, target in ALLOWED} == TRANSITIONS


@pytest.mark.parametrize(
    ("kind", "status", "action"),
    [combination for combination in itertools.product(K, S, A) if combination not in TRANSITIONS],
)
def test_everything_else_is_a_conflict(kind: AssessmentKind, status: AssessmentStatus, action: Action) -> None:
    with pytest.raises(Conflict, match=f"{kind.value} assessment that is {status.value}"):
        next_status(kind, status, action)


def test_final_statuses_have_no_way_out() -> None:
    assert not [key for key in TRANSITIONS if key[1] in FINAL_STATUSES]

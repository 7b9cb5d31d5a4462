"""The talent rules as pure functions, table-driven: which status a trainee may move to, when a certificate may be
issued, a cohort's dates."""

from __future__ import annotations

from datetime import date

import pytest

from zhizao.programme.models_community import TraineeStatus
from zhizao.programme.service_talent import certification_problem, dates_problem, status_change_problem

ENROLLED, COMPLETED, DROPPED = TraineeStatus.ENROLLED, TraineeStatus.COMPLETED, TraineeStatus.DROPPED


@pytest.mark.parametrize(
    ("current", "target", "certified", "allowed"),
    [
        (ENROLLED, COMPLETED, False, True),
        (ENROLLED, DROPPED, False, True),
        (COMPLETED, ENROLLED, False, True),  # a completion recorded by mistake
        (DROPPED, ENROLLED, False, True),
        (COMPLETED, DROPPED, False, False),  # only from the course, not after finishing it
        (DROPPED, COMPLETED, False, False),
        (COMPLETED, COMPLETED, True, True),  # no change is always fine
        (COMPLETED, ENROLLED, True, False),  # a certified trainee's status is final
    ],
)
def test_trainee_transitions(current: TraineeStatus, target: TraineeStatus, certified: bool, allowed: bool) -> None:
    assert (status_change_problem(current, target, certified=certified) is None) is allowed


@pytest.mark.parametrize(
    ("status", "certificate_no", "problem"),
    [
        (COMPLETED, None, None),
        (ENROLLED, None, "completed the course"),
        (DROPPED, None, "completed the course"),
        (COMPLETED, "ZZ-1", "already certified"),
    ],
)
def test_certification_rule(status: TraineeStatus, certificate_no: str | None, problem: str | None) -> None:
    found = certification_problem(status, certificate_no)
    assert found is None if problem is None else (found is not None and problem in found)


def test_a_cohort_ends_after_it_starts() -> None:
    assert dates_problem(date(2021, 3, 1), date(2021, 3, 1)) is None
    assert dates_problem(date(2021, 3, 1), date(2021, 2, 28)) == "ends before it starts"

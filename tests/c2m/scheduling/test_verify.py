"""verify(): a correct schedule passes; each kind of broken one is caught and said in words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from zhizao.c2m.scheduling import (
    Frame,
    Job,
    Problem,
    Rule,
    Schedule,
    ScheduledOperation,
    Task,
    Unavailability,
    dispatch,
    verify,
)


def _changed(schedule: Schedule, job: int, task: int, **changes: int) -> Schedule:
    return Schedule(
        tuple(replace(op, **changes) if (op.job, op.task) == (job, task) else op for op in schedule.operations)
    )


@pytest.fixture
def good(three_by_three: Problem) -> Schedule:
    return dispatch(three_by_three, Rule.MWKR)  # J0: M0 0–3, M1 4–6, M2 9–11; J1: M0 3–5, M2 5–6, M1 6–10; …


def test_a_feasible_schedule_passes(three_by_three: Problem, good: Schedule) -> None:
    assert verify(good, three_by_three) == []


@pytest.mark.parametrize(
    ("job", "task", "changes", "words"),
    [
        (1, 0, {"start": 2, "end": 4}, "overlap"),  # M0: J0 runs 0–3
        (0, 1, {"start": 2, "end": 4}, "before task 0 ends"),
        (0, 1, {"machine": 2}, "not eligible"),
        (0, 1, {"end": 7}, "lasts 3 on M1, not 2"),
    ],
)
def test_broken_schedules_are_caught(
    three_by_three: Problem, good: Schedule, job: int, task: int, changes: dict[str, int], words: str
) -> None:
    problems = verify(_changed(good, job, task, **changes), three_by_three)
    assert any(words in problem for problem in problems), problems


def test_missing_duplicated_and_unknown_operations_are_caught(three_by_three: Problem, good: Schedule) -> None:
    missing = Schedule(good.operations[1:])
    assert any("J0 task 0 is not scheduled" in p for p in verify(missing, three_by_three))
    doubled = Schedule((*good.operations, good.operations[0]))
    assert any("twice" in p for p in verify(doubled, three_by_three))
    extra = Schedule((*good.operations, ScheduledOperation(7, 0, 0, 20, 21)))
    assert any("J7 task 0 is not in the problem" in p for p in verify(extra, three_by_three))


def test_release_dates_are_checked() -> None:
    problem = Problem(jobs=(Job((Task.on(0, 2),), release=3),), n_machines=1)
    early = Schedule((ScheduledOperation(0, 0, 0, 1, 3),))
    assert any("before its release (3)" in p for p in verify(early, problem))


def test_frames_are_checked(three_by_three: Problem, good: Schedule) -> None:
    moved = Frame(fixed=(ScheduledOperation(0, 0, 0, 1, 4),))
    assert any("was fixed" in p for p in verify(good, three_by_three, moved))
    down = Frame(unavailable=(Unavailability(1, 5, 7),))  # J0 task 1 runs 4–6 on M1
    assert any("while it is unavailable (5–7)" in p for p in verify(good, three_by_three, down))
    forever = Frame(unavailable=(Unavailability(2, 10, None),))  # J0 task 2 runs 9–11 on M2
    assert any("further notice" in p for p in verify(good, three_by_three, forever))
    late = Frame(not_before=1)  # J0 task 0 starts at 0 and is not kept
    assert any("before 1" in p for p in verify(good, three_by_three, late))


def test_zero_length_operations_meet_others_only_strictly_inside_as_in_cp_sat() -> None:
    problem = Problem(jobs=(Job((Task.on(0, 10),)), Job((Task.on(0, 0),))), n_machines=1)
    inside = Schedule((ScheduledOperation(0, 0, 0, 0, 10), ScheduledOperation(1, 0, 0, 5, 5)))
    on_edge = Schedule((ScheduledOperation(0, 0, 0, 0, 10), ScheduledOperation(1, 0, 0, 10, 10)))
    assert any("overlap" in p for p in verify(inside, problem))
    assert verify(on_edge, problem) == []
    assert Unavailability(0, 3, 8).overlaps(5, 5) and not Unavailability(0, 3, 8).overlaps(8, 8)

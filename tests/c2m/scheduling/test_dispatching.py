"""Giffler–Thompson with SPT and MWKR on the hand-made 3×3 instance (worked step by step), and in a frame."""

from __future__ import annotations

import pytest

from zhizao.c2m.scheduling import (
    Frame,
    Job,
    Problem,
    Rule,
    ScheduledOperation,
    Task,
    Unavailability,
    best_dispatch,
    dispatch,
    dispatch_all,
    verify,
)
from zhizao.errors import InputError


def test_spt_makespan_is_17(three_by_three: Problem) -> None:
    schedule = dispatch(three_by_three, Rule.SPT)
    assert schedule.makespan == 17
    assert verify(schedule, three_by_three) == []
    # J1 takes M1 at 3 (tie on duration with J2 broken by job number), so J2 only starts at 9.
    assert [(op.start, op.end) for op in schedule.on_machine(1)] == [(3, 7), (7, 9), (9, 13)]


def test_mwkr_makespan_is_11(three_by_three: Problem) -> None:
    schedule = dispatch(three_by_three, Rule.MWKR)
    assert schedule.makespan == 11
    assert verify(schedule, three_by_three) == []
    assert [(op.job, op.start) for op in schedule.on_machine(2)] == [(1, 5), (2, 6), (0, 9)]


def test_best_dispatch_takes_the_best_rule_and_edd_only_with_due_dates(three_by_three: Problem) -> None:
    assert {made.rule for made in dispatch_all(three_by_three)} == {Rule.SPT, Rule.MWKR, Rule.MOPNR}
    assert best_dispatch(three_by_three).schedule.makespan == 11
    due = Problem(jobs=(Job((Task.on(0, 2),), due=5), Job((Task.on(0, 1),), due=1)), n_machines=1)
    assert Rule.EDD in {made.rule for made in dispatch_all(due)}
    assert dispatch(due, Rule.EDD).on_machine(0)[0].job == 1


def test_in_a_frame_fixed_operations_stay_and_windows_are_kept_clear(three_by_three: Problem) -> None:
    fixed = (ScheduledOperation(0, 0, 0, 0, 3),)
    frame = Frame(fixed=fixed, unavailable=(Unavailability(1, 2, 6),), not_before=2)
    for rule in Rule:
        schedule = dispatch(three_by_three, rule, frame)
        assert verify(schedule, three_by_three, frame) == [], rule
        assert fixed[0] in schedule.operations


def test_a_task_with_no_machine_left_is_an_input_error(three_by_three: Problem) -> None:
    frame = Frame(unavailable=(Unavailability(2, 0, None),))
    with pytest.raises(InputError, match="until further notice"):
        dispatch(three_by_three, Rule.SPT, frame)

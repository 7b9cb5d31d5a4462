"""A machine goes down: started work stays, the interrupted operation is redone, nothing runs on it meanwhile."""

from __future__ import annotations

import pytest

from zhizao.c2m.scheduling import (
    Breakdown,
    Problem,
    Rule,
    SolveOptions,
    SolveStatus,
    dispatch,
    reschedule,
    solve,
    verify,
)
from zhizao.c2m.scheduling.model import ScheduledOperation
from zhizao.errors import InputError

QUICK = SolveOptions(time_limit_s=5.0)
pytestmark = pytest.mark.usefixtures("compiled_kernel")


def test_m1_down_from_5_to_8(three_by_three: Problem) -> None:
    before = dispatch(three_by_three, Rule.MWKR)  # J0 task 1 runs on M1 over 4–6
    after = reschedule(three_by_three, before, Breakdown(machine=1, at=5, until=8), QUICK)
    assert after.interrupted == ScheduledOperation(0, 1, 1, 4, 6)
    started = [op for op in before.operations if op.start < 5 and op != after.interrupted]
    assert len(started) == 3 and all(op in after.schedule.operations for op in started)
    assert all(not (op.start < 8 and op.end > 5) for op in after.schedule.on_machine(1))
    assert verify(after.schedule, three_by_three, after.frame) == []
    # By hand: M1 is free again at 8; J0's 2 before J1's 4 gives J1 done at 14, the other order 16.
    assert after.result.makespan == 14
    assert after.result.status is SolveStatus.OPTIMAL
    redone = next(op for op in after.schedule.operations if (op.job, op.task) == (0, 1))
    assert redone.start >= 8


def test_down_until_further_notice_moves_work_to_eligible_machines(flexible: Problem) -> None:
    before = solve(flexible, QUICK).schedule
    after = reschedule(flexible, before, Breakdown(machine=1, at=0), QUICK)
    assert after.schedule.on_machine(1) == []
    assert after.result.makespan == 5 + 4 + 2
    assert verify(after.schedule, flexible, after.frame) == []


def test_no_eligible_machine_left_is_an_input_error(three_by_three: Problem) -> None:
    before = dispatch(three_by_three, Rule.MWKR)
    with pytest.raises(InputError, match="until further notice"):
        reschedule(three_by_three, before, Breakdown(machine=2, at=1), QUICK)


@pytest.mark.parametrize(
    ("breakdown", "field"),
    [(Breakdown(machine=3, at=1), "machine"), (Breakdown(machine=0, at=-1), "at"), (Breakdown(0, 5, 5), "until")],
)
def test_bad_breakdowns_are_input_errors(three_by_three: Problem, breakdown: Breakdown, field: str) -> None:
    before = dispatch(three_by_three, Rule.MWKR)
    with pytest.raises(InputError) as caught:
        reschedule(three_by_three, before, breakdown, QUICK)
    assert caught.value.fields[0].field == field

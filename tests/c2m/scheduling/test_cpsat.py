"""CP-SAT: optima worked out by hand, the lexicographic objective, eligibility, ft06, and the warm-start fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhizao.c2m.scheduling import (
    Job,
    Mode,
    Objective,
    Problem,
    SolveOptions,
    SolveStatus,
    Task,
    load_instance,
    solve,
    verify,
)
from zhizao.errors import InputError

QUICK = SolveOptions(time_limit_s=5.0, workers=2)
pytestmark = pytest.mark.usefixtures("compiled_kernel")


def test_the_3x3_optimum_is_11_and_proven(three_by_three: Problem) -> None:
    result = solve(three_by_three, QUICK)
    assert result.makespan == 11
    assert result.status is SolveStatus.OPTIMAL
    assert result.bound == Objective(0, 11)
    assert verify(result.schedule, three_by_three) == []


def test_ft06_reaches_55(jssp_instances: Path) -> None:
    problem = Problem.from_instance(load_instance(jssp_instances / "ft06"))
    result = solve(problem, SolveOptions(time_limit_s=10.0))
    assert (result.makespan, result.status) == (55, SolveStatus.OPTIMAL)
    assert result.seconds < 10.0
    assert verify(result.schedule, problem) == []


def test_weighted_tardiness_on_one_machine() -> None:
    # Worked by hand: J1 (due 2, weight 3) first, then J0 one late, then J2 — total 1; any other order costs more.
    problem = Problem(
        jobs=(
            Job((Task.on(0, 4),), due=5),
            Job((Task.on(0, 2),), due=2, weight=3),
            Job((Task.on(0, 3),), due=9),
        ),
        n_machines=1,
    )
    result = solve(problem, QUICK)
    assert result.objective == Objective(1, 9)
    assert [op.job for op in result.schedule.on_machine(0)] == [1, 0, 2]
    assert result.status is SolveStatus.OPTIMAL


def test_tardiness_comes_before_makespan() -> None:
    # The shortest schedule (7) makes J1 two late; on time, the makespan is 10. Lexicographic: 0 tardiness, 10.
    problem = Problem(
        jobs=(Job((Task.on(0, 2), Task.on(1, 5))), Job((Task.on(0, 3),), due=3)),
        n_machines=2,
    )
    result = solve(problem, QUICK)
    assert result.objective == Objective(0, 10)
    assert result.status is SolveStatus.OPTIMAL
    shortest = solve(Problem(jobs=(problem.jobs[0], Job(problem.jobs[1].tasks)), n_machines=2), QUICK)
    assert shortest.makespan == 7


def test_eligible_machines_are_chosen_well(flexible: Problem) -> None:
    result = solve(flexible, QUICK)
    assert result.makespan == 5
    assert result.status is SolveStatus.OPTIMAL
    assert {op.job: op.machine for op in result.schedule.operations} == {0: 1, 1: 0, 2: 1}
    assert verify(result.schedule, flexible) == []


def test_a_release_date_is_honoured() -> None:
    problem = Problem(jobs=(Job((Task.on(0, 2),), release=4), Job((Task((Mode(0, 3),)),))), n_machines=1)
    result = solve(problem, QUICK)
    assert result.makespan == 6
    assert verify(result.schedule, problem) == []


def test_with_no_time_for_cp_sat_the_warm_start_comes_back(three_by_three: Problem) -> None:
    result = solve(three_by_three, SolveOptions(time_limit_s=0.01))
    assert result.status is SolveStatus.WARM_START
    assert result.notes == ("no time was left for CP-SAT after the warm start",)
    assert result.makespan == result.warm_objective.makespan
    assert verify(result.schedule, three_by_three) == []


@pytest.mark.parametrize(
    ("options", "field"), [(SolveOptions(time_limit_s=0), "time_limit"), (SolveOptions(workers=0), "workers")]
)
def test_bad_options_are_input_errors(three_by_three: Problem, options: SolveOptions, field: str) -> None:
    with pytest.raises(InputError) as caught:
        solve(three_by_three, options)
    assert caught.value.fields[0].field == field

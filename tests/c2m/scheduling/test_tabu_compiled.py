"""The compiled tabu search keeps schedules feasible, improves on dispatching, is repeatable, stops at the lower bound,
and is what a solve uses once it is loaded."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from tests.c2m.scheduling.support import random_problem
from zhizao.c2m.scheduling import Job, Problem, Rule, SolveOptions, Task, dispatch, solve, verify
from zhizao.c2m.scheduling.tabu import TabuResult, tabu_search
from zhizao.c2m.scheduling.tabu_compiled import CompiledTabu, compiled_tabu_search, kernel_if_ready

pytestmark = pytest.mark.usefixtures("compiled_kernel")


@pytest.mark.parametrize("search", [compiled_tabu_search, tabu_search], ids=["compiled", "python"])
def test_improves_a_dispatching_schedule_and_stays_feasible(search: Callable[..., TabuResult]) -> None:
    problem = random_problem(10, 5, seed=7)
    start = dispatch(problem, Rule.SPT)
    result = search(problem, start, seconds=10.0, max_iterations=400)
    assert result.schedule.makespan < start.makespan
    assert result.schedule.makespan >= problem.makespan_lower_bound
    assert verify(result.schedule, problem) == []
    assert 0 < result.iterations <= 400


def test_goes_further_than_the_python_search_in_the_same_time() -> None:
    problem = random_problem(15, 10, seed=11)
    start = dispatch(problem, Rule.MWKR)
    compiled = compiled_tabu_search(problem, start, seconds=0.5)
    python = tabu_search(problem, start, seconds=0.5)
    assert verify(compiled.schedule, problem) == []
    assert compiled.iterations > 10 * python.iterations
    assert compiled.schedule.makespan <= python.schedule.makespan


@pytest.mark.parametrize("threads", [1, 2])
def test_is_repeatable_with_a_seed(threads: int) -> None:
    problem = random_problem(8, 4, seed=3)
    start = dispatch(problem, Rule.MWKR)
    first = compiled_tabu_search(problem, start, seconds=10.0, max_iterations=300, seed=5, threads=threads)
    again = compiled_tabu_search(problem, start, seconds=10.0, max_iterations=300, seed=5, threads=threads)
    assert first.schedule == again.schedule
    assert verify(first.schedule, problem) == []


def test_honours_releases() -> None:
    problem = random_problem(10, 5, seed=2, release=True)
    start = dispatch(problem, Rule.SPT)
    result = compiled_tabu_search(problem, start, seconds=10.0, max_iterations=2000, threads=2)
    assert verify(result.schedule, problem) == []
    assert result.schedule.makespan <= start.makespan


def test_zero_durations_stay_feasible() -> None:
    rng = random.Random(4)
    problem = Problem(
        jobs=tuple(
            Job(tuple(Task.on(m, rng.choice([0, 0, 1, 5, 9])) for m in rng.sample(range(4), 4))) for _ in range(6)
        ),
        n_machines=4,
    )
    start = dispatch(problem, Rule.SPT)
    result = compiled_tabu_search(problem, start, seconds=10.0, max_iterations=2000)
    assert verify(result.schedule, problem) == []
    assert result.schedule.makespan <= start.makespan


def test_stops_at_the_lower_bound(three_by_three: Problem) -> None:
    one_machine = Problem(jobs=(Job((Task.on(0, 3),)), Job((Task.on(0, 2),))), n_machines=1)
    result = compiled_tabu_search(one_machine, dispatch(one_machine, Rule.SPT), seconds=10.0)
    assert result.schedule.makespan == 5 and result.iterations == 0
    found = compiled_tabu_search(three_by_three, dispatch(three_by_three, Rule.SPT), seconds=0.2)
    assert found.schedule.makespan == 11  # the optimum, above the bound of the busiest machine and the longest job
    proven = compiled_tabu_search(three_by_three, dispatch(three_by_three, Rule.SPT), seconds=5.0, lower_bound=11)
    assert proven.schedule.makespan == 11 and proven.seconds < 1.0


def test_keeps_to_its_time() -> None:
    problem = random_problem(30, 10, seed=1)
    result = compiled_tabu_search(problem, dispatch(problem, Rule.MWKR), seconds=0.3, threads=2)
    assert result.seconds < 0.4
    assert verify(result.schedule, problem) == []


def test_a_solve_uses_it_once_loaded() -> None:
    assert kernel_if_ready() is not None
    problem = random_problem(15, 10, seed=5)
    result = solve(problem, SolveOptions(time_limit_s=2.0))
    assert verify(result.schedule, problem) == []
    assert "compiled tabu search" in result.warm_start
    plain = solve(problem, SolveOptions(time_limit_s=2.0, compiled_tabu=False))
    assert "compiled" not in plain.warm_start


def test_a_solve_stops_when_cp_sat_proves_the_search_optimal(three_by_three: Problem) -> None:
    result = solve(three_by_three, SolveOptions(time_limit_s=10.0))
    assert result.makespan == 11 and result.status.value == "optimal"
    assert result.seconds < 3.0  # the first search (1 s) and CP-SAT's probe, not the whole 10 s


def test_goes_on_where_it_stopped_and_adopts_a_better_schedule() -> None:
    problem = random_problem(15, 10, seed=9)  # not at its lower bound within 100 iterations
    start = dispatch(problem, Rule.SPT)
    tabu = CompiledTabu(problem, start, threads=2)
    first = tabu.search(10.0, max_iterations=50)
    again = tabu.search(10.0, max_iterations=50)
    assert first.iterations == again.iterations == 100  # 50 per search, counted per run
    assert again.schedule.makespan <= first.schedule.makespan
    better = compiled_tabu_search(problem, start, seconds=0.5)
    assert tabu.adopt(better.schedule)
    assert tabu.search(10.0, max_iterations=1).schedule.makespan <= better.schedule.makespan
    assert verify(tabu.search(0.1).schedule, problem) == []


def test_does_not_adopt_a_schedule_on_other_machines(flexible: Problem) -> None:
    on_first = solve(flexible, SolveOptions(time_limit_s=1.0)).schedule  # J0 and J2 on M1
    moved = type(on_first)(tuple(op if op.job != 2 else type(op)(2, 0, 0, 4, 6) for op in on_first.operations))
    assert not CompiledTabu(flexible, on_first).adopt(moved)

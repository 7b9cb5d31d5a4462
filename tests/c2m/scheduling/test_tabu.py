"""The tabu search keeps schedules feasible, improves on dispatching and stops at the lower bound."""

from __future__ import annotations

import random

from zhizao.c2m.scheduling import Job, Problem, Rule, Task, dispatch, verify
from zhizao.c2m.scheduling.tabu import tabu_search


def _random_problem(jobs: int, machines: int, seed: int) -> Problem:
    rng = random.Random(seed)
    return Problem(
        jobs=tuple(
            Job(tuple(Task.on(m, rng.randint(1, 99)) for m in rng.sample(range(machines), machines)))
            for _ in range(jobs)
        ),
        n_machines=machines,
    )


def test_improves_a_dispatching_schedule_and_stays_feasible() -> None:
    problem = _random_problem(10, 5, seed=7)
    start = dispatch(problem, Rule.SPT)
    result = tabu_search(problem, start, seconds=10.0, max_iterations=400)
    assert result.schedule.makespan < start.makespan
    assert result.schedule.makespan >= problem.makespan_lower_bound
    assert verify(result.schedule, problem) == []


def test_is_repeatable_with_a_seed() -> None:
    problem = _random_problem(8, 4, seed=3)
    start = dispatch(problem, Rule.MWKR)
    first = tabu_search(problem, start, seconds=10.0, max_iterations=300, seed=5)
    again = tabu_search(problem, start, seconds=10.0, max_iterations=300, seed=5)
    assert first.schedule == again.schedule


def test_stops_at_the_lower_bound(three_by_three: Problem) -> None:
    one_machine = Problem(jobs=(Job((Task.on(0, 3),)), Job((Task.on(0, 2),))), n_machines=1)
    result = tabu_search(one_machine, dispatch(one_machine, Rule.SPT), seconds=10.0)
    assert result.schedule.makespan == 5 and result.iterations <= 1
    assert tabu_search(three_by_three, dispatch(three_by_three, Rule.MWKR), seconds=0.5).schedule.makespan == 11

"""The tabu search is repeatable and stops at the lower bound (that it improves on dispatching and stays feasible is
tested beside the compiled search, in test_tabu_compiled.py)."""

from __future__ import annotations

from tests.c2m.scheduling.support import random_problem
from zhizao.c2m.scheduling import Job, Problem, Rule, Task, dispatch
from zhizao.c2m.scheduling.tabu import tabu_search


def test_is_repeatable_with_a_seed() -> None:
    problem = random_problem(8, 4, seed=3)
    start = dispatch(problem, Rule.MWKR)
    first = tabu_search(problem, start, seconds=10.0, max_iterations=300, seed=5)
    again = tabu_search(problem, start, seconds=10.0, max_iterations=300, seed=5)
    assert first.schedule == again.schedule


def test_stops_at_the_lower_bound(three_by_three: Problem) -> None:
    one_machine = Problem(jobs=(Job((Task.on(0, 3),)), Job((Task.on(0, 2),))), n_machines=1)
    result = tabu_search(one_machine, dispatch(one_machine, Rule.SPT), seconds=10.0)
    assert result.schedule.makespan == 5 and result.iterations <= 1
    assert tabu_search(three_by_three, dispatch(three_by_three, Rule.MWKR), seconds=0.5).schedule.makespan == 11

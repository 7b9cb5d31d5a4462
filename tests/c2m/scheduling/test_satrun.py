"""The hard deadline: when CP-SAT is still busy, its last solution comes back on time and CP-SAT is stopped."""

from __future__ import annotations

import threading
import time

from ortools.sat.python import cp_model

from zhizao.c2m.scheduling import Frame, Problem, Rule, dispatch, random_instance, verify
from zhizao.c2m.scheduling.satmodel import build_model
from zhizao.c2m.scheduling.satrun import run_until


def test_the_last_solution_comes_back_at_the_deadline_while_cp_sat_winds_down() -> None:
    problem = Problem.from_instance(random_instance(15, 10, seed=2))
    warm = dispatch(problem, Rule.SPT)
    built = build_model(problem, Frame(), warm)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 30.0  # far beyond the deadline: only the deadline can end the wait
    solver.parameters.num_workers = 2
    began = time.perf_counter()
    outcome = run_until(solver, built, began + 0.5)
    assert time.perf_counter() - began < 2.0  # the deadline, plus slack for a crowded machine; CP-SAT had 30 s
    assert outcome.status is None
    assert outcome.schedule is not None and outcome.schedule.makespan <= warm.makespan
    assert verify(outcome.schedule, problem) == []
    for thread in threading.enumerate():  # stop_search() was called: it ends soon
        if thread.name == "cp-sat":
            thread.join(10.0)
            assert not thread.is_alive()

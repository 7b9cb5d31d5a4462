"""The CP-SAT model: its optimum is the violation count, its cuts keep every sequence, its hint is complete."""

from __future__ import annotations

import random

import pytest
from ortools.sat.python import cp_model

from tests.c2m.sequencing.test_search import random_instance
from zhizao.c2m.sequencing.cpsat import CpSatRun, build_model
from zhizao.c2m.sequencing.instance import Instance
from zhizao.c2m.sequencing.violations import count_positions


def test_the_crowded_line_is_proved_to_need_three(crowded: Instance) -> None:
    outcome = CpSatRun(crowded, time_limit=10, workers=1).start().outcome()
    assert (outcome.status, outcome.violations, outcome.bound) == ("OPTIMAL", 3, 3)
    assert outcome.positions is not None and count_positions(crowded, outcome.positions) == 3


def test_the_example_needs_none(dincbas: Instance) -> None:
    found: list[int] = []
    run = CpSatRun(dincbas, time_limit=10, workers=1, on_solution=lambda _p, v: found.append(v)).start()
    outcome = run.outcome()
    assert (outcome.status, outcome.violations, outcome.bound) == ("OPTIMAL", 0, 0)
    assert found[-1] == 0 and run.proved_optimal


@pytest.mark.parametrize("seed", range(4))
def test_any_sequence_fixed_through_the_hint_is_feasible_with_its_own_count(seed: int) -> None:
    # The soft tiling cuts must never cut off a sequence: fix one (violations and all) and solve.
    instance = random_instance(seed, n=16)
    sequence = [k for k, c in enumerate(instance.classes) for _ in range(c.count)]
    random.Random(seed).shuffle(sequence)
    built = build_model(instance, hint=sequence)
    proto = built.model.proto
    assert len(proto.solution_hint.vars) == len(proto.variables)  # a complete hint: classes, options, excesses
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5
    assert solver.solve(built.model) == cp_model.OPTIMAL
    assert round(solver.objective_value) == count_positions(instance, sequence)


def test_a_stop_before_the_search_begins_still_ends_it(crowded: Instance) -> None:
    run = CpSatRun(crowded, time_limit=30, workers=1)
    run.stop()
    outcome = run.start().outcome()
    assert outcome.seconds < 5

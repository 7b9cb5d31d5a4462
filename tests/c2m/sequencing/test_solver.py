"""``solve``: the greedy start, the local search and CP-SAT together, on hand-made instances and the shared ones."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.c2m.sequencing.conftest import CARSEQ
from zhizao.c2m.sequencing.instance import CapacityRule, CarClass, Instance, load_instance
from zhizao.c2m.sequencing.solver import solve
from zhizao.c2m.sequencing.violations import count_violations
from zhizao.errors import InputError


def test_the_specification_example_is_solved_without_violations(dincbas: Instance) -> None:
    result = solve(dincbas, time_limit=5)
    assert (result.violations, result.bound, result.status) == (0, 0, "OPTIMAL")
    assert count_violations(dincbas, result.sequence) == 0
    assert result.cpsat_status is None  # zero was found before CP-SAT was needed
    assert result.as_dict()["windows"] == []


def test_an_unsatisfiable_line_gets_its_proven_minimum(crowded: Instance) -> None:
    result = solve(crowded, time_limit=5)
    assert (result.violations, result.bound, result.status, result.cpsat_status) == (3, 3, "OPTIMAL", "OPTIMAL")
    assert result.seconds < 4  # CP-SAT's proof ends the local search
    assert result.check.violated_windows == 3
    windows = result.as_dict()["windows"]
    assert isinstance(windows, list) and {w["excess"] for w in windows} == {1}


def test_without_cp_sat_the_minimum_is_found_but_not_proved(crowded: Instance) -> None:
    result = solve(crowded, time_limit=0.3, workers=0)
    assert (result.violations, result.bound, result.status, result.cpsat_status) == (3, 0, "FEASIBLE", None)


def test_classes_with_the_same_options_are_all_built_under_their_own_index() -> None:
    options = (True, False)
    instance = Instance(
        name="twins",
        n_cars=6,
        rules=(CapacityRule(1, 2), CapacityRule(1, 3)),
        classes=(CarClass(10, 2, options), CarClass(20, 3, (False, False)), CarClass(30, 1, options)),
    )
    result = solve(instance, time_limit=2)
    assert Counter(result.sequence) == Counter({10: 2, 20: 3, 30: 1})
    assert result.violations == 0


@pytest.mark.parametrize(("time_limit", "workers", "field"), [(0, 1, "time_limit"), (1, -1, "workers")])
def test_bad_settings_are_input_errors(dincbas: Instance, time_limit: float, workers: int, field: str) -> None:
    with pytest.raises(InputError) as caught:
        solve(dincbas, time_limit=time_limit, workers=workers)
    assert caught.value.fields[0].field == field


@pytest.mark.skipif(not CARSEQ.is_dir(), reason="the shared carseq data are not here")
@pytest.mark.parametrize("name", ["set2_200cars/60-01.txt", "set2_200cars/90-10.txt", "extra/reginpuget_0.txt"])
def test_shared_satisfiable_instances_reach_zero(name: str) -> None:
    instance = load_instance(CARSEQ / name)
    result = solve(instance, time_limit=10)
    assert result.violations == 0 == count_violations(instance, result.sequence)
    assert result.status == "OPTIMAL"

"""The greedy start, the merging of identical classes and the local search (its swap scores checked exhaustively)."""

from __future__ import annotations

import random
import time
from collections import Counter

import numpy as np
import pytest

from zhizao.c2m.sequencing import local_search
from zhizao.c2m.sequencing.greedy import greedy_sequence
from zhizao.c2m.sequencing.instance import CapacityRule, CarClass, Instance
from zhizao.c2m.sequencing.profiles import contract, expand, merge_profiles
from zhizao.c2m.sequencing.violations import count_positions


def random_instance(seed: int, n: int = 24) -> Instance:
    rng = random.Random(seed)
    rules = tuple(CapacityRule(p, q) for p, q in ((1, 2), (2, 3), (1, 3), (2, 5)))
    flags = [tuple(rng.random() < 0.4 for _ in rules) for _ in range(6)]
    counts = [1] * 6
    for _ in range(n - 6):
        counts[rng.randrange(6)] += 1
    classes = tuple(CarClass(index=k, count=counts[k], options=flags[k]) for k in range(6))
    return Instance(name=f"random-{seed}", n_cars=n, rules=rules, classes=classes)


def demanded(instance: Instance) -> Counter[int]:
    return Counter({k: c.count for k, c in enumerate(instance.classes)})


def test_greedy_builds_exactly_the_demanded_cars_and_solves_the_example(dincbas: Instance) -> None:
    start = greedy_sequence(dincbas)
    assert Counter(start) == demanded(dincbas)
    assert count_positions(dincbas, start) == 0
    shuffled = greedy_sequence(random_instance(3), random.Random(1))
    assert Counter(shuffled) == demanded(random_instance(3))


def test_identical_classes_become_one_profile_and_come_back_as_classes() -> None:
    options = (True, False)
    instance = Instance(
        name="twins",
        n_cars=5,
        rules=(CapacityRule(1, 2), CapacityRule(1, 2)),
        classes=(CarClass(7, 2, options), CarClass(8, 2, (False, True)), CarClass(9, 1, options)),
    )
    profiles = merge_profiles(instance)
    assert [(c.count, c.options) for c in profiles.merged.classes] == [(3, options), (2, (False, True))]
    assert profiles.members == ((0, 2), (1,))
    positions = expand(instance, profiles, [0, 1, 0, 1, 0])
    assert Counter(positions) == Counter({0: 2, 1: 2, 2: 1})
    assert contract(profiles, positions) == [0, 1, 0, 1, 0]


def weighted_count(instance: Instance, order: np.ndarray, weights: np.ndarray) -> int:
    state = local_search._Windows(instance, order)
    return int((np.maximum(state.count - state.p[:, None], 0) * weights).sum())


@pytest.mark.parametrize("seed", range(3))
def test_the_scores_of_all_swaps_equal_the_weighted_counts_recomputed(seed: int) -> None:
    instance = random_instance(seed)
    rng = np.random.default_rng(seed)
    sequence = rng.permutation([k for k, c in enumerate(instance.classes) for _ in range(c.count)])
    state = local_search._Windows(instance, sequence)
    n, options = instance.n_cars, instance.n_options
    geometry = local_search._Geometry(n, state.q)
    weights = rng.integers(1, 4, size=(options, n))
    p = state.p[:, None]
    prefix = np.zeros((3, options, n + 1), dtype=np.int64)
    np.cumsum(np.stack([state.count >= p, state.count > p, state.count == p]) * weights, axis=2, out=prefix[:, :, 1:])
    at_or_over, over, at_p = (prefix[k].ravel() for k in range(3))
    add = (at_or_over[geometry.containing_high] - at_or_over[geometry.containing_low]).reshape(options, n)
    remove = (over[geometry.containing_high] - over[geometry.containing_low]).reshape(options, n)
    deltas = local_search._swap_deltas(state, geometry, np.arange(n), add, remove, at_p)
    base = weighted_count(instance, sequence, weights)
    for i in range(n):
        for j in range(n):
            swapped = sequence.copy()
            swapped[i], swapped[j] = swapped[j], swapped[i]
            assert deltas[i, j] == weighted_count(instance, swapped, weights) - base, (i, j)


def test_the_window_counts_follow_each_swap() -> None:
    instance = random_instance(5)
    sequence = greedy_sequence(instance)
    state = local_search._Windows(instance, np.array(sequence))
    rng = random.Random(5)
    for _ in range(100):
        i, j = rng.randrange(instance.n_cars), rng.randrange(instance.n_cars)
        state.swap(i, j)
        sequence[i], sequence[j] = sequence[j], sequence[i]
        assert state.violations() == count_positions(instance, sequence)


def test_the_search_repairs_the_worst_order_of_the_example(dincbas: Instance) -> None:
    worst = sorted(k for k, c in enumerate(dincbas.classes) for _ in range(c.count))
    assert count_positions(dincbas, worst) > 0
    seen: list[int] = []
    outcome = local_search.improve(
        dincbas, worst, deadline=time.monotonic() + 5, on_improvement=lambda _s, v: seen.append(v)
    )
    assert outcome.violations == 0 == count_positions(dincbas, outcome.positions)
    assert Counter(outcome.positions) == demanded(dincbas)
    assert seen == sorted(seen, reverse=True) and seen[-1] == 0


def test_the_search_stops_at_its_target_its_deadline_or_when_told(crowded: Instance) -> None:
    start = [0, 0, 0, 0, 1]
    assert count_positions(crowded, start) == 5
    assert local_search.improve(crowded, start, deadline=time.monotonic() + 5, target=4).violations <= 4
    began = time.monotonic()
    outcome = local_search.improve(crowded, start, deadline=began + 0.2)
    assert outcome.violations == 3  # the minimum; zero is out of reach, so the deadline ends it
    assert time.monotonic() - began < 1.0
    told = local_search.improve(crowded, start, deadline=time.monotonic() + 5, should_stop=lambda: True)
    assert (told.violations, told.iterations) == (5, 0)


def test_the_search_continues_from_a_better_sequence_found_elsewhere(crowded: Instance) -> None:
    handed = [0, 0, 1, 0, 0]
    outcome = local_search.improve(
        crowded,
        [0, 0, 0, 0, 1],
        deadline=time.monotonic() + 0.1,
        better_elsewhere=lambda best: handed if best > 3 else None,
    )
    assert outcome.violations == 3

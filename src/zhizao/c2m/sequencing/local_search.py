"""Local search on swaps of two cars: tabu search with breakout weights, every swap of a car in conflict scored at once.

Each step takes every car that needs an option in a window over capacity and scores its swap with every other car,
exactly, as numpy arrays: adding an option at position j costs the weight of each window containing j that is already
at (or over) p, removing one from i saves the weight of each window containing i that is over p — summed over the
options, one matrix product — and a window holding both i and j loses nothing and gains nothing: the one correction,
on the band |i - j| < q, counted with prefix sums over the windows at exactly p. The best swap that is not tabu is
made (a class just moved out of a position may not move back for a few steps; ties are broken at random). When every
such swap makes the weighted count worse, the weight of each window over capacity grows by one (the "breakout"
rule): windows that stay violated become expensive and the search leaves that valley. The true count (weights 1, the
published metric) decides the best sequence kept.

On the 70 200-car CSPLib instances this reaches zero in a few dozen steps; the 100-car set is where it needs seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zhizao.c2m.sequencing.instance import Instance

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

TABU_TENURE = (2, 9)  # steps a reversed swap stays forbidden: 1–4 cycles, 4–14 is slower (docs/c2m-sequencing.md)
# Weights grow only where every swap makes the weighted count worse; on a plateau (best swap 0) the search walks on.
# Growing them on plateaus too reached 3 on 10_93 in 1 of 9 runs of 30–40 s; this, in 3 of 8 runs of 30–60 s.
BREAKOUT_AT = 1


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    positions: list[int]
    violations: int
    iterations: int


class _Windows:
    """Counts of option cars per window (start s covers s … s+q-1), per option; invalid starts hold a large negative
    count so that they are never at or over p."""

    def __init__(self, instance: Instance, sequence: Ints) -> None:
        self.n = instance.n_cars
        self.flags: Ints = np.array([[int(c.options[o]) for c in instance.classes] for o in range(instance.n_options)])
        self.p: Ints = np.array([rule.p for rule in instance.rules], dtype=np.int64)
        self.q: Ints = np.array([rule.q for rule in instance.rules], dtype=np.int64)
        self.sequence = sequence.copy()
        # Option × position, and a spare zero column n that the band correction of _swap_deltas reads off the end.
        self.padded: Ints = np.zeros((len(self.p), self.n + 1), dtype=np.int64)
        self.padded[:, : self.n] = self.flags[:, self.sequence]
        self.cars: Ints = self.padded[:, : self.n]
        self._flag_rows: list[list[int]] = self.flags.tolist()
        self._q: list[int] = self.q.tolist()
        self.count: Ints = np.full(self.cars.shape, -(self.n + 1), dtype=np.int64)
        totals = np.concatenate([np.zeros((len(self.p), 1), dtype=np.int64), np.cumsum(self.cars, axis=1)], axis=1)
        for o, q in enumerate(self.q):
            starts = self.n - int(q) + 1
            if starts > 0:
                self.count[o, :starts] = totals[o, q:] - totals[o, :starts]

    def violations(self) -> int:
        return int(np.maximum(self.count - self.p[:, None], 0).sum())

    def swap(self, i: int, j: int) -> None:
        a, b = int(self.sequence[i]), int(self.sequence[j])
        self.sequence[i], self.sequence[j] = b, a
        for o, (row, q) in enumerate(zip(self._flag_rows, self._q, strict=True)):
            change = row[b] - row[a]  # at i; the opposite at j
            if not change:
                continue
            last = self.n - q
            for position, step in ((i, change), (j, -change)):
                low, high = max(0, position - q + 1), min(position, last)
                if low <= high:
                    self.count[o, low : high + 1] += step
            self.cars[o, i], self.cars[o, j] = row[b], row[a]


class _Geometry:
    """What depends only on n and the rules, computed once: flat indices into the (option, n+1) prefix sums of the
    windows containing each position, and of the windows shared by each position and its near neighbours."""

    def __init__(self, n: int, q: Ints) -> None:
        options = len(q)
        stride = n + 1
        positions = np.arange(n)
        base = (np.arange(options) * stride)[:, None]
        # Starts of the windows containing j: max(0, j-q+1) … j (starts past n-q never count: see _Windows).
        self.containing_low = (base + np.maximum(positions[None, :] - q[:, None] + 1, 0)).ravel()
        self.containing_high = (base + positions[None, :] + 1).ravel()
        widest = int(q.max())
        offsets = np.concatenate([np.arange(-widest + 1, 0), np.arange(1, widest)])
        others = positions[:, None] + offsets[None, :]  # position × offset
        self.inside = (others >= 0) & (others < n)
        clipped = np.clip(others, 0, n - 1)
        earlier = np.minimum(positions[:, None], clipped)
        later = np.maximum(positions[:, None], clipped)
        # Windows holding both i and a neighbour j: starts max(0, later-q+1) … earlier.
        self.shared_low = base[:, :, None] + np.maximum(later[None, :, :] - q[:, None, None] + 1, 0)
        self.shared_high = base[:, :, None] + earlier[None, :, :] + 1
        self.neighbour = np.where(self.inside, others, n)  # n: a spare column that absorbs the outside offsets
        self.has_band = widest > 1


def improve(
    instance: Instance,
    start: Sequence[int],
    *,
    deadline: float,
    seed: int = 0,
    target: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
    on_improvement: Callable[[list[int], int], None] = lambda _positions, _violations: None,
    better_elsewhere: Callable[[int], list[int] | None] = lambda _violations: None,
) -> SearchOutcome:
    """Search from ``start`` (class positions) until the count reaches ``target``, ``deadline`` (time.monotonic())
    passes or ``should_stop()`` says so; the best sequence found and its count.

    ``on_improvement`` hears of each new best; ``better_elsewhere(best)`` may hand over a sequence better than
    ``best`` found by another search (CP-SAT), which the search then continues from."""
    rng = np.random.default_rng(seed)
    state = _Windows(instance, np.asarray(start, dtype=np.int64))
    n, options = state.n, len(state.p)
    geometry = _Geometry(n, state.q)
    positions = np.arange(n)
    weights: Ints = np.ones((options, n), dtype=np.int64)
    tabu_until: Ints = np.zeros((n, len(instance.classes)), dtype=np.int64)
    prefix: Ints = np.zeros((3, options, n + 1), dtype=np.int64)
    p = state.p[:, None]
    best, best_sequence = state.violations(), state.sequence.copy()
    iteration = 0
    while best > target and time.monotonic() < deadline and not should_stop():
        iteration += 1
        adopted = better_elsewhere(best)
        if adopted is not None:
            state = _Windows(instance, np.asarray(adopted, dtype=np.int64))
            best, best_sequence = state.violations(), state.sequence.copy()
            weights[:] = 1
            tabu_until[:] = 0
        # Weighted windows at or over p, over p, and at exactly p; then their sums over the windows of each position.
        np.cumsum(
            np.stack([state.count >= p, state.count > p, state.count == p]) * weights, axis=2, out=prefix[:, :, 1:]
        )
        at_or_over, over, at_p = (prefix[k].ravel() for k in range(3))
        add_cost = (at_or_over[geometry.containing_high] - at_or_over[geometry.containing_low]).reshape(options, n)
        remove_gain = (over[geometry.containing_high] - over[geometry.containing_low]).reshape(options, n)
        rows = np.nonzero(((state.cars == 1) & (remove_gain > 0)).any(axis=0))[0]
        if rows.size == 0:
            break  # no window over capacity: best is already 0
        delta = _swap_deltas(state, geometry, rows, add_cost, remove_gain, at_p)
        tabu = (tabu_until[rows][:, state.sequence] > iteration) | (
            tabu_until[positions[None, :], state.sequence[rows][:, None]] > iteration
        )
        same = state.sequence[rows][:, None] == state.sequence[None, :]
        score = np.where(same | tabu, np.inf, delta + rng.random(delta.shape) * 0.5)
        chosen = int(np.argmin(score))
        if not np.isfinite(score.flat[chosen]):
            tabu_until[:] = 0  # every swap of a conflicting car is tabu: forget the tabu list
            continue
        row, j = divmod(chosen, n)
        i = int(rows[row])
        if delta[row, j] >= BREAKOUT_AT:
            weights += state.count > p  # a local minimum of the weighted count: breakout
        tenure = int(rng.integers(*TABU_TENURE))
        tabu_until[i, state.sequence[i]] = iteration + tenure
        tabu_until[j, state.sequence[j]] = iteration + tenure
        state.swap(i, j)
        violations = state.violations()
        if violations < best:
            best, best_sequence = violations, state.sequence.copy()
            on_improvement(best_sequence.tolist(), best)
    return SearchOutcome(positions=best_sequence.tolist(), violations=best, iterations=iteration)


def _swap_deltas(
    state: _Windows, geometry: _Geometry, rows: Ints, add_cost: Ints, remove_gain: Ints, at_p: Ints
) -> Floats:
    """The change of the weighted count for swapping each car in ``rows`` with each position (rows × n).

    Away from each other the two ends are independent: moving an option from i to j costs add_cost[j] and saves
    remove_gain[i]. Summed over options that is one matrix product of indicator rows; the windows that hold both
    positions (|i - j| < q) are then corrected on the narrow band around each row."""
    cars = state.cars.astype(np.float64)
    at_i = cars[:, rows]
    left_i, left_j = 1.0 - at_i, 1.0 - cars
    by_row = np.concatenate([at_i, -at_i * remove_gain[:, rows], left_i * add_cost[:, rows], -left_i])
    by_position = np.concatenate([left_j * add_cost, left_j, cars, cars * remove_gain])
    delta: Floats = np.zeros((rows.size, state.n + 1))
    np.matmul(by_row.T, by_position, out=delta[:, : state.n])
    if geometry.has_band:
        shared = np.maximum(at_p[geometry.shared_high[:, rows]] - at_p[geometry.shared_low[:, rows]], 0)
        neighbours = geometry.neighbour[rows]
        moved = state.padded[:, rows][:, :, None] != state.padded[:, neighbours]
        correction = (moved * shared).sum(axis=0)
        delta[np.arange(rows.size)[:, None], neighbours] -= correction
    result: Floats = delta[:, : state.n]
    return result

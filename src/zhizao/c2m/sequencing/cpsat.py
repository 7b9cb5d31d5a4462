"""The CP-SAT model of car sequencing with soft p/q rules, minimising the published violation count.

Variables: ``x[i][k]`` — the car at position i is of class (profile) k, exactly one per position, ``count[k]`` per
class; ``y[o][i]`` — the car at i needs option o (the sum of its classes' x). For each option and each full window
of q cars, ``sum(y) <= p + v`` with ``v`` in 0 … q-p: ``v`` is exactly that window's excess at the optimum, so the
objective ``sum(v)`` is the published violation count (see violations.py).

Redundant constraints, the classic cuts of Dincbas et al. and Régin & Puget made soft: the last k·q cars, tiled by k
disjoint windows, hold at most k·p cars with option o plus those windows' excess, so the first n-k·q cars hold at
least demand - k·p minus that excess; the same from the front. They let propagation and the LP see that a tight
option (e.g. 50 cars of a 1/2 option in 100) forces its pattern. Reversing a sequence keeps its count, so the first
car's class is at most the last car's (a hint that breaks this is reversed).

The model runs in a thread (``CpSatRun``) beside the local search: CP-SAT releases the GIL while it searches, and
each solution it finds is reported through a callback; the search is stopped from outside when the local search
reaches zero or the time is up. The hint must be complete (x, y and v): given the x values alone, CP-SAT did not use
it (first solutions with 161 violations on 10_93 from a hint with 6).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from zhizao.c2m.sequencing.instance import Instance


@dataclass(frozen=True, slots=True)
class SequencingModel:
    model: cp_model.CpModel
    position_class: list[list[cp_model.IntVar]]  # position × class
    excess: list[cp_model.IntVar]


@dataclass(frozen=True, slots=True)
class CpSatOutcome:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, MODEL_INVALID or UNKNOWN, as CP-SAT names them
    positions: list[int] | None
    violations: int | None
    bound: int  # a proven lower bound on the count (0 when CP-SAT proved nothing)
    seconds: float


def build_model(instance: Instance, *, hint: Sequence[int] | None = None) -> SequencingModel:
    """The model; ``hint`` (class positions) is given to CP-SAT as a complete solution: classes, options, excesses."""
    n, classes = instance.n_cars, range(len(instance.classes))
    ordered = None if hint is None else (list(hint) if hint[0] <= hint[-1] else list(reversed(hint)))
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x[{i}][{k}]") for k in classes] for i in range(n)]
    for i in range(n):
        model.add_exactly_one(x[i])
    for k in classes:
        model.add(sum(x[i][k] for i in range(n)) == instance.classes[k].count)
    excess: list[cp_model.IntVar] = []
    for o, rule in enumerate(instance.rules):
        with_option = [k for k in classes if instance.classes[k].options[o]]
        y = [model.new_bool_var(f"y[{o}][{i}]") for i in range(n)]
        for i in range(n):
            model.add(y[i] == sum(x[i][k] for k in with_option))
        window_excess: dict[int, cp_model.IntVar] = {}
        for start in range(n - rule.q + 1):
            window_excess[start] = model.new_int_var(0, rule.q - rule.p, f"v[{o}][{start}]")
            model.add(sum(y[start : start + rule.q]) <= rule.p + window_excess[start])
        excess.extend(window_excess.values())
        _add_tiling_cuts(model, y, window_excess, instance.demand(o), rule.p, rule.q)
        if ordered is not None:
            flags = [int(instance.classes[k].options[o]) for k in ordered]
            for i in range(n):
                model.add_hint(y[i], flags[i] == 1)
            for start, var in window_excess.items():
                model.add_hint(var, max(0, sum(flags[start : start + rule.q]) - rule.p))
    if len(instance.classes) > 1 and n > 1:
        model.add(sum(k * x[0][k] for k in classes) <= sum(k * x[n - 1][k] for k in classes))
    model.minimize(sum(excess))
    if ordered is not None:
        for i, chosen in enumerate(ordered):
            for k in classes:
                model.add_hint(x[i][k], k == chosen)
    return SequencingModel(model=model, position_class=x, excess=excess)


def _add_tiling_cuts(
    model: cp_model.CpModel, y: list[cp_model.IntVar], excess: dict[int, cp_model.IntVar], demand: int, p: int, q: int
) -> None:
    n = len(y)
    for blocks in range(1, n // q + 1):
        needed = demand - blocks * p
        if needed <= 0:
            break
        tail_windows = [excess[n - t * q] for t in range(1, blocks + 1)]
        model.add(sum(y[: n - blocks * q]) + sum(tail_windows) >= needed)
        head_windows = [excess[t * q] for t in range(blocks)]
        model.add(sum(y[blocks * q :]) + sum(head_windows) >= needed)


class _Solutions(cp_model.CpSolverSolutionCallback):
    def __init__(self, found: Callable[[list[int], int], None], model: SequencingModel) -> None:
        super().__init__()
        self._found = found
        self._model = model

    def on_solution_callback(self) -> None:
        positions = [
            next(k for k, var in enumerate(row) if self.boolean_value(var)) for row in self._model.position_class
        ]
        self._found(positions, round(self.objective_value))


class CpSatRun:
    """One CP-SAT search in a thread of its own; ``stop()`` ends it early, ``outcome()`` waits for the result."""

    def __init__(
        self,
        instance: Instance,
        *,
        time_limit: float,
        workers: int,
        seed: int = 0,
        hint: Sequence[int] | None = None,
        on_solution: Callable[[list[int], int], None] = lambda _positions, _violations: None,
    ) -> None:
        self._instance = instance
        self._solver = cp_model.CpSolver()
        self._solver.parameters.max_time_in_seconds = max(0.01, time_limit)
        self._solver.parameters.num_workers = workers
        self._solver.parameters.random_seed = seed
        self._hint = hint
        self._on_solution = on_solution
        self._stopped = threading.Event()
        self._result: CpSatOutcome | None = None
        self._thread = threading.Thread(target=self._run, name="cp-sat", daemon=True)

    def start(self) -> CpSatRun:
        self._thread.start()
        return self

    @property
    def proved_optimal(self) -> bool:
        """CP-SAT has finished and proved its best sequence optimal (read without waiting)."""
        return self._result is not None and self._result.status == "OPTIMAL"

    def stop(self) -> None:
        self._stopped.set()
        self._solver.stop_search()

    def outcome(self) -> CpSatOutcome:
        while self._thread.is_alive():
            self._thread.join(timeout=0.05)
            if self._stopped.is_set():  # a stop that came before the search began reached nothing: repeat it
                self._solver.stop_search()
        assert self._result is not None
        return self._result

    def _run(self) -> None:
        built = build_model(self._instance, hint=self._hint)
        if self._stopped.is_set():  # stopped while the model was being built: stop_search had nothing to stop
            self._result = CpSatOutcome("UNKNOWN", None, None, 0, 0.0)
            return
        best: list[tuple[list[int], int]] = []

        def found(positions: list[int], violations: int) -> None:
            best.append((positions, violations))
            self._on_solution(positions, violations)

        status = self._solver.solve(built.model, _Solutions(found, built))
        name = self._solver.status_name(status)
        bound = _whole_bound(self._solver.best_objective_bound)
        if name == "OPTIMAL" and best:
            bound = best[-1][1]
        positions, violations = best[-1] if best else (None, None)
        self._result = CpSatOutcome(name, positions, violations, bound, self._solver.wall_time)


def _whole_bound(value: float) -> int:
    """CP-SAT's bound on the objective, rounded up to a whole count (0 when it is not a finite number)."""
    if not math.isfinite(value):
        return 0
    return max(0, math.ceil(value - 1e-6))

"""Sequence an instance: the greedy start, then the local search until the time limit, zero, or CP-SAT's proof;
CP-SAT runs beside it (its own thread) from the first second for a quarter of the time limit.

Measured (docs/c2m-sequencing.md): the local search is what reaches zero on the satisfiable CSPLib instances and
the best-known counts on the hard 100-car set. CP-SAT alone with one worker did not improve the greedy start of
200-car instances in 10 s, and given the local search's sequence as a hint it improved it once in our trials
(10_93, 6 → 5), never past what the local search reaches alone. What CP-SAT adds is the proof: a lower bound, and
optimality when the minimum is above zero (small lines). Any sequence it finds better than the local search's best
is taken over by the local search. Identical classes are merged first."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from zhizao.c2m.sequencing import local_search
from zhizao.c2m.sequencing.cpsat import CpSatRun
from zhizao.c2m.sequencing.greedy import greedy_sequence
from zhizao.c2m.sequencing.instance import Instance
from zhizao.c2m.sequencing.profiles import expand, merge_profiles
from zhizao.c2m.sequencing.violations import SequenceCheck, check_sequence, count_positions
from zhizao.errors import InputError

SOLO_SHARE = 0.1  # of the time limit, at most SOLO_MAX_S, for the local search before CP-SAT starts beside it
SOLO_MAX_S = 1.0
# CP-SAT then runs beside the local search for this share of the time limit at most: on two cores it halves the
# local search's steps, and on the 100-car set it never found the better sequence (docs/c2m-sequencing.md).
CPSAT_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class SequencingResult:
    instance: Instance
    sequence: tuple[int, ...]  # class indices, as the file numbers the classes, car by car
    violations: int
    bound: int  # proven lower bound on the count
    status: str  # OPTIMAL (count = bound) or FEASIBLE
    seconds: float
    found_by: str  # greedy, local search or CP-SAT
    cpsat_status: str | None  # None: the local search reached zero before CP-SAT was started
    iterations: int  # local-search steps
    check: SequenceCheck

    def as_dict(self) -> dict[str, object]:
        return {
            "instance": self.instance.name,
            "cars": self.instance.n_cars,
            "options": self.instance.n_options,
            "classes": len(self.instance.classes),
            "violations": self.violations,
            "bound": self.bound,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "found_by": self.found_by,
            "cpsat_status": self.cpsat_status,
            "local_search_steps": self.iterations,
            "violated_windows": self.check.violated_windows,
            "sequence": list(self.sequence),
            "windows": [
                {"option": w.option + 1, "first_car": w.start + 1, "cars": w.cars, "excess": w.excess}
                for w in self.check.windows
            ],
        }


class _Incumbent:
    """The best sequence so far, offered to by both searches (CP-SAT from its own thread)."""

    def __init__(self, positions: list[int], violations: int) -> None:
        self._lock = threading.Lock()
        self.positions, self.violations, self.found_by = positions, violations, "greedy"

    def offer(self, positions: list[int], violations: int, source: str) -> None:
        with self._lock:
            if violations < self.violations:
                self.positions, self.violations, self.found_by = positions, violations, source

    def better_than(self, violations: int) -> list[int] | None:
        with self._lock:
            return list(self.positions) if self.violations < violations else None


class _CpSatBeside:
    """Starts CP-SAT once the local search has had its moment alone (checked at each of its steps), and tells the
    local search to stop when CP-SAT has proved its sequence optimal."""

    def __init__(
        self, merged: Instance, incumbent: _Incumbent, *, start_at: float, limit: float, workers: int, seed: int
    ) -> None:
        self._merged, self._incumbent = merged, incumbent
        self._start_at, self._limit, self._workers, self._seed = start_at, limit, workers, seed
        self.run: CpSatRun | None = None

    def should_stop(self) -> bool:
        if self.run is None:
            if self._workers == 0 or time.monotonic() < self._start_at or self._incumbent.violations == 0:
                return False
            self.run = CpSatRun(
                self._merged,
                time_limit=self._limit,
                workers=self._workers,
                seed=self._seed,
                hint=self._incumbent.positions,
                on_solution=lambda positions, violations: self._incumbent.offer(positions, violations, "CP-SAT"),
            ).start()
        return self.run.proved_optimal


def solve(instance: Instance, *, time_limit: float = 10.0, workers: int = 1, seed: int = 0) -> SequencingResult:
    """The best sequence found within ``time_limit`` seconds; ``workers`` CP-SAT workers (0: local search only)."""
    if time_limit <= 0:
        raise InputError.for_field("time_limit", f"must be positive, not {time_limit:g}")
    if workers < 0:
        raise InputError.for_field("workers", f"must be 0 or more, not {workers}")
    began = time.monotonic()
    deadline = began + time_limit
    profiles = merge_profiles(instance)
    merged = profiles.merged
    start = greedy_sequence(merged)
    incumbent = _Incumbent(start, count_positions(merged, start))
    solo = min(SOLO_MAX_S, SOLO_SHARE * time_limit)
    beside = _CpSatBeside(
        merged, incumbent, start_at=began + solo, limit=CPSAT_SHARE * time_limit, workers=workers, seed=seed
    )
    search = local_search.improve(
        merged,
        start,
        deadline=deadline,
        seed=seed,
        should_stop=beside.should_stop,
        on_improvement=lambda positions, violations: incumbent.offer(positions, violations, "local search"),
        better_elsewhere=incumbent.better_than,
    )
    bound, cpsat_status = 0, None
    if beside.run is not None:
        beside.run.stop()
        outcome = beside.run.outcome()
        bound, cpsat_status = outcome.bound, outcome.status
    sequence = [instance.classes[c].index for c in expand(instance, profiles, incumbent.positions)]
    check = check_sequence(instance, sequence)
    bound = min(bound, check.violations)
    return SequencingResult(
        instance=instance,
        sequence=tuple(sequence),
        violations=check.violations,
        bound=bound,
        status="OPTIMAL" if check.violations == bound else "FEASIBLE",
        seconds=time.monotonic() - began,
        found_by=incumbent.found_by,
        cpsat_status=cpsat_status,
        iterations=search.iterations,
        check=check,
    )

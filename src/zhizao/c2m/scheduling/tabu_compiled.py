"""The tabu search compiled with numba (``tabu_kernel.py``): the same job as ``tabu.py`` — re-sequence operations on
the machines they are on to shorten the makespan — a hundred times as many moves per second, and a richer
neighbourhood (N7 insertions, an elite set to restart from).

Compiling costs seconds (7.6 s here) and loading the compiled code from numba's disk cache (``cache=True``: only the
first process after a change to tabu_kernel.py compiles) 0.5-0.8 s, so it happens once per process, in a background
thread that the first ``kernel_if_ready(wait_s)`` starts; a solve waits for it a little and otherwise uses the
pure-Python search. ``load_kernel()`` waits for it: the benchmark calls it before the first instance, ``zhizao serve``
and ``zhizao demo`` before they take requests (``zhizao.web.prepare``).
"""

from __future__ import annotations

import threading
import time
from types import ModuleType

import numpy as np
from numpy.typing import NDArray

from zhizao.c2m.scheduling.model import Problem, Schedule, ScheduledOperation, schedule_of
from zhizao.c2m.scheduling.tabu import TabuResult

# Schedules kept to restart from; iterations without a new best before a restart, per operation and at least.
ELITE_SIZE = 8
PATIENCE_PER_OPERATION = 40
MIN_PATIENCE = 4000
# The clock is read between calls of the compiled loop that last about this long.
CHUNK_S = 0.01
TENURE_BASE = 2
TENURE_PER = 60

Ints = NDArray[np.int64]

_kernel: ModuleType | None = None
_loader: threading.Thread | None = None
_lock = threading.Lock()
_load_error = "not loaded"
load_seconds: float | None = None  # what loading took in this process (import, and compiling or reading the cache)


def kernel_if_ready(wait_s: float = 0.0) -> ModuleType | None:
    """The compiled kernel if it is loaded, waiting up to ``wait_s`` for it; otherwise None. The first call starts
    the loading in a background thread, which goes on after a None."""
    global _loader
    if _kernel is not None:
        return _kernel
    with _lock:
        if _loader is None:
            _loader = threading.Thread(target=_load, name="tabu-kernel-loader", daemon=True)
            _loader.start()
    if wait_s > 0:
        _loader.join(wait_s)
    return _kernel


def load_kernel() -> ModuleType:
    """The compiled kernel, loading (or compiling) it now if needed."""
    kernel_if_ready()
    assert _loader is not None
    _loader.join()
    if _kernel is None:
        raise RuntimeError(f"the compiled tabu search could not be loaded: {_load_error}")
    return _kernel


def _load() -> None:
    global _kernel, _load_error, load_seconds
    began = time.perf_counter()
    try:
        from zhizao.c2m.scheduling import tabu_kernel

        _warm_up(tabu_kernel)
    except Exception as exc:  # any failure leaves the pure-Python search in place, and says why
        _load_error = f"{type(exc).__name__}: {exc}"
        return
    load_seconds = time.perf_counter() - began
    _kernel = tabu_kernel


def _warm_up(kernel: ModuleType) -> None:
    """One call on a two-job problem compiles (or reads from the cache) everything the search calls."""
    from zhizao.c2m.scheduling.model import Job, Task

    problem = Problem(jobs=(Job((Task.on(0, 2), Task.on(1, 3))), Job((Task.on(1, 2), Task.on(0, 1)))), n_machines=2)
    start = schedule_of(
        [
            ScheduledOperation(0, 0, 0, 0, 2),
            ScheduledOperation(0, 1, 1, 2, 5),
            ScheduledOperation(1, 0, 1, 5, 7),
            ScheduledOperation(1, 1, 0, 7, 8),
        ]
    )
    searcher = _Search(_Arrays(kernel, problem, start), seed=0)
    searcher.run_until(time.perf_counter() + 1.0, lower_bound=0, max_iterations=5)


def compiled_tabu_search(
    problem: Problem,
    start: Schedule,
    *,
    seconds: float,
    seed: int = 0,
    max_iterations: int | None = None,
    threads: int = 1,
    lower_bound: int = 0,
) -> TabuResult:
    """Improve the makespan of ``start`` with ``threads`` independent searches, stopping at ``lower_bound`` or the
    problem's own (loading the kernel first if needed: the caller decides when that is affordable, see
    ``kernel_if_ready``)."""
    tabu = CompiledTabu(problem, start, seed=seed, threads=threads)
    return tabu.search(seconds, lower_bound=lower_bound, max_iterations=max_iterations)


class _Arrays:
    """The problem and a schedule as the kernel's flat arrays (operations numbered job by job)."""

    def __init__(self, kernel: ModuleType, problem: Problem, schedule: Schedule) -> None:
        self.kernel = kernel
        ops = schedule.operations  # ordered by job, then task
        n = len(ops)
        self.graph = np.zeros((kernel.N_GRAPH_ROWS, n), np.int64)
        self.graph[kernel.DURATION] = [op.end - op.start for op in ops]
        self.graph[kernel.MACHINE] = [op.machine for op in ops]
        self.graph[kernel.RELEASE] = [problem.jobs[op.job].release if op.task == 0 else 0 for op in ops]
        self.graph[kernel.JOB_PRED] = [o - 1 if ops[o].task > 0 else -1 for o in range(n)]
        self.graph[kernel.JOB_SUCC] = [o + 1 if o + 1 < n and ops[o + 1].job == ops[o].job else -1 for o in range(n)]
        index = {(op.job, op.task): o for o, op in enumerate(ops)}
        sequences = [[index[op.job, op.task] for op in schedule.on_machine(m)] for m in range(problem.n_machines)]
        self.machine_start = np.cumsum([0] + [len(s) for s in sequences], dtype=np.int64)
        self.seq = np.array([o for s in sequences for o in s], np.int64)
        self.width = max((len(s) for s in sequences), default=1)
        self.key = [(op.job, op.task) for op in ops]

    def positions(self, seq: Ints) -> Ints:
        pos = np.empty(len(seq), np.int64)
        pos[seq] = np.arange(len(seq), dtype=np.int64)
        return pos

    def heads(self, seq: Ints) -> tuple[Ints, int]:
        """The earliest starts for these sequences, and the makespan (-1: they form a cycle)."""
        head, tail, order = (np.zeros(len(seq), np.int64) for _ in range(3))
        makespan = self.kernel.heads_tails(self.graph, self.machine_start, seq, self.positions(seq), head, tail, order)
        return head, int(makespan)

    def schedule(self, seq: Ints) -> Schedule:
        head, makespan = self.heads(seq)
        assert makespan >= 0
        duration, machine = self.graph[self.kernel.DURATION], self.graph[self.kernel.MACHINE]
        return schedule_of(
            [
                ScheduledOperation(j, t, int(machine[o]), int(head[o]), int(head[o] + duration[o]))
                for o, (j, t) in enumerate(self.key)
            ]
        )


class CompiledTabu:
    """``threads`` independent searches from one schedule (seeds seed, seed + 1, ...) that can be run several times,
    each going on where it stopped, and be handed a better schedule found elsewhere (by CP-SAT) in between."""

    def __init__(self, problem: Problem, start: Schedule, *, seed: int = 0, threads: int = 1) -> None:
        self.problem, self.start = problem, start
        self.arrays = _Arrays(load_kernel(), problem, start)
        self.searches = [_Search(self.arrays, seed + k) for k in range(threads)]

    def search(self, seconds: float, *, lower_bound: int = 0, max_iterations: int | None = None) -> TabuResult:
        """Run the searches side by side (the compiled loop releases the GIL, so they use as many cores) for
        ``seconds``, stopping at ``lower_bound`` or the problem's own; the best schedule so far, and the iterations
        of this run."""
        began = time.perf_counter()
        if self.searches[0].cyclic:  # a schedule with zero-length operations can tie; keep it as it is
            return TabuResult(self.start, 0, 0.0)
        deadline = began + seconds
        bound = max(lower_bound, self.problem.makespan_lower_bound)
        before = sum(search.iterations for search in self.searches)
        if len(self.searches) == 1:
            self.searches[0].run_until(deadline, bound, max_iterations)
        else:
            workers = [
                threading.Thread(target=search.run_until, args=(deadline, bound, max_iterations), name=f"tabu-{k}")
                for k, search in enumerate(self.searches)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        best = min(self.searches, key=lambda search: (search.best, search.seed))
        iterations = sum(search.iterations for search in self.searches) - before
        return TabuResult(self.arrays.schedule(best.best_seq), iterations, time.perf_counter() - began)

    def adopt(self, schedule: Schedule) -> bool:
        """Go on from ``schedule`` in every search whose best it beats; False (nothing done) when it puts an
        operation on another machine than the searches' (a flexible problem)."""
        if [op.machine for op in schedule.operations] != [op.machine for op in self.start.operations]:
            return False
        seq = _Arrays(self.arrays.kernel, self.problem, schedule).seq
        makespan = schedule.makespan
        for search in self.searches:
            if makespan < search.best:
                search.go_on_from(seq, makespan)
        return True


class _Search:
    """One search's state, all of it in arrays that the compiled loop updates between the caller's looks at the
    clock."""

    def __init__(self, arrays: _Arrays, seed: int) -> None:
        self.kernel, self.arrays, self.seed = arrays.kernel, arrays, seed
        n = len(arrays.key)
        self.seq = arrays.seq.copy()
        self.pos = arrays.positions(self.seq)
        _, makespan = arrays.heads(self.seq)
        self.cyclic = makespan < 0
        self.counters = np.zeros(self.kernel.N_COUNTERS, np.int64)
        self.counters[self.kernel.BEST] = makespan
        self.counters[self.kernel.RNG] = seed * 7919 + 17
        self.best_seq = self.seq.copy()
        self.tabu = np.zeros(n * arrays.width, np.int64)
        self.elite = np.zeros((ELITE_SIZE, n), np.int64)
        self.elite_makespan = np.zeros(ELITE_SIZE, np.int64)
        self.tenure = TENURE_BASE + n // TENURE_PER
        self.patience = max(MIN_PATIENCE, PATIENCE_PER_OPERATION * n)

    @property
    def best(self) -> int:
        return int(self.counters[self.kernel.BEST])

    @property
    def iterations(self) -> int:
        return int(self.counters[self.kernel.ITERATION])

    def go_on_from(self, seq: Ints, makespan: int) -> None:
        self.seq[:] = seq
        self.pos[:] = self.arrays.positions(seq)
        self.best_seq[:] = seq
        self.counters[self.kernel.BEST] = makespan
        self.counters[self.kernel.SINCE_BEST] = 0
        self.tabu[:] = 0

    def run_until(self, deadline: float, lower_bound: int, max_iterations: int | None) -> None:
        kernel, arrays = self.kernel, self.arrays
        chunk = 50
        stop_at = self.iterations + max_iterations if max_iterations is not None else None
        while self.best > lower_bound:
            now = time.perf_counter()
            left = deadline - now
            if left <= 0:
                break
            done = self.iterations
            if stop_at is not None:
                if done >= stop_at:
                    break
                chunk = min(chunk, stop_at - done)
            kernel.run(
                arrays.graph, arrays.machine_start, self.seq, self.pos, self.best_seq, self.tabu, arrays.width,
                self.elite, self.elite_makespan, self.counters, chunk, lower_bound, self.tenure, self.patience,
            )  # fmt: skip
            took = time.perf_counter() - now
            if self.iterations == done:  # no move left: the makespan is one machine's or one job's
                break
            per_iteration = took / max(1, self.iterations - done)
            chunk = max(1, int(min(CHUNK_S, left - took) / max(per_iteration, 1e-7)))

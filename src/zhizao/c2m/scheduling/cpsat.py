"""CP-SAT: the interval model of the (flexible) job shop, warm-started, within a time limit.

One interval per operation and eligible machine (optional when there is more than one), a no-overlap per machine,
the routing as precedences. With due dates the objective is lexicographic — total weighted tardiness, then makespan —
written as one weighted sum, exact because the makespan never exceeds the horizon; without, the makespan alone.

What was measured to matter on a 2-core machine shared with other work (docs/c2m-scheduling.md): the best dispatching
rule, improved by a tabu search when the objective is the makespan, as the hint and as the horizon (nothing may end
after a makespan already reached); CP-SAT's full worker without the LP relaxation, which is weak for makespan and
costs the time its neighbourhood search needs; and no time for subsolvers that cannot help such a model. With the
compiled tabu search (tabu_compiled.py) the search does most of the work and CP-SAT mostly proves: a short search, a
short CP-SAT probe (which ends the solve when it proves the schedule optimal), the search going on, and CP-SAT with
the rest. A schedule always comes back within the time limit: CP-SAT runs against a hard deadline (satrun.py), and
when it has no time or finds no solution the warm start is returned and the result says so."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from enum import StrEnum

from ortools.sat.python import cp_model

from zhizao.c2m.scheduling.dispatching import best_dispatch
from zhizao.c2m.scheduling.model import Frame, Objective, Problem, Schedule
from zhizao.c2m.scheduling.satmodel import SatModel, build_model
from zhizao.c2m.scheduling.satrun import run_until
from zhizao.c2m.scheduling.tabu import tabu_search
from zhizao.c2m.scheduling.tabu_compiled import CompiledTabu, compiled_tabu_search, kernel_if_ready
from zhizao.errors import InputError

# CP-SAT's own time limit is set this far before the deadline (the time left less a share and a fixed part and a
# part per operation, for building the model and reading the solution), so that it normally stops by itself and its
# status and bound are known; if it has not stopped by the deadline less RETURN_S, its last solution is taken anyway
# (satrun.py).
MARGIN_S = 0.05
MARGIN_PER_OPERATION_S = 0.0002
MARGIN_SHARE = 0.03
RETURN_S = 0.02
# LP-based (there is no LP), first-solution (there is the hint) and unstructured neighbourhoods.
IGNORED_SUBSOLVERS = ("feasibility_pump", "rins/rens", "ls", "fj", "graph_dec_lns", "rnd_var_lns", "rnd_cst_lns")
# Less than this is not worth building the model for.
MIN_CP_SAT_S = 0.05
# The dispatching rules after the first are tried within this share of the time limit.
DISPATCH_SHARE = 0.1
# With the compiled tabu search (see _solve_staged): the shares of the time the first search and the CP-SAT probe get.
FIRST_TABU_SHARE = 0.1
PROBE_SHARE = 0.1
COMPILED = "compiled tabu search"
# The first solve in a process waits up to this share of its limit for the compiled tabu search to load (numba's
# cache read: about 0.6 s); compiling takes longer (8 s on this machine, once after a change), and meanwhile the
# pure-Python search stands in.
KERNEL_WAIT_SHARE = 0.15


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"  # proven
    FEASIBLE = "feasible"  # the best found in the time, with a bound
    WARM_START = "warm start"  # CP-SAT had no time or found no solution; the dispatching (+ tabu) schedule


@dataclass(frozen=True, slots=True)
class SolveOptions:
    time_limit_s: float = 10.0
    workers: int = 2
    seed: int = 0
    # Share of CP-SAT's time the pure-Python tabu search gets before it, when the objective is the makespan alone.
    tabu_share: float = 0.3
    # The compiled search instead (one per worker, side by side; False: never): the share of the time left after its
    # first run and CP-SAT's probe that its second run gets, before CP-SAT's last.
    compiled_tabu: bool = True
    compiled_tabu_share: float = 0.8
    log: bool = False


@dataclass(frozen=True)
class SolveResult:
    schedule: Schedule
    status: SolveStatus
    objective: Objective
    bound: Objective | None  # no schedule is lexicographically better than this
    seconds: float
    warm_start: str  # how the hint was made, e.g. "MOPNR + tabu search (6,144 iterations)"
    warm_objective: Objective
    notes: tuple[str, ...] = field(default=())

    @property
    def makespan(self) -> int:
        return self.objective.makespan


def solve(problem: Problem, options: SolveOptions | None = None, frame: Frame | None = None) -> SolveResult:
    """The best schedule found within ``options.time_limit_s`` (wall clock, everything included)."""
    options = options or SolveOptions()
    if options.time_limit_s <= 0:
        raise InputError.for_field("time_limit", "must be positive")
    if options.workers < 1:
        raise InputError.for_field("workers", "must be at least 1")
    began = time.perf_counter()
    deadline = began + options.time_limit_s
    margin = MARGIN_S + MARGIN_PER_OPERATION_S * problem.n_operations
    frame = frame or Frame()
    dispatched = best_dispatch(problem, frame, until=began + options.time_limit_s * DISPATCH_SHARE)
    warm, warm_start = dispatched.schedule, dispatched.rule.value
    # When CP-SAT would get too little time to do anything, the tabu search has it all.
    cp_sat_would_get = _time_for_cp_sat(deadline, margin)
    kernel = None
    if options.compiled_tabu and _tabu_applies(problem, frame):
        kernel = kernel_if_ready(KERNEL_WAIT_SHARE * options.time_limit_s)
    if kernel is not None and cp_sat_would_get > MIN_CP_SAT_S / PROBE_SHARE:
        return _solve_staged(problem, options, frame, began, deadline, margin, warm, warm_start)
    if _tabu_applies(problem, frame) and (options.tabu_share > 0 or kernel is not None):
        left = deadline - time.perf_counter() - MARGIN_S
        seconds = options.tabu_share * cp_sat_would_get if cp_sat_would_get > MIN_CP_SAT_S else left
        improved = (
            tabu_search(problem, warm, seconds=seconds, seed=options.seed)
            if kernel is None
            else compiled_tabu_search(problem, warm, seconds=seconds, seed=options.seed, threads=options.workers)
        )
        if improved.schedule.makespan < warm.makespan:
            warm = improved.schedule
            warm_start += f" + {'tabu search' if kernel is None else COMPILED} ({improved.iterations:,} iterations)"
    warm_objective = warm.objective(problem)
    remaining = _time_for_cp_sat(deadline, margin)
    if remaining <= MIN_CP_SAT_S:
        return SolveResult(
            warm, SolveStatus.WARM_START, warm_objective, None, time.perf_counter() - began, warm_start,
            warm_objective, ("no time was left for CP-SAT after the warm start",),
        )  # fmt: skip
    return _finish(problem, options, frame, began, deadline - RETURN_S, remaining, warm, warm_start)


def _solve_staged(
    problem: Problem,
    options: SolveOptions,
    frame: Frame,
    began: float,
    deadline: float,
    margin: float,
    warm: Schedule,
    warm_start: str,
) -> SolveResult:
    """With the compiled tabu search: a short search, a short CP-SAT run from its schedule (which proves the easy
    instances optimal and gives the others a lower bound), the search going on (from CP-SAT's schedule if that is
    better) and stopping if it reaches that bound, and CP-SAT again with what is left."""
    budget = _time_for_cp_sat(deadline, margin)
    tabu = CompiledTabu(problem, warm, seed=options.seed, threads=options.workers)
    first = tabu.search(FIRST_TABU_SHARE * budget)
    if first.schedule.makespan < warm.makespan:
        warm = first.schedule
        warm_start += f" + {COMPILED} ({first.iterations:,} iterations)"
    if warm.makespan <= problem.makespan_lower_bound:
        return _proven(problem, warm, problem.makespan_lower_bound, began, warm_start)
    probe_s = PROBE_SHARE * budget
    probe_deadline = min(time.perf_counter() + probe_s + margin, deadline - RETURN_S)
    probe = _finish(problem, options, frame, began, probe_deadline, probe_s, warm, warm_start)
    if probe.status is SolveStatus.OPTIMAL:
        return probe
    if probe.objective < warm.objective(problem):
        warm = probe.schedule
        warm_start += f" + CP-SAT {probe_s:.1f} s"
        if not tabu.adopt(warm):  # CP-SAT chose other machines: a new search on those
            tabu = CompiledTabu(problem, warm, seed=options.seed, threads=options.workers)
    bound = max(probe.bound.makespan if probe.bound is not None else 0, problem.makespan_lower_bound)
    second = tabu.search(options.compiled_tabu_share * _time_for_cp_sat(deadline, margin), lower_bound=bound)
    if second.schedule.makespan < warm.makespan:
        warm = second.schedule
        warm_start += f" + {COMPILED} ({second.iterations:,} iterations)"
    if warm.makespan <= bound:
        return _proven(problem, warm, bound, began, warm_start)
    remaining = _time_for_cp_sat(deadline, margin)
    if remaining <= MIN_CP_SAT_S:
        objective = warm.objective(problem)
        return SolveResult(
            warm, SolveStatus.FEASIBLE, objective, Objective(0, bound), time.perf_counter() - began, warm_start,
            objective, ("no time was left for CP-SAT after the search",),
        )  # fmt: skip
    return _finish(problem, options, frame, began, deadline - RETURN_S, remaining, warm, warm_start)


def _proven(problem: Problem, schedule: Schedule, bound: int, began: float, warm_start: str) -> SolveResult:
    """The search reached a lower bound (the problem's own, or CP-SAT's): optimal."""
    objective = schedule.objective(problem)
    return SolveResult(
        schedule, SolveStatus.OPTIMAL, objective, Objective(0, bound), time.perf_counter() - began, warm_start,
        objective,
    )  # fmt: skip


def _finish(
    problem: Problem,
    options: SolveOptions,
    frame: Frame,
    began: float,
    hard_deadline: float,
    seconds: float,
    warm: Schedule,
    warm_start: str,
) -> SolveResult:
    """CP-SAT for ``seconds`` from the warm start, its result returned by ``hard_deadline`` whatever happens."""
    warm_objective = warm.objective(problem)
    model = build_model(problem, frame, warm)
    outcome = run_until(_solver(options, seconds), model, hard_deadline)
    if outcome.status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {model.model.validate()}")
    bound = _bound(model, outcome.bound)
    notes = []
    if outcome.status is None:
        notes.append("CP-SAT was still stopping at the time limit; its last solution is returned")
    if outcome.schedule is None:
        # INFEASIBLE cannot happen with a feasible hint inside the horizon; UNKNOWN is running out of time.
        ended = "still running" if outcome.status is None else outcome.status.name
        notes.append(f"CP-SAT ended {ended} without a solution; the warm start is returned")
        return SolveResult(
            warm, SolveStatus.WARM_START, warm_objective, bound, time.perf_counter() - began, warm_start,
            warm_objective, tuple(notes),
        )  # fmt: skip
    found, objective = outcome.schedule, outcome.schedule.objective(problem)
    if warm_objective < objective:  # the hint was not kept (possible when presolve ran out of time)
        found, objective = warm, warm_objective
    proven = outcome.status == cp_model.OPTIMAL or (bound is not None and bound >= objective)
    return SolveResult(
        found, SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE, objective, bound,
        time.perf_counter() - began, warm_start, warm_objective, tuple(notes),
    )  # fmt: skip


def _time_for_cp_sat(deadline: float, margin: float) -> float:
    return (deadline - time.perf_counter()) * (1 - MARGIN_SHARE) - margin


def _tabu_applies(problem: Problem, frame: Frame) -> bool:
    """The tabu search minimises the makespan from a blank sheet; due dates and rescheduling go to CP-SAT alone."""
    return not problem.has_due_dates and not frame.fixed and not frame.unavailable and frame.not_before == 0


def _solver(options: SolveOptions, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    parameters = solver.parameters
    parameters.max_time_in_seconds = seconds
    parameters.num_workers = options.workers
    parameters.random_seed = options.seed
    parameters.log_search_progress = options.log
    if options.workers > 1:
        # The full-search worker without LP, and no time for neighbourhoods and heuristics that do nothing for a
        # scheduling model with a complete hint: each measured better on la21–la40 at 10 s (see the docs).
        parameters.subsolvers.append("no_lp")
        parameters.ignore_subsolvers.extend(IGNORED_SUBSOLVERS)
    return solver


def _bound(model: SatModel, raw_bound: float | None) -> Objective | None:
    if raw_bound is None or not math.isfinite(raw_bound):
        return None
    raw = math.ceil(raw_bound - 1e-6)  # the bound of an integer objective, rounded up
    if model.tardiness_scale is None:
        return Objective(0, raw)
    return Objective(raw // model.tardiness_scale, raw % model.tardiness_scale)

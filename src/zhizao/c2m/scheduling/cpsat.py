"""CP-SAT: the interval model of the (flexible) job shop, warm-started, within a time limit.

One interval per operation and eligible machine (optional when there is more than one), a no-overlap per machine,
the routing as precedences. With due dates the objective is lexicographic — total weighted tardiness, then makespan —
written as one weighted sum, exact because the makespan never exceeds the horizon; without, the makespan alone.

What was measured to matter on a 2-core machine shared with other work (docs/c2m-scheduling.md): the best dispatching
rule, improved by a tabu search when the objective is the makespan, as the hint and as the horizon (nothing may end
after a makespan already reached); CP-SAT's full worker without the LP relaxation, which is weak for makespan and
costs the time its neighbourhood search needs; and no time for subsolvers that cannot help such a model. A schedule
always comes back within the time limit: CP-SAT runs against a hard deadline (satrun.py), and when it has no time or
finds no solution the warm start is returned and the result says so.
"""

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


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"  # proven
    FEASIBLE = "feasible"  # the best found in the time, with a bound
    WARM_START = "warm start"  # CP-SAT had no time or found no solution; the dispatching (+ tabu) schedule


@dataclass(frozen=True, slots=True)
class SolveOptions:
    time_limit_s: float = 10.0
    workers: int = 2
    seed: int = 0
    # Share of CP-SAT's time the tabu search gets before it, when the objective is the makespan alone.
    tabu_share: float = 0.3
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
    if _tabu_applies(problem, frame) and options.tabu_share > 0:
        left = deadline - time.perf_counter() - MARGIN_S
        seconds = options.tabu_share * cp_sat_would_get if cp_sat_would_get > MIN_CP_SAT_S else left
        improved = tabu_search(problem, warm, seconds=seconds, seed=options.seed)
        if improved.schedule.makespan < warm.makespan:
            warm = improved.schedule
            warm_start += f" + tabu search ({improved.iterations:,} iterations)"
    warm_objective = warm.objective(problem)
    remaining = _time_for_cp_sat(deadline, margin)
    if remaining <= MIN_CP_SAT_S:
        return SolveResult(
            warm, SolveStatus.WARM_START, warm_objective, None, time.perf_counter() - began, warm_start,
            warm_objective, ("no time was left for CP-SAT after the warm start",),
        )  # fmt: skip
    model = build_model(problem, frame, warm)
    outcome = run_until(_solver(options, remaining), model, deadline - RETURN_S)
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

"""``zhizao c2m schedule``: solve a job-shop instance file with CP-SAT and print the makespan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from zhizao.c2m.scheduling import (
    JobShopInstance,
    Problem,
    SolveOptions,
    SolveResult,
    load_instance,
    solve,
    verify,
)
from zhizao.c2m.scheduling.best_known import BestKnown, find_best_known, gap, read_best_known
from zhizao.c2m.scheduling.gantt import text_gantt
from zhizao.cli.common import error, guarded, say
from zhizao.errors import InputError


def schedule(
    instance: Annotated[Path, typer.Option("--instance", help="A job-shop instance in the OR-Library format.")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds, everything included.", min=0.1)] = 10.0,
    workers: Annotated[int, typer.Option(help="CP-SAT worker threads.", min=1)] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the tabu search and of CP-SAT.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object, with the schedule.")] = False,
    gantt: Annotated[bool, typer.Option("--gantt", help="Also draw the schedule, one line per machine.")] = False,
) -> None:
    """Minimise the makespan of an instance within --time-limit: warm start from dispatching rules and a tabu search,
    then CP-SAT. Prints the makespan, the status and the lower bound, the best known when a best_known.csv lies in
    the instance's folder or the one above, and the time. A malformed file is named with its line; exit code 2."""
    parsed = guarded(lambda: load_instance(instance))
    problem = Problem.from_instance(parsed)
    options = SolveOptions(time_limit_s=time_limit, workers=workers, seed=seed)
    result = guarded(lambda: solve(problem, options))
    broken = verify(result.schedule, problem)
    if broken:  # a bug, not the user's mistake: say what and refuse to print a wrong schedule
        error("schedule", f"the solver returned an infeasible schedule: {broken[0]}")
        raise typer.Exit(1)
    best = _best_known(instance, parsed.name)
    if as_json:
        say(json.dumps(_as_dict(parsed, result, best, options), ensure_ascii=False))
    else:
        for line in _summary(parsed, result, best, options):
            say(line)
    if gantt:
        for line in text_gantt(result.schedule, problem):
            say(line)


def _best_known(instance: Path, name: str) -> BestKnown | None:
    """The best-known makespan, when a best_known.csv beside the file lists it; a broken CSV only loses the figure."""
    found = find_best_known(instance.parent)
    if found is None:
        return None
    try:
        return read_best_known(found).get(name)
    except InputError:  # optional context for the reader, never a reason to fail the solve
        return None


def _summary(
    instance: JobShopInstance, result: SolveResult, best: BestKnown | None, options: SolveOptions
) -> list[str]:
    bound = "–" if result.bound is None else str(result.bound.makespan)
    lines = [
        f"{instance.name}: {instance.n_jobs} jobs × {instance.n_machines} machines, {instance.n_operations} operations",
        f"makespan {result.makespan} ({result.status.value}; lower bound {bound})",
    ]
    if best is not None:
        proven = "optimal" if best.is_optimal else "open"
        lines.append(f"best known {best.makespan} ({proven}); gap {gap(result.makespan, best.makespan) * 100:.2f} %")
    lines.append(f"warm start: {result.warm_start}, makespan {result.warm_objective.makespan}")
    lines.append(f"time {result.seconds:.2f} s (limit {options.time_limit_s:g} s, {options.workers} workers)")
    lines += [f"note: {note}" for note in result.notes]
    return lines


def _as_dict(
    instance: JobShopInstance, result: SolveResult, best: BestKnown | None, options: SolveOptions
) -> dict[str, Any]:
    return {
        "instance": instance.name,
        "n_jobs": instance.n_jobs,
        "n_machines": instance.n_machines,
        "makespan": result.makespan,
        "status": result.status.value,
        "bound": None if result.bound is None else result.bound.makespan,
        "best_known": None if best is None else best.makespan,
        "gap": None if best is None else gap(result.makespan, best.makespan),
        "seconds": result.seconds,
        "time_limit_s": options.time_limit_s,
        "workers": options.workers,
        "warm_start": result.warm_start,
        "warm_makespan": result.warm_objective.makespan,
        "notes": list(result.notes),
        "schedule": [[op.job, op.task, op.machine, op.start, op.end] for op in result.schedule.operations],
    }

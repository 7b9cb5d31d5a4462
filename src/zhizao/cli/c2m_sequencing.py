"""``zhizao c2m sequence``: sequence the cars of a CSPLib prob001 instance on the assembly line (p/q capacity rules
per option station) and print the violations, the sequence and the windows over capacity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from zhizao.c2m.sequencing.best_known import BestKnown, find_best_known, read_best_known
from zhizao.c2m.sequencing.instance import load_instance
from zhizao.c2m.sequencing.solver import SequencingResult, solve
from zhizao.cli.common import guarded, say
from zhizao.errors import InputError


def sequence(
    instance: Annotated[
        Path, typer.Option("--instance", help="A car-sequencing instance in the CSPLib prob001 format.")
    ],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds, everything included.", min=0.01)] = 10.0,
    workers: Annotated[
        int, typer.Option(help="CP-SAT workers beside the local search (0: the local search alone).", min=0)
    ] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the local search and of CP-SAT.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object, with the sequence.")] = False,
) -> None:
    """Order the cars to minimise the violations of the p/q rules (per option, per window of q consecutive cars, the
    cars beyond p): greedy start, local search, CP-SAT beside it. Prints the count, its proven lower bound and status,
    the time, the sequence of classes and, per option, the windows over capacity. A malformed file is named with its
    line; exit code 2."""
    parsed = guarded(lambda: load_instance(instance))
    result = guarded(lambda: solve(parsed, time_limit=time_limit, workers=workers, seed=seed))
    best = _best_known(instance)
    if as_json:
        data = result.as_dict()
        data["best_known"] = None if best is None else {"violations": best.violations, "is_optimal": best.is_optimal}
        say(json.dumps(data, ensure_ascii=False))
        return
    for line in summary(result, best):
        say(line)


def _best_known(instance: Path) -> BestKnown | None:
    """The best-known count when a best_known.csv lies beside the file or one folder up; a broken CSV only loses
    the figure."""
    found = find_best_known(instance.parent)
    if found is None:
        return None
    try:
        return read_best_known(found).lookup(instance)
    except InputError:  # context for the reader, never a reason to fail the solve
        return None


def summary(result: SequencingResult, best: BestKnown | None) -> list[str]:
    instance = result.instance
    cpsat = "not started: zero found first" if result.cpsat_status is None else result.cpsat_status
    lines = [
        f"{instance.name}: {instance.n_cars} cars, {instance.n_options} options, {len(instance.classes)} classes",
        f"violations {result.violations} ({result.check.violated_windows} windows over capacity); "
        f"lower bound {result.bound}; {result.status}",
    ]
    if best is not None:
        lines.append(f"best known {best.violations} ({'optimal' if best.is_optimal else 'open'})")
    lines += [
        f"time {result.seconds:.2f} s; found by {result.found_by}; CP-SAT {cpsat}; "
        f"{result.iterations:,} local-search steps",
        "sequence (classes): " + " ".join(str(index) for index in result.sequence),
    ]
    for option, rule in enumerate(instance.rules):
        windows = result.check.for_option(option)
        label = f"option {option + 1} ({rule.p}/{rule.q}, {instance.demand(option)} cars)"
        if not windows:
            lines.append(f"{label}: no window over capacity")
            continue
        listed = ", ".join(
            f"cars {w.start + 1}–{w.start + rule.q} ({w.cars} with it, {w.excess} over)" for w in windows
        )
        lines.append(f"{label}: {len(windows)} windows over capacity: {listed}")
    return lines

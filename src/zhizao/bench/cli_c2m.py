"""``zhizao bench`` commands of the C2M capability (configurator, scheduling, sequencing)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from zhizao.bench.carseq import CarseqBenchOptions, CarseqBenchResult, run_carseq
from zhizao.bench.configurator import (
    STEP_TARGET_S,
    ConfiguratorBenchOptions,
    ConfiguratorBenchResult,
    run_configurator,
)
from zhizao.bench.console import JsonOption, QuietOption, check, consoles, report_result
from zhizao.bench.jssp import InstanceRow, JsspBenchOptions, JsspBenchResult, run_jssp
from zhizao.c2m.scheduling import Rule


def configurator_table(result: ConfiguratorBenchResult) -> Table:
    rules = ", ".join(f"{count} {kind}" for kind, count in result.rules.items())
    load = "–" if result.load_before is None else f"{result.load_before:.2f}"
    steps = f"{_ms(result.step_p50_s)} / {_ms(result.step_p95_s)} / {_ms(result.step_max_s)}"
    greyed = f"{result.greyed_by_propagation:,} / {result.greyed_by_probing:,} / {result.greyed_by_cp_sat:,}"
    optimal = "optimal" if result.complete_optimal else "stopped by the time limit"
    completion = f"{_ms(result.complete_s)} (CNY {result.complete_price:,}, {optimal})"
    rows: list[tuple[str, str | Text]] = [
        ("machine", f"{result.machine}; load average before: {load}"),
        ("model", f"{result.options:,} options in {result.families} families; rules: {rules}; seed {result.seed}"),
        ("compile (propagator and CP-SAT model)", _ms(result.compile_s)),
        (f"step p50 / p95 / max over {result.steps} steps", steps),
        ("step CPU time p50 / p95 (this process)", f"{_ms(result.step_cpu_p50_s)} / {_ms(result.step_cpu_p95_s)}"),
        ("first step (nothing chosen yet)", _ms(result.first_step_s)),
        (f"target p95 < {STEP_TARGET_S * 1000:.0f} ms", check(result.met)),
        ("CP-SAT calls per step, mean / max", f"{result.cp_sat_calls_mean:.1f} / {result.cp_sat_calls_max}"),
        ("greyed out by propagation / probing / CP-SAT cores, all steps", greyed),
        ("unavailable after the last step", f"{result.unavailable_last_step:,}"),
        ("check of the last choices", _ms(result.check_s)),
        ("cheapest completion, nothing chosen", _ms(result.complete_empty_s)),
        ("cheapest completion, last choices", completion),
    ]
    table = Table(title="zhizao bench configurator", show_header=False)
    for name, value in rows:
        table.add_row(name, value)
    return table


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def configurator(
    options: Annotated[int, typer.Option(help="Options in the generated product model.", min=10)] = 1200,
    steps: Annotated[int, typer.Option(help="Consumer choices, each followed by a step.", min=1)] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the generated model and of the choices.")] = 643,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """The C2M configurator on a generated model with 1,000+ options: compile time, step time (every option's state
    with the reasons for greyed-out ones) over a random sequence of choices, and the cheapest completion."""
    bench_options = ConfiguratorBenchOptions(options=options, steps=steps, seed=seed)
    report_result(
        consoles(as_json), "configurator", f"{options:,} options → configurator", wait_for_quiet,
        partial(run_configurator, bench_options), configurator_table, as_json, lambda result: result.notes,
    )  # fmt: skip


# -- jssp ------------------------------------------------------------------------------------------------------------


def jssp_table(result: JsspBenchResult) -> Table:
    load = " → ".join("–" if value is None else f"{value:.2f}" for value in (result.load_before, result.load_after))
    made = Table(
        "instance", "n×m", "best known", "CP-SAT", "gap", "status", "time", "SPT gap", "MWKR gap",
        title=f"bench jssp — {result.options.data} ({result.options.pattern})",
        caption=(
            f"{result.machine}; load average {load}; time limit {result.options.time_limit_s:g} s, "
            f"{result.options.workers} workers, seed {result.options.seed}; best known from "
            f"{result.best_known_file or '– (no best_known.csv)'}"
        ),
        caption_justify="left",
        title_justify="left",
    )  # fmt: skip
    for row in result.rows:
        made.add_row(*_jssp_row(row))
    compared = len(result.compared)
    made.add_section()
    made.add_row(
        "summary", f"{len(result.rows)} instances", "", "", _gap(result.mean_gap),
        f"{result.at_best_known} of {compared} at best known", f"max {result.max_seconds:.1f} s",
        _gap(result.mean_rule_gap(Rule.SPT)), _gap(result.mean_rule_gap(Rule.MWKR)),
    )  # fmt: skip
    return made


def _jssp_row(row: InstanceRow) -> tuple[str, ...]:
    best = "–" if row.best_known is None else f"{row.best_known}{'' if row.best_known_optimal else ' (open)'}"
    return (
        row.name,
        f"{row.n_jobs}×{row.n_machines}",
        best,
        str(row.makespan),
        _gap(row.gap()),
        row.status,
        f"{row.seconds:.1f} s",
        _gap(row.gap(row.spt_makespan)),
        _gap(row.gap(row.mwkr_makespan)),
    )


def _gap(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f} %"


def jssp(
    data: Annotated[Path, typer.Option("--data", help="A folder of OR-Library job-shop instances.")],
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds per instance, all included.", min=0.1)
    ] = 10.0,
    pattern: Annotated[str, typer.Option(help="Only the files whose names match, e.g. 'la*'.")] = "*",
    workers: Annotated[int, typer.Option(help="CP-SAT worker threads.", min=1)] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the tabu search and of CP-SAT.")] = 0,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Each instance in --data solved by CP-SAT (warm-started) within --time-limit: the makespan, its gap to the
    best known (best_known.csv in the folder or above it), the status and the time, beside SPT and MWKR; then the
    mean gap, how many reach the best known, and the longest time."""
    options = JsspBenchOptions(data=data, time_limit_s=time_limit, pattern=pattern, workers=workers, seed=seed)
    report_result(
        consoles(as_json), "jssp", f"{data.name or data} ({pattern}) → CP-SAT", wait_for_quiet,
        partial(run_jssp, options), jssp_table, as_json, lambda result: result.notes,
    )  # fmt: skip


# -- carseq ----------------------------------------------------------------------------------------------------------


def carseq_table(result: CarseqBenchResult) -> Table:
    load = " → ".join("–" if value is None else f"{value:.2f}" for value in (result.load_before, result.load_after))
    made = Table(
        "instance", "cars", "options", "best known", "found", "bound", "status", "time", "found by",
        title=f"bench carseq — {result.options.data}",
        caption=(
            f"{result.machine}; load average {load}; time limit {result.options.time_limit_s:g} s per instance, "
            f"CP-SAT workers beside the local search: {result.options.workers}, seed {result.options.seed}; "
            f"best known from {result.best_known_file or '– (no best_known.csv)'}"
        ),
        caption_justify="left",
        title_justify="left",
    )  # fmt: skip
    for row in result.rows:
        best = "–" if row.best_known is None else f"{row.best_known}{'' if row.best_known_optimal else ' (open)'}"
        found = Text(str(row.violations), style="" if row.at_best_known in (True, None) else "red")
        made.add_row(
            row.name, str(row.cars), str(row.options), best, found, str(row.bound), row.status,
            f"{row.seconds:.2f} s", row.found_by,
        )  # fmt: skip
    made.add_section()
    made.add_row(
        "summary", f"{len(result.rows)} instances", "",
        f"{result.at_best_known} of {result.compared} at best known",
        f"{result.at_zero} at zero ({result.zero_known} known to have zero)", "", "",
        f"max {result.max_seconds:.2f} s", "",
    )  # fmt: skip
    return made


def carseq(
    data: Annotated[Path, typer.Option("--data", help="A folder of CSPLib prob001 car-sequencing instances (*.txt).")],
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds per instance, all included.", min=0.01)
    ] = 10.0,
    workers: Annotated[
        int, typer.Option(help="CP-SAT workers beside the local search (0: local search alone).", min=0)
    ] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the local search and of CP-SAT.")] = 0,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Each instance in --data sequenced within --time-limit: the violation count (per option and window of q cars,
    the cars beyond p) beside the best known (best_known.csv in the folder or above), its lower bound, status and
    time; then how many reach zero and the best known, and the longest time."""
    options = CarseqBenchOptions(data=data, time_limit_s=time_limit, workers=workers, seed=seed)
    report_result(
        consoles(as_json), "carseq", f"{data.name or data} → sequencing", wait_for_quiet,
        partial(run_carseq, options), carseq_table, as_json, lambda result: result.notes,
    )  # fmt: skip

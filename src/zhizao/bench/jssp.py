"""``zhizao bench jssp``: every job-shop instance in a folder solved with CP-SAT under a time limit, its gap to the
best-known makespan (from ``best_known.csv`` when there is one) next to the SPT and MWKR dispatching rules."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from zhizao.bench import infra
from zhizao.bench.infra import BenchError
from zhizao.bench.instances import describe, natural_key, run_each
from zhizao.c2m.scheduling import Problem, Rule, SolveOptions, dispatch, load_instance, solve, verify
from zhizao.c2m.scheduling.best_known import FILE_NAME, BestKnown, find_best_known, gap, read_best_known
from zhizao.c2m.scheduling.tabu_compiled import load_kernel
from zhizao.errors import InputError


@dataclass(frozen=True, slots=True)
class JsspBenchOptions:
    data: Path
    time_limit_s: float = 10.0
    pattern: str = "*"
    workers: int = 2
    seed: int = 0


@dataclass(frozen=True, slots=True)
class InstanceRow:
    name: str
    n_jobs: int
    n_machines: int
    best_known: int | None
    best_known_optimal: bool
    makespan: int
    status: str
    bound: int | None
    seconds: float
    warm_start: str
    spt_makespan: int
    mwkr_makespan: int

    def gap(self, makespan: int | None = None) -> float | None:
        if self.best_known is None:
            return None
        return gap(self.makespan if makespan is None else makespan, self.best_known)


@dataclass(frozen=True)
class JsspBenchResult:
    options: JsspBenchOptions
    rows: list[InstanceRow]
    machine: str
    best_known_file: str | None
    load_before: float | None
    load_after: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def compared(self) -> list[InstanceRow]:
        return [row for row in self.rows if row.best_known is not None]

    @property
    def mean_gap(self) -> float | None:
        gaps = [row.gap() or 0.0 for row in self.compared]
        return sum(gaps) / len(gaps) if gaps else None

    @property
    def at_best_known(self) -> int:
        return sum(1 for row in self.compared if row.best_known is not None and row.makespan <= row.best_known)

    @property
    def max_seconds(self) -> float:
        return max((row.seconds for row in self.rows), default=0.0)

    def mean_rule_gap(self, rule: Rule) -> float | None:
        rows = self.compared
        if not rows:
            return None
        gaps = [row.gap(row.spt_makespan if rule is Rule.SPT else row.mwkr_makespan) or 0.0 for row in rows]
        return sum(gaps) / len(gaps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "data": str(self.options.data),
            "pattern": self.options.pattern,
            "time_limit_s": self.options.time_limit_s,
            "workers": self.options.workers,
            "machine": self.machine,
            "best_known_file": self.best_known_file,
            "load_before": self.load_before,
            "load_after": self.load_after,
            "instances": [{**asdict(row), "gap": row.gap()} for row in self.rows],
            "mean_gap": self.mean_gap,
            "at_best_known": self.at_best_known,
            "compared": len(self.compared),
            "max_seconds": self.max_seconds,
            "mean_gap_spt": self.mean_rule_gap(Rule.SPT),
            "mean_gap_mwkr": self.mean_rule_gap(Rule.MWKR),
            "notes": self.notes,
        }


def instance_files(folder: Path, pattern: str) -> list[Path]:
    """The files in ``folder`` whose names match ``pattern``, in natural order (la2 before la10)."""
    if not folder.is_dir():
        raise BenchError(f"--data: {folder} is not a folder")
    files = [
        path
        for path in folder.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and path.name != FILE_NAME
        and fnmatch.fnmatch(path.name, pattern)
    ]
    if not files:
        raise BenchError(f"--data: no instance in {folder} matches {pattern!r}")
    return sorted(files, key=natural_key)


def run_jssp(
    options: JsspBenchOptions, progress: Callable[[int, int], None] = lambda _done, _total: None
) -> JsspBenchResult:
    files = instance_files(options.data, options.pattern)
    known_file = find_best_known(options.data)
    known: dict[str, BestKnown] = {}
    if known_file is not None:
        try:
            known = read_best_known(known_file)
        except InputError as exc:
            raise BenchError(describe(exc)) from exc
    # Loading the compiled tabu search (reading numba's cache, or compiling it after a change) is paid once per
    # process, here, and not inside the first instance's time limit.
    began = time.perf_counter()
    load_kernel()
    kernel_seconds = time.perf_counter() - began
    load_before = infra.load_average()
    rows, notes = run_each(
        files,
        partial(_run_one, known=known, options=options),
        progress,
        "no best-known makespan; left out of the mean gap",
    )
    return JsspBenchResult(
        options=options,
        rows=rows,
        machine=infra.machine().describe(),
        best_known_file=str(known_file) if known_file else None,
        load_before=load_before,
        load_after=infra.load_average(),
        notes=[f"the compiled tabu search was loaded in {kernel_seconds:.2f} s before the first instance", *notes],
    )


def _run_one(path: Path, known: dict[str, BestKnown], options: JsspBenchOptions) -> InstanceRow:
    try:
        instance = load_instance(path)
    except InputError as exc:
        raise BenchError(describe(exc)) from exc
    problem = Problem.from_instance(instance)
    result = solve(problem, SolveOptions(time_limit_s=options.time_limit_s, workers=options.workers, seed=options.seed))
    broken = verify(result.schedule, problem)
    if broken:
        raise BenchError(f"{instance.name}: the schedule returned is infeasible: {broken[0]}")
    best = known.get(instance.name)
    return InstanceRow(
        name=instance.name,
        n_jobs=instance.n_jobs,
        n_machines=instance.n_machines,
        best_known=best.makespan if best else None,
        best_known_optimal=best.is_optimal if best else False,
        makespan=result.makespan,
        status=result.status.value,
        bound=result.bound.makespan if result.bound is not None else None,
        seconds=result.seconds,
        warm_start=result.warm_start,
        spt_makespan=dispatch(problem, Rule.SPT).makespan,
        mwkr_makespan=dispatch(problem, Rule.MWKR).makespan,
    )

"""``zhizao bench carseq``: every car-sequencing instance (CSPLib prob001) in a folder sequenced under a time limit,
its violation count beside the best known (from ``best_known.csv`` in the folder or the one above)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from zhizao.bench import infra
from zhizao.bench.infra import BenchError
from zhizao.bench.instances import describe, natural_key, run_each
from zhizao.c2m.sequencing.best_known import FILE_NAME, BestKnownTable, find_best_known, read_best_known
from zhizao.c2m.sequencing.instance import load_instance
from zhizao.c2m.sequencing.solver import solve
from zhizao.errors import InputError


@dataclass(frozen=True, slots=True)
class CarseqBenchOptions:
    data: Path
    time_limit_s: float = 10.0
    workers: int = 1
    seed: int = 0


@dataclass(frozen=True, slots=True)
class CarseqRow:
    name: str
    cars: int
    options: int
    classes: int
    best_known: int | None
    best_known_optimal: bool
    violations: int
    bound: int
    status: str
    seconds: float
    found_by: str

    @property
    def at_best_known(self) -> bool | None:
        return None if self.best_known is None else self.violations <= self.best_known


@dataclass(frozen=True)
class CarseqBenchResult:
    options: CarseqBenchOptions
    rows: list[CarseqRow]
    machine: str
    best_known_file: str | None
    load_before: float | None
    load_after: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def at_zero(self) -> int:
        return sum(1 for row in self.rows if row.violations == 0)

    @property
    def zero_known(self) -> int:
        """Instances known to have a sequence without violations."""
        return sum(1 for row in self.rows if row.best_known == 0)

    @property
    def compared(self) -> int:
        return sum(1 for row in self.rows if row.best_known is not None)

    @property
    def at_best_known(self) -> int:
        return sum(1 for row in self.rows if row.at_best_known)

    @property
    def max_seconds(self) -> float:
        return max((row.seconds for row in self.rows), default=0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "data": str(self.options.data),
            "time_limit_s": self.options.time_limit_s,
            "workers": self.options.workers,
            "seed": self.options.seed,
            "machine": self.machine,
            "best_known_file": self.best_known_file,
            "load_before": self.load_before,
            "load_after": self.load_after,
            "instances": [{**asdict(row), "at_best_known": row.at_best_known} for row in self.rows],
            "at_zero": self.at_zero,
            "zero_known": self.zero_known,
            "at_best_known": self.at_best_known,
            "compared": self.compared,
            "max_seconds": self.max_seconds,
            "notes": self.notes,
        }


def instance_files(folder: Path) -> list[Path]:
    """The instance files (``*.txt``) in ``folder``, in natural order (4_72 before 10_93)."""
    if not folder.is_dir():
        raise BenchError(f"--data: {folder} is not a folder")
    files = [path for path in folder.glob("*.txt") if path.is_file() and path.name != FILE_NAME]
    if not files:
        raise BenchError(f"--data: no instance file (*.txt) in {folder}")
    return sorted(files, key=natural_key)


def run_carseq(
    options: CarseqBenchOptions, progress: Callable[[int, int], None] = lambda _done, _total: None
) -> CarseqBenchResult:
    files = instance_files(options.data)
    known_file = find_best_known(options.data)
    known: BestKnownTable | None = None
    if known_file is not None:
        try:
            known = read_best_known(known_file)
        except InputError as exc:
            raise BenchError(describe(exc)) from exc
    load_before = infra.load_average()
    rows, notes = run_each(
        files,
        partial(_run_one, known=known, options=options),
        progress,
        "no best-known count; left out of the comparison",
    )
    return CarseqBenchResult(
        options=options,
        rows=rows,
        machine=infra.machine().describe(),
        best_known_file=str(known_file) if known_file else None,
        load_before=load_before,
        load_after=infra.load_average(),
        notes=notes,
    )


def _run_one(path: Path, known: BestKnownTable | None, options: CarseqBenchOptions) -> CarseqRow:
    try:
        instance = load_instance(path)
    except InputError as exc:
        raise BenchError(f"{path.name}: {describe(exc)}") from exc
    result = solve(instance, time_limit=options.time_limit_s, workers=options.workers, seed=options.seed)
    best = None if known is None else known.lookup(path)
    return CarseqRow(
        name=path.name,
        cars=instance.n_cars,
        options=instance.n_options,
        classes=len(instance.classes),
        best_known=None if best is None else best.violations,
        best_known_optimal=best is not None and best.is_optimal,
        violations=result.violations,
        bound=result.bound,
        status=result.status,
        seconds=result.seconds,
        found_by=result.found_by,
    )

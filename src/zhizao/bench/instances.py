"""What the benchmarks over a folder of public instances (job shop, car sequencing) share: the natural order of
instance files, a readable line for an input problem, and the loop that solves each file in turn."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from zhizao.errors import InputError


class InstanceRow(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def best_known(self) -> int | None: ...


Row = TypeVar("Row", bound=InstanceRow)


def natural_key(path: Path) -> list[int | str]:
    """la2 before la10, 4_72 before 10_93."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def describe(exc: InputError) -> str:
    return "; ".join(f"{problem.field}: {problem.message}" for problem in exc.fields) or exc.message


def run_each(
    files: Sequence[Path], run_one: Callable[[Path], Row], progress: Callable[[int, int], None], left_out: str
) -> tuple[list[Row], list[str]]:
    """Each file's row, in order, and a note for every instance without a best-known value (``left_out`` says how
    it is treated)."""
    rows: list[Row] = []
    notes: list[str] = []
    progress(0, len(files))
    for done, path in enumerate(files, start=1):
        row = run_one(path)
        rows.append(row)
        if row.best_known is None:
            notes.append(f"{row.name}: {left_out}")
        progress(done, len(files))
    return rows, notes

"""Best-known makespans of benchmark instances: ``best_known.csv`` with the columns instance, best_known_makespan and
is_optimal (others, such as n_jobs and n_machines, are ignored)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zhizao.c2m.best_known_csv import read_best_known_rows

FILE_NAME = "best_known.csv"


@dataclass(frozen=True, slots=True)
class BestKnown:
    makespan: int
    is_optimal: bool


def read_best_known(path: Path) -> dict[str, BestKnown]:
    rows = read_best_known_rows(path, "best_known_makespan", "an integer")
    return {name: BestKnown(value, optimal) for name, (value, optimal) in rows.items()}


def find_best_known(folder: Path) -> Path | None:
    """``best_known.csv`` in the folder or the one above it (``jssp/instances/`` beside ``jssp/best_known.csv``)."""
    for candidate in (folder / FILE_NAME, folder.parent / FILE_NAME):
        if candidate.is_file():
            return candidate
    return None


def gap(makespan: int, best: int) -> float:
    """Relative distance above the best known, as a fraction (0.0012 = 0.12 %)."""
    return (makespan - best) / best if best else 0.0

"""Best-known makespans of benchmark instances: ``best_known.csv`` with the columns instance, best_known_makespan and
is_optimal (others, such as n_jobs and n_machines, are ignored)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from zhizao.errors import InputError

FILE_NAME = "best_known.csv"


@dataclass(frozen=True, slots=True)
class BestKnown:
    makespan: int
    is_optimal: bool


def read_best_known(path: Path) -> dict[str, BestKnown]:
    try:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError.for_field("best_known", f"cannot read {path}: {exc}") from exc
    known = {}
    for number, row in enumerate(rows, start=2):
        name, makespan = row.get("instance"), row.get("best_known_makespan")
        if not name or not makespan:
            raise InputError.for_field(f"line {number}", f"instance and best_known_makespan are needed (in {path})")
        try:
            value = int(makespan)
        except ValueError:
            raise InputError.for_field(f"line {number}", f"{makespan!r} is not an integer (in {path})") from None
        optimal = (row.get("is_optimal") or "").strip().lower() in {"true", "1", "yes"}
        known[name.strip()] = BestKnown(value, optimal)
    return known


def find_best_known(folder: Path) -> Path | None:
    """``best_known.csv`` in the folder or the one above it (``jssp/instances/`` beside ``jssp/best_known.csv``)."""
    for candidate in (folder / FILE_NAME, folder.parent / FILE_NAME):
        if candidate.is_file():
            return candidate
    return None


def gap(makespan: int, best: int) -> float:
    """Relative distance above the best known, as a fraction (0.0012 = 0.12 %)."""
    return (makespan - best) / best if best else 0.0

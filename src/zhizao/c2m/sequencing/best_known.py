"""Best-known violation counts of the CSPLib car-sequencing instances: ``best_known.csv`` with the columns instance
(a path relative to the CSV's folder, e.g. ``set1_100cars/10_93.txt``), best_known_violations and is_optimal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zhizao.c2m.best_known_csv import read_best_known_rows

FILE_NAME = "best_known.csv"


@dataclass(frozen=True, slots=True)
class BestKnown:
    violations: int
    is_optimal: bool


@dataclass(frozen=True, slots=True)
class BestKnownTable:
    path: Path
    by_instance: dict[str, BestKnown]

    def lookup(self, instance_file: Path) -> BestKnown | None:
        """The entry for a file: by its path relative to the CSV's folder, else by its name when that is unique."""
        try:
            relative = instance_file.resolve().relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            relative = None
        if relative is not None and relative in self.by_instance:
            return self.by_instance[relative]
        named = [value for key, value in self.by_instance.items() if Path(key).name == instance_file.name]
        return named[0] if len(named) == 1 else None


def find_best_known(folder: Path) -> Path | None:
    """``best_known.csv`` in the folder or the one above (``carseq/set1_100cars/`` beside ``carseq/best_known.csv``)."""
    for candidate in (folder / FILE_NAME, folder.parent / FILE_NAME):
        if candidate.is_file():
            return candidate
    return None


def read_best_known(path: Path) -> BestKnownTable:
    rows = read_best_known_rows(path, "best_known_violations", "a whole number")
    return BestKnownTable(path=path, by_instance={name: BestKnown(v, optimal) for name, (v, optimal) in rows.items()})

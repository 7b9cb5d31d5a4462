"""Loading C-MAPSS-format run-to-failure data from any folder.

A subset ``FDnnn`` is three whitespace-separated text files, each optionally gzipped: ``train_FDnnn.txt`` (units run
to failure), ``test_FDnnn.txt`` (units cut short) and ``RUL_FDnnn.txt`` (the true RUL after each test unit's last
cycle, in unit order). Each data row holds 26 numbers: unit, cycle, 3 operating settings, 21 sensors. Anything else
is refused with the file and line, never read around.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from zhizao.errors import InputError
from zhizao.maintenance.rul.history import History

SETTINGS = ("setting_1", "setting_2", "setting_3")
SENSORS = tuple(f"sensor_{i}" for i in range(1, 22))
SIGNALS = SETTINGS + SENSORS
N_COLUMNS = 2 + len(SIGNALS)
SUBSET_PATTERN = re.compile(r"FD\d{3}")


@dataclass(frozen=True, slots=True)
class CmapssSubset:
    name: str
    folder: Path
    train: list[History]
    test: list[History]
    test_rul: NDArray[np.float64]  # true RUL after each test unit's last cycle, in the order of ``test``


def check_subset_name(subset: str) -> str:
    name = subset.strip().upper()
    if not SUBSET_PATTERN.fullmatch(name):
        raise InputError.for_field("subset", f"{subset!r} is not a C-MAPSS subset name like FD001")
    return name


def subset_file(folder: Path, kind: str, subset: str) -> Path:
    """``kind_subset.txt`` or its ``.gz``; a clear error naming both when neither is there."""
    plain = folder / f"{kind}_{subset}.txt"
    for candidate in (plain, plain.with_name(plain.name + ".gz")):
        if candidate.is_file():
            return candidate
    raise InputError.for_field("data", f"{folder}: no {plain.name} or {plain.name}.gz for subset {subset}")


def _read_lines(path: Path) -> list[str]:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="ascii") as handle:
                return handle.read().splitlines()
        return path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError.for_field("data", f"{path}: cannot be read as text ({exc})") from exc


def read_table(path: Path, n_columns: int) -> NDArray[np.float64]:
    """Rows of exactly ``n_columns`` finite numbers (blank lines skipped)."""
    rows: list[list[float]] = []
    for number, line in enumerate(_read_lines(path), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != n_columns:
            raise InputError.for_field(
                "data", f"{path.name} line {number}: {len(fields)} columns, expected {n_columns}"
            )
        try:
            row = [float(field) for field in fields]
        except ValueError as exc:
            raise InputError.for_field("data", f"{path.name} line {number}: not a number ({exc})") from exc
        if not all(np.isfinite(row)):
            raise InputError.for_field("data", f"{path.name} line {number}: missing or non-finite value")
        rows.append(row)
    if not rows:
        raise InputError.for_field("data", f"{path.name}: no data rows")
    return np.asarray(rows, dtype=np.float64)


def histories_from_table(table: NDArray[np.float64], source: str) -> list[History]:
    """Split a 26-column table into one history per unit, in order of first appearance."""
    units = table[:, 0]
    if np.any(units != np.round(units)):
        raise InputError.for_field("data", f"{source}: unit numbers must be whole numbers")
    order: list[float] = list(dict.fromkeys(units.tolist()))
    histories = []
    for unit in order:
        rows = table[units == unit]
        label = str(int(unit))
        if np.any(np.diff(rows[:, 1]) <= 0):
            raise InputError.for_field("data", f"{source}: unit {label}: cycles do not strictly increase")
        histories.append(History(label, rows[:, 1].copy(), SIGNALS, rows[:, 2:].copy()))
    return histories


def load_histories(path: Path) -> list[History]:
    return histories_from_table(read_table(path, N_COLUMNS), path.name)


def load_subset(folder: Path | str, subset: str) -> CmapssSubset:
    """Train and test histories and the test truth of one subset, checked for shape and consistency."""
    root = Path(folder)
    name = check_subset_name(subset)
    if not root.is_dir():
        raise InputError.for_field("data", f"{root}: no such folder")
    train_path, test_path, rul_path = (subset_file(root, kind, name) for kind in ("train", "test", "RUL"))
    train = load_histories(train_path)
    test = load_histories(test_path)
    truth = read_table(rul_path, 1)[:, 0]
    if truth.size != len(test):
        raise InputError.for_field("data", f"{rul_path.name}: {truth.size} true RUL values for {len(test)} test units")
    if np.any(truth < 0):
        raise InputError.for_field("data", f"{rul_path.name}: a true RUL is negative")
    return CmapssSubset(name, root, train, test, truth)

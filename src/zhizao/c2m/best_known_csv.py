"""The ``best_known.csv`` files beside public benchmark instances: one row per instance with its best-known value
(a column named by the benchmark) and ``is_optimal``; other columns are ignored."""

from __future__ import annotations

import csv
from pathlib import Path

from zhizao.errors import InputError


def read_best_known_rows(path: Path, column: str, what: str) -> dict[str, tuple[int, bool]]:
    """instance → (best-known value, proven optimal); InputError naming the line of a bad row."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError.for_field("best_known", f"cannot read {path}: {exc}") from exc
    known = {}
    for number, row in enumerate(rows, start=2):
        name, text = row.get("instance"), row.get(column)
        if not name or not text:
            raise InputError.for_field(f"line {number}", f"instance and {column} are needed (in {path})")
        try:
            value = int(text)
        except ValueError:
            raise InputError.for_field(f"line {number}", f"{text!r} is not {what} (in {path})") from None
        known[name.strip()] = (value, (row.get("is_optimal") or "").strip().lower() in {"true", "1", "yes"})
    return known

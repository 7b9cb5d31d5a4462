"""One unit's history: what the RUL model reads, whether from a benchmark file or from live equipment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from zhizao.errors import InputError


@dataclass(frozen=True, slots=True, eq=False)
class History:
    """Cycle-by-cycle readings of one unit, oldest first.

    ``values[i, j]`` is signal ``signals[j]`` at cycle ``cycles[i]``. Cycles count operating cycles since the unit
    entered service (the model uses the count itself as a feature), so they must strictly increase.
    """

    unit: str
    cycles: NDArray[np.float64]
    signals: tuple[str, ...]
    values: NDArray[np.float64]

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape != (self.cycles.size, len(self.signals)):
            raise InputError.for_field(
                "values",
                f"unit {self.unit}: values have shape {self.values.shape}, "
                f"expected ({self.cycles.size}, {len(self.signals)}) (cycles × signals)",
            )
        if len(set(self.signals)) != len(self.signals):
            raise InputError.for_field("signals", f"unit {self.unit}: signal names repeat")
        if self.cycles.size and np.any(np.diff(self.cycles) <= 0):
            raise InputError.for_field("cycles", f"unit {self.unit}: cycles must strictly increase")

    @property
    def n_cycles(self) -> int:
        return int(self.cycles.size)

    def head(self, n: int) -> History:
        """The first ``n`` cycles (a history cut short, as if observed up to then)."""
        return History(self.unit, self.cycles[:n], self.signals, self.values[:n])

    def select(self, names: tuple[str, ...]) -> NDArray[np.float64]:
        """The columns ``names`` in that order; a clear error naming every signal this history lacks."""
        index = {name: j for j, name in enumerate(self.signals)}
        missing = [name for name in names if name not in index]
        if missing:
            raise InputError.for_field(
                "signals",
                f"unit {self.unit} lacks the signal(s) the model was trained on: {', '.join(missing)}",
            )
        columns = self.values[:, [index[name] for name in names]]
        if not np.isfinite(columns).all():
            bad = [names[j] for j in range(len(names)) if not np.isfinite(columns[:, j]).all()]
            raise InputError.for_field("values", f"unit {self.unit}: missing or non-finite values in {', '.join(bad)}")
        return np.asarray(columns, dtype=np.float64)

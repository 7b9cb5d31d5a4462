"""Training targets: piecewise-linear RUL (flat at the cap while the engine is still healthy, then linear to 0).

Pure: no I/O. The cap reflects that early in life nothing in the signals tells 300 cycles left from 200; a linear
target there would only teach the model noise. 125 is the value the C-MAPSS literature uses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

DEFAULT_CAP = 125.0


def run_to_failure_rul(n_cycles: int, *, cap: float | None = DEFAULT_CAP) -> NDArray[np.float64]:
    """RUL at each of ``n_cycles`` observed cycles of a unit that failed after its last one (the last reads 0)."""
    return remaining_rul(n_cycles, 0.0, cap=cap)


def remaining_rul(n_cycles: int, final_rul: float, *, cap: float | None = DEFAULT_CAP) -> NDArray[np.float64]:
    """RUL at each cycle of a history whose last cycle has ``final_rul`` cycles left (a truncated test unit)."""
    if n_cycles < 0:
        raise ValueError(f"n_cycles must be ≥ 0, got {n_cycles}")
    if final_rul < 0:
        raise ValueError(f"final_rul must be ≥ 0, got {final_rul}")
    if cap is not None and cap <= 0:
        raise ValueError(f"cap must be > 0, got {cap}")
    rul = final_rul + np.arange(n_cycles - 1, -1, -1, dtype=np.float64)
    return cap_rul(rul, cap)


def cap_rul(rul: NDArray[np.float64], cap: float | None = DEFAULT_CAP) -> NDArray[np.float64]:
    """``min(rul, cap)``; ``cap=None`` leaves the values as they are."""
    values = np.asarray(rul, dtype=np.float64)
    return values.copy() if cap is None else np.minimum(values, cap)

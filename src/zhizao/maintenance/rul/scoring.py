"""Accuracy of RUL predictions: RMSE and the PHM08 challenge score. Pure: no I/O.

The PHM08 score punishes late predictions (predicted RUL above the truth: the engine fails before maintenance) more
than early ones: with d = predicted − true, each unit adds exp(−d/13) − 1 when d < 0 and exp(d/10) − 1 when d ≥ 0.
Lower is better; it is a sum, so it grows with the number of units.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARLY_SCALE = 13.0
LATE_SCALE = 10.0


def _pair(predicted: ArrayLike, true: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    p = np.asarray(predicted, dtype=np.float64).ravel()
    t = np.asarray(true, dtype=np.float64).ravel()
    if p.shape != t.shape:
        raise ValueError(f"predicted and true differ in length: {p.size} vs {t.size}")
    if p.size == 0:
        raise ValueError("no predictions to score")
    if not (np.isfinite(p).all() and np.isfinite(t).all()):
        raise ValueError("predictions and truth must be finite numbers")
    return p, t


def rmse(predicted: ArrayLike, true: ArrayLike) -> float:
    p, t = _pair(predicted, true)
    return float(np.sqrt(np.mean((p - t) ** 2)))


def phm08_terms(predicted: ArrayLike, true: ArrayLike) -> NDArray[np.float64]:
    """Each unit's share of the PHM08 score."""
    p, t = _pair(predicted, true)
    d = p - t
    return np.where(d < 0, np.expm1(-d / EARLY_SCALE), np.expm1(d / LATE_SCALE))


def phm08_score(predicted: ArrayLike, true: ArrayLike) -> float:
    return float(np.sum(phm08_terms(predicted, true)))


def coverage(lower: ArrayLike, upper: ArrayLike, true: ArrayLike) -> float:
    """Share of truths inside their closed interval [lower, upper]."""
    lo, t = _pair(lower, true)
    hi, _ = _pair(upper, true)
    return float(np.mean((lo <= t) & (t <= hi)))

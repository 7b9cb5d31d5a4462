"""Prediction intervals by conformal prediction. Pure: no I/O.

Two forms, both on residuals of units the model did not train on (never test units):
- split conformal: one model, one held-out calibration set; [ŷ − q, ŷ + q] with q the ⌈(n+1)(1−α)⌉-th smallest
  absolute residual covers a new exchangeable case with probability ≥ 1 − α.
- CV+ (Barber, Candès, Ramdas, Tibshirani 2021): K models, each calibrated on the fold it left out; the interval is
  built from every held-out residual around the prediction of the model that did not see it. Guaranteed ≥ 1 − 2α,
  in practice close to 1 − α; it lets every training unit serve both for fitting and for calibration.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _check(coverage: float) -> None:
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be strictly between 0 and 1, got {coverage}")


def upper_rank(n: int, coverage: float) -> int:
    """1-based rank ⌈(n+1)·coverage⌉ of the conformal upper quantile; above ``n`` means the interval is unbounded."""
    _check(coverage)
    # Round first: (n+1)·coverage is often an integer that floating point lands just above.
    return math.ceil(round((n + 1) * coverage, 9))


def conformal_quantile(scores: ArrayLike, coverage: float) -> float:
    """Split-conformal threshold of absolute residuals; ``inf`` when too few scores for that coverage."""
    values = np.sort(np.asarray(scores, dtype=np.float64).ravel())
    rank = upper_rank(values.size, coverage)
    return float("inf") if rank > values.size else float(values[rank - 1])


def split_interval(
    prediction: ArrayLike, scores: ArrayLike, coverage: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    q = conformal_quantile(scores, coverage)
    centre = np.asarray(prediction, dtype=np.float64)
    return centre - q, centre + q


def cv_plus_intervals(
    fold_predictions: ArrayLike, fold_residuals: list[NDArray[np.float64]], coverage: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """CV+ intervals for m cases from ``fold_predictions`` (K folds × m cases) and each fold's held-out residuals."""
    predictions = np.atleast_2d(np.asarray(fold_predictions, dtype=np.float64))
    if predictions.shape[0] != len(fold_residuals) or predictions.shape[0] == 0:
        raise ValueError("one row of predictions per fold is needed, and at least one fold")
    residuals = np.concatenate([np.asarray(r, dtype=np.float64).ravel() for r in fold_residuals])
    fold_of = np.repeat(np.arange(len(fold_residuals)), [np.asarray(r).size for r in fold_residuals])
    n, m = residuals.size, predictions.shape[1]
    rank = upper_rank(n, coverage)
    if rank > n:
        return np.full(m, -np.inf), np.full(m, np.inf)
    centres = predictions[fold_of].T  # m × n: each residual's own fold model's prediction for each case
    # The lower end is the ⌊α(n+1)⌋-th smallest of (prediction − residual): rank n+1−⌈(1−α)(n+1)⌉, 0-based n−rank.
    low = np.partition(centres - residuals, n - rank, axis=1)[:, n - rank]
    high = np.partition(centres + residuals, rank - 1, axis=1)[:, rank - 1]
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)

"""Trailing-window statistics at every cycle of one history, in O(cycles) with cumulative sums. Pure: no I/O.

At cycle t (0-based) a window of length w covers cycles max(0, t−w+1)..t: early cycles use what there is, so a
unit observed for fewer cycles than the window still gets features (test units may be short).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

Array = NDArray[np.float64]


def _window_sums(values: Array, weights: Array, window: int) -> Array:
    """Σ over the trailing window of ``weights[:, None] * values`` at every cycle."""
    cumulative = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(weights[:, None] * values, axis=0)])
    end = np.arange(1, values.shape[0] + 1)
    start = np.maximum(0, end - window)
    return np.asarray(cumulative[end] - cumulative[start], dtype=np.float64)


def window_count(n: int, window: int) -> Array:
    end = np.arange(1, n + 1, dtype=np.float64)
    return np.minimum(end, float(window))


def rolling_mean_std_slope(values: Array, window: int) -> tuple[Array, Array, Array]:
    """Mean, population standard deviation and least-squares slope per cycle over each trailing window.

    The slope of a single point is 0 (no trend can be seen yet), not a division by zero.
    """
    if window < 1:
        raise ValueError(f"window must be ≥ 1, got {window}")
    n = values.shape[0]
    index = np.arange(n, dtype=np.float64)
    ones = np.ones(n)
    count = window_count(n, window)[:, None]
    sum_x = _window_sums(values, ones, window)
    sum_xx = _window_sums(values * values, ones, window)
    sum_ix = _window_sums(values, index, window)
    sum_i = _window_sums(index[:, None], ones, window)
    sum_ii = _window_sums((index * index)[:, None], ones, window)
    mean = sum_x / count
    variance = np.maximum(sum_xx / count - mean * mean, 0.0)
    denominator = count * sum_ii - sum_i * sum_i
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(denominator > 0, (count * sum_ix - sum_i * sum_x) / denominator, 0.0)
    return mean, np.sqrt(variance), slope


def ewma(values: Array, alpha: float) -> Array:
    """Exponentially weighted mean at every cycle, normalised by the weights seen so far (no start-up bias)."""
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    decay = [1.0, -(1.0 - alpha)]
    numerator = lfilter([1.0], decay, values, axis=0)
    denominator = lfilter([1.0], decay, np.ones(values.shape[0]))
    return np.asarray(numerator / denominator[:, None], dtype=np.float64)


def expanding_head_mean(values: Array, head: int) -> Array:
    """Mean of the first ``min(t+1, head)`` cycles at every cycle t: the unit's own early-life baseline."""
    n = values.shape[0]
    cumulative = np.cumsum(values, axis=0)
    upto = np.minimum(np.arange(n), head - 1)
    return np.asarray(cumulative[upto] / (upto + 1)[:, None], dtype=np.float64)

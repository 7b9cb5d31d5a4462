"""Forecasting next week's option mix from the weekly shares, with its error measured honestly. Pure (numpy).

Four methods, each over every option's weekly share series at once (columns of a matrix):

- ``naive``: next week = this week;
- ``mean``: next week = the mean of the weeks so far;
- ``ses``: simple exponential smoothing, level ← α·y + (1−α)·level, started at the first week;
- ``holt``: Holt's linear trend, level ← α·y + (1−α)·(level + trend), trend ← β·(level − previous level) +
  (1−β)·trend, started at the first week with no trend; next week = level + trend.

α (and β) are chosen from a small grid by the one-step-ahead squared error over the history given, pooled over all
options (a weekly share is noisy; one pair of parameters for the whole mix is steadier than one per option). A
forecast is then made coherent: shares are clipped to [0, 1], and in a family where at most one option is chosen the
options (and "none" when the family is optional) are scaled to add up to 1.

The error is a rolling-origin backtest: for every week t from ``min_train`` on, fit on the weeks before t, forecast
week t, and compare with what week t was; the mean absolute error over all those forecasts and options is in share
points (0.03 = 3 percentage points). The published forecast uses the method with the lowest backtest error, and the
errors of all four are shown beside it, so that the choice can be checked.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

ALPHAS = (0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
BETAS = (0.05, 0.1, 0.2, 0.4)
DEFAULT_MIN_TRAIN = 4


class Method(StrEnum):
    NAIVE = "naive"
    MEAN = "mean"
    SES = "ses"
    HOLT = "holt"


@dataclass(frozen=True, slots=True)
class Fitted:
    method: Method
    forecast: np.ndarray  # per column, before making it coherent
    alpha: float | None = None
    beta: float | None = None


@dataclass(frozen=True, slots=True)
class Backtest:
    method: Method
    mae: float | None  # None: too little history for a single forecast to check
    forecasts: int  # forecasts checked (weeks × options)


def ses_path(y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(one-step forecasts for weeks 1…T−1, forecast for week T) of simple exponential smoothing."""
    level = y[0].copy()
    steps = []
    for row in y[1:]:
        steps.append(level.copy())
        level = alpha * row + (1 - alpha) * level
    return np.array(steps).reshape(len(y) - 1, y.shape[1]), level


def holt_path(y: np.ndarray, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """(one-step forecasts for weeks 1…T−1, forecast for week T) of Holt's linear trend."""
    level, trend = y[0].copy(), np.zeros(y.shape[1])
    steps = []
    for row in y[1:]:
        steps.append(level + trend)
        previous = level
        level = alpha * row + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
    return np.array(steps).reshape(len(y) - 1, y.shape[1]), level + trend


def fit(y: np.ndarray, method: Method) -> Fitted:
    """The next row's forecast of ``y`` (weeks × columns, no NaN) by ``method``, parameters chosen on ``y``."""
    if len(y) == 0:
        raise ValueError("no history to forecast from")
    if method is Method.NAIVE:
        return Fitted(method, y[-1].copy())
    if method is Method.MEAN:
        return Fitted(method, y.mean(axis=0))
    if method is Method.SES:
        best = min(ALPHAS, key=lambda alpha: _sse(y, ses_path(y, alpha)[0]))
        return Fitted(method, ses_path(y, best)[1], alpha=best)
    pairs = list(itertools.product(ALPHAS, BETAS))
    alpha, beta = min(pairs, key=lambda pair: _sse(y, holt_path(y, *pair)[0]))
    return Fitted(method, holt_path(y, alpha, beta)[1], alpha=alpha, beta=beta)


def _sse(y: np.ndarray, one_step: np.ndarray) -> float:
    return float(((y[1:] - one_step) ** 2).sum())


def coherent(forecast: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Clipped to [0, 1]; each group (the columns of a single-choice family, its "none" included) scaled to add up
    to 1, or spread evenly when every share was clipped to 0."""
    result: np.ndarray = np.clip(forecast, 0.0, 1.0)
    for group in groups:
        if not group:
            continue
        columns = list(group)
        total = result[columns].sum()
        result[columns] = result[columns] / total if total > 0 else 1.0 / len(columns)
    return result


def backtest(
    y: np.ndarray,
    method: Method,
    groups: Sequence[Sequence[int]],
    scored: Sequence[int],
    min_train: int = DEFAULT_MIN_TRAIN,
) -> Backtest:
    """Rolling-origin mean absolute error of the coherent forecasts of the ``scored`` columns."""
    errors = []
    for origin in range(max(1, min_train), len(y)):
        predicted = coherent(fit(y[:origin], method).forecast, groups)
        errors.append(np.abs(predicted[list(scored)] - y[origin, list(scored)]))
    if not errors:
        return Backtest(method, None, 0)
    stacked = np.concatenate(errors)
    return Backtest(method, float(stacked.mean()), int(stacked.size))


@dataclass(frozen=True, slots=True)
class MixForecast:
    method: Method
    shares: np.ndarray  # coherent forecast per column
    alpha: float | None
    beta: float | None
    backtests: tuple[Backtest, ...]  # every method's, in Method order

    @property
    def mae(self) -> float | None:
        return next(test.mae for test in self.backtests if test.method is self.method)


def forecast_mix(
    y: np.ndarray, groups: Sequence[Sequence[int]], scored: Sequence[int], min_train: int = DEFAULT_MIN_TRAIN
) -> MixForecast:
    """Backtest every method, then forecast with the one whose backtest error is lowest (``ses`` when no method can
    be backtested yet)."""
    tests = tuple(backtest(y, method, groups, scored, min_train) for method in Method)
    measured = [test for test in tests if test.mae is not None]
    chosen = min(measured, key=lambda test: test.mae or 0.0).method if measured else Method.SES
    fitted = fit(y, chosen)
    return MixForecast(chosen, coherent(fitted.forecast, groups), fitted.alpha, fitted.beta, tests)

"""From one window of features to a health score, the signals that drove it and a NAMUR NE107 status. Pure.

**Anomaly score.** The squared Mahalanobis distance of the window's standardised features ``z`` from the baseline:
``D² = (z − μ)ᵀ P (z − μ)`` with ``P`` the baseline's precision matrix. For ``p`` signals drawn from the baseline's
distribution, D² follows a χ²(p) distribution, so its quantiles are the thresholds.

**Health score** (0–100, higher is healthier), with ``c = χ²₀.₉₉(p)`` (99 % of normal windows lie below it)::

    D² ≤ c :  score = 100 − 20 · D² / c                    (100 at the centre, 80 at the 99 % boundary)
    D² > c :  score = max(0, 80 − 40 · log₁₀(D² / c))      (60 at 3.16·c, 40 at 10·c, 0 at 100·c)

The logarithm keeps the score informative over the orders of magnitude a degrading machine moves through.

**Drivers.** ``D²`` splits exactly into per-signal contributions ``cⱼ = dⱼ · (P d)ⱼ`` (``d = z − μ``; they sum to
D²), reported with each driver. Between correlated signals this split can be negative for a signal that is itself
far off (it is "explained" by its partner), so the drivers are chosen by their own deviation: the signals with a
robust |z| of at least ``DRIVER_Z``, largest first; when none is (the anomaly is a broken correlation, each signal
within its own range), the signals with a positive contribution of at least ``DRIVER_MIN_SHARE`` of D². At most
``MAX_DRIVERS``. Within the normal limit (D² ≤ c) there are no drivers: naming signals there would point at noise.

**NE107 status**, the first that applies (``decide``, table-driven tests):

1. failure — the machine reports MachineryItemState OutOfService;
2. check function — the machine is in Maintenance or Setup mode, or a baseline signal has no data in the window;
3. out of specification — a signal's window value lies beyond its baseline range by more than the range's width
   (below ``low − (high − low)`` or above ``high + (high − low)``);
4. maintenance required — score below ``MAINTENANCE_BELOW``;
5. normal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import chi2

from zhizao.maintenance.health.baseline import Baseline
from zhizao.maintenance.health.kinds import HealthStatus
from zhizao.maintenance.health.windows import CHECK_MODES
from zhizao.telemetry.machinery import MachineryItemState

NORMAL_QUANTILE = 0.99
MAINTENANCE_BELOW = 60.0  # score; = D² above 10^0.5 · χ²₀.₉₉(p)
DRIVER_Z = 3.0
DRIVER_MIN_SHARE = 0.15
MAX_DRIVERS = 5


def normal_limit(p: int) -> float:
    """χ²₀.₉₉(p): the D² that 99 % of windows of the baseline's distribution stay under."""
    return float(chi2.ppf(NORMAL_QUANTILE, p))


def mahalanobis_sq(z: Sequence[float], location: Sequence[float], precision: Sequence[Sequence[float]]) -> float:
    d = np.asarray(z, dtype=np.float64) - np.asarray(location, dtype=np.float64)
    return float(d @ np.asarray(precision, dtype=np.float64) @ d)


def contributions(z: Sequence[float], location: Sequence[float], precision: Sequence[Sequence[float]]) -> list[float]:
    """Each signal's share of D² (``dⱼ · (P d)ⱼ``); they sum to D²."""
    d = np.asarray(z, dtype=np.float64) - np.asarray(location, dtype=np.float64)
    return [float(v) for v in d * (np.asarray(precision, dtype=np.float64) @ d)]


def health_score(d2: float, p: int) -> float:
    """The 0–100 health score of a squared Mahalanobis distance over ``p`` signals (see the module docstring)."""
    if d2 < 0 or math.isnan(d2):
        raise ValueError(f"a squared distance is never negative or NaN: {d2}")
    limit = normal_limit(p)
    if d2 <= limit:
        return 100.0 - 20.0 * d2 / limit
    return max(0.0, 80.0 - 40.0 * math.log10(d2 / limit))


@dataclass(frozen=True, slots=True)
class Driver:
    signal: str
    contribution: float  # share of D²
    z: float  # robust z-score of the window value: (value − median) / scale
    value: float
    median: float

    @property
    def direction(self) -> str:
        return "up" if self.value >= self.median else "down"


def pick_drivers(candidates: Sequence[Driver]) -> list[Driver]:
    far = sorted((d for d in candidates if abs(d.z) >= DRIVER_Z), key=lambda d: -abs(d.z))
    if far:
        return far[:MAX_DRIVERS]
    total = sum(d.contribution for d in candidates)
    shares = [d for d in candidates if d.contribution > 0 and d.contribution >= DRIVER_MIN_SHARE * total]
    return sorted(shares, key=lambda d: -d.contribution)[:MAX_DRIVERS]


def out_of_range(value: float, low: float, high: float) -> bool:
    """Beyond the baseline range by more than its width (see the module docstring)."""
    width = high - low
    return value < low - width or value > high + width


@dataclass(frozen=True, slots=True)
class Condition:
    """What ``decide`` looks at, so that its table can be tested on its own."""

    state: int | None  # MachineryItemState code; None: no state signal
    mode: int | None  # OperationMode code; None: no mode signal
    missing: bool  # a baseline signal had no data in the window
    out_of_spec: bool
    score: float | None


def decide(condition: Condition) -> HealthStatus:
    if condition.state == MachineryItemState.OUT_OF_SERVICE:
        return HealthStatus.FAILURE
    if condition.mode in CHECK_MODES or condition.missing:
        return HealthStatus.CHECK_FUNCTION
    if condition.score is None:
        return HealthStatus.NOT_ENOUGH_DATA
    if condition.out_of_spec:
        return HealthStatus.OUT_OF_SPECIFICATION
    if condition.score < MAINTENANCE_BELOW:
        return HealthStatus.MAINTENANCE_REQUIRED
    return HealthStatus.NORMAL


@dataclass(frozen=True, slots=True)
class Assessment:
    status: HealthStatus
    score: float | None
    d2: float | None
    drivers: list[Driver] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    out_of_spec: list[str] = field(default_factory=list)


def assess(
    baseline: Baseline, values: Mapping[str, float | None], *, state: int | None = None, mode: int | None = None
) -> Assessment:
    """Assess one window: ``values`` holds the window's feature of each baseline signal (None: no data)."""
    missing = [name for name in baseline.signals if values.get(name) is None]
    # The baseline describes the machine at work: a failed machine, one being set up or maintained, or a window
    # without all its signals gets a status, never a score.
    if missing or state == MachineryItemState.OUT_OF_SERVICE or mode in CHECK_MODES:
        status = decide(Condition(state, mode, bool(missing), False, None))
        return Assessment(status, None, None, missing=missing)
    x = [float(values[name]) for name in baseline.signals]  # type: ignore[arg-type]  # none missing, checked
    z = [(v - m) / s for v, m, s in zip(x, baseline.median, baseline.scale, strict=True)]
    d2 = max(0.0, mahalanobis_sq(z, baseline.location, baseline.precision))
    score = health_score(d2, len(x))
    parts = contributions(z, baseline.location, baseline.precision)
    # Within the normal limit nothing drove the score: naming signals there would point at noise.
    drivers = (
        []
        if d2 <= normal_limit(len(x))
        else pick_drivers(
            [
                Driver(name, part, zj, v, m)
                for name, part, zj, v, m in zip(baseline.signals, parts, z, x, baseline.median, strict=True)
            ]
        )
    )
    beyond = [
        name
        for name, v, lo, hi in zip(baseline.signals, x, baseline.low, baseline.high, strict=True)
        if out_of_range(v, lo, hi)
    ]
    status = decide(Condition(state, mode, False, bool(beyond), score))
    return Assessment(status, score, d2, drivers, [], beyond)

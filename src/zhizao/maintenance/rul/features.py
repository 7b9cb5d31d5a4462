"""From raw histories to feature rows: operating-condition normalisation, signal selection, windowed features.

- Operating conditions: several regimes (FD002 has six: altitude, Mach number, throttle) shift every sensor far more
  than wear does. The condition signals are clustered (k-means, k chosen by silhouette, and only when the clusters
  are clearly separated, else one condition), and each sensor is standardised per condition with training means
  and standard deviations, so what remains is the drift due to wear.
- Signal selection: a signal with no variation left after normalisation (constant, or fixed by the condition) is
  dropped and listed in ``dropped``; it can neither crash a division nor silently weigh in the model.
- Windowed features at every cycle, per kept signal: trailing means, standard deviation and slopes over each
  window, exponentially weighted means, the drift from the unit's own first cycles; plus the cycle count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from zhizao.errors import InputError
from zhizao.maintenance.rul.history import History
from zhizao.maintenance.rul.windows import ewma, expanding_head_mean, rolling_mean_std_slope

Array = NDArray[np.float64]

# A standard deviation below this (relative to the signal's magnitude) counts as no variation at all.
RELATIVE_TOLERANCE = 1e-9
MAX_CONDITIONS = 8
# Clusters of operating settings count as distinct conditions only when this well separated (silhouette in [-1, 1]).
SEPARATED_SILHOUETTE = 0.9


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    windows: tuple[int, ...] = (5, 10, 20, 30)
    std_window: int = 30
    ewma_alphas: tuple[float, ...] = (0.05, 0.1, 0.3)
    baseline_cycles: int = 20
    include_cycle: bool = True

    def __post_init__(self) -> None:
        if not self.windows or min(self.windows) < 1 or self.std_window < 2 or self.baseline_cycles < 1:
            raise InputError.for_field("window", "windows must be ≥ 1 cycle (the std window ≥ 2)")

    @property
    def window(self) -> int:
        return max(self.windows)


def _constant(column: Array) -> bool:
    scale = max(float(np.max(np.abs(column))), 1.0)
    return float(np.std(column)) <= RELATIVE_TOLERANCE * scale


@dataclass(slots=True)
class Conditions:
    """Operating conditions as clusters of the condition signals; one condition when they do not separate."""

    signals: tuple[str, ...]
    centre: Array = field(default_factory=lambda: np.zeros(0))
    scale: Array = field(default_factory=lambda: np.ones(0))
    centroids: Array = field(default_factory=lambda: np.zeros((1, 0)))

    @property
    def count(self) -> int:
        return int(self.centroids.shape[0])

    def fit(self, settings: Array, seed: int) -> Conditions:
        varying = [j for j in range(settings.shape[1]) if not _constant(settings[:, j])]
        if not varying:
            self.centre, self.scale, self.centroids = np.zeros(0), np.ones(0), np.zeros((1, 0))
            self.signals = ()
            return self
        self.signals = tuple(self.signals[j] for j in varying)
        x = settings[:, varying]
        self.centre, self.scale = x.mean(axis=0), x.std(axis=0)
        z = (x - self.centre) / self.scale
        rng = np.random.default_rng(seed)
        sample = z[rng.choice(z.shape[0], size=min(z.shape[0], 3000), replace=False)]
        best, best_score = np.zeros((1, z.shape[1])), SEPARATED_SILHOUETTE
        # k-means warns (and finds nothing new) asking for more clusters than there are distinct points.
        distinct = len(np.unique(np.round(sample, 9), axis=0))
        for k in range(2, min(MAX_CONDITIONS, distinct) + 1):
            kmeans = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(sample)
            if len(set(kmeans.labels_.tolist())) < 2:
                continue
            score = float(silhouette_score(sample, kmeans.labels_))
            if score > best_score + 1e-3:
                best, best_score = kmeans.cluster_centers_, score
        self.centroids = np.asarray(best, dtype=np.float64)
        return self

    def assign(self, settings: Array) -> NDArray[np.int64]:
        if self.count == 1:
            return np.zeros(settings.shape[0], dtype=np.int64)
        z = (settings - self.centre) / self.scale
        distances = ((z[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        return np.asarray(np.argmin(distances, axis=1), dtype=np.int64)


@dataclass(slots=True)
class FeatureMaker:
    """Fitted on training histories; turns any history with the same signals into one feature row per cycle."""

    condition_signals: tuple[str, ...]
    sensor_signals: tuple[str, ...]
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    conditions: Conditions | None = None
    kept: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    mean: Array = field(default_factory=lambda: np.zeros((0, 0)))
    std: Array = field(default_factory=lambda: np.ones((0, 0)))

    @property
    def required_signals(self) -> tuple[str, ...]:
        """What a history must carry to be scored (the dropped signals are not needed)."""
        assert self.conditions is not None, "fit first"
        return self.conditions.signals + self.kept

    def fit(self, histories: list[History], *, seed: int = 0) -> FeatureMaker:
        if not histories:
            raise InputError.for_field("histories", "no training histories")
        settings = np.vstack([h.select(self.condition_signals) for h in histories])
        sensors = np.vstack([h.select(self.sensor_signals) for h in histories])
        self.conditions = Conditions(self.condition_signals).fit(settings, seed)
        labels = self.conditions.assign(settings[:, [self.condition_signals.index(s) for s in self.conditions.signals]])
        k, p = self.conditions.count, len(self.sensor_signals)
        mean, std = np.zeros((k, p)), np.ones((k, p))
        for c in range(k):
            rows = sensors[labels == c]
            if rows.shape[0] == 0:
                continue
            mean[c], std[c] = rows.mean(axis=0), rows.std(axis=0)
        varies = [
            any(not _constant(sensors[labels == c][:, j]) for c in range(k) if np.any(labels == c)) for j in range(p)
        ]
        self.kept = tuple(s for s, v in zip(self.sensor_signals, varies, strict=True) if v)
        self.dropped = tuple(s for s, v in zip(self.sensor_signals, varies, strict=True) if not v)
        if not self.kept:
            raise InputError.for_field("signals", "every sensor signal is constant: nothing to learn RUL from")
        keep = [self.sensor_signals.index(s) for s in self.kept]
        # A sensor constant within one condition but not in another: unit scale there, so it reads 0, never ±inf.
        self.mean, self.std = mean[:, keep], np.where(std[:, keep] > 0, std[:, keep], 1.0)
        return self

    def normalise(self, history: History) -> Array:
        assert self.conditions is not None, "fit first"
        labels = self.conditions.assign(history.select(self.conditions.signals))
        return np.asarray((history.select(self.kept) - self.mean[labels]) / self.std[labels], dtype=np.float64)

    @property
    def feature_names(self) -> tuple[str, ...]:
        s = self.spec
        per_signal = [f"mean{w}" for w in s.windows] + [f"slope{w}" for w in s.windows if w > 2]
        per_signal += [f"std{s.std_window}"] + [f"ewma{a:g}" for a in s.ewma_alphas] + ["drift"]
        names = [f"{signal}.{kind}" for kind in per_signal for signal in self.kept]
        names += [f"health.{kind}" for kind in ("slope30", "ewma0.1", "drift")]
        return (*names, "cycle") if s.include_cycle else tuple(names)

    def transform(self, history: History) -> Array:
        """Feature rows at every cycle of ``history`` (row t uses cycles up to t only)."""
        if history.n_cycles == 0:
            raise InputError.for_field("history", f"unit {history.unit}: no cycles (not enough data)")
        z = self.normalise(history)
        s = self.spec
        blocks: list[Array] = []
        slopes: list[Array] = []
        for w in s.windows:
            mean, _, slope = rolling_mean_std_slope(z, w)
            blocks.append(mean)
            if w > 2:
                slopes.append(slope)
        blocks += slopes
        blocks.append(rolling_mean_std_slope(z, s.std_window)[1])
        smooth = [ewma(z, a) for a in s.ewma_alphas]
        blocks += smooth
        drift = ewma(z, 0.1) - expanding_head_mean(z, s.baseline_cycles)
        blocks.append(drift)
        # A crude health index: the mean of the signals' drift (sign-free via |.|), so one feature sees them all.
        health = np.abs(z).mean(axis=1, keepdims=True)
        blocks += [
            rolling_mean_std_slope(health, 30)[2],
            ewma(health, 0.1),
            np.abs(drift).mean(axis=1, keepdims=True),
        ]
        if s.include_cycle:
            blocks.append(history.cycles[:, None].astype(np.float64))
        return np.hstack(blocks)

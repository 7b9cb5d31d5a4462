"""``RulModel``: K gradient-boosted models on windowed features, one per group fold of training units.

Why K models: each is fitted on the other folds' units and scored on its own, so the training units give both an
honest validation error (nothing from the test set chooses anything) and CV+ prediction intervals; the point
prediction is their mean, which also averages away some of their variance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from zhizao.errors import InputError
from zhizao.maintenance.rul.conformal import cv_plus_intervals, split_interval
from zhizao.maintenance.rul.features import FeatureMaker, FeatureSpec
from zhizao.maintenance.rul.history import History
from zhizao.maintenance.rul.labels import DEFAULT_CAP, run_to_failure_rul
from zhizao.maintenance.rul.scoring import coverage as coverage_of
from zhizao.maintenance.rul.scoring import rmse

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    cap: float = DEFAULT_CAP
    folds: int = 5
    coverage: float = 0.9
    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    l2_regularization: float = 1.0
    # Consecutive cycles are near-duplicate rows: every ``row_stride``-th one teaches as much at a fraction of the time.
    row_stride: int = 2
    # Calibration: histories cut at this many random cycles per held-out unit, as a test unit is cut before failure.
    cuts_per_unit: int = 10
    min_cycles: int = 1
    seed: int = 0
    # OpenMP threads per model. One: on a shared machine, boosting with threads that wait on busy cores ran 10–50×
    # slower than on one thread (measured on the 2-core CI machine under load).
    threads: int = 1

    def __post_init__(self) -> None:
        if self.folds < 2:
            raise InputError.for_field("folds", "at least 2 folds are needed for held-out calibration")
        if not 0 < self.coverage < 1:
            raise InputError.for_field("coverage", "coverage must be strictly between 0 and 1")


@dataclass(frozen=True, slots=True)
class RulPrediction:
    """RUL after the last cycle seen, with a conformal interval that holds the (capped) truth with ``coverage``.

    ``upper`` equal to the cap reads "the cap or more": the model is trained on RUL capped at ``cap``.
    """

    unit: str
    cycles: int
    rul: float
    lower: float
    upper: float
    coverage: float


@dataclass(frozen=True, slots=True)
class Validation:
    """Held-out (out-of-fold) figures on the training units at the calibration cuts."""

    units: int
    cases: int
    rmse: float
    coverage: float
    mean_width: float


@dataclass(slots=True)
class RulModel:
    condition_signals: tuple[str, ...]
    sensor_signals: tuple[str, ...]
    spec: ModelSpec = field(default_factory=ModelSpec)
    features: FeatureSpec = field(default_factory=FeatureSpec)
    description: str = ""
    maker: FeatureMaker | None = None
    models: list[HistGradientBoostingRegressor] = field(default_factory=list)
    residuals: list[Array] = field(default_factory=list)
    validation: Validation | None = None
    training_units: int = 0
    training_seconds: float = 0.0

    @property
    def fitted(self) -> bool:
        return self.maker is not None and bool(self.models)

    def fit(self, histories: list[History]) -> RulModel:
        with threadpool_limits(limits=self.spec.threads, user_api="openmp"):
            return self._fit(histories)

    def _fit(self, histories: list[History]) -> RulModel:
        spec = self.spec
        short = [h.unit for h in histories if h.n_cycles < max(spec.min_cycles, 2)]
        if short:
            raise InputError.for_field("histories", f"not enough data: unit(s) {', '.join(short[:5])} too short")
        if len(histories) < spec.folds:
            raise InputError.for_field(
                "histories", f"not enough data: {len(histories)} units for {spec.folds} folds of held-out units"
            )
        started = time.perf_counter()
        maker = FeatureMaker(self.condition_signals, self.sensor_signals, self.features).fit(histories, seed=spec.seed)
        rows = [maker.transform(h) for h in histories]
        targets = [run_to_failure_rul(h.n_cycles, cap=spec.cap) for h in histories]
        rng = np.random.default_rng(spec.seed)
        cuts = [self._cuts(h.n_cycles, rng) for h in histories]
        splits = list(GroupKFold(n_splits=spec.folds).split(np.zeros(len(histories)), groups=np.arange(len(histories))))
        # Every unit's calibration cases (its history cut at random cycles), scored by every fold model at once.
        cases = np.vstack([rows[u][cuts[u]] for u in range(len(histories))])
        truth = np.concatenate([targets[u][cuts[u]] for u in range(len(histories))])
        case_unit = np.repeat(np.arange(len(histories)), [c.size for c in cuts])
        self.models = []
        for k, (train_units, _) in enumerate(splits):
            x = np.vstack([rows[u][:: spec.row_stride] for u in train_units])
            y = np.concatenate([targets[u][:: spec.row_stride] for u in train_units])
            self.models.append(self._regressor(spec.seed + k).fit(x, y))
        scored = np.stack([self._clip(m.predict(cases)) for m in self.models])  # folds × cases
        fold_of_unit = np.zeros(len(histories), dtype=np.int64)
        for k, (_, held_units) in enumerate(splits):
            fold_of_unit[held_units] = k
        case_fold = fold_of_unit[case_unit]
        held = scored[case_fold, np.arange(truth.size)]
        self.residuals = [np.abs(held[case_fold == k] - truth[case_fold == k]) for k in range(spec.folds)]
        # The intervals checked on the training units: only fold k's model has not seen fold k's units, so each case
        # gets a split-conformal interval around that model from the other folds' residuals (CV+ would use the
        # other models, which trained on this very unit and would flatter the check).
        low, high = np.zeros(truth.size), np.zeros(truth.size)
        for k in range(spec.folds):
            mine = case_fold == k
            others = np.concatenate([self.residuals[j] for j in range(spec.folds) if j != k])
            lo, hi = split_interval(held[mine], others, spec.coverage)
            low[mine], high[mine] = np.clip(lo, 0, spec.cap), np.clip(hi, 0, spec.cap)
        self.validation = Validation(
            len(histories),
            int(truth.size),
            rmse(held, truth),
            coverage_of(low, high, truth),
            float(np.mean(high - low)),
        )
        self.maker = maker
        self.training_units = len(histories)
        self.training_seconds = time.perf_counter() - started
        return self

    def _cuts(self, n_cycles: int, rng: np.random.Generator) -> NDArray[np.int64]:
        first = min(self.spec.min_cycles, n_cycles) - 1
        return np.sort(rng.integers(first, n_cycles, size=self.spec.cuts_per_unit))

    def _regressor(self, seed: int) -> HistGradientBoostingRegressor:
        s = self.spec
        return HistGradientBoostingRegressor(
            max_iter=s.max_iter,
            learning_rate=s.learning_rate,
            max_leaf_nodes=s.max_leaf_nodes,
            min_samples_leaf=s.min_samples_leaf,
            l2_regularization=s.l2_regularization,
            early_stopping=False,
            random_state=seed,
        )

    def _clip(self, values: Array) -> Array:
        return np.clip(np.asarray(values, dtype=np.float64), 0.0, self.spec.cap)

    def predict_features(self, rows: Array) -> tuple[Array, Array, Array]:
        """Point prediction, lower and upper bound for each feature row."""
        if not self.fitted:
            raise InputError.for_field("model", "the RUL model is not fitted")
        with threadpool_limits(limits=self.spec.threads, user_api="openmp"):
            per_fold = np.stack([self._clip(m.predict(rows)) for m in self.models])
        low, high = cv_plus_intervals(per_fold, self.residuals, self.spec.coverage)
        return per_fold.mean(axis=0), np.clip(low, 0.0, self.spec.cap), np.clip(high, 0.0, self.spec.cap)

    def predict(self, history: History) -> RulPrediction:
        """RUL after the last cycle of ``history``; a clear error naming any signal it lacks."""
        return self.predict_many([history])[0]

    def predict_many(self, histories: list[History]) -> list[RulPrediction]:
        if not self.fitted:
            raise InputError.for_field("model", "the RUL model is not fitted")
        assert self.maker is not None
        too_short = [h.unit for h in histories if h.n_cycles < max(self.spec.min_cycles, 1)]
        if too_short:
            raise InputError.for_field("history", f"not enough data: unit(s) {', '.join(too_short[:5])} too short")
        rows = np.vstack([self.maker.transform(h)[-1:] for h in histories])
        point, low, high = self.predict_features(rows)
        return [
            RulPrediction(h.unit, h.n_cycles, float(p), float(lo), float(hi), self.spec.coverage)
            for h, p, lo, hi in zip(histories, point, low, high, strict=True)
        ]

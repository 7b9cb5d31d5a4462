"""The C-MAPSS protocol: fit on a subset's training units, predict after the last cycle of each test unit, score.

Per ``../shared/data/README.md``: training target capped at 125; RMSE and PHM08 against both the capped and the raw
truth; interval coverage checked against the capped truth (what the model predicts) and, for the record, the raw.
Nothing from the test units chooses anything: model selection and calibration use training units only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zhizao.maintenance.rul.cmapss import SENSORS, SETTINGS, load_subset
from zhizao.maintenance.rul.labels import cap_rul
from zhizao.maintenance.rul.model import ModelSpec, RulModel, RulPrediction, Validation
from zhizao.maintenance.rul.scoring import coverage, phm08_score, rmse


@dataclass(frozen=True, slots=True)
class Scores:
    rmse: float
    phm08: float


@dataclass(frozen=True, slots=True)
class Evaluation:
    subset: str
    train_units: int
    test_units: int
    operating_conditions: int
    dropped_signals: tuple[str, ...]
    capped: Scores
    raw: Scores
    stated_coverage: float
    observed_coverage: float
    observed_coverage_raw: float
    mean_width: float
    validation: Validation
    training_seconds: float
    seed: int

    def as_dict(self) -> dict[str, object]:
        return {
            "subset": self.subset,
            "train_units": self.train_units,
            "test_units": self.test_units,
            "operating_conditions": self.operating_conditions,
            "dropped_signals": list(self.dropped_signals),
            "capped": {"rmse": self.capped.rmse, "phm08": self.capped.phm08},
            "raw": {"rmse": self.raw.rmse, "phm08": self.raw.phm08},
            "interval": {
                "stated_coverage": self.stated_coverage,
                "observed_coverage": self.observed_coverage,
                "observed_coverage_raw": self.observed_coverage_raw,
                "mean_width": self.mean_width,
            },
            "validation": {
                "units": self.validation.units,
                "cases": self.validation.cases,
                "rmse": self.validation.rmse,
                "coverage": self.validation.coverage,
                "mean_width": self.validation.mean_width,
            },
            "training_seconds": self.training_seconds,
            "seed": self.seed,
        }


def score(
    model: RulModel, predictions: list[RulPrediction], truth: np.ndarray, *, subset: str, seed: int
) -> Evaluation:
    assert model.maker is not None and model.maker.conditions is not None and model.validation is not None
    point = np.array([p.rul for p in predictions])
    low, high = np.array([p.lower for p in predictions]), np.array([p.upper for p in predictions])
    raw = np.asarray(truth, dtype=np.float64)
    capped = cap_rul(raw, model.spec.cap)
    return Evaluation(
        subset=subset,
        train_units=model.training_units,
        test_units=len(predictions),
        operating_conditions=model.maker.conditions.count,
        dropped_signals=model.maker.dropped,
        capped=Scores(rmse(point, capped), phm08_score(point, capped)),
        raw=Scores(rmse(point, raw), phm08_score(point, raw)),
        stated_coverage=model.spec.coverage,
        observed_coverage=coverage(low, high, capped),
        observed_coverage_raw=coverage(low, high, raw),
        mean_width=float(np.mean(high - low)),
        validation=model.validation,
        training_seconds=model.training_seconds,
        seed=seed,
    )


def evaluate_subset(folder: Path | str, subset: str, *, seed: int = 0, spec: ModelSpec | None = None) -> Evaluation:
    data = load_subset(folder, subset)
    model_spec = spec or ModelSpec(seed=seed)
    model = RulModel(SETTINGS, SENSORS, model_spec, description=f"C-MAPSS {data.name} training units ({data.folder})")
    model.fit(data.train)
    predictions = model.predict_many(data.test)
    return score(model, predictions, data.test_rul, subset=data.name, seed=model_spec.seed)

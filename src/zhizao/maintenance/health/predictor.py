"""The ``Predictor`` protocol every deployed model is applied through, and the loaders that turn a registered
artefact back into one. Pure (no I/O): the observer and the services feed it window features read from the store.

A model kind other than the health baseline (``zhizao.maintenance.rul``'s ``RulModel``, the bearing diagnoser of
``zhizao.maintenance.vibration``) joins by exposing ``PREDICTOR_LOADERS: dict[str, Loader]`` in its package — the
artefact format it writes → a function from the artefact's bytes to a ``Predictor`` — or by calling
``register_loader``. ``loader_for`` imports those packages on first use, so neither side imports the other at import
time.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from zhizao.maintenance.health.baseline import FORMAT as BASELINE_FORMAT
from zhizao.maintenance.health.baseline import Baseline
from zhizao.maintenance.health.kinds import DEGRADED_STATUSES, ModelKind
from zhizao.maintenance.health.scoring import assess

# Packages that may contribute loaders (``PREDICTOR_LOADERS``); absent ones are skipped.
LOADER_PACKAGES = ("zhizao.maintenance.rul", "zhizao.maintenance.vibration")


@dataclass(frozen=True, slots=True)
class FeatureWindow:
    """What a predictor sees of one equipment: the window's mean of each signal it names (None: no data), the
    machine's OPC 40001 state and mode at the window's end, and earlier windows, oldest first."""

    equipment_id: int
    start_us: int
    end_us: int
    values: Mapping[str, float | None]
    state: int | None = None
    mode: int | None = None
    history: Sequence[Mapping[str, float | None]] = ()


@dataclass(frozen=True, slots=True)
class PredictionResult:
    value: float | None  # RUL in hours (unit "h"), a health score ("score"), a probability ("p")
    unit: str | None
    label: str | None  # a status or class, e.g. "maintenance_required", "outer_race_fault"
    alert: bool  # the model says someone should look (opens a case)
    detail: dict[str, Any] = field(default_factory=dict)


class Predictor(Protocol):
    kind: ModelKind
    signals: tuple[str, ...]  # the signal names it was trained on; the equipment must have each of them
    history_windows: int  # how many windows it needs (1: the latest only)

    def predict(self, window: FeatureWindow) -> PredictionResult: ...


Loader = Callable[[bytes], Predictor]


class BaselinePredictor:
    """A health baseline as a predictor: the value is the health score, the label the NE107 status."""

    kind = ModelKind.HEALTH_BASELINE
    history_windows = 1

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self.signals = baseline.signals

    def predict(self, window: FeatureWindow) -> PredictionResult:
        result = assess(self.baseline, window.values, state=window.state, mode=window.mode)
        return PredictionResult(
            value=result.score,
            unit="score",
            label=result.status.value,
            alert=result.status in DEGRADED_STATUSES,
            detail={
                "d2": result.d2, "missing": result.missing, "out_of_spec": result.out_of_spec,
                "drivers": [{"signal": d.signal, "contribution": d.contribution, "z": d.z} for d in result.drivers],
            },
        )  # fmt: skip


def baseline_artefact(baseline: Baseline) -> bytes:
    return json.dumps(baseline.to_json(), sort_keys=True).encode()


def load_baseline(artefact: bytes) -> Baseline:
    return Baseline.from_json(json.loads(artefact))


def _load_baseline_predictor(artefact: bytes) -> Predictor:
    return BaselinePredictor(load_baseline(artefact))


_LOADERS: dict[str, Loader] = {BASELINE_FORMAT: _load_baseline_predictor}
_searched = False


def register_loader(artefact_format: str, loader: Loader) -> None:
    _LOADERS[artefact_format] = loader


def loader_for(artefact_format: str) -> Loader | None:
    global _searched
    if artefact_format not in _LOADERS and not _searched:
        _searched = True
        for package in LOADER_PACKAGES:
            try:
                module = importlib.import_module(package)
            except ImportError:
                continue
            for name, loader in getattr(module, "PREDICTOR_LOADERS", {}).items():
                _LOADERS.setdefault(str(name), loader)
    return _LOADERS.get(artefact_format)


def known_formats() -> list[str]:
    loader_for("")  # searches the optional packages once
    return sorted(_LOADERS)

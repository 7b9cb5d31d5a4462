"""The ``Predictor`` protocol every deployed model is applied through, and the loaders that turn a registered
artefact back into one. Pure (no I/O): the observer and the services feed it window features read from the store.

A model kind other than the health baseline (``zhizao.maintenance.rul``'s ``RulModel``, the bearing diagnoser of
``zhizao.maintenance.vibration``) joins by exposing ``PREDICTOR_LOADERS: dict[str, Loader]`` in its package — the
artefact format it writes → a function from the artefact's bytes to a ``Predictor`` — or by calling
``register_loader``. ``loader_for`` imports those packages on first use, so neither side imports the other at import
time.

A format whose artefact carries a header (RUL and bearing model files: a JSON header, then a pickle) also exposes
``PREDICTOR_INSPECTORS`` (format → a function from bytes to ``ArtefactInfo``, reading the header and checking the
payload without unpickling it) and ``ARTEFACT_MAGIC`` (format → the bytes its files start with): the registry
accepts such an artefact on its header alone and unpickles it only when it is first applied, through
``restricted_loads``, which refuses any class outside the packages a model is made of.
"""

from __future__ import annotations

import importlib
import io
import json
import pickle
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


@dataclass(frozen=True, slots=True)
class ArtefactInfo:
    """What an artefact's header says, read without unpickling it."""

    kind: ModelKind
    signals: tuple[str, ...]
    metrics: dict[str, Any] = field(default_factory=dict)  # validation figures and the training data's description
    note: str = ""


Inspector = Callable[[bytes], ArtefactInfo]

# Where the classes of a pickled model may come from; anything else (os, subprocess, builtins.eval) is refused.
PICKLE_MODULES = ("numpy", "scipy", "sklearn", "zhizao.maintenance.rul", "zhizao.maintenance.vibration", "collections")
_PICKLE_BUILTINS = frozenset({"slice", "range", "complex", "frozenset", "set", "bytearray"})


class UnsafeArtefact(ValueError):
    pass


def _allowed(module: str, name: str) -> bool:
    if "." in name or (name.startswith("__") and name.endswith("__")):
        return False  # a dotted name reaches through a module to what it imported; a dunder to its internals
    if module in ("builtins", "copyreg", "_codecs"):
        return module != "builtins" or name in _PICKLE_BUILTINS
    return any(module == root or module.startswith(root + ".") for root in PICKLE_MODULES)


class _Stub:
    """Stands for every class while a pickle is checked: accepts whatever the stream does to it, runs nothing."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Stub:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class _CheckingUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if not _allowed(module, name):
            raise UnsafeArtefact(f"the payload refers to {module}.{name}")
        return _Stub


def check_pickle(payload: bytes) -> None:
    """Read the pickle through with every class replaced by a stub (nothing of the model runs): complete, naming
    only classes from ``PICKLE_MODULES``."""
    try:
        _CheckingUnpickler(io.BytesIO(payload)).load()
    except UnsafeArtefact:
        raise
    except Exception as exc:  # a truncated or garbled stream raises UnpicklingError, EOFError, ValueError, …
        raise UnsafeArtefact(f"the payload is not a complete pickle ({type(exc).__name__}: {exc})") from exc


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if not _allowed(module, name):
            raise UnsafeArtefact(f"the payload refers to {module}.{name}")
        return super().find_class(module, name)


def restricted_loads(payload: bytes) -> Any:
    """Unpickle a model whose classes all come from ``PICKLE_MODULES``; a mitigation, not a sandbox: register
    only models from people allowed to register them."""
    return _RestrictedUnpickler(io.BytesIO(payload)).load()


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
_INSPECTORS: dict[str, Inspector] = {}
_MAGIC: dict[str, bytes] = {}
_searched = False


def register_loader(artefact_format: str, loader: Loader) -> None:
    _LOADERS[artefact_format] = loader


def register_inspector(artefact_format: str, inspector: Inspector, magic: bytes | None = None) -> None:
    _INSPECTORS[artefact_format] = inspector
    if magic:
        _MAGIC[artefact_format] = magic


def _search() -> None:
    global _searched
    if _searched:
        return
    _searched = True
    for package in LOADER_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        for name, loader in getattr(module, "PREDICTOR_LOADERS", {}).items():
            _LOADERS.setdefault(str(name), loader)
        for name, inspector in getattr(module, "PREDICTOR_INSPECTORS", {}).items():
            _INSPECTORS.setdefault(str(name), inspector)
        for name, magic in getattr(module, "ARTEFACT_MAGIC", {}).items():
            _MAGIC.setdefault(str(name), bytes(magic))


def loader_for(artefact_format: str) -> Loader | None:
    if artefact_format not in _LOADERS:
        _search()
    return _LOADERS.get(artefact_format)


def inspector_for(artefact_format: str) -> Inspector | None:
    """The header reader of a format whose artefacts must be checked before they are unpickled (None: none)."""
    _search()
    return _INSPECTORS.get(artefact_format)


def detect_format(artefact: bytes) -> str | None:
    """The format whose files start as ``artefact`` does (an uploaded model file), or None."""
    _search()
    return next((name for name, magic in _MAGIC.items() if artefact.startswith(magic)), None)


def known_formats() -> list[str]:
    loader_for("")  # searches the optional packages once
    return sorted(_LOADERS)

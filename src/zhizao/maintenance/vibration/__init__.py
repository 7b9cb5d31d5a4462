"""Vibration fault diagnosis of rolling bearings: features, CWRU-style data, the diagnoser and its evaluation.

Public API: :func:`train` → :class:`BearingDiagnoser` (``predict``, ``diagnose_signal``, ``save``/``load``),
:func:`load_folder`, :func:`evaluate_folder`, :func:`defect_frequencies`. The model registry's loader and header
reader of the bearing model file (``PREDICTOR_LOADERS``, ``PREDICTOR_INSPECTORS``) live in ``vibration.online``,
imported only when the registry first asks, so this package stays free of the database.
"""

import importlib
from typing import Any

from zhizao.maintenance.vibration.classifier import MAGIC as _MAGIC
from zhizao.maintenance.vibration.classifier import (
    BearingDiagnoser,
    Diagnosis,
    Evidence,
    ModelMetadata,
    read_metadata,
    train,
)
from zhizao.maintenance.vibration.dataset import Recording, load_folder, parse_label
from zhizao.maintenance.vibration.evaluate import Evaluation, LoadResult, evaluate_folder, evaluate_recordings
from zhizao.maintenance.vibration.features import FEATURES_VERSION
from zhizao.maintenance.vibration.geometry import SKF_6205, BearingGeometry, defect_frequencies, defect_orders

BEARING_FORMAT = "zhizao-bearing-model/1"


def _load_bearing(artefact: bytes) -> Any:
    return importlib.import_module("zhizao.maintenance.vibration.online").load(artefact)


def _inspect_bearing(artefact: bytes) -> Any:
    return importlib.import_module("zhizao.maintenance.vibration.online").inspect(artefact)


PREDICTOR_LOADERS = {BEARING_FORMAT: _load_bearing}
PREDICTOR_INSPECTORS = {BEARING_FORMAT: _inspect_bearing}
ARTEFACT_MAGIC = {BEARING_FORMAT: _MAGIC}

__all__ = [
    "ARTEFACT_MAGIC",
    "BEARING_FORMAT",
    "FEATURES_VERSION",
    "PREDICTOR_INSPECTORS",
    "PREDICTOR_LOADERS",
    "SKF_6205",
    "BearingDiagnoser",
    "BearingGeometry",
    "Diagnosis",
    "Evaluation",
    "Evidence",
    "LoadResult",
    "ModelMetadata",
    "Recording",
    "defect_frequencies",
    "defect_orders",
    "evaluate_folder",
    "evaluate_recordings",
    "load_folder",
    "parse_label",
    "read_metadata",
    "train",
]

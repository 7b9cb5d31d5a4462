"""Vibration fault diagnosis of rolling bearings: features, CWRU-style data, the diagnoser and its evaluation.

Public API: :func:`train` → :class:`BearingDiagnoser` (``predict``, ``diagnose_signal``, ``save``/``load``),
:func:`load_folder`, :func:`evaluate_folder`, :func:`defect_frequencies`.
"""

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

__all__ = [
    "FEATURES_VERSION",
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

"""Saving and loading a fitted ``RulModel``: one JSON header line, then the pickled model.

The header can be read without unpickling (``read_header``), so a registry can list what a file holds (signals,
window, cap, training data, metrics) before trusting it; ``load`` checks the payload's SHA-256 against the header.
Pickle runs code when loaded: load only files you produced or trust, as with any scikit-learn model.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

from zhizao.errors import InputError
from zhizao.maintenance.rul.model import RulModel

MAGIC = "zhizao-rul-model"
FORMAT_VERSION = 1


def header_of(model: RulModel, *, metrics: dict[str, float] | None = None) -> dict[str, Any]:
    if not model.fitted or model.maker is None or model.maker.conditions is None:
        raise InputError.for_field("model", "only a fitted RUL model can be saved")
    maker, spec, validation, conditions = model.maker, model.spec, model.validation, model.maker.conditions
    return {
        "format": MAGIC,
        "version": FORMAT_VERSION,
        "required_signals": list(maker.required_signals),
        "condition_signals": list(conditions.signals),
        "sensor_signals": list(maker.kept),
        "dropped_signals": list(maker.dropped),
        "operating_conditions": conditions.count,
        "feature_names": list(maker.feature_names),
        "window": maker.spec.window,
        "windows": list(maker.spec.windows),
        "cap": spec.cap,
        "coverage": spec.coverage,
        "folds": spec.folds,
        "training_data": model.description,
        "training_units": model.training_units,
        "training_seconds": round(model.training_seconds, 1),
        "validation": None
        if validation is None
        else {
            "rmse": validation.rmse,
            "coverage": validation.coverage,
            "mean_width": validation.mean_width,
            "cases": validation.cases,
        },
        "metrics": metrics or {},
    }


def save(model: RulModel, path: Path, *, metrics: dict[str, float] | None = None) -> dict[str, Any]:
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    header = {**header_of(model, metrics=metrics), "sha256": hashlib.sha256(payload).hexdigest()}
    with path.open("wb") as handle:
        handle.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
        handle.write(payload)
    return header


def _split(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError.for_field("model", f"{path}: cannot be read ({exc})") from exc
    line, _, payload = data.partition(b"\n")
    try:
        header = json.loads(line)
    except ValueError as exc:
        raise InputError.for_field("model", f"{path}: not a zhizao RUL model file (no header)") from exc
    if not isinstance(header, dict) or header.get("format") != MAGIC:
        raise InputError.for_field("model", f"{path}: not a zhizao RUL model file")
    if header.get("version") != FORMAT_VERSION:
        raise InputError.for_field("model", f"{path}: format version {header.get('version')} is not supported")
    return header, payload


def read_header(path: Path) -> dict[str, Any]:
    return _split(path)[0]


def load(path: Path) -> RulModel:
    header, payload = _split(path)
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise InputError.for_field("model", f"{path}: the model does not match its header's checksum")
    model = pickle.loads(payload)  # noqa: S301 - checked against the header; trusted files only (see module doc)
    if not isinstance(model, RulModel):
        raise InputError.for_field("model", f"{path}: holds no RUL model")
    return model

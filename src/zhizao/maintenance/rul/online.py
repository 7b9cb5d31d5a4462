"""A ``RulModel`` applied to live equipment: its file format for the model registry and its ``Predictor``.

The file is ``persistence``'s (one JSON header line, then the pickled model) with two more header keys that say how
live telemetry becomes the model's history:

- ``cycle_minutes`` (N): **one cycle is N minutes at work** — minutes whose mean ``machinery_item_state`` is
  Executing throughout and in which every signal the model reads has data. Those minutes, in order, are cut into
  runs of N; a cycle's reading of each signal is the mean of its N per-minute means (the observer's windows, served
  from the per-minute roll-ups). Idle, switched-off and unreported minutes count towards no cycle; the last,
  incomplete run is left for the next evaluation. RUL in cycles × N / 60 is RUL in **hours at work**.
- ``lookback_cycles`` (L): the predictor reads the last N × L minutes (wall-clock): the unit's history as the model
  sees it, cycle 1 being the first complete cycle in that span. Choose L at least as long as the longest training
  life so that a unit still within its expected life is seen from its start.

The registry reads the header (``inspect``) and checks the payload's SHA-256 and its pickle opcodes before it
accepts a file; the model is unpickled only when first applied, by ``restricted_loads``.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zhizao.errors import InputError
from zhizao.maintenance.health.kinds import ModelKind
from zhizao.maintenance.health.predictor import (
    ArtefactInfo,
    FeatureWindow,
    PredictionResult,
    Predictor,
    UnsafeArtefact,
    check_pickle,
    restricted_loads,
)
from zhizao.maintenance.rul.history import History
from zhizao.maintenance.rul.model import RulModel
from zhizao.maintenance.rul.persistence import FORMAT_VERSION, MAGIC, header_of
from zhizao.telemetry.machinery import STATE_SIGNAL, MachineryItemState

FORMAT = "zhizao-rul-model/1"
FILE_START = json.dumps({"format": MAGIC}).encode()[:-1]  # b'{"format": "zhizao-rul-model"'
MIN_CYCLES = 5  # fewer complete cycles show no trend: "not enough data", never a number
MAX_HISTORY_MINUTES = 20_000  # what one evaluation reads from the per-minute roll-ups (about two weeks)
FIELD = "body.file"
EXECUTING = float(MachineryItemState.EXECUTING)


def save(
    model: RulModel,
    path: Path,
    *,
    cycle_minutes: int,
    lookback_cycles: int,
    metrics: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Write a registrable RUL model file; the header it wrote."""
    check_cycle(cycle_minutes, lookback_cycles, "cycle_minutes")
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        **header_of(model, metrics=metrics),
        "cycle_minutes": cycle_minutes,
        "lookback_cycles": lookback_cycles,
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    path.write_bytes(json.dumps(header, ensure_ascii=False).encode() + b"\n" + payload)
    return header


def check_cycle(cycle_minutes: object, lookback_cycles: object, field: str) -> None:
    for name, value in (("cycle_minutes", cycle_minutes), ("lookback_cycles", lookback_cycles)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError.for_field(field, f"{name} must be a whole number ≥ 1, not {value!r}")
    assert isinstance(cycle_minutes, int) and isinstance(lookback_cycles, int)
    if cycle_minutes * lookback_cycles > MAX_HISTORY_MINUTES:
        raise InputError.for_field(
            field, f"cycle_minutes × lookback_cycles must stay ≤ {MAX_HISTORY_MINUTES} minutes of history"
        )


def split(artefact: bytes) -> tuple[dict[str, Any], bytes]:
    """The checked header and the payload; a 422 naming what is wrong, nothing unpickled."""
    line, newline, payload = artefact.partition(b"\n")
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not newline or not isinstance(header, dict) or header.get("format") != MAGIC:
        raise InputError.for_field(FIELD, "not a zhizao RUL model file (no header line)")
    if header.get("version") != FORMAT_VERSION:
        raise InputError.for_field(FIELD, f"RUL model format version {header.get('version')!r} is not supported")
    signals = header.get("required_signals")
    if not isinstance(signals, list) or not signals or not all(isinstance(s, str) and s for s in signals):
        raise InputError.for_field(FIELD, "the header names no signals (required_signals)")
    if "cycle_minutes" not in header:
        raise InputError.for_field(
            FIELD, "the header does not define a cycle for live equipment; save the model with "
            "`zhizao maintenance rul train --cycle-minutes N`",
        )  # fmt: skip
    check_cycle(header.get("cycle_minutes"), header.get("lookback_cycles"), FIELD)
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise InputError.for_field(FIELD, "the model does not match its header's checksum (damaged or altered)")
    try:
        check_pickle(payload)
    except UnsafeArtefact as exc:
        raise InputError.for_field(FIELD, f"refused: {exc}") from exc
    return header, payload


def inspect(artefact: bytes) -> ArtefactInfo:
    header, _ = split(artefact)
    validation = header.get("validation") or {}
    metrics: dict[str, Any] = {
        "validation_rmse_cycles": validation.get("rmse"),
        "validation_coverage": validation.get("coverage"),
        "validation_mean_width_cycles": validation.get("mean_width"),
        "stated_coverage": header.get("coverage"),
        "cap_cycles": header.get("cap"),
        "training_units": header.get("training_units"),
        "training_data": str(header.get("training_data") or ""),
        "cycle_minutes": header["cycle_minutes"],
        "lookback_cycles": header["lookback_cycles"],
        **{k: v for k, v in (header.get("metrics") or {}).items() if isinstance(v, int | float | str)},
    }
    signals = (*header["required_signals"], STATE_SIGNAL)
    note = f"RUL model on {header.get('training_data') or 'unnamed data'}; one cycle = {header['cycle_minutes']} min"
    return ArtefactInfo(ModelKind.RUL, signals, metrics, note[:500])


def load(artefact: bytes) -> Predictor:
    header, payload = split(artefact)
    try:
        model = restricted_loads(payload)
    except UnsafeArtefact as exc:
        raise InputError.for_field(FIELD, f"refused: {exc}") from exc
    if not isinstance(model, RulModel) or not model.fitted:
        raise InputError.for_field(FIELD, "the file holds no fitted RUL model")
    return RulPredictor(model, int(header["cycle_minutes"]), int(header["lookback_cycles"]))


def live_cycles(
    minutes: Sequence[Mapping[str, float | None]], names: Sequence[str], cycle_minutes: int
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Cycles × signals: each row the mean of ``cycle_minutes`` minutes at work, oldest first (pure)."""
    rows: list[list[float]] = []
    run: list[list[float]] = []
    for minute in minutes:
        if minute.get(STATE_SIGNAL) != EXECUTING:
            continue
        values = [minute.get(name) for name in names]
        if any(v is None or not math.isfinite(v) for v in values):
            continue
        run.append([float(v) for v in values if v is not None])
        if len(run) == cycle_minutes:
            rows.append(np.mean(np.asarray(run), axis=0).tolist())
            run = []
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names))


class RulPredictor:
    """Remaining useful life of the equipment in hours at work, with the model's conformal interval."""

    kind = ModelKind.RUL

    def __init__(self, model: RulModel, cycle_minutes: int, lookback_cycles: int) -> None:
        assert model.maker is not None
        self.model = model
        self.cycle_minutes = cycle_minutes
        self.required = tuple(model.maker.required_signals)
        self.signals = (*self.required, STATE_SIGNAL)
        self.history_windows = cycle_minutes * lookback_cycles

    def predict(self, window: FeatureWindow) -> PredictionResult:
        values = live_cycles([*window.history, window.values], self.required, self.cycle_minutes)
        n = int(values.shape[0])
        detail: dict[str, Any] = {"cycles_seen": n, "cycle_minutes": self.cycle_minutes}
        if n < MIN_CYCLES:
            detail["reason"] = f"{n} complete cycle(s) at work in the history; at least {MIN_CYCLES} are needed"
            return PredictionResult(None, "h", "not_enough_data", False, detail)
        history = History(str(window.equipment_id), np.arange(1.0, n + 1), self.required, values)
        result = self.model.predict(history)
        hours = self.cycle_minutes / 60
        cap = self.model.spec.cap
        detail.update(
            rul_cycles=round(result.rul, 3), lower_cycles=round(result.lower, 3), upper_cycles=round(result.upper, 3),
            lower_h=round(result.lower * hours, 3), upper_h=round(result.upper * hours, 3),
            coverage=result.coverage, upper_is_cap=result.upper >= cap, cap_cycles=cap,
        )  # fmt: skip
        value = result.rul * hours
        from zhizao.maintenance.cases import RUL_CASE_BELOW_H  # the threshold the case rule uses; imported late

        short = value < RUL_CASE_BELOW_H
        return PredictionResult(value, "h", "rul_short" if short else "rul", short, detail)


PREDICTOR_LOADERS = {FORMAT: load}
PREDICTOR_INSPECTORS = {FORMAT: inspect}
ARTEFACT_MAGIC = {FORMAT: FILE_START}

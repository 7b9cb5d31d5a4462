"""The bearing diagnoser in the model registry, and diagnosis of an uploaded recording of an equipment.

File format: ``BearingDiagnoser.save``'s (magic line, JSON ``ModelMetadata`` line, pickle). ``save_checked`` adds the
payload's SHA-256 as ``training.payload_sha256`` so the registry can tell a damaged file; the registry reads the
header, checks the features version, that checksum (where the file carries one) and the pickle's opcodes before it
accepts a file, and unpickles the model only when it is first applied (``restricted_loads``).

Live telemetry carries per-minute means, not waveforms, so a bearing model is never deployed to the stream: a user
uploads a recording (``.npz`` with ``DE`` or ``signal``, or CSV of samples) with its rate and shaft speed, and
``diagnose_recording`` stores the diagnosis as a prediction (value: the probability of the diagnosed class) with its
evidence, opening a case when a fault is found. The prediction hangs on an inactive deployment of the model to the
equipment (``active`` False: the stream observer never evaluates it), made on first use.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import pickle
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError, NotFound
from zhizao.maintenance import cases, registry
from zhizao.maintenance.health import access
from zhizao.maintenance.health.kinds import ModelKind, ModelStatus
from zhizao.maintenance.health.predictor import (
    ArtefactInfo,
    FeatureWindow,
    PredictionResult,
    UnsafeArtefact,
    check_pickle,
    restricted_loads,
)
from zhizao.maintenance.models_health import MaintenanceCase, MaintenanceModel, ModelDeployment, Prediction
from zhizao.maintenance.vibration.classifier import MAGIC, BearingDiagnoser, Diagnosis, ModelMetadata
from zhizao.maintenance.vibration.dataset import SIGNAL_KEYS
from zhizao.maintenance.vibration.features import FEATURES_VERSION, Array
from zhizao.telemetry.timeutil import now_us

FORMAT = "zhizao-bearing-model/1"  # as ``vibration.BEARING_FORMAT``
FIELD = "body.file"
MAX_SAMPLES = 20_000_000


def save_checked(diagnoser: BearingDiagnoser, path: Path) -> ModelMetadata:
    """``BearingDiagnoser.save`` plus the payload's checksum in the header; the metadata written."""
    payload = pickle.dumps({"model": diagnoser.model, "geometry": diagnoser.geometry}, protocol=pickle.HIGHEST_PROTOCOL)
    training = {**diagnoser.metadata.training, "payload_sha256": hashlib.sha256(payload).hexdigest()}
    metadata = dataclasses.replace(diagnoser.metadata, training=training)
    header = json.dumps(metadata.as_dict(), ensure_ascii=False).encode("utf-8")
    path.write_bytes(MAGIC + header + b"\n" + payload)
    return metadata


def split(artefact: bytes) -> tuple[ModelMetadata, bytes]:
    """The checked header and the payload; a 422 naming what is wrong, nothing unpickled."""
    if not artefact.startswith(MAGIC):
        raise InputError.for_field(FIELD, "not a zhizao bearing model file")
    line, newline, payload = artefact[len(MAGIC) :].partition(b"\n")
    try:
        metadata = ModelMetadata(**json.loads(line))
    except (ValueError, TypeError) as exc:
        raise InputError.for_field(FIELD, f"the bearing model's header is damaged: {exc}") from exc
    if not newline or not metadata.classes or not isinstance(metadata.training, dict):
        raise InputError.for_field(FIELD, "the bearing model's header is incomplete")
    if metadata.features_version != FEATURES_VERSION:
        raise InputError.for_field(
            FIELD, f"the model was trained on {metadata.features_version}, this platform computes {FEATURES_VERSION}"
        )
    digest = metadata.training.get("payload_sha256")
    if digest is not None and hashlib.sha256(payload).hexdigest() != digest:
        raise InputError.for_field(FIELD, "the model does not match its header's checksum (damaged or altered)")
    try:
        check_pickle(payload)
    except UnsafeArtefact as exc:
        raise InputError.for_field(FIELD, f"refused: {exc}") from exc
    return metadata, payload


def inspect(artefact: bytes) -> ArtefactInfo:
    metadata, _ = split(artefact)
    training = metadata.training
    recordings, loads = training.get("recordings"), training.get("loads")
    metrics: dict[str, Any] = {
        "classes": ", ".join(metadata.classes),
        "fs_hz": metadata.fs,
        "window": metadata.window,
        "features_version": metadata.features_version,
        "training_data": str(training.get("description") or ""),
        "training_recordings": len(recordings) if isinstance(recordings, list) else None,
        "training_loads_hp": ", ".join(f"{x:g}" for x in loads if isinstance(x, int | float))
        if isinstance(loads, list)
        else "",
        "training_windows": training.get("windows"),
        "checksum": "sha256" if training.get("payload_sha256") else "none in file",
        "sklearn_version": metadata.sklearn_version,
        "created_at": metadata.created_at,
    }
    note = f"Bearing diagnoser ({len(metadata.classes)} classes) on {training.get('description') or 'unnamed data'}"
    return ArtefactInfo(ModelKind.BEARING, (), metrics, note[:500])


class BearingPredictor:
    """The registry's view of a bearing diagnoser: it needs waveforms, so ``predict`` on a telemetry window says so;
    ``diagnose`` reads a recording."""

    kind = ModelKind.BEARING
    signals: tuple[str, ...] = ()
    history_windows = 1

    def __init__(self, diagnoser: BearingDiagnoser) -> None:
        self.diagnoser = diagnoser

    def predict(self, window: FeatureWindow) -> PredictionResult:
        return PredictionResult(None, None, "needs_waveform", False, {"reason": "upload a vibration recording"})

    def diagnose(self, signal: Array, fs: float, rpm: float) -> list[Diagnosis]:
        return self.diagnoser.diagnose_signal(signal, fs, rpm)


def load(artefact: bytes) -> BearingPredictor:
    metadata, payload = split(artefact)
    try:
        content = restricted_loads(payload)
    except UnsafeArtefact as exc:
        raise InputError.for_field(FIELD, f"refused: {exc}") from exc
    if not isinstance(content, dict) or "model" not in content or "geometry" not in content:
        raise InputError.for_field(FIELD, "the file holds no bearing model")
    return BearingPredictor(BearingDiagnoser(content["model"], metadata, content["geometry"]))


def read_recording(content: bytes, filename: str) -> Array:
    """Samples of one channel from an ``.npz`` (``DE`` or ``signal``) or a CSV (one number a line, or the first
    column; a header line allowed)."""
    if filename.lower().endswith(".npz") or content.startswith(b"PK"):
        try:
            with np.load(io.BytesIO(content), allow_pickle=False) as npz:
                key = next((k for k in SIGNAL_KEYS if k in npz.files), None)
                if key is None:
                    raise InputError.for_field(FIELD, f"the .npz holds none of {', '.join(SIGNAL_KEYS)}")
                values = np.asarray(npz[key], dtype=np.float64).ravel()
        except (OSError, ValueError) as exc:
            raise InputError.for_field(FIELD, f"not a readable .npz file: {exc}") from exc
    else:
        try:
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        except UnicodeDecodeError as exc:
            raise InputError.for_field(FIELD, "a CSV recording must be UTF-8 text") from exc
        numbers: list[float] = []
        for index, row in enumerate(rows):
            if not row or not row[0].strip():
                continue
            try:
                numbers.append(float(row[0]))
            except ValueError:
                if index == 0 and not numbers:
                    continue  # a header line
                raise InputError.for_field(FIELD, f"line {index + 1}: {row[0][:40]!r} is not a number") from None
        values = np.asarray(numbers, dtype=np.float64)
    if values.size > MAX_SAMPLES:
        raise InputError.for_field(FIELD, f"more than {MAX_SAMPLES} samples")
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise InputError.for_field(FIELD, "the recording is empty or holds missing values")
    return values


@dataclass(frozen=True, slots=True)
class Summary:
    label: str
    fault: str
    severity_in: float | None
    probability: float  # mean over the windows that voted for the label
    votes: dict[str, int]
    evidence: dict[str, Any]


def summarise(diagnoses: list[Diagnosis]) -> Summary:
    """The recording's diagnosis: the label most windows give (pure)."""
    votes = Counter(d.label for d in diagnoses)
    label = votes.most_common(1)[0][0]
    agreeing = [d for d in diagnoses if d.label == label]
    best = max(agreeing, key=lambda d: d.probability)
    probability = float(np.mean([d.probability for d in agreeing]))
    return Summary(label, best.fault, best.severity_in, probability, dict(votes), dataclasses.asdict(best.evidence))


def _model(session: Session, actor: Principal, equipment_enterprise: int, model_id: int | None) -> MaintenanceModel:
    if model_id is not None:
        model = registry.model_for_read(session, actor, model_id)
        if model.enterprise_id not in (None, equipment_enterprise):
            raise NotFound(f"model {model_id} not found")
    else:
        model_or_none = session.scalar(
            select(MaintenanceModel)
            .where(
                MaintenanceModel.kind == ModelKind.BEARING,
                MaintenanceModel.status != ModelStatus.RETIRED,
                (MaintenanceModel.enterprise_id == equipment_enterprise) | MaintenanceModel.enterprise_id.is_(None),
            )
            .order_by(MaintenanceModel.enterprise_id.is_(None), MaintenanceModel.id.desc())
            .limit(1)
        )
        if model_or_none is None:
            raise InputError.for_field("body.model_id", "no bearing model is registered for this enterprise")
        model = model_or_none
    if model.kind != ModelKind.BEARING:
        raise InputError.for_field(
            "body.model_id", f"model {model.id} is a {model.kind.value} model, not a bearing one"
        )
    if model.status == ModelStatus.RETIRED:
        raise InputError.for_field("body.model_id", f"model {model.id} is retired")
    return model


def _anchor(session: Session, actor: Principal, model: MaintenanceModel, equipment_id: int, enterprise_id: int) -> int:
    found = session.scalar(
        select(ModelDeployment.id).where(
            ModelDeployment.equipment_id == equipment_id, ModelDeployment.model_id == model.id,
            ModelDeployment.active.is_(False), ModelDeployment.retired_at.is_(None),
        )
    )  # fmt: skip
    if found is not None:
        return found
    row = ModelDeployment(
        enterprise_id=enterprise_id, equipment_id=equipment_id, model_id=model.id, kind=ModelKind.BEARING,
        signal_map={}, active=False, deployed_by_id=actor.user_id, deployed_by_name=actor.username,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def diagnose_recording(
    session: Session,
    actor: Principal,
    equipment_id: int,
    *,
    content: bytes,
    filename: str,
    fs: float,
    rpm: float,
    model_id: int | None = None,
) -> tuple[Prediction, MaintenanceCase | None]:
    """Diagnose an uploaded recording of ``equipment_id``; the stored prediction and the case it opened (or
    updated) when a fault was found."""
    signal = read_recording(content, filename)
    with session.begin():
        equipment = access.equipment_for_write(session, actor, equipment_id)
        model = _model(session, actor, equipment.enterprise_id, model_id)
        predictor = registry.predictor_of(model)
        model_pk, enterprise_id = model.id, equipment.enterprise_id
    if not isinstance(predictor, BearingPredictor):
        raise InputError.for_field("body.model_id", f"model {model_pk} is not a bearing diagnoser")
    summary = summarise(predictor.diagnose(signal, fs, rpm))  # seconds of CPU: outside any transaction
    end_us = now_us()
    with session.begin():
        equipment = access.equipment_for_write(session, actor, equipment_id)
        model = registry.model_for_read(session, actor, model_pk)
        deployment_id = _anchor(session, actor, model, equipment.id, enterprise_id)
        detail: dict[str, Any] = {
            "source": "recording", "file": filename[:200], "fs_hz": fs, "rpm": rpm, "samples": int(signal.size),
            "fault": summary.fault, "severity_in": summary.severity_in, "votes": summary.votes,
            "evidence": summary.evidence, "model": f"{model.name} v{model.version}",
        }  # fmt: skip
        prediction = Prediction(
            enterprise_id=enterprise_id, equipment_id=equipment.id, deployment_id=deployment_id, model_id=model.id,
            kind=ModelKind.BEARING, window_start_us=end_us - int(signal.size / fs * 1e6), window_end_us=end_us,
            value=summary.probability, unit="p", label=summary.label, alert=summary.fault != "normal", detail=detail,
        )  # fmt: skip
        session.add(prediction)
        session.flush()
        case = cases.on_prediction(session, equipment, prediction, {})
        audit.record(
            session, actor, action="maintenance_recording.diagnose", entity_type="maintenance_prediction",
            entity_id=prediction.id, organisation_id=enterprise_id,
            detail=f"{equipment.code}: {summary.label} ({summary.probability:.2f})",
        )  # fmt: skip
    return prediction, case

"""The bearing diagnoser: extremely randomised trees over load-invariant window features.

``train`` fits one from labelled recordings; ``BearingDiagnoser.predict`` turns windows into diagnoses with
the evidence a maintenance engineer checks (which defect line stands out, at which order, how high). ``save``
writes a one-line JSON header (readable without unpickling) before the pickled model, so a model registry
can list a file's features version, classes and training data without executing it.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.ensemble import ExtraTreesClassifier

from zhizao.errors import InputError
from zhizao.maintenance.vibration.dataset import DEFAULT_FS, Recording, parse_label, resample, windows
from zhizao.maintenance.vibration.features import (
    FEATURES_VERSION,
    Array,
    defect_lines,
    feature_names,
    minimum_window,
    window_features,
)
from zhizao.maintenance.vibration.geometry import SKF_6205, BearingGeometry

MAGIC = b"ZHIZAO-BEARING-MODEL 1\n"
DEFAULT_WINDOW = 4096
DEFAULT_TREES = 300


# The envelope line each fault class is expected to raise.
FAULT_LINES = {"outer_race": "bpfo", "inner_race": "bpfi", "ball": "bsf2"}


@dataclass(frozen=True, slots=True)
class Evidence:
    """The envelope line of the diagnosed fault (BPFO, BPFI or 2 x BSF; for normal or a foreign label the
    highest of them), and which line is highest overall, so a reader sees when the spectrum disagrees."""

    defect: str
    order: float
    frequency_hz: float
    amplitude_ratio: float  # line height over the envelope's broadband mean
    dominant_defect: str
    dominant_ratio: float


@dataclass(frozen=True, slots=True)
class Diagnosis:
    label: str  # the class as trained, e.g. "IR014"
    fault: str  # normal, inner_race, ball, outer_race (or a foreign label as is)
    severity_in: float | None  # defect diameter in inches where the label encodes it
    probability: float
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class ModelMetadata:
    features_version: str
    classes: list[str]
    geometry: dict[str, object]
    fs: float
    window: int
    training: dict[str, object] = field(default_factory=dict)
    created_at: str = ""
    sklearn_version: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class BearingDiagnoser:
    """A fitted model with what it needs to refuse signals it was not trained for."""

    def __init__(self, model: ExtraTreesClassifier, metadata: ModelMetadata, geometry: BearingGeometry) -> None:
        self.model = model
        self.metadata = metadata
        self.geometry = geometry

    @property
    def classes(self) -> list[str]:
        return list(self.metadata.classes)

    def features(self, batch: Array, fs: float, rpm: float) -> Array:
        """Feature rows of windows already at the model's rate and length."""
        return np.vstack([window_features(row, fs, rpm, self.geometry) for row in batch])

    def prepare(self, window_or_windows: Array, fs: float) -> Array:
        """Windows as rows at the model's rate; a window at another rate must span the same time."""
        batch = np.atleast_2d(np.asarray(window_or_windows, dtype=np.float64))
        if batch.ndim != 2:
            raise InputError.for_field("windows", f"expected one window or rows of windows, got shape {batch.shape}")
        if fs < self.metadata.fs:
            raise InputError.for_field(
                "fs", f"the model needs signals sampled at {self.metadata.fs:g} Hz or more, not {fs:g} Hz"
            )
        if fs != self.metadata.fs:
            batch = np.vstack([resample(row, fs, self.metadata.fs) for row in batch])
        if batch.shape[1] != self.metadata.window:
            expected = round(self.metadata.window * fs / self.metadata.fs)
            raise InputError.for_field(
                "windows", f"the model reads windows of {expected} samples at {fs:g} Hz, got {batch.shape[1]}"
            )
        return batch

    def predict_labels(self, feature_rows: Array) -> list[str]:
        return [str(label) for label in self.model.predict(feature_rows)]

    def predict(self, window_or_windows: Array, fs: float, rpm: float) -> list[Diagnosis]:
        """One diagnosis per window (a 1-D array is one window)."""
        batch = self.prepare(window_or_windows, fs)
        probabilities = self.model.predict_proba(self.features(batch, self.metadata.fs, rpm))
        diagnoses: list[Diagnosis] = []
        for row, probs in zip(batch, probabilities, strict=True):
            best = int(np.argmax(probs))
            label = str(self.model.classes_[best])
            fault, severity = parse_label(label)
            lines = defect_lines(row, self.metadata.fs, rpm, self.geometry)
            top = max(lines.values(), key=lambda line: line.amplitude_ratio)
            shown = lines.get(FAULT_LINES.get(fault, ""), top)
            evidence = Evidence(
                shown.defect, shown.order, shown.frequency_hz, shown.amplitude_ratio, top.defect, top.amplitude_ratio
            )
            diagnoses.append(Diagnosis(label, fault, severity, float(probs[best]), evidence))
        return diagnoses

    def diagnose_signal(self, signal: Array, fs: float, rpm: float) -> list[Diagnosis]:
        """A whole recording: resampled, cut into the model's windows, one diagnosis per window."""
        values = np.asarray(signal, dtype=np.float64)
        if fs < self.metadata.fs:
            raise InputError.for_field(
                "fs", f"the model needs signals sampled at {self.metadata.fs:g} Hz or more, not {fs:g} Hz"
            )
        return self.predict(
            windows(resample(values, fs, self.metadata.fs), self.metadata.window), self.metadata.fs, rpm
        )

    def save(self, path: Path | str) -> None:
        header = json.dumps(self.metadata.as_dict(), ensure_ascii=False).encode("utf-8")
        payload = pickle.dumps({"model": self.model, "geometry": self.geometry}, protocol=pickle.HIGHEST_PROTOCOL)
        Path(path).write_bytes(MAGIC + header + b"\n" + payload)

    @classmethod
    def load(cls, path: Path | str) -> BearingDiagnoser:
        """Unpickles the model: only load files from a trusted registry (pickle can run code)."""
        metadata = read_metadata(path)
        if metadata.features_version != FEATURES_VERSION:
            raise InputError.for_field(
                "model",
                f"the model was trained on {metadata.features_version}, this code computes {FEATURES_VERSION}",
            )
        raw = Path(path).read_bytes()
        payload = raw[raw.index(b"\n", len(MAGIC)) + 1 :]
        content: dict[str, Any] = pickle.loads(payload)  # noqa: S301 - trusted files only, documented above
        return cls(content["model"], metadata, content["geometry"])


def read_metadata(path: Path | str) -> ModelMetadata:
    """The header of a saved model, without unpickling it."""
    target = Path(path)
    if not target.is_file():
        raise InputError.for_field("model", f"{target} does not exist")
    with target.open("rb") as handle:
        magic = handle.read(len(MAGIC))
        if magic != MAGIC:
            raise InputError.for_field("model", f"{target} is not a saved bearing model")
        header = handle.readline()
    try:
        return ModelMetadata(**json.loads(header))
    except (json.JSONDecodeError, TypeError) as exc:
        raise InputError.for_field("model", f"{target} has a damaged header: {exc}") from exc


def training_windows(
    recordings: Sequence[Recording], window: int, hop: int | None = None
) -> tuple[list[Array], list[str]]:
    """Windows of each recording, grouped per recording (so callers can never split one across train/test)."""
    batches: list[Array] = []
    labels: list[str] = []
    for recording in recordings:
        least = minimum_window(recording.fs, recording.rpm)
        if window < least:
            raise InputError.for_field("window", f"{window} samples are too few for {recording.file}: at least {least}")
        batch = windows(recording.signal, window, hop)
        batches.append(batch)
        labels += [recording.label] * len(batch)
    return batches, labels


def train(
    recordings: Sequence[Recording],
    *,
    window: int = DEFAULT_WINDOW,
    hop: int | None = None,
    geometry: BearingGeometry = SKF_6205,
    seed: int = 0,
    trees: int = DEFAULT_TREES,
    description: str = "",
) -> BearingDiagnoser:
    """Fit on every window of the given recordings (half-overlapping by default: more views of each impact
    phase, never windows of a test recording)."""
    if not recordings:
        raise InputError.for_field("recordings", "no recordings to train on")
    rates = {recording.fs for recording in recordings}
    if len(rates) != 1:
        raise InputError.for_field("recordings", f"recordings at several rates {sorted(rates)}: resample them first")
    labels_seen = {recording.label for recording in recordings}
    if len(labels_seen) < 2:
        raise InputError.for_field("recordings", "training needs at least two classes")
    fs = rates.pop()
    batches, labels = training_windows(recordings, window, window // 2 if hop is None else hop)
    rows = [
        window_features(row, fs, rec.rpm, geometry)
        for rec, batch in zip(recordings, batches, strict=True)
        for row in batch
    ]
    model = ExtraTreesClassifier(n_estimators=trees, random_state=seed, n_jobs=1)
    model.fit(np.vstack(rows), np.asarray(labels))
    metadata = ModelMetadata(
        features_version=FEATURES_VERSION,
        classes=[str(label) for label in model.classes_],
        geometry=geometry.as_dict(),
        fs=fs,
        window=window,
        training={
            "description": description,
            "recordings": [recording.file for recording in recordings],
            "loads": sorted({recording.load for recording in recordings}),
            "windows": len(labels),
            "features": list(feature_names()),
            "seed": seed,
            "trees": trees,
        },
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        sklearn_version=sklearn.__version__,
    )
    return BearingDiagnoser(model, metadata, geometry)


__all__ = ["DEFAULT_FS", "BearingDiagnoser", "Diagnosis", "Evidence", "ModelMetadata", "read_metadata", "train"]

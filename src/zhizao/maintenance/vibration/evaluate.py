"""The evaluation protocol: train on every recording at one load, test on each other load.

Splitting by load (never by windows of one recording) is what a plant faces: faults are labelled at one
operating point and must be recognised at the others. Windows of one recording overlap in time and share its
noise, so a random window split leaks and reports ~100 % for any model.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from zhizao.errors import InputError
from zhizao.maintenance.vibration.classifier import DEFAULT_WINDOW, BearingDiagnoser, train, training_windows
from zhizao.maintenance.vibration.dataset import Recording, load_folder
from zhizao.maintenance.vibration.features import FEATURES_VERSION


@dataclass(frozen=True, slots=True)
class LoadResult:
    load: float
    rpm: list[float]
    windows: int
    accuracy: float
    macro_f1: float  # over the classes recorded at this load; a wrong "normal" still costs the true class
    labels: list[str]  # rows and columns of the confusion matrix: true classes, then any other predicted
    confusion: list[list[int]]  # rows true, columns predicted
    unseen: list[str]  # classes at this load that the training load never had (cannot be recognised)


@dataclass(frozen=True, slots=True)
class Evaluation:
    data: str
    train_load: float
    window: int
    seed: int
    features_version: str
    train_classes: list[str]
    train_windows: int
    train_seconds: float
    evaluate_seconds: float
    results: list[LoadResult]

    @property
    def min_macro_f1(self) -> float:
        return min(result.macro_f1 for result in self.results)

    def as_dict(self) -> dict[str, object]:
        content = asdict(self)
        content["min_macro_f1"] = self.min_macro_f1
        return content


def score_load(model: BearingDiagnoser, recordings: list[Recording], window: int) -> LoadResult:
    batches, truth = training_windows(recordings, window)
    predicted: list[str] = []
    for recording, batch in zip(recordings, batches, strict=True):
        predicted += model.predict_labels(model.features(batch, recording.fs, recording.rpm))
    present = sorted(set(truth))
    labels = present + sorted(set(predicted) - set(present))
    matrix = confusion_matrix(truth, predicted, labels=labels)[: len(present)]
    return LoadResult(
        load=recordings[0].load,
        rpm=sorted({recording.rpm for recording in recordings}),
        windows=len(truth),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)),
        labels=labels,
        confusion=[[int(value) for value in row] for row in np.asarray(matrix)],
        unseen=sorted(set(present) - set(model.classes)),
    )


def evaluate_recordings(
    recordings: list[Recording], train_load: float, *, window: int = DEFAULT_WINDOW, seed: int = 0, data: str = ""
) -> Evaluation:
    loads = sorted({recording.load for recording in recordings})
    if train_load not in loads:
        raise InputError.for_field(
            "train_load",
            f"no recordings at load {train_load:g}; the data has loads {', '.join(f'{x:g}' for x in loads)}",
        )
    if len(loads) < 2:
        raise InputError.for_field("train_load", "the data has a single load: there is no other load to test on")
    started = time.perf_counter()
    training = [recording for recording in recordings if recording.load == train_load]
    model = train(training, window=window, seed=seed, description=f"{data or 'recordings'} at load {train_load:g}")
    trained = time.perf_counter()
    results = [
        score_load(model, [recording for recording in recordings if recording.load == load], window)
        for load in loads
        if load != train_load
    ]
    finished = time.perf_counter()
    return Evaluation(
        data=data,
        train_load=train_load,
        window=window,
        seed=seed,
        features_version=FEATURES_VERSION,
        train_classes=model.classes,
        train_windows=sum(len(batch) for batch in training_windows(training, window, window // 2)[0]),
        train_seconds=round(trained - started, 3),
        evaluate_seconds=round(finished - trained, 3),
        results=results,
    )


def evaluate_folder(
    folder: Path | str, train_load: float, *, window: int = DEFAULT_WINDOW, seed: int = 0
) -> Evaluation:
    """Load a CWRU-style folder and run the protocol (train at ``train_load``, test at every other load)."""
    return evaluate_recordings(load_folder(folder), train_load, window=window, seed=seed, data=str(folder))

"""``zhizao vision evaluate classify``: stratified k-fold cross-validation of the defect classifier on a folder.

The folder holds one sub-folder per class (``<root>/<class>/*.jpg`` or ``<root>/images/<class>/*.jpg``, as NEU).
Folds are ``splits.stratified_folds`` (fixed and stated by the seed). Each fold fits a fresh model on the other
folds and classifies every held-out image.

Features are extracted once per image (with the time each took), not once per fold: ``classify.train`` is exactly
``features.extract`` on each image followed by ``classify.fit``, so a fold's model is the one ``train`` would give,
and its training time is stated as the extraction time of its training images plus the fit. Times are given as wall
clock and as this process's CPU time: on a shared machine the first grows with other work, the second does not.
The latency per image is measured on the first ``LATENCY_SAMPLE`` held-out images of each fold with
``model.inspect`` (feature extraction and classifier, as a station runs it; decoding the file is not included), and
those verdicts must agree with the predictions from the cached features.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from zhizao.errors import InputError
from zhizao.vision import classify, features, provenance
from zhizao.vision.folders import read_classes
from zhizao.vision.images import read_grey
from zhizao.vision.metrics import accuracy, recall_per_class
from zhizao.vision.splits import DEFAULT_SEED, stratified_folds
from zhizao.vision.types import GreyImage, VerdictKind

LATENCY_SAMPLE = 20  # images per fold inspected one at a time to measure the latency


@dataclass(frozen=True, slots=True)
class FoldResult:
    fold: int
    images: int
    accuracy: float
    train_seconds: float  # wall clock
    train_cpu_seconds: float  # this process's CPU time: what the wall clock would be on an idle core


@dataclass(frozen=True, slots=True)
class Confusion:
    truth: str
    predicted: str
    count: int


@dataclass(frozen=True, slots=True)
class ClassifyEvaluation:
    data: str
    algorithm: str
    seed: int
    images: int
    classes: tuple[str, ...]
    class_counts: dict[str, int]
    folds: tuple[FoldResult, ...]
    mean_accuracy: float
    pooled_accuracy: float
    recall: dict[str, float]  # per class, pooled over the folds
    confusions: tuple[Confusion, ...]  # (true, predicted) pairs that occurred, most frequent first
    latency_ms_mean: float
    latency_ms_p95: float
    latency_cpu_ms_mean: float
    environment: dict[str, str] = field(default_factory=provenance.versions)  # what the figures were measured with

    @property
    def mean_train_seconds(self) -> float:
        return float(np.mean([fold.train_seconds for fold in self.folds]))

    @property
    def mean_train_cpu_seconds(self) -> float:
        return float(np.mean([fold.train_cpu_seconds for fold in self.folds]))

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["mean_train_seconds"] = self.mean_train_seconds
        data["mean_train_cpu_seconds"] = self.mean_train_cpu_seconds
        return data


def evaluate(
    root: Path,
    *,
    folds: int = 5,
    seed: int = DEFAULT_SEED,
    progress: Callable[[FoldResult], None] | None = None,
    extracted: Callable[[int, int], None] | None = None,
) -> ClassifyEvaluation:
    """Cross-validated accuracy, per-class recall, training time and inference latency of ``classify.train``;
    ``progress`` hears of each fold as it ends, ``extracted`` of (images done, images in all) while features are
    extracted."""
    items = read_classes(root)
    labels = [str(item.label) for item in items]
    counts = Counter(labels)
    if len(counts) < 2:
        raise InputError.for_field(str(root), "at least two class folders are needed to classify")
    if folds < 2:
        raise InputError.for_field("folds", "at least 2 folds")
    smallest = min(counts, key=lambda label: counts[label])
    if counts[smallest] < folds:
        raise InputError.for_field(
            str(root), f"class {smallest!r} has {counts[smallest]} images; {folds}-fold evaluation needs {folds}"
        )
    images = [read_grey(item.path) for item in items]
    rows, extract_seconds, extract_cpu = _features_of(images, extracted)
    spec = classify.spec_of(images)
    predicted: list[str] = [""] * len(items)
    results: list[FoldResult] = []
    latencies: list[float] = []
    latencies_cpu: list[float] = []
    for number, test in enumerate(stratified_folds(labels, folds, seed), start=1):
        held_out = set(test)
        train = [index for index in range(len(items)) if index not in held_out]
        started, started_cpu = time.perf_counter(), time.process_time()
        model = classify.fit(rows[train], [labels[i] for i in train], spec, seed=seed)
        train_seconds = time.perf_counter() - started + float(extract_seconds[train].sum())
        train_cpu_seconds = time.process_time() - started_cpu + float(extract_cpu[train].sum())
        probabilities = model.probabilities_of(rows[test])
        for index, row in zip(test, probabilities, strict=True):
            predicted[index] = model.classes[int(np.argmax(row))]
        for index in test[:LATENCY_SAMPLE]:
            started, started_cpu = time.perf_counter(), time.process_time()
            verdict = model.inspect(images[index])
            latencies.append((time.perf_counter() - started) * 1000)
            latencies_cpu.append((time.process_time() - started_cpu) * 1000)
            inspected = verdict.label if verdict.kind is VerdictKind.DEFECT else model.pass_label
            if inspected != predicted[index]:  # the cached features must be the ones a station computes
                raise RuntimeError(f"{items[index].path}: inspect gave {inspected}, cached features {predicted[index]}")
        result = FoldResult(
            fold=number,
            images=len(test),
            accuracy=accuracy([labels[i] for i in test], [predicted[i] for i in test]),
            train_seconds=train_seconds,
            train_cpu_seconds=train_cpu_seconds,
        )
        results.append(result)
        if progress is not None:
            progress(result)
    pairs = Counter((truth, guess) for truth, guess in zip(labels, predicted, strict=True) if truth != guess)
    return ClassifyEvaluation(
        data=str(root),
        algorithm=classify.ALGORITHM,
        seed=seed,
        images=len(items),
        classes=tuple(sorted(counts)),
        class_counts=dict(sorted(counts.items())),
        folds=tuple(results),
        mean_accuracy=float(np.mean([result.accuracy for result in results])),
        pooled_accuracy=accuracy(labels, predicted),
        recall=recall_per_class(labels, predicted),
        confusions=tuple(
            Confusion(truth, guess, count)
            for (truth, guess), count in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
        ),
        latency_ms_mean=float(np.mean(latencies)),
        latency_ms_p95=float(np.percentile(latencies, 95)),
        latency_cpu_ms_mean=float(np.mean(latencies_cpu)),
    )


def _features_of(
    images: list[GreyImage], extracted: Callable[[int, int], None] | None
) -> tuple[NDArray[np.float32], NDArray[np.float64], NDArray[np.float64]]:
    """Each image's feature row, and the wall-clock and CPU seconds each extraction took."""
    rows: list[NDArray[np.float32]] = []
    seconds = np.zeros(len(images))
    cpu = np.zeros(len(images))
    with threadpool_limits(1):
        for index, image in enumerate(images):
            started, started_cpu = time.perf_counter(), time.process_time()
            rows.append(features.extract(image))
            seconds[index] = time.perf_counter() - started
            cpu[index] = time.process_time() - started_cpu
            if extracted is not None:
                extracted(index + 1, len(images))
    return np.stack(rows), seconds, cpu

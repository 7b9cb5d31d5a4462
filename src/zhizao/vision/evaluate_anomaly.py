"""``zhizao vision evaluate anomaly``: train on a stated part of the defect-free images, score the rest and every
defect image.

The split: the defect-free images (sorted by path, as ``folders.read_anomaly`` lists them) are shuffled with
``numpy.random.default_rng(seed)`` and ``round(n · train_share)`` of them train the model
(``splits.stratified_holdout`` with one class); the other defect-free images and all defect images are the test.

Figures: image AUROC (defect vs defect-free test images), per defect class (that class vs the defect-free test
images); pixel AUROC over every pixel of every test image at its own size (mask grey level > 127 is a defect pixel;
defect-free images count as all normal; an image whose mask is missing or empty adds normal pixels only); the best
pixel F1 over 1,024 thresholds at quantiles of the scores; the share of test images on each side of the model's own
threshold, and of the thresholds a station may choose instead (``decision.operating_points``); training seconds
and inspection latency per image (the whole ``inspect``: resize, features, map at full size).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from zhizao.errors import InputError
from zhizao.vision import anomaly, decision, provenance
from zhizao.vision.folders import read_anomaly
from zhizao.vision.images import read_grey, read_mask
from zhizao.vision.metrics import auroc
from zhizao.vision.splits import DEFAULT_SEED, stratified_holdout
from zhizao.vision.types import Task, VerdictKind

DEFAULT_TRAIN_SHARE = 0.6
F1_THRESHOLDS = 1024


@dataclass(frozen=True, slots=True)
class AnomalyReport:
    algorithm: str
    split: str
    seed: int
    train_share: float
    train_images: int
    test_free_images: int
    test_defect_images: dict[str, int]
    image_auroc: float
    image_auroc_per_class: dict[str, float]
    pixel_auroc: float | None  # None when no test image has a non-empty mask
    pixel_auroc_per_class: dict[str, float]
    pixel_best_f1: float | None
    threshold: float
    free_passed: float  # share of defect-free test images the model's threshold passes
    defects_flagged: float  # share of defect test images it flags
    operating_points: list[dict[str, float]]  # the same at the thresholds a station may choose (``decision``)
    training_seconds: float
    latency_ms_mean: float
    latency_ms_p95: float
    notes: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=provenance.versions)  # what the figures were measured with

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def evaluate(
    root: Path,
    *,
    train_share: float = DEFAULT_TRAIN_SHARE,
    seed: int = DEFAULT_SEED,
    trees: int = anomaly.TREES,
    copies: int = anomaly.COPIES,
) -> AnomalyReport:
    """Train on ``train_share`` of the defect-free images under ``root``; score the rest and all defect images
    (``trees``, ``copies``: the model's boosting rounds and synthetic-defect copies, fewer only to keep tests
    fast)."""
    if not 0 < train_share < 1:
        raise InputError.for_field("train_share", "must lie between 0 and 1 (exclusive)")
    items = read_anomaly(root)
    free = [item for item in items if item.label is None]
    defects = [item for item in items if item.label is not None]
    if not defects:
        raise InputError.for_field(str(root), "no defect folders: nothing to test the model against")
    train_index, test_index = stratified_holdout([None] * len(free), test_share=1 - train_share, seed=seed)
    if not test_index:
        raise InputError.for_field("train_share", f"leaves no defect-free test image out of {len(free)}")
    started = time.perf_counter()
    model = anomaly.train([read_grey(free[i].path) for i in train_index], seed=seed, trees=trees, copies=copies)
    training_seconds = time.perf_counter() - started

    tests = [free[i] for i in test_index] + defects
    is_defect = np.array([item.label is not None for item in tests])
    scores = np.zeros(len(tests))
    flagged = np.zeros(len(tests), dtype=bool)
    latencies: list[float] = []
    pixel_scores: list[NDArray[np.float32]] = []
    pixel_truth: list[NDArray[np.bool_]] = []
    for number, item in enumerate(tests):
        image = read_grey(item.path)
        began = time.perf_counter()
        verdict = model.inspect(image)
        latencies.append(time.perf_counter() - began)
        scores[number] = verdict.score
        flagged[number] = verdict.kind is VerdictKind.ANOMALOUS
        assert verdict.heatmap is not None  # an anomaly verdict always carries its map
        pixel_scores.append(verdict.heatmap.ravel())
        mask = read_mask(item.mask_path, image.shape) if item.mask_path is not None else None
        pixel_truth.append(mask.ravel() if mask is not None else np.zeros(image.size, dtype=bool))

    classes = sorted({item.label for item in defects if item.label is not None})
    labels = [item.label for item in tests]
    per_class: dict[str, float] = {}
    pixel_per_class: dict[str, float] = {}
    for name in classes:
        chosen = [n for n, label in enumerate(labels) if label is None or label == name]
        per_class[name] = auroc(is_defect[chosen], scores[chosen])
        truth = np.concatenate([pixel_truth[n] for n in chosen])
        if truth.any():
            pixel_per_class[name] = auroc(truth, np.concatenate([pixel_scores[n] for n in chosen]))
    every_truth = np.concatenate(pixel_truth)
    every_score = np.concatenate(pixel_scores)
    has_pixels = bool(every_truth.any())
    milliseconds = np.array(latencies) * 1000
    return AnomalyReport(
        algorithm=anomaly.ALGORITHM,
        split=(
            f"defect-free images shuffled with seed {seed}: {len(train_index)} train, {len(test_index)} test; "
            f"all {len(defects)} defect images test"
        ),
        seed=seed,
        train_share=train_share,
        train_images=len(train_index),
        test_free_images=len(test_index),
        test_defect_images={name: labels.count(name) for name in classes},
        image_auroc=auroc(is_defect, scores),
        image_auroc_per_class=per_class,
        pixel_auroc=auroc(every_truth, every_score) if has_pixels else None,
        pixel_auroc_per_class=pixel_per_class,
        pixel_best_f1=best_f1(every_truth, every_score) if has_pixels else None,
        threshold=model.threshold,
        free_passed=float(np.mean(~flagged[~is_defect])),
        defects_flagged=float(np.mean(flagged[is_defect])),
        operating_points=decision.operating_points(
            Task.ANOMALY, scores[~is_defect].tolist(), scores[is_defect].tolist(), model.threshold
        ),
        training_seconds=round(training_seconds, 2),
        latency_ms_mean=float(milliseconds.mean()),
        latency_ms_p95=float(np.percentile(milliseconds, 95)),
        notes=[f"{len(free)} defect-free and {len(defects)} defect images under {root}"],
    )


def best_f1(truth: NDArray[np.bool_], scores: NDArray[np.float32], thresholds: int = F1_THRESHOLDS) -> float:
    """The highest F1 of "score ≥ t" over ``thresholds`` cut points at quantiles of the scores."""
    cuts = np.unique(np.quantile(scores, np.linspace(0, 1, thresholds, endpoint=False)))
    bins = np.searchsorted(cuts, scores, side="right")  # pixel in bin b ⇔ it passes cuts[:b]
    positives = np.bincount(bins, weights=truth.astype(np.float64), minlength=len(cuts) + 1)
    counts = np.bincount(bins, minlength=len(cuts) + 1).astype(np.float64)
    # flagged at cut k: every pixel in bins k+1 .. end
    true_positive = np.cumsum(positives[::-1])[::-1][1:]
    flagged = np.cumsum(counts[::-1])[::-1][1:]
    total = float(truth.sum())
    f1 = 2 * true_positive / np.maximum(flagged + total, 1e-12)
    return float(f1.max())

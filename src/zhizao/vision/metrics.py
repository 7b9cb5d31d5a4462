"""Evaluation metrics, written out so that each can be checked against a hand computation.

- ``auroc``: the probability that a random positive scores above a random negative, ties counting one half
  (the Mann–Whitney U statistic over n_pos · n_neg).
- ``box_iou``: intersection over union of two boxes in the half-open pixel convention of ``types.Box``.
- ``average_precision``: Pascal-VOC 2010+ all-point interpolated AP: detections sorted by score, a detection is a
  true positive when it overlaps a still-unmatched ground-truth box of its class by IoU ≥ the threshold (each
  ground truth matched once), precision made monotone from the right, AP = Σ (r_i − r_{i−1}) · p_i.
- ``mean_average_precision``: the mean of the per-class APs over the classes that have ground truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from zhizao.vision.types import Box


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    if len(truth) != len(predicted) or not truth:
        raise ValueError("truth and predictions must be non-empty and of equal length")
    return sum(a == b for a, b in zip(truth, predicted, strict=True)) / len(truth)


def recall_per_class(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Per true class, the share of its images predicted as that class."""
    totals = Counter(truth)
    hits = Counter(a for a, b in zip(truth, predicted, strict=True) if a == b)
    return {label: hits[label] / totals[label] for label in sorted(totals)}


def auroc(labels: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve for boolean ``labels`` (True = positive) and higher-is-positive ``scores``."""
    truth = np.asarray(labels, dtype=bool).ravel()
    values = np.asarray(scores, dtype=np.float64).ravel()
    positives, negatives = int(truth.sum()), int((~truth).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("AUROC needs at least one positive and one negative")
    ranks = rankdata(values)  # average ranks: ties count one half
    u = ranks[truth].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def box_iou(a: Box, b: Box) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    intersection = max(0, width) * max(0, height)
    union = a.area + b.area - intersection
    return intersection / union if union > 0 else 0.0


def average_precision(
    truth: Sequence[Sequence[Box]],
    detections: Sequence[Sequence[Box]],
    label: str,
    iou_threshold: float = 0.5,
    ignored: Sequence[Sequence[Box]] | None = None,
) -> float | None:
    """AP of one class over images (``truth[i]`` and ``detections[i]`` belong to image i); None without ground truth.

    ``ignored[i]``: boxes of image i that count neither way (Pascal VOC's "difficult" objects): not to be found, and
    a detection whose best match among the truth and these is one of these is neither a hit nor a false alarm."""
    if len(truth) != len(detections) or (ignored is not None and len(ignored) != len(truth)):
        raise ValueError("one list of ground truth and one of detections per image")
    wanted = [[box for box in boxes if box.label == label] for boxes in truth]
    skipped = [[box for box in boxes if box.label == label] for boxes in ignored] if ignored else [[]] * len(truth)
    total = sum(len(boxes) for boxes in wanted)
    if total == 0:
        return None
    found = [(box.score, image, box) for image, boxes in enumerate(detections) for box in boxes if box.label == label]
    found.sort(key=lambda item: -item[0])  # stable: equal scores keep image order
    matched = [[False] * len(boxes) for boxes in wanted]
    hits: list[float] = []
    for _score, image, box in found:
        overlaps = [box_iou(box, other) for other in (*wanted[image], *skipped[image])]
        best = int(np.argmax(overlaps)) if overlaps else -1
        if best >= len(wanted[image]) and overlaps[best] >= iou_threshold:
            continue  # it found an ignored box: not counted
        hit = best >= 0 and overlaps[best] >= iou_threshold and not matched[image][best]
        if hit:
            matched[image][best] = True
        hits.append(1.0 if hit else 0.0)
    true_positives = np.cumsum(hits)
    recall = true_positives / total
    precision = true_positives / np.arange(1, len(hits) + 1)
    recall = np.concatenate(([0.0], recall, [1.0]))
    precision = np.concatenate(([0.0], precision, [0.0]))
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.nonzero(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def mean_average_precision(
    truth: Sequence[Sequence[Box]],
    detections: Sequence[Sequence[Box]],
    iou_threshold: float = 0.5,
    ignored: Sequence[Sequence[Box]] | None = None,
) -> tuple[float, dict[str, float]]:
    """mAP over the classes present in the ground truth, and each class's AP (``ignored``: as for one class)."""
    labels = sorted({box.label for boxes in truth for box in boxes})
    per_class: dict[str, float] = {}
    for label in labels:
        value = average_precision(truth, detections, label, iou_threshold, ignored)
        if value is not None:
            per_class[label] = value
    if not per_class:
        raise ValueError("no ground-truth boxes")
    return float(np.mean(list(per_class.values()))), per_class

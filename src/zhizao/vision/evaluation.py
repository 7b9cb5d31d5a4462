"""Evaluating a trained model on its dataset version's test split, and timing it.

- classify: accuracy and recall per class (``metrics``), with the confusion counts;
- detect: mAP@0.5 (VOC all-point) and AP per class over the test images' boxes;
- anomaly: image AUROC of the anomaly scores, defect images against defect-free ones, when the test split has
  both; always the pass rate of the defect-free test images, and the share of defect images flagged;
- anomaly and detect, when the test split has defect-free images and defect images: the operating points a station
  chooses its threshold from (``decision.operating_points``).

Latency is the wall time of ``inspect`` per test image (decoding excluded), mean and 95th percentile in ms.
An image the model's ``spec`` refuses (another size) is counted as rejected and left out of the figures.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zhizao.errors import InputError
from zhizao.vision import decision, metrics
from zhizao.vision.model import InspectionModel
from zhizao.vision.types import Box, GreyImage, Task, Verdict, VerdictKind

PASS_NAMES = frozenset({"good", "ok", "free"})  # a classify class with one of these names is the pass class


@dataclass(frozen=True, slots=True)
class TestImage:
    image: GreyImage
    label: str | None
    boxes: tuple[Box, ...] = ()


@dataclass(frozen=True, slots=True)
class Evaluation:
    metrics: dict[str, Any]
    latency_ms: float | None
    verdicts: list[Verdict] = field(default_factory=list)


def pass_class(classes: Sequence[str]) -> str | None:
    return next((name for name in classes if name.casefold() in PASS_NAMES), None)


def evaluate(model: InspectionModel, task: Task, classes: Sequence[str], test: Sequence[TestImage]) -> Evaluation:
    kept: list[TestImage] = []
    verdicts: list[Verdict] = []
    seconds: list[float] = []
    for index, item in enumerate(test):
        try:
            model.spec.check(item.image, f"test image {index}")
        except InputError:
            continue
        started = time.perf_counter()
        verdict = model.inspect(item.image)
        seconds.append(time.perf_counter() - started)
        kept.append(item)
        verdicts.append(verdict)
    figures: dict[str, Any] = {"test_images": len(kept), "rejected_test_images": len(test) - len(kept)}
    if seconds:
        figures["latency_p95_ms"] = float(np.percentile(seconds, 95) * 1000)
    if kept:
        scorer = {Task.CLASSIFY: _classify, Task.DETECT: _detect, Task.ANOMALY: _anomaly}[task]
        figures.update(scorer(kept, verdicts, classes))
    latency = float(np.mean(seconds) * 1000) if seconds else None
    return Evaluation(figures, latency, verdicts)


def _classify(test: Sequence[TestImage], verdicts: Sequence[Verdict], classes: Sequence[str]) -> dict[str, Any]:
    good = pass_class(classes) or "good"
    truth = [item.label or good for item in test]
    predicted = [verdict.label if verdict.kind is not VerdictKind.PASS and verdict.label else good
                 for verdict in verdicts]  # fmt: skip
    confusion: dict[str, dict[str, int]] = {}
    for (actual, guess), count in sorted(Counter(zip(truth, predicted, strict=True)).items()):
        confusion.setdefault(actual, {})[guess] = count
    return {
        "accuracy": metrics.accuracy(truth, predicted),
        "recall_per_class": metrics.recall_per_class(truth, predicted),
        "confusion": confusion,
    }


def _detect(test: Sequence[TestImage], verdicts: Sequence[Verdict], classes: Sequence[str]) -> dict[str, Any]:
    truth = [list(item.boxes) for item in test]
    found = [list(verdict.boxes) for verdict in verdicts]
    if not any(truth):
        return {"map50": None, "note": "the test split holds no boxes"}
    mean, per_class = metrics.mean_average_precision(truth, found, 0.5)
    scores = [decision.part_score(verdict, Task.DETECT) for verdict in verdicts]
    good = [score for score, boxes in zip(scores, truth, strict=True) if not boxes]
    defect = [score for score, boxes in zip(scores, truth, strict=True) if boxes]
    points = decision.operating_points(Task.DETECT, good, defect, None)
    return {"map50": mean, "ap_per_class": per_class, **({"operating_points": points} if points else {})}


def _anomaly(test: Sequence[TestImage], verdicts: Sequence[Verdict], classes: Sequence[str]) -> dict[str, Any]:
    defect = [item.label is not None for item in test]
    flagged = [verdict.kind is not VerdictKind.PASS for verdict in verdicts]
    result: dict[str, Any] = {"good_test_images": defect.count(False), "defect_test_images": defect.count(True)}
    goods = [hit for hit, bad in zip(flagged, defect, strict=True) if not bad]
    if goods:
        result["pass_rate"] = goods.count(False) / len(goods)
    bads = [hit for hit, bad in zip(flagged, defect, strict=True) if bad]
    if bads:
        result["defects_flagged"] = bads.count(True) / len(bads)
    if goods and bads:
        result["image_auroc"] = metrics.auroc(defect, [verdict.score for verdict in verdicts])
        per_class: dict[str, float] = {}
        for name in sorted({item.label for item in test if item.label is not None}):
            chosen = [i for i, item in enumerate(test) if item.label in (None, name)]
            per_class[name] = metrics.auroc(
                [defect[i] for i in chosen], [verdicts[i].score for i in chosen]
            )  # that defect class against every good test image
        result["auroc_per_class"] = per_class
        scores = [verdict.score for verdict in verdicts]
        result["operating_points"] = decision.operating_points(
            Task.ANOMALY, [score for score, bad in zip(scores, defect, strict=True) if not bad],
            [score for score, bad in zip(scores, defect, strict=True) if bad], verdicts[0].threshold,
        )  # fmt: skip
    return result


def headline(task: Task, figures: dict[str, Any]) -> tuple[str, float | None]:
    """The one figure the model lists sort and compare by: accuracy, mAP@0.5, image AUROC (else pass rate)."""
    if task is Task.CLASSIFY:
        return "accuracy", figures.get("accuracy")
    if task is Task.DETECT:
        return "map50", figures.get("map50")
    if "image_auroc" in figures:
        return "image_auroc", figures["image_auroc"]
    return "pass_rate", figures.get("pass_rate")


def per_class(task: Task, figures: dict[str, Any]) -> dict[str, float]:
    """The per-class figure of a task: recall (classify), AP (detect), AUROC per defect class (anomaly)."""
    key = {Task.CLASSIFY: "recall_per_class", Task.DETECT: "ap_per_class", Task.ANOMALY: "auroc_per_class"}[task]
    value = figures.get(key)
    return {str(name): float(score) for name, score in value.items()} if isinstance(value, dict) else {}

"""A station's own decision threshold (判定阈值), and the operating points that help choose it.

A model decides at its own threshold: an anomaly model flags an image whose score exceeds the highest
cross-fitted score of its training images; a detector reports a defect for any box it returns (its floor is
``detect.Settings.min_score`` weighted by the image's class prior). A line that must catch more defects, or that
scraps too many good parts, sets its own at deployment:

- anomaly: the score above which an image is anomalous (in place of the model's);
- detect: the box score at or above which a box makes the part a defect. Weaker boxes stay in the inspection's
  record as candidates, not drawn, and the part passes, with the confidence 1 − the best box's score.
- classify: none. A classification model's verdict is its most probable class.

An operating point says, on the model's test split, what share of the defect-free images would pass and what
share of the defect images would be flagged at a threshold: the model's own, and the lowest at which at least
100 %, 99 %, 95 % and 90 % of the defect-free images pass (rounded up to 4 decimals, and the shares counted at the
rounded value, so that typing the threshold shown gives what it says).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from zhizao.errors import InputError
from zhizao.vision.types import Task, Verdict, VerdictKind

PASS_SHARES = (1.0, 0.99, 0.95, 0.9)
DECIMALS = 4  # operating points' thresholds are rounded up to what a person reads and types back


def check_threshold(task: Task, threshold: float | None, field: str = "body.threshold") -> float | None:
    """The threshold a station may decide at with a model of ``task``, or a clear refusal naming ``field``."""
    if threshold is None:
        return None
    if not math.isfinite(threshold):
        raise InputError.for_field(field, "must be a finite number")
    if task is Task.CLASSIFY:
        raise InputError.for_field(field, "a classification model's verdict is its most probable class: it takes "
                                   "no threshold")  # fmt: skip
    if task is Task.DETECT and not 0.0 < threshold <= 1.0:
        raise InputError.for_field(field, "a detector's threshold is a box score, above 0 and at most 1")
    if task is Task.ANOMALY and threshold <= 0.0:  # the scores' median on good images is 0; confidence needs > 0
        raise InputError.for_field(field, "an anomaly threshold is a score above 0")
    return float(threshold)


def at_threshold(verdict: Verdict, task: Task, threshold: float | None) -> Verdict:
    """The model's verdict as the station decides it at ``threshold`` (None: the model's own)."""
    if threshold is None or task is Task.CLASSIFY:
        return verdict
    if task is Task.ANOMALY:
        kind = VerdictKind.ANOMALOUS if flags(task, verdict.score, threshold) else VerdictKind.PASS
        return replace(verdict, kind=kind, threshold=threshold)
    best = max(verdict.boxes, key=lambda box: box.score, default=None)
    if best is not None and flags(task, best.score, threshold):
        return Verdict(VerdictKind.DEFECT, best.label, best.score, verdict.boxes)
    return Verdict(VerdictKind.PASS, None, 1.0 - (best.score if best else 0.0), verdict.boxes)


def flags(task: Task, score: Any, threshold: float) -> Any:
    """Whether ``score`` (a number or an array) is flagged at ``threshold``: an anomaly score above it, a box score
    at or above it. The one place the rule is stated, for verdicts and operating points alike."""
    return score > threshold if task is Task.ANOMALY else score >= threshold


def part_score(verdict: Verdict, task: Task) -> float:
    """The score a threshold is compared with: the anomaly score, or a detector's best box score (0 without one)."""
    if task is Task.ANOMALY:
        return float(verdict.score)
    return max((float(box.score) for box in verdict.boxes), default=0.0)


def operating_points(
    task: Task, good: Sequence[float], defect: Sequence[float], own: float | None
) -> list[dict[str, float]]:
    """Pass rate of the defect-free images and share of defect images flagged, at the model's own threshold
    (``own``, when it has one) and at the lowest threshold that lets each of ``PASS_SHARES`` of the good pass."""
    if not good or not defect:
        return []
    good_scores, defect_scores = np.sort(np.asarray(good, dtype=np.float64)), np.asarray(defect, dtype=np.float64)
    thresholds: list[float] = [] if own is None else [own]
    for share in PASS_SHARES:
        kept = float(good_scores[math.ceil(share * len(good_scores)) - 1])  # this many good images must pass
        threshold = _rounded_up(kept)
        if task is Task.DETECT and threshold == kept:  # a box counts at or above it: the threshold must lie past
            threshold = round(kept + 10.0**-DECIMALS, DECIMALS)
        if task is Task.ANOMALY or threshold <= 1.0:
            thresholds.append(threshold)
    points: list[dict[str, float]] = []
    for threshold in dict.fromkeys(thresholds):
        points.append({
            "threshold": threshold,
            "good_passed": float(1.0 - flags(task, good_scores, threshold).mean()),
            "defects_flagged": float(flags(task, defect_scores, threshold).mean()),
        })  # fmt: skip
    return points


def _rounded_up(value: float) -> float:
    """``value`` rounded up to ``DECIMALS`` decimals (a float that prints as it is typed)."""
    scale = 10.0**DECIMALS
    rounded = round(math.ceil(value * scale - 1e-9) / scale, DECIMALS)
    return rounded if rounded >= value else round(rounded + 1.0 / scale, DECIMALS)

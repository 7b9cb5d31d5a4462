"""Defect classification: hand-made texture features (``features.py``), standardised, then a linear support-vector
machine (one-vs-rest) whose scores become probabilities by Platt's sigmoid per class — trained from the plant's own
images on a CPU, with no downloaded weights.

The sigmoids are fitted on held-out scores (scikit-learn's ``CalibratedClassifierCV``, 3 inner folds, then one SVM
on all the images), so a verdict's score is a probability of the predicted class, not an SVM margin. On NEU
(1,800 images, 6 classes, 5 folds) the linear SVM made 2 errors against 3 for a logistic regression on the same
features, and an RBF SVM 8; the SVM's C barely matters between 0.005 and 0.02.

A saved model is a folder of two files the platform writes itself, no pickle: ``model.json`` (task, format version,
algorithm, classes, image spec, feature count) and ``arrays.npz`` (the standardisation, the SVM's weights and the
sigmoids' slopes and offsets); ``probabilities_of`` recomputes scikit-learn's ``predict_proba`` from them.
A class named good, ok or free (any case) is the pass class: an image given it gets a PASS verdict.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from zhizao.errors import InputError
from zhizao.vision import features
from zhizao.vision.images import ImageSpec
from zhizao.vision.model import MODEL_FILE
from zhizao.vision.splits import DEFAULT_SEED
from zhizao.vision.types import GreyImage, Task, Verdict, VerdictKind

ALGORITHM = "texture-linsvm-sigmoid/1"
FORMAT_VERSION = 1
ARRAYS_FILE = "arrays.npz"
PASS_NAMES = frozenset({"good", "ok", "free"})
REGULARISATION = 0.01  # the SVM's C on standardised features: 5-fold accuracy on NEU was flat from 0.005 to 0.02
CALIBRATION_FOLDS = 3


@dataclass(slots=True, eq=False)  # not frozen: InspectionModel declares plain (settable) attributes
class ClassifierModel:
    """Standardised texture features → one-vs-rest SVM scores → a sigmoid per class → probabilities.

    With two classes the SVM has one score (for the second class), as scikit-learn's does."""

    classes: tuple[str, ...]
    spec: ImageSpec
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    weights: NDArray[np.float64]  # classes × features (1 × features for two classes)
    bias: NDArray[np.float64]  # classes (1)
    slope: NDArray[np.float64]  # per score: p = 1 / (1 + exp(slope · score + offset))
    offset: NDArray[np.float64]
    task: Task = field(default=Task.CLASSIFY)

    @property
    def pass_label(self) -> str | None:
        """The class that means a good product, if the model has one."""
        return next((label for label in self.classes if label.lower() in PASS_NAMES), None)

    def probabilities(self, image: GreyImage) -> NDArray[np.float64]:
        """The probability of each class (in ``classes`` order) for one image."""
        with threadpool_limits(1):
            row: NDArray[np.float64] = self.probabilities_of(features.extract(image)[None, :])[0]
        return row

    def probabilities_of(self, rows: NDArray[np.float32]) -> NDArray[np.float64]:
        """Class probabilities (images × classes) from feature rows (``features.extract``)."""
        scores = ((np.asarray(rows, dtype=np.float64) - self.mean) / self.scale) @ self.weights.T + self.bias
        sigmoids = 1.0 / (1.0 + np.exp(np.clip(self.slope * scores + self.offset, -500, 500)))
        if len(self.classes) == 2:
            return np.column_stack([1.0 - sigmoids[:, 0], sigmoids[:, 0]])
        totals = sigmoids.sum(axis=1, keepdims=True)
        uniform = np.full_like(sigmoids, 1.0 / len(self.classes))
        return np.where(totals > 0, sigmoids / np.where(totals > 0, totals, 1.0), uniform)

    def inspect(self, image: GreyImage) -> Verdict:
        probabilities = self.probabilities(image)
        best = int(np.argmax(probabilities))
        label, score = self.classes[best], float(probabilities[best])
        if label == self.pass_label:
            return Verdict(VerdictKind.PASS, None, score)
        return Verdict(VerdictKind.DEFECT, label, score)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / ARRAYS_FILE, mean=self.mean, scale=self.scale, weights=self.weights, bias=self.bias,
                 slope=self.slope, offset=self.offset)  # fmt: skip
        meta = {
            "task": self.task.value,
            "format": FORMAT_VERSION,
            "algorithm": ALGORITHM,
            "classes": list(self.classes),
            "spec": self.spec.as_dict(),
            "features": int(self.mean.shape[0]),
        }
        (folder / MODEL_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def train(images: Sequence[GreyImage], labels: Sequence[str], *, seed: int = DEFAULT_SEED) -> ClassifierModel:
    """A classifier of ``labels`` from ``images`` (at least two classes, two images each)."""
    if len(images) != len(labels):
        raise InputError.for_field("labels", f"{len(labels)} labels for {len(images)} images")
    _check_labels(labels)
    with threadpool_limits(1):  # two threads on two shared cores ran 20× slower than one
        rows = features.extract_many(list(images))
    return fit(rows, labels, spec_of(images), seed=seed)


def fit(
    rows: NDArray[np.float32], labels: Sequence[str], spec: ImageSpec, *, seed: int = DEFAULT_SEED
) -> ClassifierModel:
    """The classifier of ``train`` from features already extracted (one row per image, ``features.extract``)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    if rows.shape != (len(labels), features.feature_count()):
        raise InputError.for_field("labels", f"{len(labels)} labels for {rows.shape[0]} feature rows")
    classes = _check_labels(labels)
    smallest = min(Counter(labels).values())
    with threadpool_limits(1):
        values = rows.astype(np.float64)
        mean = values.mean(axis=0)
        scale = values.std(axis=0)
        scale[scale < 1e-12] = 1.0  # a constant feature carries nothing; keep it at zero
        target = np.array([classes.index(label) for label in labels])
        svm = LinearSVC(C=REGULARISATION, max_iter=20_000, random_state=seed)
        calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=min(CALIBRATION_FOLDS, smallest), ensemble=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a tiny dataset may stop early; the fit still stands
            calibrated.fit((values - mean) / scale, target)
    (fitted,) = calibrated.calibrated_classifiers_  # ensemble=False: one SVM fitted on all the images
    return ClassifierModel(
        classes=classes,
        spec=spec,
        mean=mean,
        scale=scale,
        weights=np.asarray(fitted.estimator.coef_, dtype=np.float64),
        bias=np.asarray(fitted.estimator.intercept_, dtype=np.float64),
        slope=np.array([float(sigmoid.a_) for sigmoid in fitted.calibrators]),
        offset=np.array([float(sigmoid.b_) for sigmoid in fitted.calibrators]),
    )


def _check_labels(labels: Sequence[str]) -> tuple[str, ...]:
    classes = tuple(sorted(set(labels)))
    if len(classes) < 2:
        raise InputError.for_field("labels", "at least two classes are needed to classify")
    counts = Counter(labels)
    short = [label for label in classes if counts[label] < 2]
    if short:
        raise InputError.for_field("labels", f"at least two images per class; {', '.join(short)} has fewer")
    return classes


def load(folder: Path) -> ClassifierModel:
    """The classifier saved in ``folder`` by ``ClassifierModel.save``."""
    try:
        meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        with np.load(folder / ARRAYS_FILE) as arrays:
            model = ClassifierModel(
                classes=tuple(str(label) for label in meta["classes"]),
                spec=ImageSpec.from_dict(meta["spec"]),
                mean=arrays["mean"],
                scale=arrays["scale"],
                weights=arrays["weights"],
                bias=arrays["bias"],
                slope=arrays["slope"],
                offset=arrays["offset"],
            )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError.for_field(str(folder), f"not a saved classifier ({error})") from None
    if meta.get("task") != Task.CLASSIFY.value or meta.get("algorithm") != ALGORITHM:
        raise InputError.for_field(str(folder), f"a {meta.get('algorithm')} model; this version reads {ALGORITHM}")
    if model.mean.shape[0] != features.feature_count():
        raise InputError.for_field(str(folder), "saved with another feature set; train it again")
    return model


def spec_of(images: Sequence[GreyImage]) -> ImageSpec:
    """The exact size when every training image has it, else the range of sides seen."""
    shapes = {image.shape for image in images}
    if len(shapes) == 1:
        height, width = next(iter(shapes))
        return ImageSpec(exact=(int(height), int(width)))
    sides = [side for shape in shapes for side in shape]
    return ImageSpec(min_side=max(16, min(sides) // 2), max_side=max(sides) * 2)

"""The detector's image prior: how likely each class is in an image, from whole-image texture statistics.

The presence prior (``fit_presence``) judges each class apart: the probability that the image holds a box of that
class, so an image may hold several. The softmax prior (``fit_softmax``), what detectors saved before the presence
prior have, shares one unit of probability among the classes, fitted to each image's dominant class. Both give
out-of-fold probabilities for the training images: what the window scorer learns from must look like what it will
see on new images, not the regressions' over-confident fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler

Float = NDArray[np.float64]


def lbp_histogram(image: Float, radius: int) -> Float:
    """Rotation-invariant uniform local binary pattern histogram (10 bins), nearest-pixel neighbours."""
    centre = image[radius:-radius, radius:-radius]
    height, width = centre.shape
    offsets = [(0, radius), (-radius, radius), (-radius, 0), (-radius, -radius),
               (0, -radius), (radius, -radius), (radius, 0), (radius, radius)]  # fmt: skip
    bits = np.stack(
        [image[radius + dy : radius + dy + height, radius + dx : radius + dx + width] >= centre for dy, dx in offsets]
    ).astype(np.int8)
    transitions = np.abs(np.diff(np.concatenate([bits, bits[:1]]), axis=0)).sum(axis=0)
    ones = bits.sum(axis=0)
    codes = np.where(transitions <= 2, ones, 9)
    return np.bincount(codes.ravel(), minlength=10) / codes.size


def image_statistics(image: Float, maps: Float) -> Float:
    """Whole-image statistics of a working image and its texture maps (``detect``'s channels)."""
    norm = maps[0]
    stats = [maps.mean(axis=(1, 2)), maps.std(axis=(1, 2))]
    for channel in (0, 4, 7, 8, 9, 12):
        stats.append(np.percentile(maps[channel], [5, 25, 50, 75, 95]))
    stats.append(np.histogram(np.clip(norm, -2, 2), bins=16, range=(-2, 2))[0] / norm.size)
    for radius in (1, 2, 3):
        stats.append(lbp_histogram(ndimage.gaussian_filter(image, 0.7), radius))
    # directionality: gradient energy along x versus y, at two scales
    stats.append(np.array([np.log((maps[2].mean() + 1e-6) / (maps[3].mean() + 1e-6)),
                           np.log((maps[8].mean() + 1e-6) / (maps[9].mean() + 1e-6))]))  # fmt: skip
    return np.concatenate(stats)


@dataclass(frozen=True, slots=True)
class ClassPrior:
    """Linear scores of the standardised statistics, per class; saved as arrays with the detector."""

    mean: Float
    scale: Float
    coef: Float  # (classes, F)
    intercept: Float  # (classes,)
    presence: bool = False  # each class's own probability of being present; else a softmax over the classes

    def probabilities(self, statistics: Float) -> Float:
        """(N, classes) class probabilities: softmax of the linear scores, or each one's logistic for presence."""
        logits = ((statistics - self.mean) / self.scale) @ self.coef.T + self.intercept
        if self.presence:
            return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -500.0, 500.0))))
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def fit_softmax(statistics: Float, labels: NDArray[np.int64], classes: int, seed: int) -> tuple[ClassPrior, Float]:
    """The softmax prior fitted to each image's dominant class (``labels``), and out-of-fold probabilities for the
    training images."""
    scaler = StandardScaler().fit(statistics)
    scaled = scaler.transform(statistics)
    model = LogisticRegression(C=0.5, max_iter=3000)
    counts = np.bincount(labels, minlength=classes)
    present = counts[counts > 0]
    if len(present) < 2:  # one class only: the prior is certain
        certain = np.zeros((len(labels), classes))
        certain[:, int(np.argmax(counts))] = 1.0
        coef = np.zeros((classes, statistics.shape[1]))
        intercept = np.full(classes, -30.0)
        intercept[int(np.argmax(counts))] = 0.0
        return ClassPrior(scaler.mean_, scaler.scale_, coef, intercept), certain
    folds = int(min(5, present.min()))
    out_of_fold = np.zeros((len(labels), classes))
    if folds >= 2:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed % (2**32))
        seen = np.unique(labels)
        out_of_fold[:, seen] = cross_val_predict(model, scaled, labels, cv=splitter, method="predict_proba")
    model.fit(scaled, labels)
    coef = np.zeros((classes, statistics.shape[1]))
    intercept = np.full(classes, -30.0)
    coef[model.classes_] = model.coef_ if len(model.classes_) > 2 else np.vstack([-model.coef_, model.coef_]) / 2
    intercept[model.classes_] = (
        model.intercept_ if len(model.classes_) > 2 else np.array([-model.intercept_[0], model.intercept_[0]]) / 2
    )
    prior = ClassPrior(scaler.mean_, scaler.scale_, coef, intercept)
    if folds < 2:
        out_of_fold = prior.probabilities(statistics)
    return prior, out_of_fold


def fit_presence(statistics: Float, present: NDArray[np.bool_], seed: int) -> tuple[ClassPrior, Float]:
    """Per class, a logistic regression for "the image holds a box of this class" (images without boxes count as
    holding none), and out-of-fold probabilities for the training images, as for the softmax prior."""
    scaler = StandardScaler().fit(statistics)
    scaled = scaler.transform(statistics)
    classes = present.shape[1]
    coef = np.zeros((classes, statistics.shape[1]))
    intercept = np.zeros(classes)
    out_of_fold = np.zeros(present.shape)
    for index in range(classes):
        target = present[:, index]
        positives = int(target.sum())
        folds = min(5, positives, len(target) - positives)
        if folds < 1:  # in every image or in none: certain
            intercept[index] = 30.0 if positives else -30.0
            out_of_fold[:, index] = 1.0 if positives else 0.0
            continue
        model = LogisticRegression(C=0.5, max_iter=3000).fit(scaled, target)
        coef[index], intercept[index] = model.coef_[0], model.intercept_[0]
        if folds >= 2:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=(seed + index) % (2**32))
            out_of_fold[:, index] = cross_val_predict(model, scaled, target, cv=splitter, method="predict_proba")[:, 1]
        else:  # in one image only, or missing from one only: no folds, the fit itself
            out_of_fold[:, index] = model.predict_proba(scaled)[:, 1]
    prior = ClassPrior(scaler.mean_, scaler.scale_, coef, intercept, presence=True)
    return prior, out_of_fold

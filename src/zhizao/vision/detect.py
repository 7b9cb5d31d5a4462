"""Defect detection with boxes, trained on a CPU from the plant's own images, with no downloaded weights.

The detector scores rectangular windows; no deep network is involved:

1. **Texture maps** — per pixel: grey level, its square, smoothed gradients, local contrast, dark and bright
   deviation from the image's background, Laplacian and line (Hessian) responses, each summed over any window in
   four look-ups of an integral image.
2. **Image prior** — logistic regressions on whole-image texture statistics (local binary patterns, grey and
   gradient histograms) give, per class, the probability that the image holds a defect of that class (the presence
   prior, ``Settings.presence_prior``). Detectors saved before it have one softmax over the classes, fitted to each
   image's dominant class: a class sharing an image with a more prominent one was then mostly not searched.
3. **Candidate windows** — per class, box shapes learned by k-means on that class's training boxes (as fractions of
   the image), slid over the image on a grid.
4. **Window scorer** — per class, a gradient-boosted classifier predicts whether a window overlaps a true box of
   that class by IoU ≥ 0.5 (what AP@0.5 counts; regressing the IoU instead measured 0.03 mAP lower), from the
   texture inside the window, in its middle, in strips just inside and just outside each edge (where a defect
   ends, the box should end), the share of the image's defect energy it holds, its position and size, and the image
   prior. Trained on windows overlapping true boxes, jittered copies of the true boxes and sampled negatives, then
   once more with the negatives the first fit scored highest (hard negatives).
5. **Boxes** — class-wise non-maximum suppression; the window's probability times the square root of the class
   prior is the box's score, comparable across images so that precision-recall ranking (mAP) works. (Moving each
   kept box's edges while its score rose was tried and removed: the search found the scorer's blind spots, and
   mAP@0.5 on NEU fell.)

**Spread features** (``Settings.window_spread``, on by default): the window scorer also sees the standard
deviation inside the window, and inside its middle, of the grey level and of five texture measures (from integral
images of their squares), and, as further texture channels, where four measures lie in the image's top decile.
They gained 0.013 validation mAP on the mean of three training seeds (docs/vision.md).

**Scorer sets** (``Settings.scorer_sets``, 2 by default): each set is one window scorer per class, trained on the
same box shapes and prior but on its own random draw of windows and with its own trees; inspection averages the
sets' window probabilities. One set's mAP moves by up to 0.04 with the training seed alone; averaging two sets
gained 0.015 validation mAP on average over three training seeds, 0.003 on NEU's stated test split on average over
draws (docs/vision.md).

**Learned class maps** (optional, ``Settings(learned_maps=True)``, needs PyTorch): two small fully convolutional
networks (``boxnet``), each trained from scratch on half of the images to predict, per class, which part of the
image lies inside a true box, add their maps as further texture channels. Each training image's maps come from the
network that did not see it; inspection averages both networks' maps.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias

import joblib  # type: ignore[import-untyped]
import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from sklearn.cluster import KMeans
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from zhizao.errors import InputError
from zhizao.vision.detect_prior import ClassPrior, fit_presence, fit_softmax, image_statistics
from zhizao.vision.images import ImageSpec
from zhizao.vision.model import MODEL_FILE
from zhizao.vision.splits import DEFAULT_SEED
from zhizao.vision.types import Box, GreyImage, Task, Verdict, VerdictKind

if TYPE_CHECKING:  # the learned maps are optional: PyTorch is imported only when a model uses them
    from zhizao.vision.boxnet import BoxNet

ALGORITHM = (
    "texture window scorer: integral-image texture features, k-means box shapes per class, "
    "per-class gradient-boosted window classifiers (IoU >= 0.5) with hard negatives, image class prior, class-wise NMS"
)
FUSION_ALGORITHM = " with score-weighted box fusion"
SCORER_SETS_ALGORITHM = "; window probabilities averaged over {sets} scorer sets"
SPREAD_ALGORITHM = "; texture spread features"  # short: the registry keeps 400 characters
PRESENCE_ALGORITHM = "; presence prior"
LEARNED_MAPS_ALGORITHM = "; learned class maps of two small convolutional networks trained from scratch"
FORMAT_VERSION = 1
WORK_SIDE = 256  # larger images are scaled down to this longest side: texture scale and latency stay bounded
ARRAYS_FILE = "detector.npz"
SCORERS_FILE = "scorers.joblib"

Float = NDArray[np.float64]
Scorer: TypeAlias = HistGradientBoostingRegressor | HistGradientBoostingClassifier


@dataclass(frozen=True, slots=True)
class Settings:
    """The detector's knobs; stored with the model so a loaded model behaves as trained."""

    shapes_per_class: int = 12
    grid_steps: int = 25  # window positions per image side (stride = side / grid_steps)
    # Training windows per image and class (80 / 40 / 15 before 2026-11-30: twice as many gained 0.012-0.026
    # validation mAP on each of three training seeds, for a fifth more training time; docs/vision.md)
    negatives_per_image: int = 80
    hard_negatives_per_image: int = 40
    positive_iou: float = 0.3  # windows from here up are sampled as near-hits (IoU ≥ 0.5 of them are the hits)
    positives_per_image: int = 160
    trees: int = 150
    learning_rate: float = 0.12
    leaves: int = 31
    nms_iou: float = 0.25
    boxes_per_class: int = 20
    min_score: float = 0.05
    target: str = "hit"  # "hit": classify IoU ≥ 0.5 (what AP@0.5 counts); "iou": regress the IoU (measured lower)
    prior_power: float = 0.5  # score = window score × prior^power
    # Classes the image prior gives less are not searched (their scores would rank last). 0.05 since 2026-12-01:
    # the same mean validation mAP as 0.02 with the presence prior, for a fifth less training and latency
    min_prior: float = 0.05
    # Box fusion: a kept window's corners become the mean of the windows overlapping it by IoU ≥ fuse_iou that score
    # at least fuse_share of its score, weighted by score^fuse_power (0 turns it off: plain NMS, as detectors saved
    # before it had)
    fuse_iou: float = 0.45
    fuse_share: float = 0.5
    fuse_power: float = 4.0
    # Window scorer sets whose probabilities are averaged (detectors saved before there were sets have one)
    scorer_sets: int = 2
    # Spread features: per window, the spread of the texture measures inside it and its share of the image's
    # strongest responses (validation mAP +0.013 on the mean of three training seeds; detectors saved before them
    # have neither)
    window_spread: bool = True
    # Presence prior: per class, the probability that the image holds any box of that class (one logistic regression
    # per class), in place of the softmax over the image's dominant class, which never searched a class sharing an
    # image with a more prominent one (NEU: 13 % of inclusion boxes lie in scratches or patches images). Detectors
    # saved before it have the softmax prior.
    presence_prior: bool = True
    learned_maps: bool = False  # add the class maps of small networks trained from scratch (needs PyTorch)
    map_epochs: int = 20

    def as_dict(self) -> dict[str, float | int | str]:
        return {name: getattr(self, name) for name in self.__slots__}


# ---------------------------------------------------------------------------------------------------------------
# Texture maps and window features


def _work_image(image: GreyImage) -> tuple[Float, float]:
    """The image at working resolution (float64) and the factor from working to original pixels."""
    height, width = image.shape
    side = max(height, width)
    if side <= WORK_SIDE:
        return image.astype(np.float64), 1.0
    factor = WORK_SIDE / side
    return ndimage.zoom(image.astype(np.float64), factor, order=1), 1.0 / factor


CHANNELS = 14
ENERGY_CHANNELS = (4, 7, 10, 12)  # local contrast, |deviation|, |LoG|, speckle: the share inside the window
HOT_CHANNELS = ENERGY_CHANNELS  # the same defect measures: where each lies in the image's top decile
SQUARED_CHANNELS = (4, 7, 10, 11, 12)  # … and the coarse gradient: their spread inside a window
SQUARES = slice(CHANNELS + len(HOT_CHANNELS), CHANNELS + len(HOT_CHANNELS) + len(SQUARED_CHANNELS))


def _texture_maps(image: Float, spread: bool = False) -> Float:
    """(CHANNELS, H, W) per-pixel texture measures, normalised by the image's own grey level spread; with ``spread``,
    followed by the HOT_CHANNELS' top-decile indicators and the SQUARED_CHANNELS' squares."""
    median = float(np.median(image))
    grey_spread = float(np.percentile(image, 90) - np.percentile(image, 10)) + 1e-3
    norm = (image - median) / grey_spread
    smooth1 = ndimage.gaussian_filter(norm, 1.0)
    smooth2 = ndimage.gaussian_filter(norm, 2.0)
    background = ndimage.gaussian_filter(norm, 12.0)
    gx = ndimage.sobel(smooth1, axis=1)
    gy = ndimage.sobel(smooth1, axis=0)
    local_mean = ndimage.uniform_filter(norm, 7)
    local_std = np.sqrt(np.maximum(ndimage.uniform_filter(norm * norm, 7) - local_mean**2, 0.0))
    deviation = smooth2 - background
    hxx = ndimage.gaussian_filter(norm, 2.0, order=(0, 2))  # across a vertical line
    hyy = ndimage.gaussian_filter(norm, 2.0, order=(2, 0))
    log = ndimage.gaussian_laplace(norm, 3.0)
    g4x = ndimage.sobel(ndimage.gaussian_filter(norm, 4.0), axis=1)
    g4y = ndimage.sobel(ndimage.gaussian_filter(norm, 4.0), axis=0)
    maps = [
        norm,
        norm * norm,
        np.abs(gx),
        np.abs(gy),
        local_std,
        np.maximum(-deviation, 0.0),  # darker than its surroundings
        np.maximum(deviation, 0.0),  # brighter
        np.abs(deviation),
        np.maximum(hxx, 0.0),  # dark vertical ridge (scratch, inclusion)
        np.maximum(hyy, 0.0),  # dark horizontal ridge
        np.abs(log),
        np.abs(g4x) + np.abs(g4y),
        np.abs(norm - ndimage.median_filter(norm, 5)),  # speckle: pits, crazing
        smooth2,
    ]
    if spread:
        maps += [(maps[c] > np.percentile(maps[c], 90)).astype(np.float64) for c in HOT_CHANNELS]
        maps += [maps[c] * maps[c] for c in SQUARED_CHANNELS]
    return np.stack(maps)


def _integral(maps: Float) -> Float:
    channels, height, width = maps.shape
    table = np.zeros((channels, height + 1, width + 1))
    table[:, 1:, 1:] = maps.cumsum(axis=1).cumsum(axis=2)
    return table


def _region_means(table: Float, x0: Float, y0: Float, x1: Float, y1: Float) -> Float:
    """(N, C) mean of each channel over each region (integer-rounded, clipped); NaN for an empty region."""
    height, width = table.shape[1] - 1, table.shape[2] - 1
    ix0 = np.clip(np.round(x0), 0, width).astype(np.intp)
    ix1 = np.clip(np.round(x1), 0, width).astype(np.intp)
    iy0 = np.clip(np.round(y0), 0, height).astype(np.intp)
    iy1 = np.clip(np.round(y1), 0, height).astype(np.intp)
    sums = table[:, iy1, ix1] - table[:, iy0, ix1] - table[:, iy1, ix0] + table[:, iy0, ix0]
    area = ((ix1 - ix0) * (iy1 - iy0)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / area
    means[:, area <= 0] = np.nan
    return means.T


@dataclass(slots=True)
class _ImageData:
    """What the window features need of one image, computed once."""

    table: Float
    global_means: Float  # (C,)
    height: int
    width: int
    prior: Float  # (classes,)
    spread: bool = False  # the table holds the spread channels (hot shares, then squares) after the CHANNELS


def _image_data(
    image: Float, prior: Float, learned: NDArray[np.float32] | None = None, spread: bool = False
) -> _ImageData:
    maps = _texture_maps(image, spread)
    if learned is not None:  # the learned class maps are further channels, upsampled from their coarse grid
        maps = np.concatenate([maps, _upsampled(learned, image.shape)])
    return _ImageData(_integral(maps), maps.mean(axis=(1, 2)), image.shape[0], image.shape[1], prior, spread)


def _window_features(data: _ImageData, windows: Float, class_index: int) -> Float:
    """(N, F) features of windows (N, 4: x0, y0, x1, y1 in working pixels)."""
    x0, y0, x1, y1 = windows.T
    w, h = x1 - x0, y1 - y0
    sx = np.maximum(3.0, 0.25 * w)
    sy = np.maximum(3.0, 0.25 * h)
    g = data.global_means
    regions = [
        (x0, y0, x1, y1),  # inside
        (x0 + w / 4, y0 + h / 4, x1 - w / 4, y1 - h / 4),  # middle
        (x0, y0, x0 + sx, y1),  # strips inside each edge: left, right, top, bottom
        (x1 - sx, y0, x1, y1),
        (x0, y0, x1, y0 + sy),
        (x0, y1 - sy, x1, y1),
        (x0 - sx, y0, x0, y1),  # strips outside each edge
        (x1, y0, x1 + sx, y1),
        (x0, y0 - sy, x1, y0),
        (x0, y1, x1, y1 + sy),
    ]
    means = [_region_means(data.table, *region) for region in regions]
    spreads = []
    if data.spread:  # the squares serve only the spreads; the hot shares are texture measures like the others
        spreads = [_spreads(region_means) for region_means in means[:2]]
        squares = np.arange(data.table.shape[0])[SQUARES]
        means = [np.delete(region_means, squares, axis=1) for region_means in means]
        g = np.delete(g, squares)
    inside = means[0]
    parts = [inside - g, means[1] - g, *spreads]
    for k in range(4):  # the step across each edge: inside strip minus outside strip
        parts.append(means[2 + k] - g)
        parts.append(means[2 + k] - means[6 + k])
    total_area = data.height * data.width
    area = np.maximum(w * h, 1.0)
    energy = inside[:, ENERGY_CHANNELS] * area[:, None] / (g[list(ENERGY_CHANNELS)] * total_area + 1e-9)
    geometry = np.stack(
        [
            x0 / data.width,
            y0 / data.height,
            x1 / data.width,
            y1 / data.height,
            w / data.width,
            h / data.height,
            np.log(np.maximum(w, 1.0) / np.maximum(h, 1.0)),
            area / total_area,
        ],
        axis=1,
    )
    n = len(windows)
    context = np.broadcast_to(
        np.concatenate([g, data.prior, [data.prior[class_index]]]), (n, len(g) + len(data.prior) + 1)
    )
    return np.concatenate([*parts, energy, geometry, context], axis=1)


def _image_statistics(image: Float) -> Float:
    return image_statistics(image, _texture_maps(image))


def _spreads(means: Float) -> Float:
    """(N, 1 + len(SQUARED_CHANNELS)) standard deviation inside each region of the grey level and of the
    SQUARED_CHANNELS, from the region means of the measures and of their squares."""
    plain = means[:, [0, *SQUARED_CHANNELS]]
    squared = np.concatenate([means[:, [1]], means[:, SQUARES]], axis=1)  # channel 1 is the grey level squared
    return np.sqrt(np.maximum(squared - plain * plain, 0.0))


# ---------------------------------------------------------------------------------------------------------------
# Candidate windows


def _box_shapes(fractions: Float, count: int, seed: int) -> Float:
    """(k, 2) typical (width, height) fractions of a class's boxes, by k-means on log sizes."""
    unique = np.unique(np.round(fractions, 3), axis=0)
    k = min(count, len(unique))
    if k == len(unique):
        return unique
    logs = np.log(np.clip(fractions, 1e-3, 1.0))
    centres = KMeans(k, n_init=4, random_state=seed % (2**32)).fit(logs).cluster_centers_
    return np.asarray(np.exp(centres))


def _windows(shapes: Float, height: int, width: int, steps: int) -> Float:
    """(N, 4) windows of every shape at grid positions, the last position flush with the far edges."""
    stride_x, stride_y = width / steps, height / steps
    out = []
    for fw, fh in shapes:
        w, h = max(2.0, fw * width), max(2.0, fh * height)
        xs = np.unique(np.append(np.arange(0.0, max(width - w, 0.0) + 1e-9, stride_x), max(width - w, 0.0)))
        ys = np.unique(np.append(np.arange(0.0, max(height - h, 0.0) + 1e-9, stride_y), max(height - h, 0.0)))
        gx, gy = np.meshgrid(xs, ys)
        x0, y0 = gx.ravel(), gy.ravel()
        out.append(np.stack([x0, y0, np.minimum(x0 + w, width), np.minimum(y0 + h, height)], axis=1))
    return np.concatenate(out)


def _iou_matrix(a: Float, b: Float) -> Float:
    """(len(a), len(b)) IoU of float boxes (x0, y0, x1, y1)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return np.asarray(inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9))


def _fused(windows: Float, scores: Float, kept: NDArray[np.intp], settings: Settings) -> Float:
    """The kept windows' corners as the score-weighted mean of the windows that overlap each of them well and score
    nearly as high: the grid of candidate windows is coarse, and the scorer ranks several near-misses of one defect
    alike; their mean lies closer to the defect than any one of them (validation mAP@0.5 0.534 → 0.603 with NMS at
    IoU 0.25, which plain NMS did not suit: docs/vision.md)."""
    near = _iou_matrix(windows[kept], windows) >= settings.fuse_iou  # a kept window (score > 0) counts itself
    near &= scores[None, :] >= settings.fuse_share * scores[kept][:, None]
    weights = np.where(near, scores[None, :] ** settings.fuse_power, 0.0)
    return np.asarray(weights @ windows / weights.sum(axis=1, keepdims=True))


def _nms(windows: Float, scores: Float, threshold: float, keep: int) -> NDArray[np.intp]:
    order = np.argsort(-scores, kind="stable")
    chosen: list[int] = []
    while len(order) and len(chosen) < keep:
        best = int(order[0])
        chosen.append(best)
        rest = order[1:]
        order = rest[_iou_matrix(windows[best : best + 1], windows[rest])[0] <= threshold]
    return np.array(chosen, dtype=np.intp)


# ---------------------------------------------------------------------------------------------------------------
# The model


@dataclass(slots=True)
class DetectorModel:
    """A trained detector: per-class box shapes and window scorers, and the image class prior."""

    classes: tuple[str, ...]
    spec: ImageSpec
    shapes: tuple[Float, ...]  # per class, (k, 2) width and height as fractions of the image
    prior: ClassPrior
    scorers: tuple[Scorer, ...]  # set by set, each one per class: scorers[set × classes + class]
    settings: Settings = field(default_factory=Settings)
    seed: int = DEFAULT_SEED
    task: Task = Task.DETECT
    map_networks: tuple[BoxNet, ...] = ()  # with learned_maps: the two fold networks, whose maps are averaged

    @property
    def algorithm(self) -> str:
        fusion = FUSION_ALGORITHM if self.settings.fuse_iou > 0 else ""
        sets = self.settings.scorer_sets
        averaged = SCORER_SETS_ALGORITHM.format(sets=sets) if sets > 1 else ""
        spread = SPREAD_ALGORITHM if self.settings.window_spread else ""
        presence = PRESENCE_ALGORITHM if self.settings.presence_prior else ""
        learned = LEARNED_MAPS_ALGORITHM if self.map_networks else ""
        return ALGORITHM + fusion + spread + presence + averaged + learned

    def detect(self, image: GreyImage) -> list[Box]:
        """Every box the model finds, best first, in the image's own pixels."""
        work, factor = _work_image(image)
        with threadpool_limits(1):
            probabilities = self.prior.probabilities(_image_statistics(work)[None, :])[0]
            learned = _mean_maps(self.map_networks, work) if self.map_networks else None
            data = _image_data(work, probabilities, learned, self.settings.window_spread)
            found: list[Box] = []
            for index, label in enumerate(self.classes):
                if probabilities[index] < self.settings.min_prior:
                    continue
                windows, scores = self._detect_class(data, index)
                found.extend(_to_box(window, factor, image.shape, label, float(score))
                             for window, score in zip(windows, scores, strict=True))  # fmt: skip
        found.sort(key=lambda box: -box.score)
        return found

    def _score(self, data: _ImageData, windows: Float, index: int) -> Float:
        features = _window_features(data, windows, index)
        classes = len(self.classes)
        of_class = [self.scorers[number * classes + index] for number in range(self.settings.scorer_sets)]
        predicted = np.mean([_predict(scorer, features) for scorer in of_class], axis=0)
        return np.asarray(predicted * data.prior[index] ** self.settings.prior_power)

    def _detect_class(self, data: _ImageData, index: int) -> tuple[Float, Float]:
        settings = self.settings
        windows = _windows(self.shapes[index], data.height, data.width, settings.grid_steps)
        scores = self._score(data, windows, index)
        kept = _nms(windows, scores, settings.nms_iou, settings.boxes_per_class)
        kept = kept[scores[kept] >= settings.min_score * data.prior[index] ** settings.prior_power]
        boxes = _fused(windows, scores, kept, settings) if settings.fuse_iou > 0 else windows[kept]
        return boxes, scores[kept]

    def inspect(self, image: GreyImage) -> Verdict:
        boxes = tuple(self.detect(image))
        if not boxes:
            return Verdict(VerdictKind.PASS, None, 1.0)
        return Verdict(VerdictKind.DEFECT, boxes[0].label, boxes[0].score, boxes)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, NDArray[np.float64]] = {
            "prior_mean": self.prior.mean,
            "prior_scale": self.prior.scale,
            "prior_coef": self.prior.coef,
            "prior_intercept": self.prior.intercept,
        }
        for index, shapes in enumerate(self.shapes):
            arrays[f"shapes_{index}"] = shapes
        for index, network in enumerate(self.map_networks):
            arrays.update(network.arrays(f"network_{index}/"))
        np.savez(folder / ARRAYS_FILE, **arrays)  # type: ignore[arg-type]
        joblib.dump(list(self.scorers), folder / SCORERS_FILE)  # sklearn trees have no portable array form
        meta = {
            "task": self.task.value,
            "format": FORMAT_VERSION,
            "algorithm": self.algorithm,
            "classes": list(self.classes),
            "spec": self.spec.as_dict(),
            "settings": self.settings.as_dict(),
            "seed": self.seed,
            "map_networks": [{"width": network.width} for network in self.map_networks],
        }
        (folder / MODEL_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def _boxnet() -> ModuleType:
    try:
        return importlib.import_module("zhizao.vision.boxnet")
    except ImportError:
        raise InputError.for_field("learned_maps", "needs PyTorch: pip install 'zhizao[vision]'") from None


def _map_network(arrays: dict[str, NDArray[Any]], prefix: str, classes: int, width: int) -> BoxNet:
    network: BoxNet = _boxnet().BoxNet.from_arrays(arrays, prefix, classes, width)
    return network


def _mean_maps(networks: Sequence[BoxNet], work: Float) -> NDArray[np.float32]:
    return np.asarray(np.mean([network.maps([work])[0] for network in networks], axis=0), dtype=np.float32)


def _upsampled(coarse: NDArray[np.float32], shape: tuple[int, ...]) -> Float:
    """Coarse class maps brought to the work image's pixels (bilinear)."""
    _, height, width = coarse.shape
    return np.asarray(ndimage.zoom(coarse.astype(np.float64), (1, shape[0] / height, shape[1] / width), order=1))


def _to_box(window: Float, factor: float, shape: tuple[int, ...], label: str, score: float) -> Box:
    height, width = shape
    x0 = int(np.clip(np.floor(window[0] * factor + 0.5), 0, width - 1))
    y0 = int(np.clip(np.floor(window[1] * factor + 0.5), 0, height - 1))
    x1 = int(np.clip(np.floor(window[2] * factor + 0.5), x0 + 1, width))
    y1 = int(np.clip(np.floor(window[3] * factor + 0.5), y0 + 1, height))
    return Box(x0, y0, x1, y1, label, score)


def load(folder: Path) -> DetectorModel:
    """The detector saved in ``folder`` by DetectorModel.save."""
    try:
        meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        if meta.get("task") != Task.DETECT.value or meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"not a detector of format {FORMAT_VERSION}")
        classes = tuple(str(label) for label in meta["classes"])
        # saved before box fusion: without it; before scorer sets: one set; before spread features: none; before the
        # presence prior: the softmax prior
        settings = Settings(**{"fuse_iou": 0.0, "scorer_sets": 1, "window_spread": False, "presence_prior": False,
                               **meta["settings"]})  # fmt: skip
        with np.load(folder / ARRAYS_FILE) as arrays:
            prior = ClassPrior(arrays["prior_mean"], arrays["prior_scale"], arrays["prior_coef"],
                           arrays["prior_intercept"], presence=settings.presence_prior)  # fmt: skip
            shapes = tuple(np.asarray(arrays[f"shapes_{index}"]) for index in range(len(classes)))
            networks = meta.get("map_networks", [])
            named = dict(arrays) if networks else {}  # read once, not once per network
            map_networks = tuple(_map_network(named, f"network_{index}/", len(classes), int(spec["width"]))
                                 for index, spec in enumerate(networks))  # fmt: skip
        scorers = tuple(joblib.load(folder / SCORERS_FILE))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError.for_field(str(folder), f"not a saved detector ({error})") from None
    if len(scorers) != len(classes) * settings.scorer_sets:
        raise InputError.for_field(
            str(folder), f"saved detector is incomplete: {settings.scorer_sets} scorer(s) per class expected"
        )
    return DetectorModel(
        classes,
        ImageSpec.from_dict(meta["spec"]),
        shapes,
        prior,
        scorers,
        settings,
        int(meta["seed"]),
        map_networks=map_networks,
    )


# ---------------------------------------------------------------------------------------------------------------
# Training


def _spec_of(images: Sequence[GreyImage]) -> ImageSpec:
    sizes = {image.shape for image in images}
    if len(sizes) == 1:
        height, width = next(iter(sizes))
        return ImageSpec(exact=(int(height), int(width)))
    sides = [side for image in images for side in image.shape]
    return ImageSpec(min_side=max(16, min(sides) // 2), max_side=min(8000, max(sides) * 2))


def _dominant_label(boxes: Sequence[Box], classes: tuple[str, ...]) -> int:
    """The image's class for the prior: the label covering the most area."""
    area: dict[str, int] = {}
    for box in boxes:
        area[box.label] = area.get(box.label, 0) + box.area
    return classes.index(max(area, key=lambda label: area[label]))


def _check(images: Sequence[GreyImage], boxes: Sequence[Sequence[Box]]) -> None:
    if len(images) != len(boxes):
        raise InputError.for_field("boxes", f"{len(boxes)} box lists for {len(images)} images")
    if not any(boxes):
        raise InputError.for_field("boxes", "no boxes: a detector learns from labelled boxes")
    for number, (image, image_boxes) in enumerate(zip(images, boxes, strict=True)):
        if image.ndim != 2 or min(image.shape) < 16:
            raise InputError.for_field(f"images[{number}]", "a grey image of at least 16 × 16 pixels expected")
        height, width = image.shape
        for box in image_boxes:
            if not (0 <= box.x0 < box.x1 <= width and 0 <= box.y0 < box.y1 <= height):
                raise InputError.for_field(f"boxes[{number}]", f"box {box} lies outside the {width} × {height} image")


def train(
    images: Sequence[GreyImage],
    boxes: Sequence[Sequence[Box]],
    *,
    seed: int = DEFAULT_SEED,
    settings: Settings | None = None,
) -> DetectorModel:
    """A detector for the classes named in ``boxes`` (images without boxes teach what is not a defect)."""
    _check(images, boxes)
    settings = settings or Settings()
    if settings.scorer_sets < 1:
        raise InputError.for_field("scorer_sets", f"at least one scorer set expected, got {settings.scorer_sets}")
    classes = tuple(sorted({box.label for image_boxes in boxes for box in image_boxes}))
    with threadpool_limits(1):
        works = [_work_image(image) for image in images]
        statistics = np.stack([_image_statistics(work) for work, _ in works])
        prior, priors = _fit_image_prior(statistics, boxes, classes, settings.presence_prior, seed)
        truth = [[_corners(image_boxes, label) / factor for label in classes]
                 for (_, factor), image_boxes in zip(works, boxes, strict=True)]  # fmt: skip
        shapes = []
        for index, label in enumerate(classes):
            fractions = np.array([[(b.x1 - b.x0) / image.shape[1], (b.y1 - b.y0) / image.shape[0]]
                                  for image, image_boxes in zip(images, boxes, strict=True)
                                  for b in image_boxes if b.label == label])  # fmt: skip
            shapes.append(_box_shapes(fractions, settings.shapes_per_class, seed + index))
        plain = [work for work, _ in works]
        networks, learned = _train_map_networks(plain, truth, boxes, classes, settings, seed) if settings.learned_maps \
            else ((), [None] * len(plain))  # fmt: skip
        scorers = _train_scorers(plain, priors, truth, shapes, settings, seed, learned)
    return DetectorModel(
        classes, _spec_of(images), tuple(shapes), prior, scorers, settings, seed, map_networks=networks
    )


def _fit_image_prior(
    statistics: Float, boxes: Sequence[Sequence[Box]], classes: tuple[str, ...], presence: bool, seed: int
) -> tuple[ClassPrior, Float]:
    """The prior, and each training image's out-of-fold probabilities (the softmax prior learns from the images with
    boxes only; the others get its fitted probabilities)."""
    if presence:
        present = np.array([[any(box.label == label for box in image_boxes) for label in classes]
                            for image_boxes in boxes])  # fmt: skip
        return fit_presence(statistics, present, seed)
    labelled = [i for i, image_boxes in enumerate(boxes) if image_boxes]
    labels = np.array([_dominant_label(boxes[i], classes) for i in labelled], dtype=np.int64)
    prior, out_of_fold = fit_softmax(statistics[labelled], labels, len(classes), seed)
    priors = prior.probabilities(statistics)
    priors[labelled] = out_of_fold
    return prior, priors


MIN_MAP_IMAGES = 8


def _train_map_networks(
    works: list[Float],
    truth: list[list[Float]],
    boxes: Sequence[Sequence[Box]],
    classes: tuple[str, ...],
    settings: Settings,
    seed: int,
) -> tuple[tuple[BoxNet, ...], list[NDArray[np.float32] | None]]:
    """Two map networks, each trained on half of the images. Each training image gets its maps from the network
    that did not see it, so the window scorer learns from maps as good as a new image's (inspection averages the
    two networks' maps); maps of images a network was trained on would be too confident to learn from."""
    if len(works) < MIN_MAP_IMAGES:
        raise InputError.for_field("images", f"learned maps need at least {MIN_MAP_IMAGES} training images")
    boxnet = _boxnet()
    labels = np.array([_dominant_label(image_boxes, classes) if image_boxes else -1 for image_boxes in boxes])
    halves = np.array_split(np.random.default_rng(seed).permutation(len(works)), 2)
    learned: list[NDArray[np.float32] | None] = [None] * len(works)
    networks: list[BoxNet] = []
    for fold, (seen, unseen) in enumerate(((halves[0], halves[1]), (halves[1], halves[0]))):
        network: BoxNet = boxnet.train(
            [works[i] for i in seen], [truth[i] for i in seen], labels[seen], len(classes),
            seed=seed + fold, settings=boxnet.TrainingSettings(epochs=settings.map_epochs),
        )  # fmt: skip
        for index, maps in zip(unseen, network.maps([works[i] for i in unseen]), strict=True):
            learned[index] = maps
        networks.append(network)
    return tuple(networks), learned


def _corners(boxes: Sequence[Box], label: str) -> Float:
    """(m, 4) corners of the boxes of one class."""
    return np.array([[b.x0, b.y0, b.x1, b.y1] for b in boxes if b.label == label], dtype=np.float64).reshape(-1, 4)


def _fit(settings: Settings, seed: int, x: Float, overlap: Float) -> Scorer:
    common = {"max_iter": settings.trees, "learning_rate": settings.learning_rate,
              "max_leaf_nodes": settings.leaves, "min_samples_leaf": 40, "l2_regularization": 1.0,
              "random_state": seed % (2**32)}  # fmt: skip
    hits = overlap >= 0.5
    if settings.target == "hit" and hits.any() and not hits.all():
        return HistGradientBoostingClassifier(**common).fit(x, hits)
    return HistGradientBoostingRegressor(**common).fit(x, overlap)


def _predict(scorer: Scorer, x: Float) -> Float:
    """The window's score in [0, 1]: predicted IoU, or the probability of IoU ≥ 0.5."""
    if isinstance(scorer, HistGradientBoostingClassifier):
        return np.asarray(scorer.predict_proba(x)[:, 1])
    return np.asarray(np.clip(scorer.predict(x), 0.0, 1.0))


SET_SEED_STEP = 1000  # scorer set k draws its windows and trees from seed + k × SET_SEED_STEP


class _Samples:
    """The training windows' features and IoU targets gathered for one class of one scorer set."""

    def __init__(self) -> None:
        self.features: list[Float] = []
        self.targets: list[Float] = []

    def add(self, features: Float, targets: Float) -> None:
        self.features.append(features)
        self.targets.append(targets)

    def fit(self, settings: Settings, rng: np.random.Generator) -> Scorer:
        return _fit(settings, int(rng.integers(2**31)), np.concatenate(self.features), np.concatenate(self.targets))


def _train_scorers(
    works: list[Float],
    priors: Float,
    truth: list[list[Float]],
    shapes: list[Float],
    settings: Settings,
    seed: int,
    learned: Sequence[NDArray[np.float32] | None],
) -> tuple[Scorer, ...]:
    """``settings.scorer_sets`` sets of one window scorer per class, set by set. Each scorer has a first fit on
    windows overlapping true boxes and sampled negatives, and a second with the negatives the first scored highest
    added. Each set draws from its own generator, so the first set is the one a single-set detector would train.
    (Images are revisited one at a time, their texture tables shared by the sets: tables of a thousand images would
    not fit in memory together.)"""
    classes = len(shapes)
    rngs = [np.random.default_rng(seed + SET_SEED_STEP * number) for number in range(settings.scorer_sets)]
    samples = [[_Samples() for _ in range(classes)] for _ in rngs]
    for work, prior, image_truth, maps in zip(works, priors, truth, learned, strict=True):
        data = _image_data(work, prior, maps, settings.window_spread)
        for rng, gathered in zip(rngs, samples, strict=True):
            for index in range(classes):
                windows, overlap = _training_windows(data, shapes[index], image_truth[index], settings, rng)
                chosen = _sample(overlap, settings, rng)
                gathered[index].add(_window_features(data, windows[chosen], index), overlap[chosen])
    first = [[samples_of_class.fit(settings, rng) for samples_of_class in gathered]
             for rng, gathered in zip(rngs, samples, strict=True)]  # fmt: skip
    if settings.hard_negatives_per_image <= 0:
        return tuple(scorer for scorers in first for scorer in scorers)
    for work, prior, image_truth, maps in zip(works, priors, truth, learned, strict=True):
        data = _image_data(work, prior, maps, settings.window_spread)
        for rng, gathered, scorers in zip(rngs, samples, first, strict=True):
            for index in range(classes):
                if prior[index] < settings.min_prior:
                    continue  # inspection never searches this class here: its mistakes cannot rank
                windows = _windows(shapes[index], data.height, data.width, settings.grid_steps)
                overlap = _overlap(windows, image_truth[index])
                negative = np.nonzero(overlap < settings.positive_iou)[0]
                pool = rng.choice(negative, min(len(negative), 300), replace=False)
                pool_features = _window_features(data, windows[pool], index)
                top = np.argsort(-_predict(scorers[index], pool_features))[: settings.hard_negatives_per_image]
                gathered[index].add(pool_features[top], overlap[pool[top]])
    return tuple(samples_of_class.fit(settings, rng)
                 for rng, gathered in zip(rngs, samples, strict=True) for samples_of_class in gathered)  # fmt: skip


def _overlap(windows: Float, truth: Float) -> Float:
    return _iou_matrix(windows, truth).max(axis=1) if len(truth) else np.zeros(len(windows))


def _training_windows(
    data: _ImageData, shapes: Float, truth: Float, settings: Settings, rng: np.random.Generator
) -> tuple[Float, Float]:
    """The grid windows, the true boxes and jittered copies of them (they teach what a well-placed box looks
    like), with each window's IoU with its nearest true box."""
    windows = _windows(shapes, data.height, data.width, settings.grid_steps)
    if len(truth):
        jitter = np.repeat(truth, 8, axis=0)
        size = np.repeat(truth[:, 2:] - truth[:, :2], 8, axis=0)
        jitter = jitter + rng.normal(0.0, 0.12, jitter.shape) * np.concatenate([size, size], axis=1)
        jitter = np.clip(jitter, 0.0, [data.width, data.height, data.width, data.height])
        valid = (jitter[:, 2] - jitter[:, 0] >= 2) & (jitter[:, 3] - jitter[:, 1] >= 2)
        windows = np.concatenate([windows, truth, jitter[valid]])
    return windows, _overlap(windows, truth)


def _sample(overlap: Float, settings: Settings, rng: np.random.Generator) -> NDArray[np.intp]:
    positive = np.nonzero(overlap >= settings.positive_iou)[0]
    if len(positive) > settings.positives_per_image:
        positive = rng.choice(positive, settings.positives_per_image, replace=False)
    negative = np.nonzero(overlap < settings.positive_iou)[0]
    wanted = settings.negatives_per_image if len(positive) else settings.negatives_per_image // 3
    return np.concatenate([positive, rng.choice(negative, min(len(negative), wanted), replace=False)])

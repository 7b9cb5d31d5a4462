"""Anomaly detection trained on defect-free images only, with a pixel-level anomaly map.

Every image is resized to a working scale of ``WORK_SIDE``² pixels of area with its aspect ratio kept (the filters
then see the texture undistorted; squashing every tile to a square measured worse on magnetic tile, and features at
a constant native scale worse still) and turned into log grey levels less their median, which makes the features
blind to the lighting gain that differs from image to image (measured on magnetic tile, the per-position term alone:
image AUROC 0.73 with plain grey levels, 0.81 with log grey levels). A bank of Gaussian derivative filters at σ = 1,
2, 4, 8 (gradients, Hessian, local spread), a self-referential residual (the image less its σ = 8 background:
blowholes and cracks) and the background itself describe every pixel. The bank is then resampled to a fixed
``WORK_SIDE`` × ``WORK_SIDE`` frame (the tiles of a product are framed alike, so each position keeps its own
statistics). Two terms score each pixel, a third the whole image:

1. **Per-position Gaussians of the nearest images** (PaDiM-like, conditioned as in SPADE): the bank, pooled over
   ``CELL`` × ``CELL`` cells as mean and mean absolute response, is kept for every training image; an image is
   compared with the ``NEAREST`` training images closest to it by grid descriptor (term 3's vector), whose 3 × 3
   neighbouring cells give each cell a mean and a shrunk covariance; the pixel term is the smallest Mahalanobis
   distance of its cell to the Gaussians of the cells up to ``SHIFT`` cells away, so that texture a little off its
   usual place does not score. Conditioning on similar tiles beat one Gaussian over all training images on five
   of five splits of magnetic tile for this term alone (0.008 to 0.035 of image AUROC; docs/vision.md).
2. **Synthetic defects**: the defect-free images, each copied with generated defects (dark spots, thin dark
   cracks, broken corners and edge chips, brighter or darker bands and blobs, patches pasted from another good
   image), train gradient-boosted trees to tell defect pixels from good ones, from the bank and its per-position
   z-scores; the pixel term is the trees' log-odds.
3. **Image-level grid Gaussian**: the whole image as one vector (per cell of a ``GRID`` × ``GRID`` grid: mean log
   grey level, mean log local spread over ``SPREAD_WINDOW`` px, mean absolute vertical gradient) scored by its
   Mahalanobis distance to the training images (shrunk covariance). It sees what no small window sees: a band whose
   texture or lighting differs (uneven), many faint cracks spread over the tile. It has no location, so it adds to
   the image score only.

Each term is made comparable by the median and spread of its image scores on good images it did not see (4-fold
cross-fitting over the training images); the map is the larger of the two standardised pixel terms (two views of
the same local evidence), and the image score the map's maximum plus the standardised image-level term (evidence
of another kind, so it adds; on magnetic tile the sum beat the larger of the two on three splits of the
defect-free images, by 0.01 to 0.03 of image AUROC). **Threshold**: the highest cross-fitted image score among the
training images, so that no training image would have been flagged by a model that had not seen it.

Saved as ``model.json`` plus ``arrays.npz`` (plain arrays, no pickle); the trees are stored node by node and walked
here, so loading needs no scikit-learn object.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from zhizao.errors import InputError
from zhizao.vision.images import MAX_SIDE, ImageSpec
from zhizao.vision.model import MODEL_FILE
from zhizao.vision.splits import DEFAULT_SEED
from zhizao.vision.types import GreyImage, Task, Verdict, VerdictKind

ALGORITHM = (
    "aspect-kept log-filter-bank per-position Gaussians of the nearest training images (shift-tolerant)"
    " + synthetic-defect trees + image-level grid Gaussian, v4"
)
FORMAT_VERSION = 4  # v4 keeps every training image's pooled cells in place of v3's fixed Gaussians: retrain v3
ARRAYS_FILE = "arrays.npz"

WORK_SIDE = 128
CELL = 4  # pixels of the working scale per cell of the per-position Gaussians
SCALES = (1.0, 2.0, 4.0, 8.0)
LOG_OFFSET = 0.02  # log(grey + offset): keeps the darkest pixels finite
NEAREST = 30  # training images, nearest by grid descriptor, whose cells fit an image's per-position Gaussians
NEAREST_SHRINKAGE = 0.2  # share of a cell's covariance replaced by its mean variance (270 samples, 52 features)
FOLDS = 4  # cross-fitting folds for the calibration of the two terms and the threshold
COPIES = 16  # synthetic-defect copies of every training image (4, 8, 16 compared on five splits: docs/vision.md)
TREES = 120  # boosting rounds of the synthetic-defect trees (fewer: faster training and inspection, weaker map)
LEARNING_RATE = 0.15
PIXELS_PER_SIDE = 200  # defect and good pixels drawn from each synthetic copy
MIN_IMAGES = 2 * FOLDS
MIN_SIDE = 32  # below this the working scale would invent detail
GRID = 8  # cells per side of the image-level descriptor
GRID_SHRINKAGE = 0.1  # the descriptor has 3 · GRID² values for a few dozen images: its covariance needs shrinking
SPREAD_WINDOW = 5  # pixels per side of the window of the local spread in the image-level descriptor
TERMS = 3  # per-position Gaussians, synthetic-defect trees, image-level grid Gaussian
NEIGHBOURS = 1  # cells each side whose training samples fit a cell's Gaussian (3 × 3)
SHIFT = 2  # cells a tile may sit off its place: a cell scores its smallest distance to the Gaussians this near


Array = NDArray[np.float32]


def train(
    good_images: Sequence[GreyImage], *, seed: int = DEFAULT_SEED, trees: int = TREES, copies: int = COPIES
) -> AnomalyModel:
    """A model of the defect-free images; ``seed`` fixes the synthetic defects, the folds and the trees (``trees``
    and ``copies``: boosting rounds and synthetic-defect copies per image, fewer only to keep tests fast)."""
    if len(good_images) < MIN_IMAGES:
        raise InputError.for_field("images", f"{len(good_images)} defect-free images: at least {MIN_IMAGES}")
    if trees < 1:
        raise InputError.for_field("trees", "at least 1")
    if copies < 1:
        raise InputError.for_field("copies", "at least 1")
    spec = _spec_of(good_images)
    for number, image in enumerate(good_images):
        spec.check(image, f"images[{number}]")
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        work = [_working(image) for image in good_images]
        banks = np.stack([_framed_bank(image) for image in work])
        terms = _fit_terms(work, banks, seed, trees, copies)
        held_out = _cross_fitted_scores(work, banks, seed, trees, copies)
    calibration = np.array([_centre_and_spread(held_out[:, term]) for term in range(TERMS)], dtype=np.float64)
    standardised = (held_out - calibration[:, 0]) / calibration[:, 1]
    threshold = float(_combined(standardised).max())
    return AnomalyModel(
        spec=spec,
        terms=terms,
        calibration=calibration,
        threshold=threshold,
        training={
            "images": len(good_images),
            "seed": seed,
            "trees": trees,
            "copies": copies,
            "seconds": round(time.perf_counter() - started, 2),
            "threshold_rule": "highest 4-fold cross-fitted score of the training images",
        },
    )


def load(folder: Path) -> AnomalyModel:
    """The model saved in ``folder`` by ``AnomalyModel.save``."""
    try:
        meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        with np.load(folder / ARRAYS_FILE, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError) as error:
        raise InputError.for_field(str(folder), f"not a saved anomaly model ({error})") from None
    if meta.get("task") != Task.ANOMALY.value or meta.get("format") != FORMAT_VERSION:
        raise InputError.for_field(str(folder), f"not an anomaly model of format {FORMAT_VERSION}")
    terms = _Terms(
        scale_mean=arrays["scale_mean"],
        scale_spread=arrays["scale_spread"],
        cells=arrays["cells"],
        descriptors=arrays["descriptors"],
        descriptor_spread=arrays["descriptor_spread"],
        position_mean=arrays["position_mean"],
        position_spread=arrays["position_spread"],
        grid_mean=arrays["grid_mean"],
        grid_precision=arrays["grid_precision"],
        trees=_Trees(**{field: arrays[f"tree_{field}"] for field in _Trees.FIELDS}),
    )
    return AnomalyModel(
        spec=ImageSpec.from_dict(meta["spec"]),
        terms=terms,
        calibration=arrays["calibration"],
        threshold=float(meta["threshold"]),
        training=dict(meta.get("training", {})),
    )


@dataclass(frozen=True, slots=True)
class _Trees:
    """Gradient-boosted trees as flat node arrays: tree t's nodes start at ``starts[t]``; children are indices
    within the tree; a sample goes left when its feature is ≤ the threshold."""

    FIELDS = ("starts", "value", "feature", "threshold", "left", "right", "leaf", "baseline")

    starts: NDArray[np.int64]
    value: NDArray[np.float64]
    feature: NDArray[np.int64]
    threshold: NDArray[np.float64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    leaf: NDArray[np.bool_]
    baseline: NDArray[np.float64]  # one value: the log-odds before the first tree

    @classmethod
    def of(cls, classifier: HistGradientBoostingClassifier) -> _Trees:
        # scikit-learn keeps fitted trees in private attributes; reading them once here keeps pickle out of saving
        nodes = [predictors[0].nodes for predictors in classifier._predictors]
        starts = np.cumsum([0] + [len(tree) for tree in nodes[:-1]]).astype(np.int64)
        every = np.concatenate(nodes)
        offsets = np.repeat(starts, [len(tree) for tree in nodes])
        return cls(
            starts=starts,
            value=every["value"].astype(np.float64),
            feature=every["feature_idx"].astype(np.int64),
            threshold=every["num_threshold"].astype(np.float64),
            left=every["left"].astype(np.int64) + offsets,
            right=every["right"].astype(np.int64) + offsets,
            leaf=every["is_leaf"].astype(bool),
            baseline=np.asarray(classifier._baseline_prediction, dtype=np.float64).reshape(1),
        )

    def log_odds(self, samples: NDArray[np.float32]) -> NDArray[np.float64]:
        """The log-odds of "defect" for each row of ``samples``: every (sample, tree) pair steps down one level at a
        time, and pairs drop out as they reach a leaf (paths differ much in length)."""
        count, trees = len(samples), len(self.starts)
        node = np.tile(self.starts, count)
        sample = np.repeat(np.arange(count), trees)
        active = np.flatnonzero(~self.leaf[node])
        while active.size:
            current = node[active]
            goes_left = samples[sample[active], self.feature[current]] <= self.threshold[current]
            following = np.where(goes_left, self.left[current], self.right[current])
            node[active] = following
            active = active[~self.leaf[following]]
        total = self.value[node].reshape(count, trees).sum(axis=1) + float(self.baseline[0])
        return np.asarray(total, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Terms:
    scale_mean: Array  # per pooled feature, over all training cells (standardises before the Gaussians)
    scale_spread: Array
    cells: Array  # (images, cells, cells, features): every training image's standardised pooled bank
    descriptors: Array  # (images, values): every training image's grid descriptor, to find an image's nearest
    descriptor_spread: Array  # per value of the descriptor, over the training images (scales the search)
    position_mean: Array  # the bank's mean and spread per working pixel (the trees' z-score inputs)
    position_spread: Array
    grid_mean: Array  # the image-level descriptor's mean and shrunk inverse covariance over the training images
    grid_precision: Array
    trees: _Trees

    def image_distance(self, descriptor: Array) -> float:
        """The image-level term: Mahalanobis distance of the image's grid descriptor to the training images'."""
        delta = descriptor - self.grid_mean
        return float(np.sqrt(max(float(delta @ self.grid_precision @ delta), 0.0)))

    def nearest(self, descriptor: Array) -> NDArray[np.intp]:
        """The ``NEAREST`` training images closest to an image by grid descriptor (all of them when fewer)."""
        distance = (((self.descriptors - descriptor) / self.descriptor_spread) ** 2).sum(axis=1)
        return np.argsort(distance, kind="stable")[:NEAREST]

    def maps(self, bank: Array, descriptor: Array) -> tuple[Array, Array]:
        """The two raw terms in the fixed frame: per cell the shift-tolerant distance to the Gaussians fitted on the
        image's nearest training images, and the trees' log-odds per pixel."""
        pooled = ((_pool(bank) - self.scale_mean) / self.scale_spread).astype(np.float64)
        means, precisions = _cell_gaussians(self.cells[self.nearest(descriptor)])
        gaussian = ndimage.zoom(_shift_tolerant_distance(pooled, means, precisions), CELL, order=1)
        half = _tree_inputs(bank, self.position_mean, self.position_spread)[::2, ::2]
        probability = 1.0 / (1.0 + np.exp(-self.trees.log_odds(half.reshape(-1, half.shape[-1]))))
        smooth = ndimage.gaussian_filter(probability.reshape(half.shape[:2]), 0.5)
        smooth = np.clip(smooth, 1e-6, 1 - 1e-6)
        trees = ndimage.zoom(np.log(smooth / (1 - smooth)), 2, order=1).astype(np.float32)
        return gaussian.astype(np.float32), trees


def _cell_gaussians(cells: Array) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per cell, the mean and shrunk inverse covariance of the given images' cells in its (2·``NEIGHBOURS`` + 1)²
    neighbourhood (those inside the frame): the tiles are not framed to the pixel, and a few images alone fill no
    covariance. One row of cells at a time, every cell of the row at once; the neighbours outside the frame are
    zero rows, which add nothing to the sums, so the moments need no mask (this runs at every inspection)."""
    count, side, _, features = cells.shape
    reach = 2 * NEIGHBOURS + 1
    padded = np.pad(cells.astype(np.float32), ((0, 0), (0, 0), (NEIGHBOURS, NEIGHBOURS), (0, 0)))
    columns = np.array([min(side, x + NEIGHBOURS + 1) - max(0, x - NEIGHBOURS) for x in range(side)], dtype=np.float64)
    means = np.zeros((side, side, features))
    precisions = np.zeros((side, side, features, features))
    for y in range(side):
        band = padded[:, max(0, y - NEIGHBOURS) : y + NEIGHBOURS + 1]  # (images, rows, side + 2·NEIGHBOURS, F)
        # per cell x of the row: every image's cells at rows y ± NEIGHBOURS and columns x - NEIGHBOURS + dx
        samples = np.stack([band[:, :, dx : dx + side] for dx in range(reach)], axis=2)
        samples = samples.transpose(3, 0, 1, 2, 4).reshape(side, -1, features)
        number = count * band.shape[1] * columns
        mean = samples.sum(axis=1, dtype=np.float64) / number[:, None]
        second = (samples.transpose(0, 2, 1) @ samples).astype(np.float64)
        covariance = (second - number[:, None, None] * mean[:, :, None] * mean[:, None, :]) / np.maximum(number - 1, 1)[
            :, None, None
        ]
        floor = NEAREST_SHRINKAGE * np.trace(covariance, axis1=1, axis2=2) / features + 1e-3
        shrunk = (1 - NEAREST_SHRINKAGE) * covariance + floor[:, None, None] * np.eye(features)
        means[y] = mean
        precisions[y] = np.linalg.inv(shrunk)
    return means, precisions


def _shift_tolerant_distance(
    pooled: NDArray[np.float64], means: NDArray[np.float64], precisions: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per cell the smallest Mahalanobis distance to the Gaussians of the cells up to ``SHIFT`` cells away, so that
    a tile framed a little differently does not score."""
    cells = pooled.shape[0]
    distance = np.full((cells, cells), np.inf)
    for dy in range(-SHIFT, SHIFT + 1):
        for dx in range(-SHIFT, SHIFT + 1):
            # the Gaussian of cell (y, x) against the image's cell (y - dy, x - dx), whose result it is;
            # the cells rolled round the border are dropped by _shifted
            delta = np.roll(pooled, (dy, dx), axis=(0, 1)) - means
            squared = ((delta[..., None, :] @ precisions)[..., 0, :] * delta).sum(axis=-1)
            distance = np.minimum(distance, _shifted(np.sqrt(np.maximum(squared, 0.0)), dy, dx))
    return distance


@dataclass(slots=True)
class AnomalyModel:
    spec: ImageSpec
    terms: _Terms
    calibration: NDArray[np.float64]  # per term: (centre, spread) of its image scores on unseen good images
    threshold: float
    training: dict[str, Any]
    task: Task = Task.ANOMALY
    classes: tuple[str, ...] = ()

    def heatmap(self, image: GreyImage) -> tuple[Array, float]:
        """The anomaly map in the fixed frame (standardised, larger = more anomalous) and the image score: the map's
        maximum plus the standardised image-level term."""
        work = _working(image)
        descriptor = _grid_descriptor(work)
        with threadpool_limits(limits=1):
            gaussian, trees = self.terms.maps(_framed_bank(work), descriptor)
            distance = self.terms.image_distance(descriptor)
        standardised = np.maximum(
            (gaussian - self.calibration[0, 0]) / self.calibration[0, 1],
            (trees - self.calibration[1, 0]) / self.calibration[1, 1],
        ).astype(np.float32)
        whole = (distance - self.calibration[2, 0]) / self.calibration[2, 1]
        return standardised, float(_combined(np.array([[standardised.max(), standardised.max(), whole]]))[0])

    def inspect(self, image: GreyImage) -> Verdict:
        self.spec.check(image, "image")
        work_map, score = self.heatmap(image)
        height, width = image.shape
        full = np.asarray(Image.fromarray(work_map).resize((width, height), Image.Resampling.BILINEAR))
        kind = VerdictKind.ANOMALOUS if score > self.threshold else VerdictKind.PASS
        return Verdict(kind, None, score, heatmap=full.astype(np.float32), threshold=self.threshold)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        trees = self.terms.trees
        np.savez_compressed(
            folder / ARRAYS_FILE,
            scale_mean=self.terms.scale_mean,
            scale_spread=self.terms.scale_spread,
            cells=self.terms.cells,
            descriptors=self.terms.descriptors,
            descriptor_spread=self.terms.descriptor_spread,
            position_mean=self.terms.position_mean,
            position_spread=self.terms.position_spread,
            grid_mean=self.terms.grid_mean,
            grid_precision=self.terms.grid_precision,
            calibration=self.calibration,
            **{f"tree_{field}": getattr(trees, field) for field in _Trees.FIELDS},
        )
        meta = {
            "task": self.task.value,
            "format": FORMAT_VERSION,
            "algorithm": ALGORITHM,
            "spec": self.spec.as_dict(),
            "threshold": self.threshold,
            "work_side": WORK_SIDE,
            "training": self.training,
        }
        (folder / MODEL_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _spec_of(images: Sequence[GreyImage]) -> ImageSpec:
    """Exact size when every training image has it; else sides from half the smallest to twice the largest seen
    (the working scale absorbs moderate changes of size), never below ``MIN_SIDE``."""
    shapes = {tuple(image.shape) for image in images}
    if any(len(shape) != 2 for shape in shapes):
        raise InputError.for_field("images", "grey images (height × width) expected")
    sides = [side for shape in shapes for side in shape]
    if min(sides) < MIN_SIDE:
        raise InputError.for_field("images", f"a training image has a side of {min(sides)} pixels: at least {MIN_SIDE}")
    if len(shapes) == 1:
        height, width = next(iter(shapes))
        return ImageSpec(exact=(height, width), min_side=MIN_SIDE)
    return ImageSpec(min_side=max(MIN_SIDE, min(sides) // 2), max_side=min(MAX_SIDE, 2 * max(sides)))


def _working(image: GreyImage) -> Array:
    """The image at the working scale, as log grey levels less their median: resized to an area of
    ``WORK_SIDE``² pixels with its aspect ratio kept, so that the filters see the texture undistorted."""
    height, width = image.shape
    factor = WORK_SIDE / float(np.sqrt(height * width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resampling = Image.Resampling.BOX if factor <= 1 else Image.Resampling.BILINEAR
    resized = Image.fromarray(np.asarray(image, dtype=np.float32)).resize(size, resampling)
    logged = np.log(np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0) + LOG_OFFSET)
    return np.asarray(logged - np.median(logged), dtype=np.float32)


def _frame(planes: NDArray[np.float32]) -> Array:
    """Planes (height × width, or height × width × channels) resampled to the fixed ``WORK_SIDE`` × ``WORK_SIDE``
    frame in which every position keeps its own statistics."""
    if planes.ndim == 3:
        return np.stack([_frame(planes[..., channel]) for channel in range(planes.shape[-1])], axis=-1)
    resampling = Image.Resampling.BOX if min(planes.shape) >= WORK_SIDE else Image.Resampling.BILINEAR
    resized = Image.fromarray(np.asarray(planes, dtype=np.float32)).resize((WORK_SIDE, WORK_SIDE), resampling)
    return np.asarray(resized, dtype=np.float32)


def _framed_bank(work: Array) -> Array:
    """The filter bank of the working image, in the fixed frame."""
    return _frame(_bank(work))


def _bank(work: Array) -> Array:
    """Per pixel: at each σ the gradient (x, y), the Hessian (xx, yy, xy), scaled to be comparable across σ, and
    the local spread; then the σ = 1 image less its σ = 8 background, and that background."""
    features: list[NDArray[np.float32]] = []
    for sigma in SCALES:
        for order, power in (((0, 1), 1), ((1, 0), 1), ((0, 2), 2), ((2, 0), 2), ((1, 1), 2)):
            features.append(ndimage.gaussian_filter(work, sigma, order=order) * sigma**power)
        size = int(4 * sigma + 1)
        mean = ndimage.uniform_filter(work, size)
        features.append(np.sqrt(np.maximum(ndimage.uniform_filter(work * work, size) - mean * mean, 0.0)))
    background = ndimage.gaussian_filter(work, 8.0)
    features.append(ndimage.gaussian_filter(work, 1.0) - background)
    features.append(background)
    return np.stack(features, axis=-1).astype(np.float32)


def _pool(bank: Array) -> Array:
    cells = WORK_SIDE // CELL
    blocks = bank.reshape(cells, CELL, cells, CELL, bank.shape[-1])
    return np.concatenate([blocks.mean(axis=(1, 3)), np.abs(blocks).mean(axis=(1, 3))], axis=-1)


def _grid_descriptor(work: Array) -> Array:
    """Per cell of a ``GRID`` × ``GRID`` grid over the working image (in the fixed frame): the mean log grey level,
    the mean log local spread and the mean absolute vertical gradient (σ = 2), as one vector."""
    mean = ndimage.uniform_filter(work, SPREAD_WINDOW)
    variance = np.maximum(ndimage.uniform_filter(work * work, SPREAD_WINDOW) - mean * mean, 0.0)
    spread = np.log(np.sqrt(variance) + 1e-3)
    vertical = np.abs(ndimage.gaussian_filter(work, 2.0, order=(1, 0)))
    side = WORK_SIDE // GRID
    planes = (_frame(plane) for plane in (work, spread, vertical))
    cells = [plane.reshape(GRID, side, GRID, side).mean(axis=(1, 3)).ravel() for plane in planes]
    return np.concatenate(cells).astype(np.float32)


def _fit_grid(descriptors: Array) -> tuple[Array, Array]:
    values = descriptors.astype(np.float64)
    size = values.shape[1]
    covariance = np.cov(values, rowvar=False)
    floor = GRID_SHRINKAGE * np.trace(covariance) / size + 1e-6
    covariance = (1 - GRID_SHRINKAGE) * covariance + floor * np.eye(size)
    return values.mean(axis=0).astype(np.float32), np.linalg.inv(covariance).astype(np.float32)


def _tree_inputs(bank: Array, mean: Array, spread: Array) -> Array:
    return np.concatenate([bank, (bank - mean) / spread], axis=-1)


def _fit_terms(work: Sequence[Array], banks: Array, seed: int, trees: int, copies: int) -> _Terms:
    pooled = np.stack([_pool(bank) for bank in banks])
    flat = pooled.reshape(-1, pooled.shape[-1])
    scale_mean = flat.mean(axis=0)
    scale_spread = flat.std(axis=0) + 1e-6
    descriptors = np.stack([_grid_descriptor(image) for image in work])
    position_mean = banks.mean(axis=0)
    position_spread = banks.std(axis=0) + 1e-4
    fitted = _Trees.of(_fit_trees(work, banks, position_mean, position_spread, seed, trees, copies))
    grid_mean, grid_precision = _fit_grid(descriptors)
    return _Terms(
        scale_mean=scale_mean.astype(np.float32),
        scale_spread=scale_spread.astype(np.float32),
        cells=((pooled - scale_mean) / scale_spread).astype(np.float32),
        descriptors=descriptors,
        descriptor_spread=descriptors.std(axis=0) + 1e-6,
        position_mean=position_mean.astype(np.float32),
        position_spread=position_spread.astype(np.float32),
        grid_mean=grid_mean,
        grid_precision=grid_precision,
        trees=fitted,
    )


def _fit_trees(
    work: Sequence[Array],
    banks: Array,
    position_mean: Array,
    position_spread: Array,
    seed: int,
    trees: int,
    copies: int,
) -> HistGradientBoostingClassifier:
    from zhizao.vision import anomaly_synthetic

    rng = np.random.default_rng(seed)
    inputs: list[NDArray[np.float32]] = []
    targets: list[NDArray[np.float32]] = []

    def draw(flat: NDArray[np.float32], rows: NDArray[np.intp], label: float) -> None:
        chosen = rng.choice(rows, min(len(rows), PIXELS_PER_SIDE), replace=False) if len(rows) else rows
        inputs.append(flat[chosen])
        targets.append(np.full(len(chosen), label, dtype=np.float32))

    for index, image in enumerate(work):
        flat = _tree_inputs(banks[index], position_mean, position_spread).reshape(-1, 2 * banks.shape[-1])
        draw(flat, np.arange(len(flat)), 0.0)
        others = [work[other] for other in range(len(work)) if other != index]
        for _ in range(copies):
            copy, mask = anomaly_synthetic.defect(image, rng, others)
            copy_bank = _framed_bank(copy)
            framed_mask = (_frame(mask.astype(np.float32)) > 0.5).ravel()
            copy_flat = _tree_inputs(copy_bank, position_mean, position_spread).reshape(-1, flat.shape[-1])
            draw(copy_flat, np.flatnonzero(framed_mask), 1.0)
            draw(copy_flat, np.flatnonzero(~framed_mask), 0.0)
    classifier = HistGradientBoostingClassifier(
        max_iter=trees, learning_rate=LEARNING_RATE, max_leaf_nodes=31, random_state=seed, early_stopping=False
    )
    return classifier.fit(np.concatenate(inputs), np.concatenate(targets))


def _shifted(values: NDArray[np.float64], dy: int, dx: int) -> NDArray[np.float64]:
    """``values`` of model cell (y, x) moved to image cell (y - dy, x - dx); cells with no partner get +inf."""
    moved = np.full_like(values, np.inf)
    cells = values.shape[0]
    moved[max(0, -dy) : cells - max(0, dy), max(0, -dx) : cells - max(0, dx)] = values[
        max(0, dy) : cells - max(0, -dy), max(0, dx) : cells - max(0, -dx)
    ]
    return moved


def _image_scores(terms: _Terms, work: Sequence[Array], banks: Array) -> NDArray[np.float64]:
    scores = np.zeros((len(work), TERMS))
    for index in range(len(work)):
        descriptor = _grid_descriptor(work[index])
        gaussian, trees = terms.maps(banks[index], descriptor)
        scores[index] = gaussian.max(), trees.max(), terms.image_distance(descriptor)
    return scores


def _cross_fitted_scores(
    work: Sequence[Array], banks: Array, seed: int, trees: int, copies: int
) -> NDArray[np.float64]:
    """Each training image's three image scores from a model fitted on the other folds."""
    order = np.random.default_rng(seed).permutation(len(work))
    scores = np.zeros((len(work), TERMS))
    for fold in range(FOLDS):
        held = np.sort(order[fold::FOLDS])
        kept = np.setdiff1d(np.arange(len(work)), held)
        terms = _fit_terms([work[index] for index in kept], banks[kept], seed + fold + 1, trees, copies)
        scores[held] = _image_scores(terms, [work[index] for index in held], banks[held])
    return scores


def _combined(standardised: NDArray[np.float64]) -> NDArray[np.float64]:
    """Image scores from standardised (per-position, trees, image-level) scores: the two pixel terms look at the
    same local evidence, so the larger counts; the image-level term is evidence of another kind, so it adds."""
    return np.asarray(standardised[:, :2].max(axis=1) + standardised[:, 2], dtype=np.float64)


def _centre_and_spread(values: NDArray[np.float64]) -> tuple[float, float]:
    centre = float(np.median(values))
    spread = float(1.4826 * np.median(np.abs(values - centre)))  # the MAD, as a standard deviation
    return centre, max(spread, 1e-3 * max(1.0, abs(centre)))

"""``zhizao vision evaluate detect``: mAP@0.5 of the detector on a fixed, stated hold-out split of a box dataset.

The split is ``splits.stratified_holdout`` over the images' folder classes (``round(n_c · test_share)`` of each
class to test, drawn with the stated seed), so the same folder gives the same split on every machine. The detector
trains on the rest; mAP@0.5 is the Pascal-VOC all-point mean of the per-class APs (``metrics``), over every box,
and again as Pascal VOC scores it, the boxes marked difficult ignored; mAP@0.3 tells how much of what is missed at
IoU 0.5 was found but boxed unlike the annotator (loosely drawn boxes, several side by side); latency is the wall
time of ``DetectorModel.inspect`` per test image, decoding excluded.

For choosing settings without looking at the test images, ``validation_seed`` splits the training part once more
(the same stratified rule and share, with that seed): the detector trains on the rest and is scored on that
validation part, and the test images are not read. ``training_seed`` draws the detector's own randomness apart from
the split's, so the spread that one draw of windows and trees gives can be measured on a fixed split.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from zhizao.errors import InputError
from zhizao.vision import detect, provenance
from zhizao.vision.folders import read_boxes
from zhizao.vision.images import read_grey
from zhizao.vision.metrics import mean_average_precision
from zhizao.vision.splits import DEFAULT_SEED, stratified_holdout
from zhizao.vision.types import Box


@dataclass(frozen=True, slots=True)
class DetectReport:
    data: str
    algorithm: str
    seed: int
    training_seed: int
    validation_seed: int | None  # None: scored on the test part; else on this validation part of the training part
    test_share: float
    train_images: int
    test_images: int
    test_boxes: int
    map50: float
    ap50: dict[str, float]
    difficult_boxes: int  # test boxes the annotations mark difficult; counted in map50
    # as Pascal VOC scores: difficult boxes neither to be found nor false alarms (None: every test box is difficult)
    map50_difficult_ignored: float | None
    ap50_difficult_ignored: dict[str, float]
    # At IoU 0.3, every box: what of the AP missed at 0.5 the detector found but boxed unlike the annotator
    map30: float
    ap30: dict[str, float]
    train_seconds: float
    latency_ms_mean: float
    latency_ms_p95: float
    environment: dict[str, str] = field(default_factory=provenance.versions)  # what the figures were measured with

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


def evaluate(
    root: Path,
    *,
    test_share: float = 0.2,
    seed: int = DEFAULT_SEED,
    learned_maps: bool = False,
    validation_seed: int | None = None,
    training_seed: int | None = None,
    scorer_sets: int | None = None,
) -> DetectReport:
    """Train on the training part of ``root`` (a folder laid out as NEU-DET) and score boxes on the test part, or
    on a validation part of the training part when ``validation_seed`` is given."""
    if not 0 < test_share < 1:
        raise InputError.for_field("test_share", "must lie between 0 and 1")
    items = read_boxes(root)
    train_at, test_at = stratified_holdout([item.label for item in items], test_share, seed)
    if validation_seed is not None:
        fit, held = stratified_holdout([items[i].label for i in train_at], test_share, validation_seed)
        train_at, test_at = [train_at[i] for i in fit], [train_at[i] for i in held]
    if not test_at or not any(items[i].boxes for i in test_at) or not any(items[i].boxes for i in train_at):
        raise InputError.for_field(str(root), "the split leaves no boxes to train on or to test; add images")
    images = {i: read_grey(items[i].path) for i in [*train_at, *test_at]}  # a validation run reads no test image
    started = time.perf_counter()
    settings = detect.Settings(learned_maps=learned_maps)
    if scorer_sets is not None:
        settings = replace(settings, scorer_sets=scorer_sets)
    training_seed = seed if training_seed is None else training_seed
    model = detect.train(
        [images[i] for i in train_at], [items[i].boxes for i in train_at], seed=training_seed, settings=settings
    )
    train_seconds = time.perf_counter() - started
    found: list[tuple[Box, ...]] = []
    latencies: list[float] = []
    for index in test_at:
        started = time.perf_counter()
        verdict = model.inspect(images[index])
        latencies.append(time.perf_counter() - started)
        found.append(verdict.boxes)
    truth = [items[i].boxes for i in test_at]
    mean_ap, per_class = mean_average_precision(truth, found, 0.5)
    loose_map, loose_per_class = mean_average_precision(truth, found, 0.3)
    difficult = [items[i].difficult for i in test_at]
    plain = [tuple(box for box in boxes if box not in hard) for boxes, hard in zip(truth, difficult, strict=True)]
    voc_map, voc_per_class = mean_average_precision(plain, found, 0.5, ignored=difficult) if any(plain) else (None, {})
    milliseconds = np.array(latencies) * 1000.0
    return DetectReport(
        data=str(root),
        algorithm=model.algorithm,
        seed=seed,
        training_seed=training_seed,
        validation_seed=validation_seed,
        test_share=test_share,
        train_images=len(train_at),
        test_images=len(test_at),
        test_boxes=sum(len(boxes) for boxes in truth),
        map50=mean_ap,
        ap50=per_class,
        difficult_boxes=sum(len(boxes) for boxes in difficult),
        map50_difficult_ignored=voc_map,
        ap50_difficult_ignored=voc_per_class,
        map30=loose_map,
        ap30=loose_per_class,
        train_seconds=train_seconds,
        latency_ms_mean=float(milliseconds.mean()),
        latency_ms_p95=float(np.percentile(milliseconds, 95)),
    )

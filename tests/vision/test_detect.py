"""The box detector on synthetic surfaces drawn here: dark rectangles ("blob") and thin bright lines ("line")."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import sklearn
from PIL import Image
from typer.testing import CliRunner

from zhizao.cli.vision import vision_app
from zhizao.errors import InputError
from zhizao.vision import detect, detect_prior
from zhizao.vision.evaluate_detect import evaluate
from zhizao.vision.folders import read_boxes
from zhizao.vision.metrics import box_iou, mean_average_precision
from zhizao.vision.model import load_model
from zhizao.vision.splits import stratified_holdout
from zhizao.vision.types import Box, Task, VerdictKind

SIZE = 64


def surface(rng: np.random.Generator) -> np.ndarray:
    """Mid-grey steel-like grain: noise smeared along the rows, plus a gentle illumination slope."""
    grain = rng.normal(0.0, 0.03, (SIZE, SIZE))
    grain = (grain + np.roll(grain, 1, axis=1) + np.roll(grain, 2, axis=1)) / 3
    slope = np.linspace(-0.04, 0.04, SIZE)[None, :] * rng.uniform(-1, 1)
    return 0.5 + grain + slope


def sample(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, tuple[Box, ...]]:
    image = surface(rng)
    boxes: list[Box] = []
    for _ in range(int(rng.integers(1, 3))):
        paint(image, boxes, kind, rng)
    return np.clip(image, 0, 1).astype(np.float32), tuple(boxes)


def paint(image: np.ndarray, boxes: list[Box], kind: str, rng: np.random.Generator) -> None:
    """One defect of the kind, added to the boxes; none where it would touch one of them (one box per defect)."""
    if kind == "blob":  # a dark rectangle, 8–18 px a side
        w, h = (int(v) for v in rng.integers(8, 19, 2))
    else:  # a thin bright vertical line, 2 px wide, 20–50 px long
        w, h = 2, int(rng.integers(20, 51))
    x0, y0 = int(rng.integers(0, SIZE - w)), int(rng.integers(0, SIZE - h))
    box = Box(x0, y0, x0 + w, y0 + h, kind)
    if any(box_iou(box, other) > 0 or _near(box, other) for other in boxes):
        return
    image[y0 : y0 + h, x0 : x0 + w] += -0.25 if kind == "blob" else 0.3
    boxes.append(box)


def _near(a: Box, b: Box) -> bool:
    return not (a.x1 + 4 <= b.x0 or b.x1 + 4 <= a.x0 or a.y1 + 4 <= b.y0 or b.y1 + 4 <= a.y0)


def dataset(count: int, seed: int) -> tuple[list[np.ndarray], list[tuple[Box, ...]]]:
    rng = np.random.default_rng(seed)
    images, boxes = [], []
    for index in range(count):
        image, image_boxes = sample(("blob", "line")[index % 2], rng)
        images.append(image)
        boxes.append(image_boxes)
    return images, boxes


@pytest.fixture(scope="module")
def trained() -> detect.DetectorModel:
    images, boxes = dataset(40, seed=1)
    clean = [surface(np.random.default_rng(100 + i)).astype(np.float32) for i in range(4)]
    return detect.train(images + clean, boxes + [()] * len(clean), seed=7)


def test_finds_held_out_defects_with_high_map(trained: detect.DetectorModel) -> None:
    images, truth = dataset(12, seed=2)
    found = [trained.inspect(image).boxes for image in images]
    mean_ap, per_class = mean_average_precision(truth, found)
    assert set(per_class) == {"blob", "line"}
    assert mean_ap >= 0.8, per_class


def test_verdict_names_the_best_box_and_passes_a_clean_image(trained: detect.DetectorModel) -> None:
    assert trained.task is Task.DETECT
    assert trained.classes == ("blob", "line")
    assert trained.spec.exact == (SIZE, SIZE)
    images, truth = dataset(2, seed=3)
    verdict = trained.inspect(images[0])
    assert verdict.kind is VerdictKind.DEFECT
    assert verdict.label == "blob" == verdict.boxes[0].label
    assert verdict.score == verdict.boxes[0].score == max(box.score for box in verdict.boxes)
    assert max(box_iou(verdict.boxes[0], box) for box in truth[0]) >= 0.5
    clean = surface(np.random.default_rng(999)).astype(np.float32)
    assert trained.inspect(clean).kind is VerdictKind.PASS
    assert trained.inspect(clean).boxes == ()


def test_save_and_load_give_identical_boxes(trained: detect.DetectorModel, tmp_path: Path) -> None:
    trained.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert isinstance(loaded, detect.DetectorModel)
    assert (loaded.classes, loaded.spec, loaded.settings) == (trained.classes, trained.spec, trained.settings)
    for image in dataset(4, seed=4)[0]:
        assert loaded.inspect(image) == trained.inspect(image)


def test_a_kept_window_becomes_the_score_weighted_mean_of_its_close_rivals() -> None:
    windows = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [5, 0, 15, 10], [0, 0, 10, 9]], dtype=np.float64)
    scores = np.array([0.8, 0.4, 0.8, 0.3])
    # window 1 overlaps 0 by IoU 80/120 and scores half of it: it counts; window 3 overlaps 0 by 0.9 but scores
    # under half; window 2 overlaps 0 by only 50/150. For window 2, window 1 overlaps by 70/130 and counts.
    settings = detect.Settings(fuse_iou=0.45, fuse_share=0.5, fuse_power=1.0)
    fused = detect._fused(windows, scores, np.array([0, 2]), settings)
    np.testing.assert_allclose(fused, [[0.8 / 1.2, 0, 12.8 / 1.2, 10], [4.8 / 1.2, 0, 16.8 / 1.2, 10]])
    squared = detect._fused(windows, scores, np.array([0]), replace(settings, fuse_power=2.0))
    np.testing.assert_allclose(squared, [[0.32 / 0.8, 0, 8.32 / 0.8, 10]])  # weights 0.64 and 0.16


def test_a_detector_saved_before_box_fusion_loads_without_it(trained: detect.DetectorModel, tmp_path: Path) -> None:
    trained.save(tmp_path / "model")
    meta = json.loads((tmp_path / "model" / "model.json").read_text(encoding="utf-8"))
    for name in ("fuse_iou", "fuse_share", "fuse_power"):
        del meta["settings"][name]
    (tmp_path / "model" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    loaded = detect.load(tmp_path / "model")
    assert loaded.settings.fuse_iou == 0.0 and detect.FUSION_ALGORITHM not in loaded.algorithm
    image = dataset(1, seed=4)[0][0]
    unfused = replace(trained, settings=replace(trained.settings, fuse_iou=0.0))
    assert loaded.inspect(image) == unfused.inspect(image)  # the boxes are the NMS windows it was trained to give


def test_the_scorer_sets_are_averaged_and_the_first_is_the_single_set_detector(
    trained: detect.DetectorModel,
) -> None:
    images, boxes = dataset(40, seed=1)
    clean = [surface(np.random.default_rng(100 + i)).astype(np.float32) for i in range(4)]
    single = detect.train(images + clean, boxes + [()] * len(clean), seed=7,
                          settings=replace(trained.settings, scorer_sets=1))  # fmt: skip
    classes = len(trained.classes)
    assert trained.settings.scorer_sets == 2 and len(trained.scorers) == 2 * classes
    assert detect.SCORER_SETS_ALGORITHM.format(sets=2) in trained.algorithm
    assert detect.SCORER_SETS_ALGORITHM.format(sets=1) not in single.algorithm
    image = dataset(1, seed=4)[0][0]
    work, _ = detect._work_image(image)
    prior = single.prior.probabilities(detect._image_statistics(work)[None, :])[0]
    data = detect._image_data(work, prior, spread=trained.settings.window_spread)
    windows = detect._windows(trained.shapes[0], data.height, data.width, trained.settings.grid_steps)
    features = detect._window_features(data, windows, 0)
    first, second = (detect._predict(trained.scorers[k * classes], features) for k in range(2))
    np.testing.assert_allclose(detect._predict(single.scorers[0], features), first)  # same draws, same trees
    assert not np.allclose(first, second)  # the second set drew its own windows
    weight = data.prior[0] ** trained.settings.prior_power
    np.testing.assert_allclose(trained._score(data, windows, 0), (first + second) / 2 * weight)


def test_a_detector_saved_with_one_scorer_per_class_loads_as_one_set(
    trained: detect.DetectorModel, tmp_path: Path
) -> None:
    one_set = replace(trained, scorers=trained.scorers[: len(trained.classes)],
                      settings=replace(trained.settings, scorer_sets=1))  # fmt: skip
    one_set.save(tmp_path / "model")
    meta = json.loads((tmp_path / "model" / "model.json").read_text(encoding="utf-8"))
    del meta["settings"]["scorer_sets"]  # as detectors saved before scorer sets were
    (tmp_path / "model" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    loaded = detect.load(tmp_path / "model")
    assert loaded.settings.scorer_sets == 1
    image = dataset(1, seed=4)[0][0]
    assert loaded.inspect(image) == one_set.inspect(image)
    meta["settings"]["scorer_sets"] = 2  # the file claims two sets but holds one
    (tmp_path / "model" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(InputError, match="2 scorer"):
        detect.load(tmp_path / "model")


def test_the_spread_features_are_each_windows_standard_deviations() -> None:
    image = dataset(1, seed=4)[0][0].astype(np.float64)
    data = detect._image_data(image, np.array([0.5, 0.5]), spread=True)
    maps = detect._texture_maps(image, spread=True)
    window = [np.array([value], dtype=np.float64) for value in (5, 9, 41, 30)]  # x0, y0, x1, y1
    spreads = detect._spreads(detect._region_means(data.table, *window))[0]
    np.testing.assert_allclose(spreads, maps[[0, *detect.SQUARED_CHANNELS], 9:30, 5:41].std(axis=(1, 2)), atol=1e-9)
    hot = maps[detect.CHANNELS : detect.CHANNELS + len(detect.HOT_CHANNELS)]
    assert set(np.unique(hot)) == {0.0, 1.0} and 0.05 <= hot.mean() <= 0.11  # each marks the image's top decile


def test_a_detector_saved_before_spread_features_and_the_presence_prior_loads_without_them(tmp_path: Path) -> None:
    images, boxes = dataset(24, seed=1)
    settings = detect.Settings(scorer_sets=1, window_spread=False, presence_prior=False, min_prior=0.02)
    plain = detect.train(images, boxes, seed=7, settings=settings)
    assert detect.SPREAD_ALGORITHM not in plain.algorithm and detect.PRESENCE_ALGORITHM not in plain.algorithm
    plain.save(tmp_path / "model")
    meta = json.loads((tmp_path / "model" / "model.json").read_text(encoding="utf-8"))
    del meta["settings"]["window_spread"], meta["settings"]["presence_prior"]  # as detectors saved before them
    (tmp_path / "model" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    loaded = detect.load(tmp_path / "model")
    assert not loaded.settings.window_spread and not loaded.settings.presence_prior
    assert loaded.settings.min_prior == 0.02 != detect.Settings().min_prior  # its own, not today's default
    image = dataset(1, seed=4)[0][0]
    assert loaded.inspect(image) == plain.inspect(image)  # the features its trees were trained on, the softmax prior
    probabilities = loaded.prior.probabilities(np.zeros((1, len(loaded.prior.mean))))
    assert probabilities.sum() == pytest.approx(1.0)


def test_the_presence_prior_judges_each_class_apart() -> None:
    rng = np.random.default_rng(3)
    statistics = rng.normal(size=(60, 3))
    # class 0 where the first statistic is positive, class 1 in every image, class 2 in one image only
    present = np.stack([statistics[:, 0] > 0, np.ones(60, dtype=bool), np.arange(60) == 5], axis=1)
    prior, out_of_fold = detect_prior.fit_presence(statistics, present, seed=1)
    probabilities = prior.probabilities(statistics)
    assert probabilities[statistics[:, 0] > 1, 0].min() > 0.8 and probabilities[statistics[:, 0] < -1, 0].max() < 0.2
    assert (probabilities[:, 1] > 0.999).all() and (out_of_fold[:, 1] == 1.0).all()  # in every image: certain
    assert np.isfinite(out_of_fold).all() and out_of_fold.min() >= 0 and out_of_fold.max() <= 1
    assert not np.allclose(out_of_fold[:, 0], probabilities[:, 0])  # out of fold: not the fit's own answers
    assert probabilities.sum(axis=1).max() > 1.5  # not a softmax: classes do not share one unit of probability


def mixed_dataset(count: int, seed: int) -> tuple[list[np.ndarray], list[tuple[Box, ...]]]:
    """Line images (every third image) and blob images with a line too (a line mostly covers less of the image than
    its blobs, so the image's dominant class is blob)."""
    rng = np.random.default_rng(seed)
    images, boxes = [], []
    for index in range(count):
        image, image_boxes = surface(rng), []
        kinds = ["line"] if index % 3 == 0 else ["line", "blob", "blob"]
        for kind in kinds:
            paint(image, image_boxes, kind, rng)
        images.append(np.clip(image, 0, 1).astype(np.float32))
        boxes.append(tuple(image_boxes))
    return images, boxes


def lines_found_among_blobs(
    model: detect.DetectorModel, images: list[np.ndarray], truth: list[tuple[Box, ...]]
) -> float:
    """The share of the lines in images whose boxes are mostly blob that the model boxes at IoU ≥ 0.5."""
    found = total = 0
    for image, boxes in zip(images, truth, strict=True):
        if not any(box.label == "blob" for box in boxes):
            continue
        lines = [box for box in model.inspect(image).boxes if box.label == "line"]
        for box in boxes:
            if box.label == "line":
                total += 1
                found += any(box_iou(box, line) >= 0.5 for line in lines)
    assert total >= 8
    return found / total


def test_a_class_sharing_images_with_a_more_prominent_one_is_still_found() -> None:
    images, boxes = mixed_dataset(48, seed=21)
    test_images, truth = mixed_dataset(36, seed=22)
    settings = detect.Settings(scorer_sets=1, window_spread=False, trees=60, hard_negatives_per_image=0)  # quick
    presence = detect.train(images, boxes, seed=7, settings=settings)
    softmax = detect.train(images, boxes, seed=7, settings=replace(settings, presence_prior=False))
    statistics = np.stack([detect._image_statistics(detect._work_image(image)[0]) for image in test_images[:6]])
    both = presence.prior.probabilities(statistics)
    assert ((both > 0.5).sum(axis=1) == 2).any()  # classes are judged apart: an image may hold both
    # 2 px lines are hard to box at IoU 0.5 (a pixel off is 1/3): 0.40 against 0.05 when this test was written
    assert lines_found_among_blobs(presence, test_images, truth) >= 0.3
    assert lines_found_among_blobs(softmax, test_images, truth) <= 0.15  # the softmax prior left them unsearched


def test_training_refuses_bad_boxes() -> None:
    images, boxes = dataset(4, seed=5)
    with pytest.raises(InputError, match="no boxes"):
        detect.train(images, [()] * 4)
    with pytest.raises(InputError, match="outside"):
        detect.train(images, [(Box(0, 0, SIZE + 5, 10, "blob"),), *boxes[1:]])
    with pytest.raises(InputError, match="box lists"):
        detect.train(images, boxes[:3])
    with pytest.raises(InputError, match="at least one scorer set") as refused:
        detect.train(images, boxes, settings=detect.Settings(scorer_sets=0))
    assert [problem.field for problem in refused.value.fields] == ["scorer_sets"]


def test_load_refuses_a_folder_without_a_detector(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a saved"):
        detect.load(tmp_path)


def write_neu_folder(root: Path, per_class: int) -> None:
    """images/<class>/*.jpg and annotations/<class>/*.xml (Pascal-VOC, 1-based inclusive), as NEU-DET lays out."""
    rng = np.random.default_rng(11)
    for kind in ("blob", "line"):
        (root / "images" / kind).mkdir(parents=True)
        (root / "annotations" / kind).mkdir(parents=True)
        for number in range(per_class):
            image, boxes = sample(kind, rng)
            Image.fromarray((image * 255).round().astype(np.uint8)).save(
                root / "images" / kind / f"{kind}_{number}.png"
            )
            objects = "".join(
                f"<object><name>{b.label}</name><bndbox><xmin>{b.x0 + 1}</xmin><ymin>{b.y0 + 1}</ymin>"
                f"<xmax>{b.x1}</xmax><ymax>{b.y1}</ymax></bndbox></object>"
                for b in boxes
            )
            (root / "annotations" / kind / f"{kind}_{number}.xml").write_text(
                f"<annotation><filename>{kind}_{number}.png</filename>{objects}</annotation>", encoding="utf-8"
            )


def test_evaluate_reports_the_stated_split_and_figures(tmp_path: Path) -> None:
    write_neu_folder(tmp_path, per_class=16)
    report = evaluate(tmp_path, test_share=0.25, seed=3)
    assert (report.train_images, report.test_images) == (24, 8)  # round(16 · 0.25) = 4 of each class to test
    assert report.test_boxes >= 8
    assert set(report.ap50) == {"blob", "line"}
    assert report.map50 == pytest.approx(np.mean(list(report.ap50.values())))
    assert report.difficult_boxes == 0 and report.map50_difficult_ignored == report.map50  # none marked difficult
    assert report.map50 >= 0.6
    assert report.map30 == pytest.approx(np.mean(list(report.ap30.values())))
    assert all(report.ap30[label] >= value for label, value in report.ap50.items())  # a looser match finds more
    assert report.train_seconds > 0
    assert report.latency_ms_mean > 0 and report.latency_ms_p95 > 0
    assert report.as_dict()["algorithm"] == (
        detect.ALGORITHM
        + detect.FUSION_ALGORITHM
        + detect.SPREAD_ALGORITHM
        + detect.PRESENCE_ALGORITHM
        + detect.SCORER_SETS_ALGORITHM.format(sets=2)
    )
    assert report.as_dict()["environment"]["scikit-learn"] == sklearn.__version__  # the trees' library, named
    with pytest.raises(InputError, match="between 0 and 1"):
        evaluate(tmp_path, test_share=1.5)


def test_a_validation_run_scores_part_of_the_training_images_and_never_reads_the_test_images(tmp_path: Path) -> None:
    write_neu_folder(tmp_path, per_class=16)
    items = read_boxes(tmp_path)
    _, test_at = stratified_holdout([item.label for item in items], 0.25, 3)
    for index in test_at:  # a validation run that read a test image would fail on it
        items[index].path.write_bytes(b"not an image")
    for annotation in (tmp_path / "annotations").rglob("*.xml"):  # every box difficult: still trained and counted
        annotation.write_text(annotation.read_text().replace("</name>", "</name><difficult>1</difficult>"))
    arguments = ["evaluate", "detect", "--data", str(tmp_path), "--test-share", "0.25", "--seed", "3",
                 "--validation-seed", "5", "--training-seed", "9", "--scorer-sets", "1"]  # fmt: skip
    result = CliRunner().invoke(vision_app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # 12 training images per class; round(12 · 0.25) = 3 of each go to validation
    assert (report["train_images"], report["test_images"]) == (18, 6)
    assert (report["seed"], report["validation_seed"], report["training_seed"]) == (3, 5, 9)
    assert report["algorithm"] == (  # one set
        detect.ALGORITHM + detect.FUSION_ALGORITHM + detect.SPREAD_ALGORITHM + detect.PRESENCE_ALGORITHM
    )
    assert report["map50"] >= 0.5, report["ap50"]
    assert report["difficult_boxes"] == report["test_boxes"] and report["map50_difficult_ignored"] is None
    said = CliRunner().invoke(vision_app, arguments)
    assert said.exit_code == 0, said.output
    assert "validated (seed 5, test images not read) on 6" in said.output
    assert "as Pascal VOC scores: -" in said.output  # nothing left to score once the difficult boxes are ignored
    for option, value in (("--scorer-sets", "0"), ("--training-seed", "-1"), ("--validation-seed", "-2")):
        refused = CliRunner().invoke(vision_app, [*arguments, option, value])
        assert refused.exit_code == 2 and option in refused.output  # named, not a stack trace

"""The anomaly model on synthetic surfaces: trained on defect-free images only it ranks defect images above good
ones, its map peaks on the defect, it survives save/load unchanged, refuses images outside its spec, and the
evaluation command's split and figures hold on a folder laid out like magnetic tile."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy
from PIL import Image
from sklearn.ensemble import HistGradientBoostingClassifier
from typer.testing import CliRunner

from zhizao import cli
from zhizao.errors import InputError
from zhizao.vision import anomaly, synthetic
from zhizao.vision.evaluate_anomaly import best_f1, evaluate
from zhizao.vision.metrics import auroc
from zhizao.vision.model import load_model
from zhizao.vision.types import Task, VerdictKind

SIZE = (128, 128)
TRAIN_SEED = 1_000  # the test images use other seeds: none of them was seen in training
TREES = 30  # fewer boosting rounds and synthetic-defect copies than the defaults keep the tests fast; the method
COPIES = 4  # is the same


@pytest.fixture(scope="module")
def model() -> anomaly.AnomalyModel:
    good = [sample.image for sample in synthetic.generate_many("good", 12, seed=TRAIN_SEED, size=SIZE)]
    return anomaly.train(good, seed=7, trees=TREES, copies=COPIES)


def test_defect_images_score_above_good_ones(model: anomaly.AnomalyModel) -> None:
    good = synthetic.generate_many("good", 10, seed=50, size=SIZE)
    spots = synthetic.generate_many("spot", 5, seed=50, size=SIZE)
    cracks = synthetic.generate_many("crack", 5, seed=50, size=SIZE)
    scores = [model.inspect(sample.image).score for sample in good + spots + cracks]
    truth = [False] * len(good) + [True] * (len(spots) + len(cracks))
    assert auroc(truth, scores) >= 0.9
    assert model.task is Task.ANOMALY and model.classes == ()


def test_image_level_term_catches_a_band_of_smoother_texture(model: anomaly.AnomalyModel) -> None:
    """Half the surface polished smooth at the same brightness: no single small window looks wrong, the whole
    image does."""
    from scipy import ndimage

    good = [sample.image for sample in synthetic.generate_many("good", 8, seed=400, size=SIZE)]
    smoothed = []
    for image in good:
        copy = image.copy()
        copy[64:] = ndimage.gaussian_filter(image, 2.0)[64:]
        smoothed.append(copy)
    distances = [
        model.terms.image_distance(anomaly._grid_descriptor(anomaly._working(image))) for image in good + smoothed
    ]
    assert auroc([False] * len(good) + [True] * len(smoothed), distances) >= 0.95
    centre, spread = model.calibration[2]
    for image in smoothed[:3]:  # the image score adds the standardised image-level term to the map's maximum
        work_map, score = model.heatmap(image)
        whole = (model.terms.image_distance(anomaly._grid_descriptor(anomaly._working(image))) - centre) / spread
        assert score == pytest.approx(float(work_map.max()) + whole, rel=1e-6)


def test_working_scale_keeps_the_aspect_ratio_and_the_frame_is_fixed() -> None:
    """A tile four times as wide as high keeps that shape at the working scale (area ``WORK_SIDE``²); its filter
    bank is then resampled to the fixed square frame that the per-position statistics live in."""
    image = np.full((100, 400), 0.5, np.float32)
    work = anomaly._working(image)
    assert work.shape == (64, 256)  # 128² pixels of area, 1 : 4 kept
    bank = anomaly._framed_bank(work)
    assert bank.shape[:2] == (anomaly.WORK_SIDE, anomaly.WORK_SIDE)
    assert anomaly._grid_descriptor(work).shape == (3 * anomaly.GRID**2,)


def test_per_position_term_forgives_a_tile_a_cell_off_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """The image shows every cell's texture one cell lower than the model learnt it: within ``SHIFT`` cells each
    image cell finds its Gaussian (distance 0) except on the top row, which has no partner; with no shift allowed
    every cell is far off."""
    cells = anomaly.WORK_SIDE // anomaly.CELL
    values = np.random.default_rng(5).normal(size=(cells + 1, cells))
    pooled = values[:-1, :, None]  # image cell y shows values[y]
    means = values[1:, :, None]  # model cell y learnt values[y + 1]
    precisions = np.ones((cells, cells, 1, 1))
    assert anomaly.SHIFT >= 1
    tolerant = anomaly._shift_tolerant_distance(pooled, means, precisions)
    assert float(np.abs(tolerant[2:]).max()) < 1e-9
    assert float(tolerant[0].max()) > 0.1  # the top row's partner lies outside the frame
    monkeypatch.setattr(anomaly, "SHIFT", 0)
    strict = anomaly._shift_tolerant_distance(pooled, means, precisions)
    assert float(strict[2:].mean()) > 0.5


def test_cell_gaussians_pool_the_neighbouring_cells_inside_the_frame() -> None:
    """Each cell's Gaussian is fitted on every image's cells in its 3 × 3 neighbourhood (fewer at the border), with
    the covariance shrunk towards its mean variance: checked against ``numpy.cov`` cell by cell."""
    cells = np.random.default_rng(3).normal(size=(5, 6, 6, 3)).astype(np.float32)
    means, precisions = anomaly._cell_gaussians(cells)
    for y, x, expected_samples in ((0, 0, 5 * 4), (0, 3, 5 * 6), (2, 4, 5 * 9), (5, 5, 5 * 4)):
        samples = cells[:, max(0, y - 1) : y + 2, max(0, x - 1) : x + 2].reshape(-1, 3).astype(np.float64)
        assert len(samples) == expected_samples
        covariance = np.cov(samples, rowvar=False)
        share = anomaly.NEAREST_SHRINKAGE
        shrunk = (1 - share) * covariance + (share * np.trace(covariance) / 3 + 1e-3) * np.eye(3)
        np.testing.assert_allclose(means[y, x], samples.mean(axis=0), atol=1e-6)
        np.testing.assert_allclose(precisions[y, x], np.linalg.inv(shrunk), rtol=1e-5, atol=1e-6)


def test_per_position_term_compares_an_image_with_its_nearest_training_images() -> None:
    """Two kinds of good tile: kind A has texture +1 in every cell, kind B −1 (each with its own grid descriptor).
    A kind-A image with one cell of B's texture is judged against the kind-A images only: that cell stands out,
    where a Gaussian over both kinds would find it ordinary."""
    rng = np.random.default_rng(11)
    side, per_kind = anomaly.WORK_SIDE // anomaly.CELL, anomaly.NEAREST
    kind = np.repeat([1.0, -1.0], per_kind)
    cells = (kind[:, None, None, None] + 0.1 * rng.normal(size=(2 * per_kind, side, side, 1))).astype(np.float32)
    descriptors = np.stack([np.full(4, value) for value in kind]).astype(np.float32) + 0.01
    terms = _terms_of(cells, descriptors)
    chosen = terms.nearest(np.full(4, 1.0, np.float32))
    assert len(chosen) == anomaly.NEAREST and set(kind[chosen]) == {1.0}
    image = np.ones((side, side, 1))
    image[10, 10] = -1.0
    means, precisions = anomaly._cell_gaussians(cells[chosen])
    distance = anomaly._shift_tolerant_distance(image, means, precisions)
    assert tuple(int(at) for at in np.unravel_index(int(np.argmax(distance)), distance.shape)) == (10, 10)
    assert float(distance[10, 10]) > 5 * float(np.median(distance))
    pooled_means, pooled_precisions = anomaly._cell_gaussians(cells)  # one Gaussian over both kinds
    assert float(anomaly._shift_tolerant_distance(image, pooled_means, pooled_precisions)[10, 10]) < 2.0


def _terms_of(cells: np.ndarray, descriptors: np.ndarray) -> anomaly._Terms:
    """Terms holding just the training cells and descriptors (the other parts are unused by ``nearest``)."""
    empty = np.zeros(1, np.float32)
    leaf = anomaly._Trees(**{name: np.zeros(1, bool if name == "leaf" else np.int64) for name in anomaly._Trees.FIELDS})
    return anomaly._Terms(
        scale_mean=empty,
        scale_spread=empty,
        cells=cells,
        descriptors=descriptors,
        descriptor_spread=descriptors.std(axis=0) + 1e-6,
        position_mean=empty,
        position_spread=empty,
        grid_mean=empty,
        grid_precision=empty,
        trees=leaf,
    )


def test_heat_map_has_the_image_shape_and_peaks_inside_the_defect(model: anomaly.AnomalyModel) -> None:
    for sample in synthetic.generate_many("spot", 3, seed=80, size=SIZE):
        verdict = model.inspect(sample.image)
        assert verdict.heatmap is not None and verdict.heatmap.shape == SIZE and verdict.heatmap.dtype == np.float32
        peak = np.unravel_index(int(np.argmax(verdict.heatmap)), SIZE)
        near_defect = np.zeros(SIZE, dtype=bool)
        rows, cols = np.nonzero(sample.mask)
        near_defect[max(0, rows.min() - 3) : rows.max() + 4, max(0, cols.min() - 3) : cols.max() + 4] = True
        assert near_defect[peak], f"peak {peak} outside the spot's box"
        assert verdict.kind is VerdictKind.ANOMALOUS and verdict.score > (verdict.threshold or 0)


def test_threshold_passes_most_unseen_good_images(model: anomaly.AnomalyModel) -> None:
    verdicts = [model.inspect(sample.image) for sample in synthetic.generate_many("good", 8, seed=300, size=SIZE)]
    assert sum(verdict.kind is VerdictKind.PASS for verdict in verdicts) >= 6
    assert all(verdict.threshold == model.threshold for verdict in verdicts)


def test_save_and_load_give_identical_scores_and_maps(model: anomaly.AnomalyModel, tmp_path: Path) -> None:
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl"))
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded, anomaly.AnomalyModel)
    for sample in synthetic.generate_many("crack", 2, seed=90, size=SIZE):
        before, after = model.inspect(sample.image), loaded.inspect(sample.image)
        assert after.score == before.score and after.threshold == before.threshold
        assert before.heatmap is not None and after.heatmap is not None
        assert np.array_equal(before.heatmap, after.heatmap)
    assert loaded.spec == model.spec


def test_a_model_of_an_older_format_is_refused_on_loading(model: anomaly.AnomalyModel, tmp_path: Path) -> None:
    """A v3 model (one Gaussian per cell, no training cells kept) cannot be scored by v4: it must be retrained, and
    loading it says so instead of failing on a missing array."""
    model.save(tmp_path / "m")
    meta_path = tmp_path / "m" / "model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "format": anomaly.FORMAT_VERSION - 1}), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        load_model(tmp_path / "m")
    assert f"format {anomaly.FORMAT_VERSION}" in refused.value.fields[0].message


def test_images_outside_the_spec_are_refused(model: anomaly.AnomalyModel) -> None:
    assert model.spec.exact == SIZE  # every training image had this size
    small = synthetic.generate("good", 5, size=(96, 96)).image
    with pytest.raises(InputError):
        model.inspect(small)
    with pytest.raises(InputError):
        anomaly.train([np.full((20, 40), 0.5, np.float32)] * 8)
    with pytest.raises(InputError):  # too few images to calibrate on unseen ones
        anomaly.train([synthetic.generate("good", seed, size=SIZE).image for seed in range(3)])
    enough = [synthetic.generate("good", seed, size=SIZE).image for seed in range(anomaly.MIN_IMAGES)]
    for knob in ("trees", "copies"):
        with pytest.raises(InputError) as refused:
            anomaly.train(enough, **{knob: 0})
        assert [problem.field for problem in refused.value.fields] == [knob]


def test_mixed_sizes_give_a_side_range(model: anomaly.AnomalyModel) -> None:
    spec = anomaly._spec_of([np.zeros((100, 300), np.float32), np.zeros((200, 250), np.float32)])
    assert spec.exact is None and spec.min_side == 50 and spec.max_side == 600


def test_stored_trees_reproduce_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    samples = rng.normal(size=(400, 5)).astype(np.float32)
    labels = (samples[:, 0] + samples[:, 1] ** 2 > 1).astype(float)
    classifier = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(samples, labels)
    trees = anomaly._Trees.of(classifier)
    assert np.allclose(trees.log_odds(samples), classifier.decision_function(samples), atol=1e-9)


def test_best_f1_by_hand() -> None:
    truth = np.array([True, True, False, False, True])
    scores = np.array([0.9, 0.8, 0.7, 0.1, 0.2], dtype=np.float32)
    # flag ≥ 0.8: tp 2, fp 0, fn 1 → 0.8; flag ≥ 0.2: tp 3, fp 1 → 6/7 ≈ 0.857 (the best)
    assert best_f1(truth, scores) == pytest.approx(6 / 7)


def _magnetic_tile_layout(root: Path) -> None:
    """MT_Free/Imgs and MT_Spot/Imgs with JPEG images and PNG masks beside the defect ones, as magnetic tile."""
    for folder, kind, count in (("MT_Free", "good", 15), ("MT_Spot", "spot", 6)):
        (root / folder / "Imgs").mkdir(parents=True)
        for index, sample in enumerate(synthetic.generate_many(kind, count, seed=2_000, size=SIZE)):
            path = root / folder / "Imgs" / f"exp_{index:03d}.jpg"
            Image.fromarray((sample.image * 255).round().astype(np.uint8)).save(path, quality=95)
            Image.fromarray(sample.mask.astype(np.uint8) * 255).save(path.with_suffix(".png"))


def test_evaluate_states_the_split_and_measures(tmp_path: Path) -> None:
    _magnetic_tile_layout(tmp_path)
    report = evaluate(tmp_path, train_share=0.6, seed=11, trees=TREES, copies=COPIES)
    assert (report.train_images, report.test_free_images) == (9, 6)  # round(15 · 0.6) train
    assert report.test_defect_images == {"Spot": 6}
    assert "seed 11: 9 train, 6 test" in report.split
    assert report.image_auroc >= 0.9 and report.image_auroc_per_class["Spot"] == report.image_auroc
    assert report.pixel_auroc is not None and report.pixel_auroc >= 0.9
    assert report.pixel_best_f1 is not None and 0 < report.pixel_best_f1 <= 1
    assert report.training_seconds > 0 and report.latency_ms_mean > 0
    assert report.latency_ms_p95 >= report.latency_ms_mean * 0.5
    own, *lowered = report.operating_points  # the model's own threshold, then the ones a station may choose
    assert own["threshold"] == report.threshold
    assert (own["good_passed"], own["defects_flagged"]) == pytest.approx((report.free_passed, report.defects_flagged))
    assert lowered[0]["good_passed"] == 1.0 and lowered[0]["threshold"] <= own["threshold"] + 1e-4
    with pytest.raises(InputError):
        evaluate(tmp_path, train_share=1.0)


def test_evaluate_command_takes_the_copy_count_and_refuses_zero(tmp_path: Path) -> None:
    _magnetic_tile_layout(tmp_path)
    runner = CliRunner()
    base = ["vision", "evaluate", "anomaly", "--data", str(tmp_path), "--seed", "11", "--json"]
    done = runner.invoke(cli.app, [*base, "--copies", "2"], prog_name="zhizao")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output.strip().splitlines()[-1])
    assert (report["train_images"], report["test_defect_images"]) == (9, {"Spot": 6})
    assert report["environment"]["scipy"] == scipy.__version__
    table = runner.invoke(cli.app, [*base[:-1], "--copies", "2"], prog_name="zhizao")
    assert table.exit_code == 0 and "station threshold  defect-free passed  defects flagged" in table.output
    assert f"scipy {scipy.__version__}" in table.output.splitlines()[-1]
    refused = runner.invoke(cli.app, [*base, "--copies", "0"], prog_name="zhizao")
    assert refused.exit_code != 0 and "--copies" in refused.output

"""The defect classifier on synthetic textures made here (never the benchmark images), and its CLI evaluation."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from typer.testing import CliRunner, Result

from zhizao import cli
from zhizao.errors import InputError
from zhizao.vision import classify, features
from zhizao.vision.images import ImageSpec
from zhizao.vision.model import load_model
from zhizao.vision.splits import DEFAULT_SEED
from zhizao.vision.types import GreyImage, Task, VerdictKind

CLASSES = ("good", "pits", "scratches", "patches")
runner = CliRunner()


def texture(kind: str, rng: np.random.Generator, size: int = 64) -> GreyImage:
    """A grey surface with the defect of ``kind``: fine grain everywhere, then dark pits, bright lines or a blob."""
    surface = 0.5 + 0.06 * ndimage.gaussian_filter(rng.normal(size=(size, size)), 1.0) / 0.28
    rows, columns = np.mgrid[0:size, 0:size]
    if kind == "pits":
        for _ in range(rng.integers(4, 8)):
            y, x = rng.integers(4, size - 4, 2)
            surface[(rows - y) ** 2 + (columns - x) ** 2 <= rng.integers(2, 6)] -= 0.3
    elif kind == "scratches":
        for _ in range(rng.integers(1, 3)):
            angle = rng.uniform(-0.3, 0.3)  # near vertical
            x0 = rng.uniform(8, size - 8)
            distance = np.abs((columns - x0) * np.cos(angle) - (rows - size / 2) * np.sin(angle))
            surface[distance < 1.0] += 0.3
    elif kind == "patches":
        y, x = rng.uniform(10, size - 10, 2)
        blob = np.exp(-((rows - y) ** 2 + (columns - x) ** 2) / (2 * rng.uniform(6, 10) ** 2))
        surface -= 0.35 * blob
    result: GreyImage = np.clip(surface, 0, 1).astype(np.float32)
    return result


def dataset(per_class: int, seed: int) -> tuple[list[GreyImage], list[str]]:
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for kind in CLASSES:
        for _ in range(per_class):
            images.append(texture(kind, rng))
            labels.append(kind)
    return images, labels


@pytest.fixture(scope="module")
def trained() -> classify.ClassifierModel:
    images, labels = dataset(12, seed=1)
    return classify.train(images, labels)


def test_features_have_a_fixed_length_whatever_the_size() -> None:
    rng = np.random.default_rng(0)
    small, large = features.extract(texture("pits", rng, 48)), features.extract(texture("pits", rng, 96))
    assert small.shape == large.shape == (features.feature_count(),)
    assert np.isfinite(small).all()
    image = texture("scratches", rng)
    np.testing.assert_array_equal(features.extract(image), features.extract(image.copy()))  # deterministic
    flat = np.full((32, 32), 0.4, dtype=np.float32)  # no texture at all: finite, not NaN
    assert np.isfinite(features.extract(flat)).all()


def test_trained_model_classifies_held_out_textures(trained: classify.ClassifierModel) -> None:
    images, labels = dataset(8, seed=2)  # a different seed: images never seen in training
    predicted = []
    for image in images:
        verdict = trained.inspect(image)
        predicted.append("good" if verdict.kind is VerdictKind.PASS else verdict.label)
    accuracy = np.mean([a == b for a, b in zip(labels, predicted, strict=True)])
    assert accuracy >= 0.95
    assert trained.task is Task.CLASSIFY and trained.classes == tuple(sorted(CLASSES))
    assert trained.spec.exact == (64, 64)


def test_the_good_class_is_a_pass_and_defects_carry_their_class(trained: classify.ClassifierModel) -> None:
    rng = np.random.default_rng(3)
    good = trained.inspect(texture("good", rng))
    assert good.kind is VerdictKind.PASS and good.label is None and 0.5 < good.score <= 1.0
    pits = trained.inspect(texture("pits", rng))
    assert pits.kind is VerdictKind.DEFECT and pits.label == "pits"
    assert trained.pass_label == "good"


def test_save_and_load_give_identical_predictions(trained: classify.ClassifierModel, tmp_path: Path) -> None:
    trained.save(tmp_path / "model")
    assert json.loads((tmp_path / "model" / "model.json").read_text())["task"] == "classify"
    assert sorted(path.name for path in (tmp_path / "model").iterdir()) == ["arrays.npz", "model.json"]  # no pickle
    loaded = load_model(tmp_path / "model")
    assert isinstance(loaded, classify.ClassifierModel)
    assert loaded.classes == trained.classes and loaded.spec == trained.spec
    images, _ = dataset(3, seed=4)
    rows = features.extract_many(images)
    np.testing.assert_array_equal(loaded.probabilities_of(rows), trained.probabilities_of(rows))
    for image in images[::3]:
        assert loaded.inspect(image) == trained.inspect(image)


@pytest.mark.parametrize("kinds", [CLASSES, ("good", "pits")])
def test_the_saved_arrays_reproduce_scikit_learns_probabilities(kinds: tuple[str, ...]) -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    images, labels = dataset(6, seed=8)
    chosen = [index for index, label in enumerate(labels) if label in kinds]
    rows = features.extract_many([images[index] for index in chosen])
    names = [labels[index] for index in chosen]
    model = classify.fit(rows, names, ImageSpec(exact=(64, 64)))
    standard = (rows - model.mean) / model.scale
    reference = CalibratedClassifierCV(
        LinearSVC(C=classify.REGULARISATION, max_iter=20_000, random_state=DEFAULT_SEED),
        method="sigmoid",
        cv=classify.CALIBRATION_FOLDS,
        ensemble=False,
    ).fit(standard, [model.classes.index(name) for name in names])
    probabilities = model.probabilities_of(rows)
    np.testing.assert_allclose(probabilities, reference.predict_proba(standard), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert model.inspect(texture("good", np.random.default_rng(9))).kind is VerdictKind.PASS


def test_training_is_deterministic() -> None:
    images, labels = dataset(4, seed=5)
    first, second = classify.train(images, labels), classify.train(images, labels)
    np.testing.assert_array_equal(first.weights, second.weights)


def test_bad_training_input_is_refused(tmp_path: Path) -> None:
    images, labels = dataset(3, seed=6)
    with pytest.raises(InputError, match="at least two classes"):
        classify.train(images[:3], labels[:3])
    with pytest.raises(InputError, match="pits has fewer"):
        classify.train(images[:4], labels[:4])
    with pytest.raises(InputError, match="labels for"):
        classify.train(images, labels[:-1])
    with pytest.raises(InputError, match="not a saved classifier"):
        classify.load(tmp_path)


def write_folder(root: Path, per_class: int) -> Path:
    images, labels = dataset(per_class, seed=7)
    for number, (image, label) in enumerate(zip(images, labels, strict=True)):
        (root / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray((image * 255).round().astype(np.uint8)).save(root / label / f"{number}.png")
    return root


def zhizao(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="zhizao")


def test_cli_evaluates_a_folder(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "data", per_class=6)
    result = zhizao("vision", "evaluate", "classify", "--data", str(root), "--folds", "2")
    assert result.exit_code == 0, result.output
    assert "mean accuracy" in result.stdout and "scratches" in result.stdout
    assert f"measured with python {platform.python_version()}, zhizao " in result.stdout
    assert f"numpy {np.__version__}" in result.stdout
    result = zhizao("vision", "evaluate", "classify", "--data", str(root), "--folds", "2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["images"] == 24 and len(report["folds"]) == 2
    assert report["mean_accuracy"] >= 0.9
    assert set(report["recall"]) == set(CLASSES)
    assert report["latency_ms_p95"] >= report["latency_ms_mean"] * 0.5 > 0
    assert report["environment"]["numpy"] == np.__version__


def test_cli_names_an_empty_class_folder(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "data", per_class=3)
    (root / "cracks").mkdir()
    result = zhizao("vision", "evaluate", "classify", "--data", str(root))
    assert result.exit_code == 2
    assert str(root / "cracks") in result.stderr and "empty class folder" in result.stderr
    result = zhizao("vision", "evaluate", "classify", "--data", str(tmp_path / "absent"))
    assert result.exit_code == 2 and "not a folder" in result.stderr

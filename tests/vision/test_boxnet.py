"""The detector's optional learned class maps (PyTorch): the box targets, the two fold networks, saving and loading.

Skipped with a reason where PyTorch is not installed; CI installs it and sets ZHIZAO_TEST_REQUIRE_TORCH=1, which
turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import World
from zhizao.accounts.models import AuditEntry
from zhizao.cli.vision import vision_app
from zhizao.errors import InputError
from zhizao.settings import Settings
from zhizao.vision import detect, registry, training
from zhizao.vision.metrics import mean_average_precision
from zhizao.vision.model import load_model

try:
    from zhizao.vision import boxnet
except ImportError:
    if os.environ.get("ZHIZAO_TEST_REQUIRE_TORCH") == "1":
        raise
    pytest.skip("PyTorch is not installed (pip install 'zhizao[vision]')", allow_module_level=True)

from zhizao.vision.models import TrainingStatus

from .test_detect import SIZE, dataset, write_neu_folder
from .test_training import detect_version

LEARNED = detect.Settings(learned_maps=True, map_epochs=10)


@pytest.fixture(scope="module")
def learned() -> detect.DetectorModel:
    images, boxes = dataset(40, seed=1)
    return detect.train(images, boxes, seed=7, settings=LEARNED)


def test_targets_are_the_share_of_each_output_cell_inside_a_box() -> None:
    # An 8 × 8 work image: the network answers on a 2 × 2 grid of 4 × 4-pixel cells.
    first = np.array([[0.0, 0.0, 2.0, 4.0]])  # the left half of the top-left cell
    second = np.array([[2.0, 2.0, 6.0, 6.0], [4.0, 4.0, 8.0, 8.0]])  # overlapping boxes count once
    targets = boxnet._targets((8, 8), [first, second])
    assert targets.shape == (2, 2, 2)
    np.testing.assert_allclose(targets[0], [[0.5, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(targets[1], [[4 / 16, 4 / 16], [4 / 16, 1.0]])  # not 20 / 16 bottom right


def test_every_training_image_gets_maps_from_the_network_that_did_not_see_it() -> None:
    images, boxes = dataset(10, seed=3)
    works = [image.astype(np.float64) for image in images]
    classes = ("blob", "line")
    truth = [[detect._corners(image_boxes, label) for label in classes] for image_boxes in boxes]
    settings = detect.Settings(learned_maps=True, map_epochs=1)
    networks, maps = detect._train_map_networks(works, truth, boxes, classes, settings, seed=5)
    assert len(networks) == 2
    assert all(m is not None and m.shape == (2, SIZE // 4, SIZE // 4) for m in maps)
    halves = np.array_split(np.random.default_rng(5).permutation(len(works)), 2)
    for network, unseen in zip(networks, (halves[1], halves[0]), strict=True):
        for index in unseen:
            np.testing.assert_allclose(maps[index], network.maps([works[index]])[0], rtol=1e-5, atol=1e-6)


def test_learned_maps_find_held_out_defects(learned: detect.DetectorModel) -> None:
    assert len(learned.map_networks) == 2
    images, truth = dataset(20, seed=2)
    mean_ap, per_class = mean_average_precision(truth, [learned.inspect(image).boxes for image in images])
    assert mean_ap >= 0.6, per_class


def test_a_saved_learned_detector_loads_with_its_networks(learned: detect.DetectorModel, tmp_path: Path) -> None:
    learned.save(tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert isinstance(loaded, detect.DetectorModel)
    assert loaded.settings == learned.settings and len(loaded.map_networks) == 2
    for image in dataset(4, seed=4)[0]:
        assert loaded.inspect(image) == learned.inspect(image)


def test_without_pytorch_a_learned_detector_is_refused_by_name(
    learned: detect.DetectorModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    learned.save(tmp_path / "model")
    monkeypatch.setitem(sys.modules, "zhizao.vision.boxnet", None)  # import now fails as without PyTorch
    with pytest.raises(InputError, match="PyTorch"):
        detect.load(tmp_path / "model")
    images, boxes = dataset(10, seed=6)
    with pytest.raises(InputError, match="PyTorch"):
        detect.train(images, boxes, settings=LEARNED)


def test_too_few_images_for_two_networks_are_refused() -> None:
    images, boxes = dataset(6, seed=6)
    with pytest.raises(InputError, match="at least 8"):
        detect.train(images, boxes, settings=LEARNED)


def test_the_cli_evaluates_with_learned_maps_and_says_so(tmp_path: Path) -> None:
    write_neu_folder(tmp_path, per_class=16)
    result = CliRunner().invoke(vision_app, ["evaluate", "detect", "--data", str(tmp_path), "--test-share",
                                      "0.25", "--seed", "3", "--learned-maps", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["algorithm"] == (
        detect.ALGORITHM
        + detect.FUSION_ALGORITHM
        + detect.SPREAD_ALGORITHM
        + detect.PRESENCE_ALGORITHM
        + detect.SCORER_SETS_ALGORITHM.format(sets=2)
        + detect.LEARNED_MAPS_ALGORITHM
    )
    assert (report["train_images"], report["test_images"]) == (24, 8)
    assert report["map50"] >= 0.6, report["ap50"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the registry rows are the same on either backend
def test_the_registry_trains_a_detector_with_learned_maps_when_asked(world: World, settings: Settings) -> None:
    owner, version_id = detect_version(world, settings)
    with world.database.session() as session:
        model = training.train_model(session, settings, owner, version_id, training.TrainingOptions(learned_maps=True))
    assert model.status is TrainingStatus.DONE, model.error
    assert model.options == {"learned_maps": True} and model.algorithm is not None
    assert model.algorithm.endswith(detect.LEARNED_MAPS_ALGORITHM)
    loaded = registry.load(settings, model)
    assert isinstance(loaded, detect.DetectorModel) and len(loaded.map_networks) == 2
    assert loaded.settings.learned_maps and 0.5 <= model.metrics["map50"] <= 1.0
    with world.database.session() as session:
        asked = session.scalars(select(AuditEntry).where(AuditEntry.action == "vision_model.train")).one()
    assert asked.after is not None and asked.after["learned_maps"] is True

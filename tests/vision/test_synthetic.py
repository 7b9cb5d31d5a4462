"""Synthetic surface images: deterministic, each defect where its box and mask say, readable by the folder readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zhizao.vision import folders, images, synthetic


def test_the_same_seed_gives_the_same_pixels_and_another_seed_other_pixels() -> None:
    first = synthetic.generate("scratch", 7)
    again = synthetic.generate("scratch", 7)
    other = synthetic.generate("scratch", 8)
    assert np.array_equal(first.image, again.image)
    assert first.box == again.box
    assert not np.array_equal(first.image, other.image)


@pytest.mark.parametrize("kind", synthetic.CLASSES)
def test_images_are_grey_levels_in_range_at_the_asked_size(kind: str) -> None:
    sample = synthetic.generate(kind, 3, size=(96, 160))
    assert sample.image.shape == (96, 160)
    assert sample.image.dtype == np.float32
    assert float(sample.image.min()) >= 0.0 and float(sample.image.max()) <= 1.0
    assert sample.mask.shape == (96, 160)


def test_a_good_image_has_no_box_and_an_empty_mask() -> None:
    sample = synthetic.generate("good", 1)
    assert sample.box is None
    assert not sample.mask.any()


@pytest.mark.parametrize("kind", synthetic.DEFECTS)
def test_a_defect_lies_inside_its_box_which_fits_the_mask_tightly(kind: str) -> None:
    for seed in range(5):
        sample = synthetic.generate(kind, seed)
        box = sample.box
        assert box is not None and box.label == kind
        rows, cols = np.nonzero(sample.mask)
        assert (box.x0, box.y0, box.x1, box.y1) == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)


def test_defects_stand_out_from_the_surface() -> None:
    """Mean absolute grey-level change inside the mask vs the surface's own spread (the grain)."""
    for kind, expected_sign in (("spot", -1), ("patch", 1), ("crack", -1)):
        sample = synthetic.generate(kind, 11)
        inside = float(sample.image[sample.mask].mean())
        outside = sample.image[~sample.mask]
        assert expected_sign * (inside - float(outside.mean())) > 2 * float(outside.std())


def test_scratches_are_thin_and_cracks_thin_while_patches_are_large() -> None:
    scratch, patch = synthetic.generate("scratch", 4), synthetic.generate("patch", 4)
    assert scratch.box is not None and patch.box is not None
    # a thin line fills a small part of its box unless it is nearly axis-aligned; a patch fills most of its own
    assert scratch.mask.sum() < 0.25 * scratch.box.area or min(scratch.box.x1 - scratch.box.x0,
                                                               scratch.box.y1 - scratch.box.y0) <= 4  # fmt: skip
    assert patch.mask.sum() > 0.5 * patch.box.area
    assert patch.mask.sum() > 4 * scratch.mask.sum()


def test_unknown_classes_and_tiny_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown class"):
        synthetic.generate("dent", 1)
    with pytest.raises(ValueError, match="32 pixels"):
        synthetic.generate("good", 1, size=(16, 16))


def test_png_round_trips_through_the_image_decoder() -> None:
    sample = synthetic.generate("spot", 2)
    decoded = images.decode_grey(synthetic.to_png(sample.image))
    assert decoded.shape == sample.image.shape
    assert float(np.abs(decoded - sample.image).max()) <= 0.5 / 255 + 1e-6


def test_written_folders_read_back_as_classes_boxes_and_anomaly_sets(tmp_path: Path) -> None:
    root = tmp_path / "classes"
    paths = synthetic.write_folder(root, 3, seed=5, annotations=True)
    assert len(paths) == 3 * len(synthetic.CLASSES)
    labelled = folders.read_classes(root)
    assert {item.label for item in labelled} == set(synthetic.CLASSES)
    assert np.array_equal(images.read_grey(root / "spot" / "spot_0001.png"),
                          images.decode_grey(synthetic.to_png(synthetic.generate("spot", 6).image)))  # fmt: skip
    boxed = {item.path.name: item.boxes for item in folders.read_boxes(root)}
    assert boxed["crack_0002.png"] == (synthetic.generate("crack", 7).box,)
    assert boxed["good_0000.png"] == ()

    anomaly_root = tmp_path / "anomaly"
    synthetic.write_folder(anomaly_root, 2, seed=5, masks=True)
    items = folders.read_anomaly(anomaly_root)
    assert sum(item.label is None for item in items) == 2
    defects = [item for item in items if item.label is not None]
    assert len(defects) == 2 * len(synthetic.DEFECTS)
    assert all(item.mask_path is not None for item in defects)
    first = defects[0]
    assert first.mask_path is not None
    mask = images.read_mask(first.mask_path, (128, 128))
    assert mask.any()

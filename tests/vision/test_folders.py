"""Reading image folders as the benchmarks and plants lay them out; every problem names its path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from zhizao.errors import InputError
from zhizao.vision.folders import read_anomaly, read_boxes, read_classes, read_voc
from zhizao.vision.images import read_mask
from zhizao.vision.types import Box


def write_image(path: Path, size: tuple[int, int] = (32, 32), value: int = 128) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size, value, dtype=np.uint8)).save(path)
    return path


VOC = """<annotation><filename>{name}</filename><size><width>200</width><height>200</height><depth>1</depth></size>
{objects}</annotation>"""
OBJECT = "<object><name>{label}</name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax>" \
    "</bndbox></object>"  # fmt: skip


def test_class_folders_directly_and_under_images(tmp_path: Path) -> None:
    for name in ("b.jpg", "a.png"):
        write_image(tmp_path / "flat" / "scratch" / name)
    write_image(tmp_path / "flat" / "good" / "x.bmp")
    (tmp_path / "flat" / "good" / "notes.txt").write_text("not an image")
    images = read_classes(tmp_path / "flat")
    assert [(image.path.name, image.label) for image in images] == [
        ("x.bmp", "good"),
        ("a.png", "scratch"),
        ("b.jpg", "scratch"),
    ]
    write_image(tmp_path / "neu" / "images" / "patches" / "p1.jpg")
    assert [image.label for image in read_classes(tmp_path / "neu")] == ["patches"]


def test_an_empty_class_folder_is_named(tmp_path: Path) -> None:
    write_image(tmp_path / "crazing" / "c1.jpg")
    (tmp_path / "inclusion").mkdir()
    with pytest.raises(InputError) as error:
        read_classes(tmp_path)
    assert error.value.fields[0].field == str(tmp_path / "inclusion")
    assert "empty class folder" in error.value.fields[0].message


def test_a_missing_or_flat_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        read_classes(tmp_path / "absent")
    write_image(tmp_path / "loose.jpg")
    with pytest.raises(InputError, match="no class folders"):
        read_classes(tmp_path)


def test_voc_boxes_become_half_open_zero_based(tmp_path: Path) -> None:
    write_image(tmp_path / "images" / "scratches" / "s1.jpg")
    write_image(tmp_path / "images" / "scratches" / "s2.jpg")
    objects = OBJECT.format(label="scratches", x0=1, y0=5, x1=10, y1=200) + OBJECT.format(
        label="scratches", x0=50, y0=60, x1=70, y1=80
    )
    annotation = tmp_path / "annotations" / "scratches" / "s1.xml"
    annotation.parent.mkdir(parents=True)
    annotation.write_text(VOC.format(name="s1.jpg", objects=objects))
    images = read_boxes(tmp_path)
    # VOC xmin = 1 (1-based, inclusive) is pixel column 0; xmax = 10 inclusive is the half-open end 10.
    assert images[0].boxes == (Box(0, 4, 10, 200, "scratches"), Box(49, 59, 70, 80, "scratches"))
    assert images[0].boxes[0].area == 10 * 196
    assert images[1].boxes == ()  # no annotation file: no boxes
    assert images[0].difficult == ()


def test_boxes_marked_difficult_are_kept_and_named(tmp_path: Path) -> None:
    write_image(tmp_path / "images" / "inclusion" / "i1.jpg")
    hard = OBJECT.format(label="inclusion", x0=1, y0=1, x1=5, y1=5).replace(
        "</name>", "</name><difficult>1</difficult>"
    )
    plain = OBJECT.format(label="inclusion", x0=11, y0=11, x1=15, y1=15).replace(
        "</name>", "</name><difficult>0</difficult>"
    )
    annotation = tmp_path / "annotations" / "inclusion" / "i1.xml"
    annotation.parent.mkdir(parents=True)
    annotation.write_text(VOC.format(name="i1.jpg", objects=hard + plain))
    (image,) = read_boxes(tmp_path)
    assert image.boxes == (Box(0, 0, 5, 5, "inclusion"), Box(10, 10, 15, 15, "inclusion"))  # both train
    assert image.difficult == (Box(0, 0, 5, 5, "inclusion"),)
    assert read_voc(annotation) == image.boxes


def test_malformed_voc_names_the_file_and_object(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<annotation><object>")
    with pytest.raises(InputError) as error:
        read_voc(broken)
    assert error.value.fields[0].field == str(broken)
    reversed_box = tmp_path / "reversed.xml"
    reversed_box.write_text(VOC.format(name="r.jpg", objects=OBJECT.format(label="x", x0=30, y0=5, x1=10, y1=9)))
    with pytest.raises(InputError) as error:
        read_voc(reversed_box)
    assert error.value.fields[0].field == f"{reversed_box}: object 1"
    write_image(tmp_path / "boxless" / "crazing" / "c.jpg")
    with pytest.raises(InputError, match="no Pascal-VOC"):
        read_boxes(tmp_path / "boxless")


def test_anomaly_layout_with_masks(tmp_path: Path) -> None:
    write_image(tmp_path / "MT_Free" / "Imgs" / "f1.jpg")
    write_image(tmp_path / "MT_Free" / "Imgs" / "f2.jpg")
    write_image(tmp_path / "MT_Blowhole" / "Imgs" / "b1.jpg")
    mask = np.zeros((32, 32), dtype=np.uint8)
    mask[4:8, 10:20] = 255
    Image.fromarray(mask).save(tmp_path / "MT_Blowhole" / "Imgs" / "b1.png")
    write_image(tmp_path / "crack" / "c1.jpg")  # a defect folder without the MT_ prefix or Imgs/
    images = read_anomaly(tmp_path)
    assert [(image.path.name, image.label) for image in images] == [
        ("b1.jpg", "Blowhole"),
        ("f1.jpg", None),
        ("f2.jpg", None),
        ("c1.jpg", "crack"),
    ]
    blowhole = images[0]
    assert blowhole.mask_path == tmp_path / "MT_Blowhole" / "Imgs" / "b1.png"
    assert read_mask(blowhole.mask_path, (32, 32)).sum() == 4 * 10
    assert images[1].mask_path is None
    with pytest.raises(InputError, match="mask is 32 × 32"):
        read_mask(blowhole.mask_path, (40, 40))


def test_anomaly_needs_a_defect_free_folder(tmp_path: Path) -> None:
    write_image(tmp_path / "MT_Crack" / "Imgs" / "c1.jpg")
    with pytest.raises(InputError, match="no defect-free folder"):
        read_anomaly(tmp_path)

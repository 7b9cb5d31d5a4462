"""Reading image folders laid out as the public benchmarks are, or as a plant would lay out its own images.

- classes: ``<root>/<class>/*.jpg`` or ``<root>/images/<class>/*.jpg`` (NEU);
- boxes: the same, with Pascal-VOC files ``<root>/annotations/<class>/<stem>.xml`` (or ``<stem>.xml`` beside the
  image); an object's box becomes ``(xmin - 1, ymin - 1, xmax, ymax)`` (VOC is 1-based and inclusive), and
  ``<difficult>1</difficult>`` marks it difficult (``LabelledImage.difficult``: scored apart, never dropped);
- anomaly: a defect-free folder (``good``, ``ok``, ``free`` or ``MT_Free``) and one folder per defect class
  (``MT_<class>`` or ``<class>``), images directly inside or in ``Imgs/``; a ``.png`` with an image's stem beside
  it is that image's defect mask.

Every problem names the path: a missing folder, an empty class folder, an unreadable annotation.
Files are listed in sorted order so that splits drawn from them are the same on every machine.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from zhizao.errors import InputError
from zhizao.vision.images import IMAGE_SUFFIXES
from zhizao.vision.types import Box, LabelledImage

GOOD_FOLDERS = ("good", "ok", "free", "mt_free")


def read_classes(root: Path) -> list[LabelledImage]:
    """One labelled image per file, the class being its folder's name."""
    base = _image_root(root)
    images: list[LabelledImage] = []
    for folder in _class_folders(base):
        images.extend(LabelledImage(path, folder.name) for path in _images_in(folder))
    return images


def read_boxes(root: Path) -> list[LabelledImage]:
    """As read_classes, each image with the boxes of its VOC file (an image without one has no boxes)."""
    base = _image_root(root)
    annotations = root / "annotations"
    images: list[LabelledImage] = []
    for folder in _class_folders(base):
        for path in _images_in(folder):
            candidates = (annotations / folder.name / f"{path.stem}.xml", annotations / f"{path.stem}.xml",
                          path.with_suffix(".xml"))  # fmt: skip
            xml = next((candidate for candidate in candidates if candidate.is_file()), None)
            objects = _voc_objects(xml) if xml is not None else []
            boxes = tuple(box for box, _ in objects)
            difficult = tuple(box for box, hard in objects if hard)
            images.append(LabelledImage(path, folder.name, boxes, difficult=difficult))
    if not any(image.boxes for image in images):
        raise InputError.for_field(str(root), "no Pascal-VOC annotations found (annotations/<class>/<image>.xml)")
    return images


def read_voc(path: Path) -> tuple[Box, ...]:
    """The boxes of one Pascal-VOC annotation file."""
    return tuple(box for box, _ in _voc_objects(path))


def _voc_objects(path: Path) -> list[tuple[Box, bool]]:
    """Each object's box and whether it is marked difficult (``<difficult>1</difficult>``)."""
    try:
        tree = ElementTree.parse(path)  # noqa: S314 — the plant's own annotation files, not untrusted uploads
    except (ElementTree.ParseError, OSError) as error:
        raise InputError.for_field(str(path), f"not a readable Pascal-VOC file ({error})") from None
    objects: list[tuple[Box, bool]] = []
    for number, item in enumerate(tree.getroot().iter("object"), start=1):
        name = (item.findtext("name") or "").strip()
        box = item.find("bndbox")
        try:
            if not name or box is None:
                raise ValueError("object without name or bndbox")
            xmin, ymin, xmax, ymax = (int(float(box.findtext(key) or "")) for key in ("xmin", "ymin", "xmax", "ymax"))
        except ValueError as error:
            raise InputError.for_field(f"{path}: object {number}", f"malformed box ({error})") from None
        if xmax < xmin or ymax < ymin:
            raise InputError.for_field(f"{path}: object {number}", "xmax/ymax below xmin/ymin")
        hard = (item.findtext("difficult") or "0").strip() == "1"
        objects.append((Box(max(0, xmin - 1), max(0, ymin - 1), xmax, ymax, name), hard))
    return objects


def read_anomaly(root: Path) -> list[LabelledImage]:
    """Defect-free images (label None) and defect images (label = class, with a mask where one lies beside)."""
    if not root.is_dir():
        raise InputError.for_field(str(root), "not a folder")
    folders = sorted(path for path in root.iterdir() if path.is_dir())
    good = [folder for folder in folders if folder.name.lower() in GOOD_FOLDERS]
    if not good:
        raise InputError.for_field(str(root), f"no defect-free folder (one of {', '.join(GOOD_FOLDERS)})")
    images: list[LabelledImage] = []
    for folder in folders:
        label = None if folder in good else folder.name.removeprefix("MT_")
        inner = folder / "Imgs" if (folder / "Imgs").is_dir() else folder
        files = _images_in(inner, masks_beside=True)
        for path in files:
            mask = path.with_suffix(".png") if path.suffix.lower() != ".png" else None
            images.append(LabelledImage(path, label, (), mask if mask is not None and mask.is_file() else None))
    return images


def _image_root(root: Path) -> Path:
    if not root.is_dir():
        raise InputError.for_field(str(root), "not a folder")
    return root / "images" if (root / "images").is_dir() else root


def _class_folders(base: Path) -> list[Path]:
    folders = sorted(path for path in base.iterdir() if path.is_dir() and path.name != "annotations")
    if not folders:
        raise InputError.for_field(str(base), "no class folders (<class>/<image>.jpg)")
    return folders


def _images_in(folder: Path, *, masks_beside: bool = False) -> list[Path]:
    files = sorted(path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES)
    if masks_beside:  # a PNG sharing a JPEG's stem is that JPEG's mask, not an image
        stems = {path.stem for path in files if path.suffix.lower() != ".png"}
        files = [path for path in files if not (path.suffix.lower() == ".png" and path.stem in stems)]
    if not files:
        raise InputError.for_field(str(folder), "empty class folder: no images")
    return files

"""Small synthetic inspection images made in the tests (stripes, spots, plain surfaces), folders laid out like the
benchmarks, and the accounts that manage vision datasets."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import Account, World
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role

SIZE = 32


def principal(account: Account) -> Principal:
    return Principal(account.user_id, account.username, account.username, account.role, account.organisation_id)


def surface(seed: int, size: int = SIZE) -> np.ndarray:
    """A plain grey surface with a little noise (a defect-free part)."""
    rng = np.random.default_rng(seed)
    return np.clip(0.5 + rng.normal(0, 0.03, (size, size)), 0, 1)


def stripes(seed: int, size: int = SIZE) -> np.ndarray:
    """Vertical stripes of a random period and phase."""
    rng = np.random.default_rng(seed)
    period = rng.uniform(4, 7)
    x = np.arange(size)[None, :] + rng.uniform(0, period)
    return np.clip(surface(seed, size) + 0.3 * np.sin(2 * np.pi * x / period), 0, 1)


def spots(seed: int, size: int = SIZE) -> np.ndarray:
    """A few dark round spots."""
    rng = np.random.default_rng(seed)
    image = surface(seed, size)
    y, x = np.mgrid[:size, :size]
    for _ in range(3):
        cy, cx, r = rng.uniform(5, size - 5), rng.uniform(5, size - 5), rng.uniform(2, 4)
        image[(y - cy) ** 2 + (x - cx) ** 2 <= r * r] = 0.1
    return image


def spot_at(seed: int, box: tuple[int, int, int, int], size: int = SIZE) -> np.ndarray:
    """A surface with one dark rectangle filling ``box`` (x0, y0, x1, y1; half-open)."""
    image = surface(seed, size)
    x0, y0, x1, y1 = box
    image[y0:y1, x0:x1] = 0.05
    return image


def png(image: np.ndarray, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(out, format=kind)
    return out.getvalue()


def save(path: Path, image: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png(image, "PNG" if path.suffix == ".png" else "JPEG" if path.suffix == ".jpg" else "BMP"))
    return path


def class_folder(root: Path, per_class: int = 12) -> Path:
    """``root/<class>/<n>.png``: stripes and spots."""
    for index in range(per_class):
        save(root / "stripes" / f"s{index:02d}.png", stripes(index))
        save(root / "spots" / f"p{index:02d}.png", spots(100 + index))
    return root


VOC_FILE = """<annotation><filename>{name}</filename><size><width>{size}</width><height>{size}</height>
<depth>1</depth></size><object><name>{label}</name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax>
<ymax>{y1}</ymax></bndbox></object></annotation>"""


def box_folder(root: Path, per_class: int = 6) -> Path:
    """NEU's layout: ``images/<class>/<n>.jpg`` with ``annotations/<class>/<n>.xml`` (1-based, inclusive)."""
    for label, width in (("blob", 6), ("bar", 12)):
        for index in range(per_class):
            x0, y0 = 3 + index, 4 + index
            save(root / "images" / label / f"{label}{index}.png", spot_at(index, (x0, y0, x0 + width, y0 + 6)))
            xml = VOC_FILE.format(name=f"{label}{index}.png", size=SIZE, label=label, x0=x0 + 1, y0=y0 + 1,
                                  x1=x0 + width, y1=y0 + 6)  # fmt: skip
            (root / "annotations" / label).mkdir(parents=True, exist_ok=True)
            (root / "annotations" / label / f"{label}{index}.xml").write_text(xml)
    return root


def anomaly_folder(root: Path, good: int = 12, defects: int = 4) -> Path:
    """Magnetic tile's layout: ``MT_Free/Imgs`` and ``MT_<class>/Imgs``."""
    for index in range(good):
        save(root / "MT_Free" / "Imgs" / f"g{index:02d}.png", surface(index))
    for index in range(defects):
        save(root / "MT_Spot" / "Imgs" / f"d{index:02d}.png", spots(200 + index))
    return root


def enterprise_pair(world: World) -> tuple[Account, Account]:
    """An enterprise user, and an enterprise user of another enterprise."""
    return world.user(Role.ENTERPRISE), world.user(Role.ENTERPRISE)

"""Synthetic defects painted on defect-free images, so that an anomaly model learns what a departure from good
looks like without ever seeing a real defect.

Images here are at the anomaly model's working scale as log grey levels, so darkening by a factor ``f`` adds
``log f``. The kinds follow the defects a surface inspection meets: small dark spots (blowholes), thin dark
meandering lines (cracks), a missing corner or an edge chip showing the dark background (breaks), a band or blob
lit brighter or darker (uneven lighting, frayed areas), and a patch pasted from another good image (anything
out of place). Each returns the painted copy and the mask of the pixels it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

Array = NDArray[np.float32]
Mask = NDArray[np.bool_]


def defect(image: Array, rng: np.random.Generator, others: Sequence[Array]) -> tuple[Array, Mask]:
    """A copy of ``image`` with one synthetic defect, and its mask; spots and cracks are drawn twice as often
    (they are the smallest, hardest to learn)."""
    kinds: tuple[Callable[[Array, np.random.Generator], tuple[Array, Mask]], ...] = (
        spot, spot, crack, crack, broken_edge, uneven,
    )  # fmt: skip
    choice = int(rng.integers(len(kinds) + 1))
    if choice == len(kinds) and others:
        copy, mask = pasted(image, rng, others[int(rng.integers(len(others)))])
    else:
        copy, mask = kinds[min(choice, len(kinds) - 1)](image, rng)
    return copy.astype(np.float32), mask


def spot(image: Array, rng: np.random.Generator) -> tuple[Array, Mask]:
    height, width = image.shape
    rows, cols = np.mgrid[0:height, 0:width]
    cy, cx = rng.uniform(4, height - 4), rng.uniform(4, width - 4)
    ry, rx = rng.uniform(0.8, 4.0, 2)
    mask = ((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2 <= 1
    return image + _soft(mask, 0.6) * np.log(rng.uniform(0.35, 0.8)), mask


def crack(image: Array, rng: np.random.Generator) -> tuple[Array, Mask]:
    height, width = image.shape
    mask = np.zeros((height, width), dtype=bool)
    y, x = rng.uniform(0, height), rng.uniform(0, width)
    angle = rng.uniform(0, 2 * np.pi)
    for _ in range(int(rng.integers(10, max(12, height // 2)))):
        angle += rng.normal(0, 0.3)  # a meandering line, not a straight scratch
        y, x = y + np.sin(angle), x + np.cos(angle)
        if 0 <= y < height and 0 <= x < width:
            mask[int(y), int(x)] = True
    if rng.random() < 0.4:
        mask = ndimage.binary_dilation(mask)
    weight = np.clip(_soft(mask, 0.5) * 1.5, 0, 1)
    return image + weight * np.log(rng.uniform(0.4, 0.85)), mask


def broken_edge(image: Array, rng: np.random.Generator) -> tuple[Array, Mask]:
    height, width = image.shape
    rows, cols = np.mgrid[0:height, 0:width]
    corner = int(rng.integers(4))
    cy = 0 if corner < 2 else height
    cx = 0 if corner % 2 == 0 else width
    if rng.random() < 0.5:  # a corner cut off
        mask = np.abs(rows - cy) / rng.uniform(6, height / 3) + np.abs(cols - cx) / rng.uniform(6, width / 3) < 1
    else:  # a chip out of the top or bottom edge
        radius = rng.uniform(4, width / 6)
        mask = (rows - cy) ** 2 + (cols - rng.uniform(0, width)) ** 2 < radius**2
    dark = float(np.percentile(image, 1)) + np.log(rng.uniform(0.2, 0.8))
    weight = _soft(mask, 0.7)
    return image * (1 - weight) + dark * weight, mask


def uneven(image: Array, rng: np.random.Generator) -> tuple[Array, Mask]:
    height, width = image.shape
    rows, cols = np.mgrid[0:height, 0:width]
    if rng.random() < 0.6:  # a band across the image
        top, size = rng.uniform(0, height), rng.uniform(height / 10, height / 2.5)
        mask = (rows >= top) & (rows < top + size)
    else:
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        ry, rx = rng.uniform(height / 10, height / 3, 2)
        mask = ((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2 <= 1
    factor = rng.uniform(0.6, 0.88) if rng.random() < 0.5 else rng.uniform(1.12, 1.4)
    return image + _soft(mask, rng.uniform(0, 2)) * np.log(factor), mask


def pasted(image: Array, rng: np.random.Generator, other: Array) -> tuple[Array, Mask]:
    height, width = image.shape
    size_y, size_x = int(rng.integers(6, max(7, height // 3))), int(rng.integers(6, max(7, width // 3)))
    # the other image may have another shape (the working scale keeps each tile's aspect ratio)
    size_y, size_x = min(size_y, height, other.shape[0]), min(size_x, width, other.shape[1])
    y, x = int(rng.integers(0, max(1, height - size_y))), int(rng.integers(0, max(1, width - size_x)))
    y2, x2 = (
        int(rng.integers(0, max(1, other.shape[0] - size_y))),
        int(rng.integers(0, max(1, other.shape[1] - size_x))),
    )
    patch = other[y2 : y2 + size_y, x2 : x2 + size_x]
    if rng.random() < 0.5:
        patch = patch[::-1, ::-1]
    copy = image.copy()
    copy[y : y + size_y, x : x + size_x] = patch
    mask = np.zeros((height, width), dtype=bool)
    mask[y : y + size_y, x : x + size_x] = True
    return copy, mask


def _soft(mask: Mask, sigma: float) -> Array:
    """The mask with a blurred rim: painted defects should not all have razor-sharp edges."""
    weight = mask.astype(np.float32)
    return np.clip(ndimage.gaussian_filter(weight, sigma), 0, 1) if sigma > 0 else weight

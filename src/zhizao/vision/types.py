"""What every vision model and folder reader shares: tasks, boxes, labelled images and verdicts.

Images inside the models are 2-D ``float32`` arrays of grey levels in [0, 1], row-major (height × width); pixel
coordinates of boxes are in the original image, ``x`` along the width, inclusive-exclusive
(``x0 <= x < x1``), as Pascal-VOC's 1-based inclusive ``xmin..xmax`` becomes ``xmin - 1 .. xmax``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

GreyImage = NDArray[np.float32]
"""Grey levels in [0, 1], shape (height, width)."""


class Task(StrEnum):
    CLASSIFY = "classify"  # one defect class per image
    DETECT = "detect"  # boxes, each with a defect class
    ANOMALY = "anomaly"  # trained on good images only; anomalous or not, with a pixel map


class VerdictKind(StrEnum):
    PASS = "pass"  # noqa: S105 — a verdict, not a password
    DEFECT = "defect"
    ANOMALOUS = "anomalous"


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in pixels of the original image, ``x0 <= x < x1`` and ``y0 <= y < y1``."""

    x0: int
    y0: int
    x1: int
    y1: int
    label: str
    score: float = 1.0

    @property
    def area(self) -> int:
        return max(0, self.x1 - self.x0) * max(0, self.y1 - self.y0)


@dataclass(frozen=True, slots=True)
class LabelledImage:
    """One image of a dataset as a folder holds it: its class (None: defect-free), boxes, and pixel mask file."""

    path: Path
    label: str | None
    boxes: tuple[Box, ...] = ()
    mask_path: Path | None = None
    difficult: tuple[Box, ...] = ()  # those of the boxes the annotation marks difficult (Pascal VOC)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a model says about one image.

    ``label`` is the defect class (classify, detect) or None; ``score`` is the model's confidence in the verdict
    for classify/detect and the anomaly score for anomaly (higher = more anomalous, compared with ``threshold``);
    ``heatmap`` is the per-pixel anomaly map at the image's size (anomaly only).
    """

    kind: VerdictKind
    label: str | None
    score: float
    boxes: tuple[Box, ...] = ()
    heatmap: NDArray[np.float32] | None = field(default=None, compare=False)
    threshold: float | None = None

"""Decoding and checking inspection images: the bytes decide (Pillow decodes every pixel), never the file name.

Models work on grey images. A colour image is accepted only when its channels are equal (a grey camera saving RGB,
as NEU's files are); a real colour image is refused, as is one smaller or larger than the model was trained for.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from zhizao.errors import InputError
from zhizao.vision.types import GreyImage

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_SIDE = 8_000
FORMATS = ("JPEG", "PNG", "BMP", "TIFF")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """The images a model accepts: an exact size (height, width), or sides between ``min_side`` and ``max_side``."""

    exact: tuple[int, int] | None = None
    min_side: int = 16
    max_side: int = MAX_SIDE

    def check(self, image: GreyImage, field: str) -> None:
        height, width = image.shape
        if self.exact is not None and (height, width) != self.exact:
            raise InputError.for_field(
                field, f"image is {width} × {height} pixels; this model takes {self.exact[1]} × {self.exact[0]}"
            )
        if min(height, width) < self.min_side or max(height, width) > self.max_side:
            raise InputError.for_field(
                field,
                f"image is {width} × {height} pixels; this model takes sides of {self.min_side} to {self.max_side}",
            )

    def as_dict(self) -> dict[str, object]:
        return {"exact": list(self.exact) if self.exact else None, "min_side": self.min_side, "max_side": self.max_side}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ImageSpec:
        exact = data.get("exact")
        return cls(
            exact=(int(exact[0]), int(exact[1])) if isinstance(exact, list) else None,
            min_side=int(str(data.get("min_side", 16))),
            max_side=int(str(data.get("max_side", MAX_SIDE))),
        )


def decode_grey(content: bytes, field: str = "body.file") -> GreyImage:
    """The image's grey levels in [0, 1], or InputError naming ``field``: empty, too large, not an image, corrupt or
    truncated, or a colour image (channels differ)."""
    if not content:
        raise InputError.for_field(field, "empty file: no image")
    if len(content) > MAX_IMAGE_BYTES:
        raise InputError.for_field(field, f"{len(content)} bytes: at most {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(content), formats=list(FORMATS)) as image:
                width, height = image.size
                if max(width, height) > MAX_SIDE:
                    raise InputError.for_field(field, f"{width} × {height} pixels: at most {MAX_SIDE} a side")
                image.load()  # every pixel: a truncated or damaged file fails here
                return _grey(image, field)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise InputError.for_field(field, f"not a readable JPEG, PNG, BMP or TIFF image ({error})") from None


def read_grey(path: Path, field: str | None = None) -> GreyImage:
    """An image file's grey levels; InputError names the file when it cannot be used."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InputError.for_field(field or str(path), f"cannot read the file ({error.strerror})") from None
    return decode_grey(content, field or str(path))


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """A defect mask as booleans (grey level > 127), at the image's shape."""
    with Image.open(path) as image:
        mask = np.asarray(image.convert("L")) > 127
    if mask.shape != shape:
        raise InputError.for_field(str(path), f"mask is {mask.shape[1]} × {mask.shape[0]}; its image is "
                                   f"{shape[1]} × {shape[0]}")  # fmt: skip
    return mask


def _grey(image: Image.Image, field: str) -> GreyImage:
    if image.mode in ("L", "P", "1", "I;16", "I"):
        array = np.asarray(image.convert("F") if image.mode.startswith("I") else image.convert("L"), dtype=np.float32)
        scale = 65535.0 if image.mode.startswith("I") else 255.0
        grey: GreyImage = np.clip(array / scale, 0.0, 1.0).astype(np.float32)
        return grey
    if image.mode in ("RGB", "RGBA", "LA"):
        channels = np.asarray(image.convert("RGB"), dtype=np.int16)
        if (
            np.abs(channels[..., 0] - channels[..., 1]).max() > 8
            or np.abs(channels[..., 1] - channels[..., 2]).max() > 8
        ):
            raise InputError.for_field(field, "colour image: the models inspect grey images (channels must be equal)")
        averaged: GreyImage = (channels.mean(axis=2) / 255.0).astype(np.float32)
        return averaged
    raise InputError.for_field(field, f"colour mode {image.mode} is not supported; send grey or RGB images")

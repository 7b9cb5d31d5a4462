"""Image files of the datasets: ``<data dir>/vision/images/<sha[:2]>/<sha>.png``, never in the database.

Every image is decoded first (``images.decode_grey``: the bytes decide) and stored re-encoded as a grey PNG with no
metadata, so a file holds the pixels and nothing else (no EXIF, nothing appended). Grey levels that 8 bits hold
exactly (every 8-bit grey image, and colour files whose channels are equal) are stored as 8-bit PNG and decode to
the very same values; any other grey levels (16-bit sources, colour files whose channels differ slightly) as
16-bit PNG, within 1/65535. The name is the SHA-256 of the stored file, so one image kept by several datasets is
one file, and a name found in a row can only lead to a file this module wrote.

Files are written before the row that names them commits (``Staged``) and removed again if that commit fails,
unless a committed row of another dataset already named the same file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from zhizao.errors import NotFound
from zhizao.vision.images import decode_grey
from zhizao.vision.types import GreyImage

IMAGE_DIR = "vision/images"
MODEL_DIR = "vision/models"
_STORED = re.compile(r"^vision/images/([0-9a-f]{2})/([0-9a-f]{64})\.png$")


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An image checked and re-encoded, ready to be written: its PNG bytes, their hash, its size."""

    sha256: str
    content: bytes
    width: int
    height: int

    @property
    def relative_path(self) -> str:
        return f"{IMAGE_DIR}/{self.sha256[:2]}/{self.sha256}.png"


def encode_png(image: GreyImage) -> bytes:
    """A grey PNG of ``image`` (8-bit when its levels are multiples of 1/255, else 16-bit), without metadata."""
    eight = np.round(image * 255.0)
    if np.array_equal((eight / 255.0).astype(np.float32), image):
        picture = Image.fromarray(eight.astype(np.uint8))
    else:
        picture = Image.fromarray(np.round(image * 65535.0).astype(np.uint16))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=False)
    return out.getvalue()


def prepare(content: bytes, field: str) -> tuple[PreparedImage, GreyImage]:
    """The image to store, and its grey levels; InputError naming ``field`` when it cannot be used."""
    image = decode_grey(content, field)
    png = encode_png(image)
    height, width = image.shape
    return PreparedImage(hashlib.sha256(png).hexdigest(), png, width, height), image


def path_of(data_dir: Path, relative_path: str) -> Path:
    """The file of a stored image; only a name this module writes is ever followed."""
    if _STORED.match(relative_path) is None:
        raise NotFound(f"{relative_path!r} is not a stored vision image")
    return data_dir / relative_path


def read(data_dir: Path, relative_path: str) -> GreyImage:
    """The grey levels of a stored image."""
    path = path_of(data_dir, relative_path)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"the image file {relative_path} is missing from the data directory") from None
    return decode_grey(content, relative_path)


def write_atomically(path: Path, content: bytes) -> None:
    """Write through a temporary file and rename, so that a crash never leaves half an image under its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass
class Staged:
    """The files one change writes: kept when its transaction commits, removed by ``discard`` when it fails."""

    data_dir: Path
    written: list[Path] = field(default_factory=list)

    def write(self, image: PreparedImage) -> None:
        path = self.data_dir / image.relative_path
        if path.exists():  # the same image is stored already (this or another dataset): one file serves both
            return
        write_atomically(path, image.content)
        self.written.append(path)

    def discard(self, still_used: set[str]) -> None:
        """Remove the files written here, except those whose relative path a committed row names."""
        for path in self.written:
            if path.relative_to(self.data_dir).as_posix() not in still_used:
                path.unlink(missing_ok=True)
        self.written.clear()


def remove_unused(data_dir: Path, relative_paths: set[str]) -> None:
    """Remove stored images no row names any more (after the rows were deleted and committed)."""
    for relative_path in relative_paths:
        if _STORED.match(relative_path):
            (data_dir / relative_path).unlink(missing_ok=True)

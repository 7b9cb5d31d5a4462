"""Decoding and checking images: the bytes decide, and every refusal names the field it came from."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from zhizao.errors import InputError
from zhizao.vision.images import ImageSpec, decode_grey, read_grey


def encoded(array: np.ndarray, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=kind)
    return buffer.getvalue()


def grey_ramp(height: int = 40, width: int = 60) -> np.ndarray:
    return np.tile(np.linspace(0, 255, width).astype(np.uint8), (height, 1))


def problem(error: pytest.ExceptionInfo[InputError]) -> tuple[str, str]:
    assert len(error.value.fields) == 1
    return error.value.fields[0].field, error.value.fields[0].message


def test_a_grey_png_decodes_to_levels_in_0_1() -> None:
    image = decode_grey(encoded(grey_ramp()))
    assert image.dtype == np.float32 and image.shape == (40, 60)
    assert image.min() == 0.0 and image.max() == 1.0
    np.testing.assert_allclose(image[0], grey_ramp()[0] / 255, atol=1e-6)


def test_a_grey_image_saved_as_rgb_is_accepted() -> None:
    grey = grey_ramp()
    image = decode_grey(encoded(np.stack([grey, grey, grey], axis=2)))
    np.testing.assert_allclose(image, grey / 255, atol=1e-6)


def test_a_real_colour_image_is_refused() -> None:
    colour = np.zeros((40, 60, 3), dtype=np.uint8)
    colour[..., 0] = 200  # red
    with pytest.raises(InputError) as error:
        decode_grey(encoded(colour), "body.file")
    field, message = problem(error)
    assert field == "body.file" and "colour image" in message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty file"),
        (b"this is not an image at all", "not a readable"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a readable"),  # a PNG signature and then garbage
    ],
)
def test_empty_and_corrupt_bytes_are_refused(content: bytes, words: str) -> None:
    with pytest.raises(InputError) as error:
        decode_grey(content, "upload")
    field, message = problem(error)
    assert field == "upload" and words in message


def test_a_truncated_jpeg_is_refused() -> None:
    rng = np.random.default_rng(0)
    whole = encoded(rng.integers(0, 255, (120, 120), dtype=np.uint8), "JPEG")
    assert decode_grey(whole).shape == (120, 120)
    with pytest.raises(InputError) as error:
        decode_grey(whole[: len(whole) // 2], "upload")
    assert "not a readable" in problem(error)[1]


def test_read_grey_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 broken")
    with pytest.raises(InputError) as error:
        read_grey(path)
    assert problem(error)[0] == str(path)
    with pytest.raises(InputError, match="cannot read"):
        read_grey(tmp_path / "missing.jpg")


def test_image_spec_errors_name_the_field_and_both_sizes() -> None:
    image = np.zeros((40, 60), dtype=np.float32)
    ImageSpec(exact=(40, 60)).check(image, "body.file")  # fits
    with pytest.raises(InputError) as error:
        ImageSpec(exact=(200, 200)).check(image, "body.file")
    field, message = problem(error)
    assert field == "body.file" and "60 × 40" in message and "200 × 200" in message
    with pytest.raises(InputError) as error:
        ImageSpec(min_side=50).check(image, "camera")
    assert problem(error)[0] == "camera" and "sides of 50" in problem(error)[1]
    with pytest.raises(InputError) as error:
        ImageSpec(max_side=50).check(image, "camera")
    assert problem(error)[0] == "camera" and "to 50" in problem(error)[1]


def test_image_spec_round_trips_through_a_dict() -> None:
    for spec in (ImageSpec(exact=(200, 200)), ImageSpec(min_side=32, max_side=1024)):
        assert ImageSpec.from_dict(spec.as_dict()) == spec

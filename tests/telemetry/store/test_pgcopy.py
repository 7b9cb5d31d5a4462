"""The binary COPY data of points, byte for byte against PostgreSQL's documented layout (packed by hand here)."""

from __future__ import annotations

import struct

import pytest

from zhizao.telemetry.store.base import Point
from zhizao.telemetry.store.pgcopy import point_rows


def test_rows_follow_the_documented_layout() -> None:
    points = [Point(7, 1_732_780_800_000_000, 41.5), Point(2**31 - 1, -5, -0.0)]
    expected = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    for signal_id, ts_us, value in points:
        expected += struct.pack(">hiiiqid", 3, 4, signal_id, 8, ts_us, 8, value)
    expected += struct.pack(">h", -1)
    assert point_rows(points) == expected


def test_no_points_is_an_empty_copy() -> None:
    assert point_rows([]) == b"PGCOPY\n\xff\r\n\x00" + bytes(8) + b"\xff\xff"


def test_a_signal_id_beyond_int4_is_refused() -> None:
    with pytest.raises(OverflowError):
        point_rows([Point(2**31, 0, 1.0)])

"""The decoder's columns (the fast path for a message whose every sample is the common kind: a valid string name,
integer ms inside the window, a finite number) decide exactly as the general checks do: for any mix of samples,
good and bad, the readings and rejections are those of checking every sample with the general path
(``payload._reading``), in the same order; and a message of common samples only takes the fast path."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from zhizao.connectors.mqtt_json import payload
from zhizao.telemetry.ingest.decoding import DeviceRef, Reading, Rejection

NOW_MS = 1_732_780_800_000
NOW_US = NOW_MS * 1000
DEVICE = DeviceRef(7, "L1-CNC-01")
DAY_MS = 86_400_000

names = st.one_of(
    st.sampled_from(["spindle_speed_rpm", "temperature_c", "", "x" * 201, "tab\there", "del\x7f", "温度"]),
    st.text(max_size=12),
    st.integers(),
    st.none(),
)
timestamps = st.one_of(
    st.integers(NOW_MS - 3 * DAY_MS, NOW_MS + 600_000),  # across both ends of the window
    st.integers(NOW_MS - 3 * DAY_MS, NOW_MS + 600_000),
    st.sampled_from([NOW_MS - 2 * DAY_MS, NOW_MS + 300_000, NOW_MS - 2 * DAY_MS - 1, NOW_MS + 300_001]),
    st.floats(allow_nan=False, allow_infinity=False, min_value=1.7e12, max_value=1.8e12),
    st.booleans(),
    st.just("2024-11-28T08:00:00Z"),
)
values = st.one_of(
    st.floats(),  # NaN and ±infinity included: json.dumps writes them as NaN / Infinity, which json.loads reads
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.5]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
)
samples = st.lists(st.fixed_dictionaries({"signal": names, "ts": timestamps, "value": values}), max_size=30)


common_samples = st.lists(
    st.fixed_dictionaries(
        {
            "signal": st.sampled_from(["spindle_speed_rpm", "temperature_c", "温度"]),
            "ts": st.integers(NOW_MS - 2 * DAY_MS, NOW_MS + 300_000),
            "value": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(2**53), 2**53)),
        }
    ),
    min_size=1,
    max_size=30,
)


def _reference(document: dict[str, object]) -> tuple[list[Reading], list[Rejection]]:
    readings, rejections = [], []
    entries = document["samples"]
    assert isinstance(entries, list)
    for index, sample in enumerate(entries):
        try:
            readings.append(payload._reading(DEVICE, index, sample["signal"], sample["ts"], sample["value"], NOW_US))
        except payload._Bad as bad:
            rejections.append(Rejection(bad.reason, bad.detail, index))
    return readings, rejections


@settings(max_examples=500, deadline=None)
@given(samples)
def test_the_fast_path_decides_as_the_general_checks(batch: list[dict[str, object]]) -> None:
    raw = json.dumps({"samples": batch}).encode()
    document = payload.parse_json(raw)
    decoded = payload.decode_payload(DEVICE, raw, NOW_US)
    readings, rejections = _reference(document)
    assert decoded.all_readings() == readings
    assert [type(reading.value) for reading in decoded.all_readings()] == [type(reading.value) for reading in readings]
    assert list(decoded.rejections) == rejections
    if decoded.columns is not None:
        assert not rejections
        assert list(decoded.columns.floats) == [float(reading.value) for reading in readings]


@settings(max_examples=200, deadline=None)
@given(common_samples)
def test_a_message_of_common_samples_becomes_columns(batch: list[dict[str, object]]) -> None:
    decoded = payload.decode_payload(DEVICE, json.dumps({"samples": batch}).encode(), NOW_US)
    assert decoded.columns is not None
    assert not decoded.readings
    assert not decoded.rejections
    assert list(decoded.columns.ts_us) == [sample["ts"] * 1000 for sample in batch]  # type: ignore[operator]

"""MQTT JSON decoding against fixture payloads: readings, per-sample rejections, whole-message rejections."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zhizao.connectors.mqtt_json import MAX_PAYLOAD_BYTES, MAX_SAMPLES, MqttJsonDecoder, decode_payload
from zhizao.telemetry.ingest.decoding import DeviceRef, Reading
from zhizao.telemetry.kinds import Protocol, RejectReason
from zhizao.telemetry.timeutil import to_us

FIXTURES = Path(__file__).parent / "fixtures"
T0_MS = 1_732_780_800_000
T0 = to_us(datetime(2024, 11, 28, 8, 0, tzinfo=UTC))
NOW = T0 + 1_000_000  # the messages arrive a second after they were sampled
DEVICE = DeviceRef(7, "L1-CNC-01")
TOPIC = "zhizao/v1/7/L1-CNC-01/data"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_the_fixtures_clock() -> None:
    assert T0 == T0_MS * 1000


def test_samples() -> None:
    decoded = decode_payload(DEVICE, fixture("samples.json"), NOW)
    assert decoded.rejections == []
    assert decoded.enterprise_id == 7
    assert decoded.readings == [
        Reading(DEVICE, "spindle_load", T0, 41.5, 0),
        Reading(DEVICE, "spindle_speed", T0, 12000, 1),
        Reading(DEVICE, "door_open", T0 + 250_000, False, 2),
        Reading(DEVICE, "program", T0 + 123_456, "O1001", 3),  # +08:00, digits past microseconds dropped
    ]
    assert type(decoded.readings[1].value) is int
    assert type(decoded.readings[2].value) is bool


def test_values_share_the_messages_timestamp() -> None:
    decoded = decode_payload(DEVICE, fixture("values.json"), NOW)
    assert decoded.rejections == []
    assert [(r.signal, r.ts_us, r.value, r.position) for r in decoded.readings] == [
        ("temperature", T0, 36.6, 0),
        ("parts_good", T0, 1234, 1),
        ("alarm_text", T0, "", 2),
        ("running", T0, True, 3),
    ]


def test_samples_and_values_together_number_samples_first() -> None:
    decoded = decode_payload(DEVICE, fixture("mixed.json"), NOW)
    assert decoded.rejections == []
    assert [(r.signal, r.ts_us, r.position) for r in decoded.readings] == [
        ("a", T0, 0),  # no ts of its own: the message's
        ("b", T0 - 1_000_000, 1),
        ("c", T0, 2),
    ]


def test_bad_samples_are_rejected_one_by_one() -> None:
    decoded = decode_payload(DEVICE, fixture("bad_samples.json"), NOW)
    assert [r.signal for r in decoded.readings] == ["ok"]
    reasons = {r.position: r.reason for r in decoded.rejections}
    assert reasons == {
        1: RejectReason.NOT_FINITE,
        2: RejectReason.NOT_FINITE,
        3: RejectReason.NOT_FINITE,
        4: RejectReason.TIMESTAMP_OUT_OF_RANGE,
        5: RejectReason.TIMESTAMP_OUT_OF_RANGE,
        6: RejectReason.WRONG_TYPE,
        7: RejectReason.WRONG_TYPE,
        8: RejectReason.WRONG_TYPE,
        9: RejectReason.WRONG_TYPE,
        10: RejectReason.WRONG_TYPE,
        11: RejectReason.WRONG_TYPE,
        12: RejectReason.SCHEMA,
        13: RejectReason.SCHEMA,
        14: RejectReason.SCHEMA,
        15: RejectReason.SCHEMA,
        16: RejectReason.SCHEMA,
        17: RejectReason.WRONG_TYPE,
        18: RejectReason.WRONG_TYPE,
        19: RejectReason.WRONG_TYPE,
        20: RejectReason.WRONG_TYPE,
    }
    by_position = {r.position: r.detail for r in decoded.rejections}
    assert "'nan'" in by_position[1]
    assert "future" in by_position[4]
    assert "past" in by_position[5]


@pytest.mark.parametrize(
    ("offset_us", "accepted"),
    [
        (-2 * 86_400_000_000, True),
        (-2 * 86_400_000_000 - 1000, False),
        (5 * 60_000_000, True),
        (5 * 60_000_000 + 1000, False),
    ],
)
def test_the_timestamp_window_edges(offset_us: int, accepted: bool) -> None:
    ts_ms = (NOW + offset_us) // 1000
    decoded = decode_payload(DEVICE, json.dumps({"ts": ts_ms, "values": {"x": 1}}).encode(), NOW)
    assert bool(decoded.readings) is accepted


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", RejectReason.MALFORMED_JSON),
        (b"\xff\xfe{}", RejectReason.MALFORMED_JSON),
        (b"", RejectReason.MALFORMED_JSON),
        (b"[" * 100_000 + b"]" * 100_000, RejectReason.MALFORMED_JSON),
        (b"[1, 2]", RejectReason.SCHEMA),
        (b'"text"', RejectReason.SCHEMA),
        (b"42", RejectReason.SCHEMA),
        (b"null", RejectReason.SCHEMA),
        (b"{}", RejectReason.SCHEMA),
        (b'{"samples": {"a": 1}}', RejectReason.SCHEMA),
        (b'{"ts": 1, "values": [1]}', RejectReason.SCHEMA),
        (b'{"values": {"a": 1}}', RejectReason.SCHEMA),
        (b'{"ts": "soon", "values": {"a": 1}}', RejectReason.SCHEMA),
    ],
)
def test_whole_message_rejections(payload: bytes, reason: RejectReason) -> None:
    decoded = decode_payload(DEVICE, payload, NOW)
    assert decoded.readings == ()
    assert [(r.reason, r.position) for r in decoded.rejections] == [(reason, None)]
    assert decoded.rejected_whole


def test_oversize_payload() -> None:
    payload = json.dumps({"ts": T0_MS, "values": {"text": "x" * MAX_PAYLOAD_BYTES}}).encode()
    decoded = decode_payload(DEVICE, payload, NOW)
    assert [r.reason for r in decoded.rejections] == [RejectReason.OVERSIZE]


def test_too_many_samples() -> None:
    values = {f"s{i}": i for i in range(MAX_SAMPLES + 1)}  # the compact form fits 10,001 samples in 256 KiB
    decoded = decode_payload(DEVICE, json.dumps({"ts": T0_MS, "values": values}).encode(), NOW)
    assert [r.reason for r in decoded.rejections] == [RejectReason.OVERSIZE]
    values.popitem()
    decoded = decode_payload(DEVICE, json.dumps({"ts": T0_MS, "values": values}).encode(), NOW)
    assert len(decoded.readings) == MAX_SAMPLES


def test_the_decoder_reads_the_device_from_the_topic() -> None:
    decoder = MqttJsonDecoder()
    assert decoder.source == Protocol.MQTT_JSON
    assert decoder.topic_filters == ("zhizao/v1/+/+/data",)
    decoded = decoder.decode(TOPIC, fixture("values.json"), NOW)
    assert {r.device for r in decoded.readings} == {DEVICE}


@pytest.mark.parametrize(
    ("topic", "hint"),
    [
        ("zhizao/v1/x/dev/data", None),
        ("zhizao/v1/0/dev/data", None),
        ("zhizao/v1/7/dev/status", 7),
        ("zhizao/v1/7/dev.1/data", 7),
        ("zhizao/v1/7/" + "d" * 65 + "/data", 7),
        ("zhizao/v1/99999999999/dev/data", None),
        ("other/7/dev/data", None),
    ],
)
def test_bad_topics(topic: str, hint: int | None) -> None:
    decoded = MqttJsonDecoder().decode(topic, fixture("values.json"), NOW)
    assert [r.reason for r in decoded.rejections] == [RejectReason.BAD_TOPIC]
    assert decoded.enterprise_id == hint

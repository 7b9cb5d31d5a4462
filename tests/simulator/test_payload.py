"""The MQTT JSON payload the simulator publishes is the platform's documented one."""

from __future__ import annotations

import json

import pytest

from zhizao.simulator import FactoryRun, Reading, default_factory
from zhizao.simulator.payload import build_messages, data_topic, device_username, encode_samples, encode_values
from zhizao.telemetry.kinds import DataType, SignalKind

START = 1_714_924_800_000


def reading(device: str, signal: str, ts: int, value: float | int | bool | str) -> Reading:
    return Reading(device, signal, ts, value, SignalKind.MEASUREMENT, DataType.FLOAT, None)


def test_samples_payload_is_exactly_the_documented_shape() -> None:
    payload = encode_samples(
        [
            reading("L1-CNC-01", "spindle_speed_rpm", START, 8012.4),
            reading("L1-CNC-01", "good_parts", START, 1234),
            reading("L1-CNC-01", "coolant_on", START + 1, True),
            reading("L1-CNC-01", "program_name", START + 2, "O1001"),
        ]
    )
    assert payload == (
        b'{"samples":[{"signal":"spindle_speed_rpm","ts":1714924800000,"value":8012.4},'
        b'{"signal":"good_parts","ts":1714924800000,"value":1234},'
        b'{"signal":"coolant_on","ts":1714924800001,"value":true},'
        b'{"signal":"program_name","ts":1714924800002,"value":"O1001"}]}'
    )


def test_values_payload_alternative_shape() -> None:
    assert json.loads(encode_values(START, {"a": 1.5, "b": False})) == {"ts": START, "values": {"a": 1.5, "b": False}}


def test_not_finite_values_are_refused() -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        encode_samples([reading("D", "x", START, float("nan"))])


def test_topic_and_username() -> None:
    assert data_topic(42, "L1-CNC-01") == "zhizao/v1/42/L1-CNC-01/data"
    assert data_topic(42, "L1-CNC-01", prefix="test/x") == "test/x/42/L1-CNC-01/data"
    assert device_username(42, "L1-CNC-01") == "42/L1-CNC-01"


def test_messages_are_per_device_in_order_and_at_most_a_batch() -> None:
    run = FactoryRun(default_factory(1), seed=1, start_ms=START + 9 * 3_600_000)
    readings = run.step(run.start_ms + 120_000)
    messages = build_messages(readings, enterprise_id=7, batch_size=37)
    assert all(0 < m.points <= 37 for m in messages)
    assert sum(m.points for m in messages) == len(readings)
    decoded: dict[str, list[tuple[str, int, object]]] = {}
    for message in messages:
        assert message.topic == f"zhizao/v1/7/{message.device_code}/data"
        body = json.loads(message.payload)
        assert list(body) == ["samples"]
        assert len(body["samples"]) == message.points
        for sample in body["samples"]:
            assert list(sample) == ["signal", "ts", "value"]
            assert type(sample["ts"]) is int
            assert type(sample["value"]) in (int, float, bool, str)
            decoded.setdefault(message.device_code, []).append((sample["signal"], sample["ts"], sample["value"]))
    for device in run.devices:
        expected = [(r.signal, r.ts_ms, r.value) for r in readings if r.device_code == device.code]
        assert decoded[device.code] == expected
        assert [type(v) for *_, v in decoded[device.code]] == [type(v) for *_, v in expected]


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        build_messages([], enterprise_id=1, batch_size=0)


def test_a_message_over_the_size_limit_is_split() -> None:
    run = FactoryRun(default_factory(1), seed=1, start_ms=START + 9 * 3_600_000)
    readings = run.step(run.start_ms + 60_000)
    messages = build_messages(readings, enterprise_id=7, batch_size=100, max_bytes=1_000)
    assert all(len(m.payload) <= 1_000 for m in messages)
    assert max(m.points for m in messages) < 20
    decoded = [(m.device_code, s["signal"], s["ts"]) for m in messages for s in json.loads(m.payload)["samples"]]
    expected = [(r.device_code, r.signal, r.ts_ms) for d in run.devices for r in readings if r.device_code == d.code]
    assert decoded == expected

"""The platform's MQTT JSON payload, built from readings. Pure functions.

Topic ``{prefix}/{enterprise_id}/{device_code}/data`` (prefix ``zhizao/v1``), payload::

    {"samples": [{"signal": "spindle_speed_rpm", "ts": 1714953600000, "value": 8012.4}, ...]}

``ts`` is integer epoch milliseconds (UTC); ``value`` a JSON number, string or boolean. A device's samples are
split into messages of at most ``batch_size`` samples, in the order they were generated. The platform also
accepts ``{"ts": ms, "values": {name: value, ...}}`` (one instant, many signals); see :func:`encode_values`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from zhizao.simulator.catalogue import Reading, Value

DEFAULT_TOPIC_PREFIX = "zhizao/v1"
DEFAULT_BATCH_SIZE = 100
MAX_PAYLOAD_BYTES = 256 * 1024  # the platform's ingest refuses larger messages; a batch over it is split


class Message(NamedTuple):
    topic: str
    payload: bytes
    device_code: str
    points: int


def data_topic(enterprise_id: int | str, device_code: str, *, prefix: str = DEFAULT_TOPIC_PREFIX) -> str:
    return f"{prefix}/{enterprise_id}/{device_code}/data"


def device_username(enterprise_id: int | str, device_code: str) -> str:
    """The MQTT user name a device authenticates with; its password is the device token."""
    return f"{enterprise_id}/{device_code}"


def encode_samples(readings: Iterable[Reading]) -> bytes:
    samples = [{"signal": r.signal, "ts": r.ts_ms, "value": r.value} for r in readings]
    return json.dumps({"samples": samples}, separators=(",", ":"), allow_nan=False).encode()


def encode_values(ts_ms: int, values: Mapping[str, Value]) -> bytes:
    """The alternative shape: many signals at one instant."""
    return json.dumps({"ts": ts_ms, "values": dict(values)}, separators=(",", ":"), allow_nan=False).encode()


def build_messages(
    readings: Sequence[Reading],
    *,
    enterprise_id: int | str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    prefix: str = DEFAULT_TOPIC_PREFIX,
    max_bytes: int = MAX_PAYLOAD_BYTES,
) -> list[Message]:
    """Readings grouped by device (first-seen order), each device's cut into messages of ``batch_size``
    samples; a message that would exceed ``max_bytes`` is split in two until it fits (or holds one sample)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    by_device: dict[str, list[Reading]] = {}
    for reading in readings:
        by_device.setdefault(reading.device_code, []).append(reading)
    messages: list[Message] = []
    for device_code, device_readings in by_device.items():
        topic = data_topic(enterprise_id, device_code, prefix=prefix)
        for start in range(0, len(device_readings), batch_size):
            _append(messages, topic, device_code, device_readings[start : start + batch_size], max_bytes)
    return messages


def _append(messages: list[Message], topic: str, device_code: str, batch: list[Reading], max_bytes: int) -> None:
    payload = encode_samples(batch)
    if len(payload) > max_bytes and len(batch) > 1:
        half = len(batch) // 2
        _append(messages, topic, device_code, batch[:half], max_bytes)
        _append(messages, topic, device_code, batch[half:], max_bytes)
    else:
        messages.append(Message(topic, payload, device_code, len(batch)))

"""MQTT JSON topic names: ``zhizao/v1/{enterprise_id}/{device_code}/data``. Pure."""

from __future__ import annotations

import re

from zhizao.telemetry.ingest.decoding import DeviceRef
from zhizao.telemetry.ingest.validation import MAX_ENTERPRISE_ID

PREFIX = "zhizao/v1"
SUBSCRIPTION = f"{PREFIX}/+/+/data"  # what ingest workers subscribe to (QoS 1)
DEVICE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TOPIC = re.compile(r"zhizao/v1/([1-9][0-9]{0,9})/([A-Za-z0-9_-]{1,64})/data")


def parse_topic(topic: str) -> DeviceRef | None:
    """The device a data topic names, or None when the topic is not one."""
    match = _TOPIC.fullmatch(topic)
    if match is None:
        return None
    enterprise_id = int(match.group(1))
    if enterprise_id > MAX_ENTERPRISE_ID:
        return None
    return DeviceRef(enterprise_id, match.group(2))


def data_topic(enterprise_id: int, device_code: str) -> str:
    if enterprise_id < 1 or not DEVICE_CODE.fullmatch(device_code):
        raise ValueError(f"not a device address: {enterprise_id}/{device_code!r}")
    return f"{PREFIX}/{enterprise_id}/{device_code}/data"


def enterprise_hint(topic: str) -> int | None:
    """The enterprise id a malformed topic seems to name, for its dead letter (None when there is none)."""
    parts = topic.split("/")
    if len(parts) >= 3 and parts[0] == "zhizao" and parts[1] == "v1" and re.fullmatch(r"[1-9][0-9]{0,9}", parts[2]):
        value = int(parts[2])
        return value if value <= MAX_ENTERPRISE_ID else None
    return None

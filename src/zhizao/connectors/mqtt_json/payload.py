"""MQTT JSON payloads → readings and rejections. Pure; the same code serves MQTT and ``POST /api/ingest``."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from itertools import repeat
from operator import itemgetter, mul
from typing import Any

import orjson

from zhizao.telemetry.ingest.decoding import DecodedMessage, DeviceRef, Reading, Rejection, SampleColumns, Value
from zhizao.telemetry.ingest.validation import (
    MAX_FUTURE_US,
    MAX_PAST_US,
    check_signal_name,
    check_ts_window,
    check_value,
)
from zhizao.telemetry.kinds import RejectReason
from zhizao.telemetry.timeutil import to_us

MAX_PAYLOAD_BYTES = 256 * 1024
MAX_SAMPLES = 10_000

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,12}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


class _Bad(Exception):
    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def decode_payload(device: DeviceRef, payload: bytes, received_at_us: int) -> DecodedMessage:
    """Decode one message of ``device``. Never raises for bad input: what is wrong comes back as rejections."""
    try:
        return _decode(device, payload, received_at_us)
    except _Bad as bad:
        return DecodedMessage(rejections=[Rejection(bad.reason, bad.detail)], enterprise_id=device.enterprise_id)


def _decode(device: DeviceRef, payload: bytes, now_us: int) -> DecodedMessage:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise _Bad(RejectReason.OVERSIZE, f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    document = parse_json(payload)
    if not isinstance(document, dict):
        raise _Bad(RejectReason.SCHEMA, f"payload must be a JSON object, not {_kind(document)}")
    samples = document.get("samples", [])
    values = document.get("values", {})
    if not isinstance(samples, list):
        raise _Bad(RejectReason.SCHEMA, "'samples' must be an array")
    if not isinstance(values, dict):
        raise _Bad(RejectReason.SCHEMA, "'values' must be an object")
    if "samples" not in document and "values" not in document:
        raise _Bad(RejectReason.SCHEMA, "payload needs 'samples' or 'ts' with 'values'")
    if len(samples) + len(values) > MAX_SAMPLES:
        raise _Bad(RejectReason.OVERSIZE, f"{len(samples) + len(values)} samples exceed {MAX_SAMPLES} a message")
    message_ts = document.get("ts")  # as sent: each sample's ts is parsed (and reported) on its own
    if message_ts is not None:
        try:
            parse_ts(message_ts)
        except _Bad as bad:
            raise _Bad(RejectReason.SCHEMA, f"ts: {bad.detail}") from None
    elif values:
        raise _Bad(RejectReason.SCHEMA, "'values' needs the message's 'ts'")

    if not values:
        columns = _common_samples(device, samples, now_us)
        if columns is not None:
            return DecodedMessage(columns=columns, enterprise_id=device.enterprise_id)
    readings: list[Reading] = []
    rejections: list[Rejection] = []
    entries: list[tuple[object, object, object]] = [
        (sample.get("signal"), sample.get("ts", message_ts), sample.get("value", _MISSING))
        if isinstance(sample, dict)
        else (_MISSING, None, None)
        for sample in samples
    ]
    entries.extend((name, message_ts, value) for name, value in values.items())
    for index, (name, ts, value) in enumerate(entries):
        try:
            readings.append(_reading(device, index, name, ts, value, now_us))
        except _Bad as bad:
            rejections.append(Rejection(bad.reason, bad.detail, index))
    return DecodedMessage(readings=readings, rejections=rejections, enterprise_id=device.enterprise_id)


def parse_json(payload: bytes) -> Any:
    """The payload's JSON document. orjson reads the common message three times as fast as the standard library;
    what it refuses and the standard library reads (``NaN`` and ``Infinity``, lone surrogates) is read again by the
    latter, so that such a sample is rejected on its own and the rest of its message is stored. (orjson reads
    integers beyond 64 bits as doubles, which is how they are stored.)"""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(payload.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise _Bad(RejectReason.MALFORMED_JSON, f"not JSON: {exc}"[:300]) from None


_MISSING: Any = object()
_SIGNAL, _TS, _VALUE = itemgetter("signal"), itemgetter("ts"), itemgetter("value")
_NUMBER_TYPES = frozenset((float, int))  # not bool: ``type(True) is bool``
# Names that passed ``check_signal_name``: a device sends the same few names in every message. (Adding to a set is
# atomic under the GIL, and a name cleared away is only checked again.)
_GOOD_NAMES: set[str] = set()
_MAX_GOOD_NAMES = 100_000


def _common_samples(device: DeviceRef, samples: list[Any], now_us: int) -> SampleColumns | None:
    """The message as columns when every sample is the common kind (an object with a valid string name, integer
    milliseconds inside the window and a finite number), else None. Each check is one pass in C over a column, and
    each distinct name is checked once, which is several times faster than the per-sample loop. What this refuses,
    the per-sample loop decides and explains."""
    if not samples:
        return None
    try:
        names, stamps, numbers = list(map(_SIGNAL, samples)), list(map(_TS, samples)), list(map(_VALUE, samples))
    except (KeyError, TypeError):  # a sample that is not an object, or lacks a field
        return None
    if set(map(type, names)) != {str} or set(map(type, stamps)) != {int}:
        return None
    if not set(map(type, numbers)) <= _NUMBER_TYPES:
        return None
    if min(stamps) * 1000 < now_us - MAX_PAST_US or max(stamps) * 1000 > now_us + MAX_FUTURE_US:
        return None
    try:
        floats = list(map(float, numbers))
    except OverflowError:
        return None
    if not all(map(math.isfinite, floats)):
        return None
    unchecked = set(names).difference(_GOOD_NAMES)
    if any(check_signal_name(name) is not None for name in unchecked):
        return None
    if len(_GOOD_NAMES) + len(unchecked) > _MAX_GOOD_NAMES:
        _GOOD_NAMES.clear()  # crude, but bounded
    _GOOD_NAMES.update(unchecked)
    return SampleColumns(device, names, list(map(mul, stamps, repeat(1000))), numbers, floats)


def _reading(device: DeviceRef, index: int, name: object, ts: object, value: object, now_us: int) -> Reading:
    if name is _MISSING:
        raise _Bad(RejectReason.SCHEMA, "a sample must be an object with 'signal', 'ts' and 'value'")
    problem = check_signal_name(name)
    if problem is not None:
        raise _Bad(RejectReason.SCHEMA, problem)
    assert isinstance(name, str)
    if value is _MISSING:
        raise _Bad(RejectReason.SCHEMA, f"signal {name!r}: no 'value'")
    if ts is None:
        raise _Bad(RejectReason.SCHEMA, f"signal {name!r}: no 'ts' in the sample or the message")
    try:
        ts_us = parse_ts(ts)
    except _Bad as bad:
        raise _Bad(bad.reason, f"signal {name!r}: {bad.detail}") from None
    refused = check_value(value)
    if refused is None:
        refused = check_ts_window(ts_us, now_us)
    if refused is not None:
        raise _Bad(refused[0], f"signal {name!r}: {refused[1]}")
    typed: Value = value  # type: ignore[assignment]  # check_value admitted only bool, int, float and str
    return Reading(device, name, ts_us, typed, index)


def parse_ts(ts: object) -> int:
    """Integer epoch milliseconds or an RFC 3339 string with a zone → microseconds since the epoch."""
    if isinstance(ts, bool):
        raise _Bad(RejectReason.WRONG_TYPE, "ts must be epoch milliseconds or an RFC 3339 string")
    if isinstance(ts, int):
        return ts * 1000
    if isinstance(ts, float):
        if ts.is_integer():
            return int(ts) * 1000
        raise _Bad(RejectReason.WRONG_TYPE, "ts must be whole milliseconds")
    if isinstance(ts, str):
        return _parse_rfc3339(ts)
    raise _Bad(RejectReason.WRONG_TYPE, "ts must be epoch milliseconds or an RFC 3339 string")


def _parse_rfc3339(text: str) -> int:
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise _Bad(RejectReason.WRONG_TYPE, f"ts {text[:40]!r} is not RFC 3339 with a zone")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    micro = int(((match.group(7) or "") + "000000")[:6])
    try:
        if match.group(8):
            zone: timezone = UTC
        else:
            offset = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
            zone = timezone(-offset if match.group(9) == "-" else offset)
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError as exc:
        raise _Bad(RejectReason.WRONG_TYPE, f"ts {text[:40]!r}: {exc}") from None
    return to_us(moment)


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float) and not isinstance(value, bool) else "a boolean"

"""Sparkplug B payloads: protobuf bytes to typed values and back, and the JSON of a host's STATE message.

Decoding is lenient where the specification lets senders differ and strict where the bytes cannot be trusted:

- Bytes that are not a protobuf ``Payload``, or a string that is not UTF-8, raise ``SparkplugRejected``
  (MALFORMED_PROTOBUF) for the whole message.
- Integers are read from whichever of ``int_value``/``long_value`` is set and interpreted at the width of the
  datatype: signed types as two's complement (Tahu's Python encodes Int8 −1 as 255, its Java encoder as
  0xFFFFFFFF; both decode to −1), unsigned types masked. DateTime is milliseconds since the epoch.
- A metric without a ``datatype`` (allowed in DATA messages, where the birth gave it) keeps its raw value; the host
  reinterprets it with ``interpret`` and the born datatype. A value field that does not fit the datatype is also kept
  raw, for the host to reject (WRONG_TYPE) that metric alone.
- DataSet, Template, Bytes, File, the array types and extensions are decoded without error but not mapped to a
  scalar: their ``value`` is None (``is_null`` tells a real null apart).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from google.protobuf.message import DecodeError

from zhizao.connectors.sparkplug import sparkplug_b_pb2 as pb
from zhizao.connectors.sparkplug.errors import SparkplugRejected
from zhizao.telemetry.kinds import RejectReason

Value = float | int | bool | str | None

BDSEQ = "bdSeq"
REBIRTH = "Node Control/Rebirth"
SEQ_MODULUS = 256


class SparkplugDataType(IntEnum):
    """The ``datatype`` codes of Sparkplug B 3.0 (the ``DataType`` enum of ``sparkplug_b.proto``)."""

    UNKNOWN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12
    DATETIME = 13
    TEXT = 14
    UUID = 15
    DATASET = 16
    BYTES = 17
    FILE = 18
    TEMPLATE = 19
    PROPERTY_SET = 20
    PROPERTY_SET_LIST = 21
    INT8_ARRAY = 22
    INT16_ARRAY = 23
    INT32_ARRAY = 24
    INT64_ARRAY = 25
    UINT8_ARRAY = 26
    UINT16_ARRAY = 27
    UINT32_ARRAY = 28
    UINT64_ARRAY = 29
    FLOAT_ARRAY = 30
    DOUBLE_ARRAY = 31
    BOOLEAN_ARRAY = 32
    STRING_ARRAY = 33
    DATETIME_ARRAY = 34

    @property
    def is_scalar(self) -> bool:
        """Whether values of this type map to one sample (number, bool or text)."""
        return self in _INT_WIDTH or self in _FLOATS or self in _STRINGS or self is SparkplugDataType.BOOLEAN


# Integer types: (bits, signed).
_INT_WIDTH: dict[SparkplugDataType, tuple[int, bool]] = {
    SparkplugDataType.INT8: (8, True),
    SparkplugDataType.INT16: (16, True),
    SparkplugDataType.INT32: (32, True),
    SparkplugDataType.INT64: (64, True),
    SparkplugDataType.UINT8: (8, False),
    SparkplugDataType.UINT16: (16, False),
    SparkplugDataType.UINT32: (32, False),
    SparkplugDataType.UINT64: (64, False),
    SparkplugDataType.DATETIME: (64, False),
}
_FLOATS = frozenset({SparkplugDataType.FLOAT, SparkplugDataType.DOUBLE})
_STRINGS = frozenset({SparkplugDataType.STRING, SparkplugDataType.TEXT, SparkplugDataType.UUID})
_SCALAR_FIELDS = frozenset({"int_value", "long_value", "float_value", "double_value", "boolean_value", "string_value"})


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric. ``timestamp`` is milliseconds since the epoch (None: the payload's applies)."""

    name: str | None = None
    alias: int | None = None
    datatype: SparkplugDataType | None = None
    value: Value = None
    timestamp: int | None = None
    is_null: bool = False
    is_historical: bool = False
    is_transient: bool = False


@dataclass(frozen=True, slots=True)
class Payload:
    """A Sparkplug B payload. ``timestamp`` is milliseconds since the epoch; ``seq`` 0–255 (None in NDEATH, CMD)."""

    timestamp: int | None = None
    seq: int | None = None
    metrics: tuple[Metric, ...] = ()
    uuid: str | None = None
    body: bytes | None = None

    def metric(self, name: str) -> Metric | None:
        """The first metric with this name, if any."""
        return next((m for m in self.metrics if m.name == name), None)


@dataclass(frozen=True, slots=True)
class Publish:
    """A message to publish: NCMD from a host, births and data from an edge node, a host's STATE."""

    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False


@dataclass(frozen=True, slots=True)
class HostState:
    """The JSON payload of ``spBv1.0/STATE/{host_id}`` (Sparkplug 3.0)."""

    online: bool
    timestamp: int


# ---------------------------------------------------------------- decoding


def decode(data: bytes) -> Payload:
    """Decode a Sparkplug B payload; raises ``SparkplugRejected`` (MALFORMED_PROTOBUF) when it is not one."""
    message = pb.Payload()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise SparkplugRejected(RejectReason.MALFORMED_PROTOBUF, f"not a Sparkplug B payload: {exc}") from None
    return Payload(
        timestamp=message.timestamp if message.HasField("timestamp") else None,
        seq=message.seq if message.HasField("seq") else None,
        metrics=tuple(_decode_metric(m) for m in message.metrics),
        uuid=_text(message.uuid, "uuid") if message.HasField("uuid") else None,
        body=message.body if message.HasField("body") else None,
    )


def _decode_metric(message: pb.Payload.Metric) -> Metric:
    datatype: SparkplugDataType | None = None
    if message.HasField("datatype"):
        try:
            datatype = SparkplugDataType(message.datatype)
        except ValueError:
            datatype = SparkplugDataType.UNKNOWN  # a code from a later version: decoded, never mapped to a sample
    is_null = message.is_null
    field = message.WhichOneof("value")
    raw: Value = None
    if field in _SCALAR_FIELDS and not is_null:
        raw = getattr(message, field)
        if field == "string_value":
            raw = _text(raw, "string_value")
    value = raw
    if datatype is not None and raw is not None:
        try:
            value = interpret(raw, datatype)
        except SparkplugRejected:
            value = raw  # kept raw: the host rejects this metric alone
    return Metric(
        name=_text(message.name, "metric name") if message.HasField("name") else None,
        alias=message.alias if message.HasField("alias") else None,
        datatype=datatype,
        value=value,
        timestamp=message.timestamp if message.HasField("timestamp") else None,
        is_null=is_null,
        is_historical=message.is_historical,
        is_transient=message.is_transient,
    )


def _text(value: object, what: str) -> str:
    # upb hands back bytes for a proto2 string field that is not valid UTF-8.
    if not isinstance(value, str):
        raise SparkplugRejected(RejectReason.MALFORMED_PROTOBUF, f"{what} is not valid UTF-8")
    return value


def interpret(value: Value, datatype: SparkplugDataType) -> Value:
    """``value`` (as decoded, possibly raw) read as ``datatype``; idempotent. Non-scalar types give None.

    Raises ``SparkplugRejected`` (WRONG_TYPE) when the value cannot be of that type.
    """
    if value is None or not datatype.is_scalar:
        return None
    if datatype is SparkplugDataType.BOOLEAN:
        if isinstance(value, bool):
            return value
    elif datatype in _INT_WIDTH:
        if isinstance(value, int) and not isinstance(value, bool):
            bits, signed = _INT_WIDTH[datatype]
            unsigned = value & ((1 << bits) - 1)
            return unsigned - (1 << bits) if signed and unsigned >> (bits - 1) else unsigned
    elif datatype in _FLOATS:
        if isinstance(value, float):
            return value
    elif isinstance(value, str):
        return value
    raise SparkplugRejected(RejectReason.WRONG_TYPE, f"{type(value).__name__} value for datatype {datatype.name}")


# ---------------------------------------------------------------- encoding


def encode(payload: Payload, *, born: Mapping[int | str, SparkplugDataType] | None = None) -> bytes:
    """Encode a payload. Only scalar values are supported; ``is_null`` or value None is sent as a null.

    A metric with ``datatype`` None is one whose type the birth announced (DATA after a birth): its type is looked
    up in ``born`` by alias, else by name, to encode the value, and is not sent. Raises ``ValueError`` for a value
    that does not fit its datatype or a type that cannot be found (programming errors).
    """
    message = pb.Payload()
    if payload.timestamp is not None:
        message.timestamp = payload.timestamp
    if payload.seq is not None:
        message.seq = payload.seq
    if payload.uuid is not None:
        message.uuid = payload.uuid
    if payload.body is not None:
        message.body = payload.body
    for metric in payload.metrics:
        _encode_metric(message.metrics.add(), metric, born or {})
    return message.SerializeToString()


def _encode_metric(message: pb.Payload.Metric, metric: Metric, born: Mapping[int | str, SparkplugDataType]) -> None:
    label = metric.name if metric.name is not None else f"alias {metric.alias}"
    if metric.name is not None:
        message.name = metric.name
    if metric.alias is not None:
        message.alias = metric.alias
    if metric.timestamp is not None:
        message.timestamp = metric.timestamp
    datatype = metric.datatype
    if datatype is not None:
        message.datatype = datatype.value
    else:
        key = metric.alias if metric.alias is not None else metric.name
        datatype = born.get(key) if key is not None else None
        if datatype is None:
            raise ValueError(f"metric {label}: no datatype, and none born")
    if metric.is_historical:
        message.is_historical = True
    if metric.is_transient:
        message.is_transient = True
    value = metric.value
    if metric.is_null or value is None:
        message.is_null = True
    elif datatype in _INT_WIDTH and isinstance(value, int) and not isinstance(value, bool):
        bits, signed = _INT_WIDTH[datatype]
        low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
        if not low <= value < high:
            raise ValueError(f"metric {label}: {value} out of range for {datatype.name}")
        wire = value & ((1 << bits) - 1)  # two's complement at the type's width, as Tahu's Python encoder does
        if bits == 64:
            message.long_value = wire
        else:
            message.int_value = wire
    elif datatype is SparkplugDataType.FLOAT and _is_number(value):
        message.float_value = float(value)
    elif datatype is SparkplugDataType.DOUBLE and _is_number(value):
        message.double_value = float(value)
    elif datatype is SparkplugDataType.BOOLEAN and isinstance(value, bool):
        message.boolean_value = value
    elif datatype in _STRINGS and isinstance(value, str):
        message.string_value = value
    else:
        raise ValueError(f"metric {label}: {value!r} cannot be encoded as {datatype.name}")


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def rebirth_request(timestamp_ms: int) -> bytes:
    """The NCMD payload asking an edge node to publish its births again (``Node Control/Rebirth`` = true)."""
    metric = Metric(name=REBIRTH, datatype=SparkplugDataType.BOOLEAN, value=True)
    return encode(Payload(timestamp=timestamp_ms, metrics=(metric,)))


def is_rebirth_request(payload: Payload) -> bool:
    metric = payload.metric(REBIRTH)
    return metric is not None and metric.value is True


def bd_seq_of(payload: Payload) -> int | None:
    """The ``bdSeq`` metric of an NBIRTH or NDEATH (any integer datatype; Tahu's Python sends Int64)."""
    metric = payload.metric(BDSEQ)
    if metric is None or isinstance(metric.value, bool) or not isinstance(metric.value, int):
        return None
    return metric.value


# ---------------------------------------------------------------- host STATE (JSON)


def encode_state(online: bool, timestamp_ms: int) -> bytes:
    return json.dumps({"online": online, "timestamp": timestamp_ms}, separators=(",", ":")).encode()


def decode_state(data: bytes) -> HostState:
    """Raises ``SparkplugRejected``: MALFORMED_JSON when not JSON, SCHEMA when not ``{"online", "timestamp"}``."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise SparkplugRejected(RejectReason.MALFORMED_JSON, "STATE payload is not JSON") from None
    if not isinstance(document, dict):
        raise SparkplugRejected(RejectReason.SCHEMA, "STATE payload is not a JSON object")
    online = document.get("online")
    timestamp = document.get("timestamp")
    if not isinstance(online, bool) or isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise SparkplugRejected(RejectReason.SCHEMA, 'STATE payload needs "online" (bool) and "timestamp" (int)')
    return HostState(online=online, timestamp=timestamp)

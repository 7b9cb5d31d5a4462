"""The Sparkplug B ``Decoder``: MQTT messages of edge nodes → readings, rejections and rebirth requests.

A thin, stateful layer over ``SparkplugHost`` (the protocol's session state machine) that maps Sparkplug's names
onto the platform's:

- **Tenant.** The Sparkplug ``group_id`` is the enterprise id, as a decimal string (``spBv1.0/42/DDATA/L1/CNC-01``
  belongs to enterprise 42). A group id that is not one (``plant-1``, ``042``, ``0``, above 2³¹−1) is rejected as
  a whole (BAD_TOPIC) *before* the host sees it: no session is kept and no rebirth is ever requested for groups
  that are not tenants. A numeric id without a tenant is refused later, by the registry (UNKNOWN_TENANT).
- **Device.** The platform device code is the Sparkplug ``device_id`` for device-level messages (DBIRTH, DDATA)
  and the ``edge_node_id`` for node-level ones (NBIRTH, NDATA): ``spBv1.0/42/DDATA/L1/CNC-01`` → device
  ``CNC-01``, ``spBv1.0/42/NDATA/gateway-7`` → device ``gateway-7``. Device ids must therefore be unique within the
  group (not only within their edge node), and differ from the edge node ids that publish metrics of their own.
  An id that is not a device code (``[A-Za-z0-9_-]{1,64}``) still goes through the host, so that its session and
  sequence numbers stay right, but its readings are rejected (BAD_TOPIC, the message as a whole).
- **Signal.** The metric name, unchanged (``/`` and spaces included): ``Motor/Temperature`` → signal
  ``Motor/Temperature``. Names the platform cannot take (empty, over 200 characters, control characters) are
  rejected (SCHEMA) metric by metric.
- **Type.** Each reading carries the datatype its birth gave as ``Reading.data_type``: Int8…UInt64 → INT,
  Float/Double → FLOAT, Boolean → BOOL, String/Text/UUID → STRING, DateTime → INT (epoch milliseconds).
- **Time.** The metric's timestamp, else the payload's, else the arrival time (milliseconds) → microseconds. The
  same window as every protocol applies (two days back, five minutes ahead: TIMESTAMP_OUT_OF_RANGE).
- **Values.** Births' values are readings too (a birth reports current values). Historical metrics
  (``is_historical``: late, not current) are stored like any other, at their own timestamps. Transient metrics
  (``is_transient``: the sender asks that they not be kept historically) are skipped without a rejection. An
  explicit null (``is_null``) is skipped without a rejection: it says "no value now", and a time series has no
  place for it. DataSet, Template, Bytes, File and arrays give no readings (see ``host``).
- **Rejections** of the host keep their reason; one about a single metric names it in its detail and leaves the
  message's other metrics stored. A payload that is not protobuf is rejected whole (MALFORMED_PROTOBUF).
- **Commands.** The host's rebirth requests (NCMD ``Node Control/Rebirth``, QoS 0 as the specification asks) are
  returned in ``commands_to_publish``. Births' definitions, metrics new since the birth and online/offline changes
  are not part of a ``DecodedMessage`` and are dropped here.

Topic filters: the six message types an edge node publishes, one filter each, so that commands (NCMD/DCMD — our
own rebirth requests among them) and host STATE are never delivered to the pipeline. This decoder is not a primary
host application: it publishes no STATE, so edge nodes must not be configured to wait for one.

**Scale-out.** ``seq`` runs per edge node across all its messages, so every message of an edge node must reach the
same decoder, in order. The Sparkplug filters must therefore be subscribed *without* a shared subscription
(``$share/…``) and by exactly one worker: several workers each subscribed plainly would each store everything
(harmless, samples are idempotent) and each request rebirths. ``SHAREABLE`` is False to say so. A worker that
restarts starts without sessions: data from nodes it has not seen born is rejected (NOT_BORN) and a rebirth is
requested, after which data flows again.

Not thread-safe: one instance per pipeline (whose single assembler thread calls ``decode``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from zhizao.connectors.sparkplug.codec import Publish, SparkplugDataType
from zhizao.connectors.sparkplug.errors import SparkplugRejected
from zhizao.connectors.sparkplug.host import HostOutcome, SparkplugHost
from zhizao.connectors.sparkplug.topics import NAMESPACE, EdgeTopic, MessageType, parse_topic
from zhizao.telemetry.ingest.decoding import DecodedMessage, DeviceRef, OutboundMessage, Reading, Rejection
from zhizao.telemetry.ingest.validation import MAX_ENTERPRISE_ID, check_signal_name, check_ts_window, check_value
from zhizao.telemetry.kinds import DataType, Protocol, RejectReason

DEFAULT_HOST_ID = "zhizao"
SHAREABLE = False  # the Sparkplug filters must not be subscribed through a shared subscription (see above)

# What an edge node publishes: births, data and deaths of nodes and devices (not NCMD/DCMD, not STATE).
TOPIC_FILTERS: tuple[str, ...] = tuple(
    f"{NAMESPACE}/+/{kind.value}/+" + ("/+" if kind.is_device else "")
    for kind in (
        MessageType.NBIRTH,
        MessageType.NDATA,
        MessageType.NDEATH,
        MessageType.DBIRTH,
        MessageType.DDATA,
        MessageType.DDEATH,
    )
)

_ENTERPRISE_ID = re.compile(r"[1-9][0-9]{0,9}")
_DEVICE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the platform's device codes

_DATA_TYPES: dict[SparkplugDataType, DataType] = {
    **dict.fromkeys(
        (
            SparkplugDataType.INT8,
            SparkplugDataType.INT16,
            SparkplugDataType.INT32,
            SparkplugDataType.INT64,
            SparkplugDataType.UINT8,
            SparkplugDataType.UINT16,
            SparkplugDataType.UINT32,
            SparkplugDataType.UINT64,
            SparkplugDataType.DATETIME,
        ),
        DataType.INT,
    ),
    SparkplugDataType.FLOAT: DataType.FLOAT,
    SparkplugDataType.DOUBLE: DataType.FLOAT,
    SparkplugDataType.BOOLEAN: DataType.BOOL,
    SparkplugDataType.STRING: DataType.STRING,
    SparkplugDataType.TEXT: DataType.STRING,
    SparkplugDataType.UUID: DataType.STRING,
}


def data_type_of(datatype: SparkplugDataType) -> DataType | None:
    """The platform's data type for a Sparkplug datatype (None for those that give no readings)."""
    return _DATA_TYPES.get(datatype)


def enterprise_of(group_id: str) -> int | None:
    """The enterprise id a Sparkplug group id stands for, or None when it is not one."""
    if not _ENTERPRISE_ID.fullmatch(group_id):
        return None
    value = int(group_id)
    return value if value <= MAX_ENTERPRISE_ID else None


def device_code_of(topic: EdgeTopic) -> str:
    """The platform device code of a node's or device's messages: the device id, else the edge node id."""
    return topic.device_id if topic.device_id is not None else topic.edge_node_id


class SparkplugDecoder:
    """Stateful (the Sparkplug sessions of every edge node heard from): one instance per worker."""

    shareable = SHAREABLE

    def __init__(self, host_id: str = DEFAULT_HOST_ID, *, rebirth_interval_ms: int = 5_000) -> None:
        self.host = SparkplugHost(host_id, rebirth_interval_ms=rebirth_interval_ms)

    @property
    def source(self) -> Protocol:
        return Protocol.SPARKPLUG_B

    @property
    def topic_filters(self) -> Sequence[str]:
        return TOPIC_FILTERS

    def session_messages(self, timestamp_ms: int) -> tuple[OutboundMessage, OutboundMessage]:
        """The host's STATE will and birth (retained, QoS 1), so edge nodes know whether it is online."""
        will, birth = self.host.connect(timestamp_ms)
        return _outbound(will), _outbound(birth)

    def farewell(self) -> OutboundMessage | None:
        message = self.host.disconnect()
        return None if message is None else _outbound(message)

    def decode(self, topic: str, payload: bytes, received_at_us: int) -> DecodedMessage:
        try:
            parsed = parse_topic(topic)
        except SparkplugRejected as exc:
            return DecodedMessage(rejections=(Rejection(exc.reason, exc.detail),))
        if not isinstance(parsed, EdgeTopic):  # a host's STATE: not ours to store
            return DecodedMessage()
        enterprise_id = enterprise_of(parsed.group_id)
        if enterprise_id is None:
            detail = f"Sparkplug group_id {parsed.group_id!r} is not an enterprise id (a positive integer)"
            return DecodedMessage(rejections=(Rejection(RejectReason.BAD_TOPIC, detail),))
        outcome = self.host.handle(topic, payload, received_at_us // 1000)
        return _decoded(parsed, enterprise_id, outcome, received_at_us)


def _decoded(topic: EdgeTopic, enterprise_id: int, outcome: HostOutcome, now_us: int) -> DecodedMessage:
    rejections = [
        Rejection(r.reason, r.detail if r.metric is None else f"metric {r.metric!r}: {r.detail}")
        for r in outcome.rejections
    ]
    commands = [_outbound(command) for command in outcome.commands]
    kept = [r for r in outcome.readings if r.value is not None and not r.is_transient]
    readings: list[Reading] = []
    code = device_code_of(topic)
    if kept and not _DEVICE_CODE.fullmatch(code):
        what = "device_id" if topic.device_id is not None else "edge_node_id"
        detail = f"Sparkplug {what} {code!r} is not a device code ([A-Za-z0-9_-], 1 to 64 characters)"
        rejections.append(Rejection(RejectReason.BAD_TOPIC, detail))
        kept = []
    device = DeviceRef(enterprise_id, code)
    for reading in kept:
        name, value = reading.metric, reading.value
        assert value is not None
        problem = check_signal_name(name)
        if problem is not None:
            rejections.append(Rejection(RejectReason.SCHEMA, f"metric {name!r}: {problem}"))
            continue
        ts_us = reading.timestamp * 1000
        refused = check_value(value) or check_ts_window(ts_us, now_us)
        if refused is not None:
            rejections.append(Rejection(refused[0], f"metric {name!r}: {refused[1]}"))
            continue
        readings.append(Reading(device, name, ts_us, value, data_type=data_type_of(reading.datatype)))
    return DecodedMessage(
        readings=tuple(readings), rejections=tuple(rejections), commands_to_publish=tuple(commands),
        enterprise_id=enterprise_id,
    )  # fmt: skip


def _outbound(message: Publish) -> OutboundMessage:
    return OutboundMessage(message.topic, message.payload, qos=message.qos, retain=message.retain)

"""The primary host application's view of Sparkplug B sessions: a pure state machine, fed one MQTT message at a time.

``SparkplugHost.handle(topic, payload, received_at_ms)`` returns a ``HostOutcome``: readings to store, rejections to
count and dead-letter, commands to publish, metric definitions from births and metrics new since the birth, and
node/device online changes. It never raises for bad input and does no I/O.

Rules (Sparkplug B 3.0, with the choices the specification leaves open):

- ``seq`` (0–255, wrapping) runs per edge node across NBIRTH, DBIRTH, NDATA, DDATA and DDEATH. NBIRTH sets it.
  Any other value than the next one is a gap: that message is rejected (SEQUENCE_GAP), a rebirth is requested
  (NCMD ``Node Control/Rebirth`` = true) and everything from the node is rejected until its next NBIRTH. A DDEATH
  that arrives with a gap still takes its device offline.
- Data, DBIRTH or DDEATH from a node without a current NBIRTH, and DDATA from a device without a DBIRTH since that
  NBIRTH, are rejected (NOT_BORN) with a rebirth request. A metric alias not announced in the birth is rejected
  (ALIAS_NOT_BORN) with a rebirth request; the message's other metrics are kept.
- Rebirth requests to one node are sent at most once per ``rebirth_interval_ms`` (until its NBIRTH arrives), so a
  stream of data from an unborn node does not become a stream of commands.
- NDEATH takes the node and its devices offline only when its ``bdSeq`` equals the current NBIRTH's; another value
  is the will of an earlier session and is ignored. An NBIRTH starts a new session: devices must send DBIRTH again
  (those online are reported offline until they do).
- Metrics that appear after a birth: a DATA metric with a name (and datatype) that the birth did not announce is
  accepted; it is reported once in ``new_metrics`` so it can be registered, and later messages may use it (and its
  alias, if it carried one). Without a datatype it is rejected (SCHEMA), as the type cannot be known.
- Readings: birth and data values of scalar metrics (numbers, booleans, strings, DateTime as epoch milliseconds);
  the time is the metric's timestamp, else the payload's, else the arrival time. ``value`` None is an explicit null
  (``is_null``). NaN and infinities are rejected (NOT_FINITE); a value that does not fit the metric's datatype is
  rejected (WRONG_TYPE). DataSet, Template, Bytes, File and arrays are announced in ``births`` but give no readings.
  ``bdSeq`` and ``Node Control/…``/``Device Control/…`` metrics are protocol, not data: no readings, no definitions.
- NCMD/DCMD (commands from host applications) are not applied. STATE of another host is ignored; an offline STATE on
  our own topic while we are connected is answered by publishing our birth again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from zhizao.connectors.sparkplug.codec import (
    BDSEQ,
    SEQ_MODULUS,
    Metric,
    Payload,
    Publish,
    SparkplugDataType,
    Value,
    bd_seq_of,
    decode,
    decode_state,
    encode_state,
    interpret,
    rebirth_request,
)
from zhizao.connectors.sparkplug.errors import SparkplugRejected
from zhizao.connectors.sparkplug.topics import EdgeTopic, MessageType, StateTopic, node_topic, parse_topic, state_topic
from zhizao.telemetry.kinds import RejectReason

_CONTROL_PREFIXES = ("Node Control/", "Device Control/")


@dataclass(frozen=True, slots=True)
class Source:
    """An edge node (``device_id`` None) or one of its devices."""

    group_id: str
    edge_node_id: str
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class MetricDefinition:
    source: Source
    name: str
    datatype: SparkplugDataType
    alias: int | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """One value; ``timestamp`` in milliseconds since the epoch. Historical values are late, not current; transient
    ones the sender asks not to keep historically."""

    source: Source
    metric: str
    timestamp: int
    value: Value
    datatype: SparkplugDataType
    is_historical: bool = False
    is_transient: bool = False


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message, or one metric of it (``metric`` set), that was not accepted."""

    reason: RejectReason
    detail: str
    metric: str | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    source: Source
    online: bool
    timestamp: int


@dataclass(slots=True)
class HostOutcome:
    readings: list[Reading] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    commands: list[Publish] = field(default_factory=list)
    births: list[MetricDefinition] = field(default_factory=list)
    new_metrics: list[MetricDefinition] = field(default_factory=list)
    status_changes: list[StatusChange] = field(default_factory=list)

    def reject(self, reason: RejectReason, detail: str, metric: str | None = None) -> None:
        self.rejections.append(Rejection(reason, detail, metric))


@dataclass(frozen=True, slots=True)
class _Definition:
    name: str
    datatype: SparkplugDataType


@dataclass(slots=True)
class _Scope:
    """The metrics of a node, or of one device, as its birth (and later DATA) defined them."""

    by_alias: dict[int, _Definition] = field(default_factory=dict)
    by_name: dict[str, _Definition] = field(default_factory=dict)
    online: bool = True


@dataclass(slots=True)
class _Node:
    born: bool = False  # an NBIRTH and no matching NDEATH since
    stale: bool = False  # a sequence gap: everything ignored until the next NBIRTH
    bd_seq: int | None = None
    seq: int = 0  # of the last accepted message
    rebirth_requested_at: int | None = None
    scope: _Scope = field(default_factory=_Scope)
    devices: dict[str, _Scope] = field(default_factory=dict)


def state_payload(online: bool, timestamp_ms: int) -> bytes:
    """A host's STATE payload (JSON); birth and will of one session carry the same timestamp."""
    return encode_state(online, timestamp_ms)


class SparkplugHost:
    """The primary host application ``host_id``: the sessions of every edge node it hears from."""

    def __init__(self, host_id: str, *, rebirth_interval_ms: int = 5_000) -> None:
        self.host_id = host_id
        self.state_topic = state_topic(host_id)
        self.rebirth_interval_ms = rebirth_interval_ms
        self._nodes: dict[tuple[str, str], _Node] = {}
        self._connected_at: int | None = None

    # ------------------------------------------------------------ our own STATE

    def connect(self, timestamp_ms: int) -> tuple[Publish, Publish]:
        """(will, birth) of a new MQTT session: register the will in CONNECT, publish the birth once subscribed."""
        self._connected_at = timestamp_ms
        return self._state(online=False), self._state(online=True)

    def disconnect(self) -> Publish | None:
        """The offline STATE to publish before a deliberate disconnect (None when not connected)."""
        if self._connected_at is None:
            return None
        message = self._state(online=False)
        self._connected_at = None
        return message

    def _state(self, *, online: bool) -> Publish:
        assert self._connected_at is not None
        return Publish(self.state_topic, state_payload(online, self._connected_at), qos=1, retain=True)

    # ------------------------------------------------------------ queries

    def node_online(self, group_id: str, edge_node_id: str) -> bool:
        node = self._nodes.get((group_id, edge_node_id))
        return node is not None and node.born

    def device_online(self, group_id: str, edge_node_id: str, device_id: str) -> bool:
        node = self._nodes.get((group_id, edge_node_id))
        device = node.devices.get(device_id) if node is not None and node.born else None
        return device is not None and device.online

    # ------------------------------------------------------------ messages

    def handle(self, topic: str, payload: bytes, received_at_ms: int) -> HostOutcome:
        outcome = HostOutcome()
        try:
            parsed = parse_topic(topic)
        except SparkplugRejected as exc:
            outcome.reject(exc.reason, exc.detail)
            return outcome
        if isinstance(parsed, StateTopic):
            self._on_state(parsed, payload, outcome)
            return outcome
        if parsed.message_type in (MessageType.NCMD, MessageType.DCMD):
            return outcome
        try:
            decoded = decode(payload)
        except SparkplugRejected as exc:
            outcome.reject(exc.reason, exc.detail)
            return outcome
        key = (parsed.group_id, parsed.edge_node_id)
        node = self._nodes.setdefault(key, _Node())
        now = received_at_ms
        if parsed.message_type is MessageType.NBIRTH:
            self._on_nbirth(parsed, node, decoded, now, outcome)
        elif parsed.message_type is MessageType.NDEATH:
            self._on_ndeath(parsed, node, decoded, now, outcome)
        elif parsed.message_type is MessageType.DDEATH:
            self._on_ddeath(parsed, node, decoded, now, outcome)
        elif self._in_sequence(parsed, node, decoded, now, outcome):
            if parsed.message_type is MessageType.DBIRTH:
                self._on_dbirth(parsed, node, decoded, now, outcome)
            else:
                self._on_data(parsed, node, decoded, now, outcome)
        return outcome

    def _on_state(self, topic: StateTopic, payload: bytes, outcome: HostOutcome) -> None:
        if topic.host_id != self.host_id:
            return
        try:
            state = decode_state(payload)
        except SparkplugRejected as exc:
            outcome.reject(exc.reason, exc.detail)
            return
        if not state.online and self._connected_at is not None:
            outcome.commands.append(self._state(online=True))

    def _on_nbirth(self, topic: EdgeTopic, node: _Node, payload: Payload, now: int, outcome: HostOutcome) -> None:
        source = Source(topic.group_id, topic.edge_node_id)
        bd_seq = bd_seq_of(payload)
        if payload.seq is None or not 0 <= payload.seq < SEQ_MODULUS or bd_seq is None:
            outcome.reject(RejectReason.SCHEMA, "NBIRTH needs a seq of 0–255 and a bdSeq metric")
            if node.born:
                node.stale = True
            return
        timestamp = payload.timestamp if payload.timestamp is not None else now
        for device_id, device in node.devices.items():
            if device.online:
                outcome.status_changes.append(StatusChange(_device(source, device_id), False, timestamp))
        if not node.born:
            outcome.status_changes.append(StatusChange(source, True, timestamp))
        node.born, node.stale, node.bd_seq, node.seq = True, False, bd_seq, payload.seq
        node.rebirth_requested_at = None
        node.scope = _birth_scope(source, payload, now, outcome)
        node.devices = {}

    def _on_ndeath(self, topic: EdgeTopic, node: _Node, payload: Payload, now: int, outcome: HostOutcome) -> None:
        bd_seq = bd_seq_of(payload)
        if bd_seq is None:
            outcome.reject(RejectReason.SCHEMA, "NDEATH without a bdSeq metric")
            return
        if not node.born or bd_seq != node.bd_seq:
            return  # the will of an earlier session
        source = Source(topic.group_id, topic.edge_node_id)
        # The will's own timestamp was set when the session began; the death is now.
        for device_id, device in node.devices.items():
            if device.online:
                outcome.status_changes.append(StatusChange(_device(source, device_id), False, now))
        outcome.status_changes.append(StatusChange(source, False, now))
        node.born, node.stale, node.devices = False, False, {}

    def _on_ddeath(self, topic: EdgeTopic, node: _Node, payload: Payload, now: int, outcome: HostOutcome) -> None:
        self._in_sequence(topic, node, payload, now, outcome)
        assert topic.device_id is not None
        device = node.devices.get(topic.device_id)
        if node.born and device is not None and device.online:
            device.online = False
            timestamp = payload.timestamp if payload.timestamp is not None else now
            source = Source(topic.group_id, topic.edge_node_id, topic.device_id)
            outcome.status_changes.append(StatusChange(source, False, timestamp))

    def _on_dbirth(self, topic: EdgeTopic, node: _Node, payload: Payload, now: int, outcome: HostOutcome) -> None:
        assert topic.device_id is not None
        source = Source(topic.group_id, topic.edge_node_id, topic.device_id)
        previous = node.devices.get(topic.device_id)
        node.devices[topic.device_id] = _birth_scope(source, payload, now, outcome)
        if previous is None or not previous.online:
            timestamp = payload.timestamp if payload.timestamp is not None else now
            outcome.status_changes.append(StatusChange(source, True, timestamp))

    def _on_data(self, topic: EdgeTopic, node: _Node, payload: Payload, now: int, outcome: HostOutcome) -> None:
        source = Source(topic.group_id, topic.edge_node_id, topic.device_id)
        scope = node.scope
        if topic.device_id is not None:
            device = node.devices.get(topic.device_id)
            if device is None or not device.online:
                outcome.reject(RejectReason.NOT_BORN, f"DDATA from device {topic.device_id!r} before its DBIRTH")
                self._request_rebirth(topic, node, now, outcome)
                return
            scope = device
        unborn_alias = False
        for metric in payload.metrics:
            definition = _resolve(source, scope, metric, outcome)
            if definition is None:
                unborn_alias = unborn_alias or (metric.alias is not None and metric.name is None)
                continue
            _read(source, definition, metric, payload, now, outcome)
        if unborn_alias:
            self._request_rebirth(topic, node, now, outcome)

    # ------------------------------------------------------------ sequence and rebirth

    def _in_sequence(self, topic: EdgeTopic, node: _Node, payload: Payload, now: int, outcome: HostOutcome) -> bool:
        """Whether this message continues the node's session; if not, it is rejected and a rebirth requested."""
        kind = topic.message_type.value
        if not node.born:
            outcome.reject(RejectReason.NOT_BORN, f"{kind} from edge node {topic.edge_node_id!r} before its NBIRTH")
        elif node.stale:
            outcome.reject(RejectReason.SEQUENCE_GAP, f"{kind} ignored: awaiting NBIRTH after a sequence gap")
        else:
            expected = (node.seq + 1) % SEQ_MODULUS
            if payload.seq == expected:
                node.seq = expected
                return True
            node.stale = True
            outcome.reject(RejectReason.SEQUENCE_GAP, f"{kind} seq {payload.seq}, expected {expected}")
        self._request_rebirth(topic, node, now, outcome)
        return False

    def _request_rebirth(self, topic: EdgeTopic, node: _Node, now: int, outcome: HostOutcome) -> None:
        last = node.rebirth_requested_at
        if last is not None and now - last < self.rebirth_interval_ms:
            return
        node.rebirth_requested_at = now
        ncmd = node_topic(topic.group_id, MessageType.NCMD, topic.edge_node_id)
        outcome.commands.append(Publish(ncmd, rebirth_request(now)))


def _device(node: Source, device_id: str) -> Source:
    return Source(node.group_id, node.edge_node_id, device_id)


def _is_protocol(name: str) -> bool:
    return name == BDSEQ or name.startswith(_CONTROL_PREFIXES)


def _birth_scope(source: Source, payload: Payload, now: int, outcome: HostOutcome) -> _Scope:
    scope = _Scope()
    for metric in payload.metrics:
        if metric.name is None or metric.datatype is None:
            label = metric.name or (f"alias {metric.alias}" if metric.alias is not None else None)
            outcome.reject(RejectReason.SCHEMA, "a birth metric needs a name and a datatype", label)
            continue
        definition = _Definition(metric.name, metric.datatype)
        if metric.alias is not None:
            taken = scope.by_alias.get(metric.alias)
            if taken is not None and taken.name != metric.name:
                detail = f"alias {metric.alias} already names {taken.name!r}"
                outcome.reject(RejectReason.SCHEMA, detail, metric.name)
                continue
            scope.by_alias[metric.alias] = definition
        scope.by_name[metric.name] = definition
        if not _is_protocol(metric.name):
            outcome.births.append(MetricDefinition(source, metric.name, metric.datatype, metric.alias))
            _read(source, definition, metric, payload, now, outcome)
    return scope


def _resolve(source: Source, scope: _Scope, metric: Metric, outcome: HostOutcome) -> _Definition | None:
    if metric.alias is not None:
        definition = scope.by_alias.get(metric.alias)
        if definition is not None:
            return definition
        if metric.name is None:
            outcome.reject(RejectReason.ALIAS_NOT_BORN, f"alias {metric.alias} was not in the birth")
            return None
    if metric.name is None:
        outcome.reject(RejectReason.SCHEMA, "a metric needs a name or an alias")
        return None
    definition = scope.by_name.get(metric.name)
    if definition is not None:
        return definition
    if metric.datatype is None:
        outcome.reject(RejectReason.SCHEMA, "a metric not in the birth needs a datatype", metric.name)
        return None
    definition = _Definition(metric.name, metric.datatype)
    scope.by_name[metric.name] = definition
    if metric.alias is not None:
        scope.by_alias[metric.alias] = definition
    if not _is_protocol(metric.name):
        outcome.new_metrics.append(MetricDefinition(source, metric.name, metric.datatype, metric.alias))
    return definition


def _read(
    source: Source, definition: _Definition, metric: Metric, payload: Payload, now: int, outcome: HostOutcome
) -> None:
    name, datatype = definition.name, definition.datatype
    if _is_protocol(name) or not datatype.is_scalar:
        return
    if metric.datatype is not None and metric.datatype is not datatype:
        detail = f"datatype {metric.datatype.name}, born as {datatype.name}"
        outcome.reject(RejectReason.WRONG_TYPE, detail, name)
        return
    try:
        value = None if metric.is_null else interpret(metric.value, datatype)
    except SparkplugRejected as exc:
        outcome.reject(exc.reason, exc.detail, name)
        return
    if isinstance(value, float) and not math.isfinite(value):
        outcome.reject(RejectReason.NOT_FINITE, f"{value} is not a finite number", name)
        return
    if metric.timestamp is not None:
        timestamp = metric.timestamp
    else:
        timestamp = payload.timestamp if payload.timestamp is not None else now
    reading = Reading(source, name, timestamp, value, datatype, metric.is_historical, metric.is_transient)
    outcome.readings.append(reading)

"""A Sparkplug B edge node's side of the protocol, pure: what to publish, for simulators and tests.

It keeps ``bdSeq`` (one per MQTT session, in the NDEATH will and the NBIRTH), ``seq`` (0–255, wrapping, across
NBIRTH, DBIRTH, NDATA, DDATA and DDEATH) and metric aliases (unique across the node and its devices). Births
announce name, alias, datatype and current value; DATA then carries aliases only (or names, with
``use_aliases=False``). A metric added after the births is sent by name with its datatype until the next birth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from zhizao.connectors.sparkplug.codec import (
    BDSEQ,
    REBIRTH,
    SEQ_MODULUS,
    Metric,
    Payload,
    Publish,
    SparkplugDataType,
    Value,
    decode,
    encode,
    is_rebirth_request,
)
from zhizao.connectors.sparkplug.errors import SparkplugRejected
from zhizao.connectors.sparkplug.topics import EdgeTopic, MessageType, device_topic, node_topic, parse_topic


@dataclass(slots=True)
class _EdgeMetric:
    name: str
    datatype: SparkplugDataType
    value: Value
    alias: int
    born: bool = False


class EdgeNode:
    def __init__(self, group_id: str, edge_node_id: str, *, bd_seq: int = 0, use_aliases: bool = True) -> None:
        node_topic(group_id, MessageType.NBIRTH, edge_node_id)  # validates the ids
        self.group_id = group_id
        self.edge_node_id = edge_node_id
        self.use_aliases = use_aliases
        self._bd_seq = bd_seq % SEQ_MODULUS
        self._seq = 0  # the next one to send
        self._next_alias = 1
        self._metrics: dict[str | None, dict[str, _EdgeMetric]] = {None: {}}  # None: the node's own

    @property
    def bd_seq(self) -> int:
        return self._bd_seq

    @property
    def next_seq(self) -> int:
        return self._seq

    @property
    def devices(self) -> list[str]:
        return [device_id for device_id in self._metrics if device_id is not None]

    def add_device(self, device_id: str) -> None:
        device_topic(self.group_id, MessageType.DBIRTH, self.edge_node_id, device_id)  # validates the id
        self._metrics.setdefault(device_id, {})

    def add_metric(
        self, name: str, datatype: SparkplugDataType, value: Value = None, *, device_id: str | None = None
    ) -> None:
        """Define a metric (on the node, or on a device). Added after the births, it is sent by name until the
        next birth announces it."""
        if name == BDSEQ or name.startswith("Node Control/"):
            raise ValueError(f"{name!r} is reserved by the protocol")
        if device_id is not None:
            self.add_device(device_id)
        metrics = self._metrics[device_id]
        if name in metrics:
            raise ValueError(f"metric {name!r} is already defined")
        metrics[name] = _EdgeMetric(name, datatype, value, self._next_alias)
        self._next_alias += 1

    # ------------------------------------------------------------ session

    def will(self, timestamp_ms: int | None = None) -> Publish:
        """The NDEATH to register as the MQTT will of this session (QoS 1, not retained)."""
        bd_seq = Metric(name=BDSEQ, datatype=SparkplugDataType.UINT64, value=self._bd_seq)
        payload = encode(Payload(timestamp=timestamp_ms, metrics=(bd_seq,)))
        return Publish(node_topic(self.group_id, MessageType.NDEATH, self.edge_node_id), payload, qos=1)

    def reconnect(self) -> None:
        """A new MQTT session: the next will and births carry the next ``bdSeq``."""
        self._bd_seq = (self._bd_seq + 1) % SEQ_MODULUS

    def births(self, timestamp_ms: int) -> list[Publish]:
        """NBIRTH (seq 0) and a DBIRTH for each device, announcing every metric and its current value."""
        self._seq = 0
        node_metrics = [
            Metric(name=BDSEQ, datatype=SparkplugDataType.UINT64, value=self._bd_seq),
            Metric(name=REBIRTH, datatype=SparkplugDataType.BOOLEAN, value=False),
            *self._birth_metrics(None),
        ]
        messages = [self._publish(MessageType.NBIRTH, None, timestamp_ms, node_metrics)]
        for device_id in self.devices:
            metrics = self._birth_metrics(device_id)
            messages.append(self._publish(MessageType.DBIRTH, device_id, timestamp_ms, metrics))
        return messages

    def data(self, timestamp_ms: int, values: Mapping[str, Value], *, device_id: str | None = None) -> Publish:
        """NDATA (or DDATA) with new values of defined metrics; None sends a null."""
        metrics = self._metrics.get(device_id)
        if metrics is None:
            raise ValueError(f"unknown device {device_id!r}")
        out: list[Metric] = []
        born: dict[int | str, SparkplugDataType] = {}
        for name, value in values.items():
            metric = metrics.get(name)
            if metric is None:
                raise ValueError(f"unknown metric {name!r}: add_metric first")
            metric.value = value
            if not metric.born:  # new since the birth: name and datatype
                out.append(Metric(name=name, datatype=metric.datatype, value=value, timestamp=timestamp_ms))
                continue
            key: int | str = metric.alias if self.use_aliases else name
            born[key] = metric.datatype
            if self.use_aliases:
                out.append(Metric(alias=metric.alias, value=value, timestamp=timestamp_ms))
            else:
                out.append(Metric(name=name, value=value, timestamp=timestamp_ms))
        kind = MessageType.NDATA if device_id is None else MessageType.DDATA
        return self._publish(kind, device_id, timestamp_ms, out, born)

    def device_death(self, device_id: str, timestamp_ms: int) -> Publish:
        if device_id not in self._metrics:
            raise ValueError(f"unknown device {device_id!r}")
        for metric in self._metrics[device_id].values():
            metric.born = False
        return self._publish(MessageType.DDEATH, device_id, timestamp_ms, [])

    def handle_command(self, topic: str, payload: bytes, timestamp_ms: int) -> list[Publish]:
        """What to publish in answer to a command: the births again for an NCMD ``Node Control/Rebirth`` = true."""
        try:
            parsed = parse_topic(topic)
            command = decode(payload)
        except SparkplugRejected:
            return []
        ours = EdgeTopic(self.group_id, MessageType.NCMD, self.edge_node_id)
        if parsed == ours and is_rebirth_request(command):
            return self.births(timestamp_ms)
        return []

    # ------------------------------------------------------------ helpers

    def _birth_metrics(self, device_id: str | None) -> list[Metric]:
        metrics = []
        for metric in self._metrics[device_id].values():
            metric.born = True
            alias = metric.alias if self.use_aliases else None
            metrics.append(Metric(name=metric.name, alias=alias, datatype=metric.datatype, value=metric.value))
        return metrics

    def _publish(
        self,
        kind: MessageType,
        device_id: str | None,
        timestamp_ms: int,
        metrics: list[Metric],
        born: Mapping[int | str, SparkplugDataType] | None = None,
    ) -> Publish:
        seq = self._seq
        self._seq = (self._seq + 1) % SEQ_MODULUS
        topic = str(EdgeTopic(self.group_id, kind, self.edge_node_id, device_id))
        return Publish(topic, encode(Payload(timestamp=timestamp_ms, seq=seq, metrics=tuple(metrics)), born=born))

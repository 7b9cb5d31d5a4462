"""Sparkplug B 3.0 topic names: parse and format.

``spBv1.0/{group_id}/{NBIRTH|NDEATH|DBIRTH|DDEATH|NDATA|DDATA|NCMD|DCMD}/{edge_node_id}[/{device_id}]`` for edge
nodes and devices (the device id is present exactly for the D… message types), and ``spBv1.0/STATE/{host_id}`` for a
host application's state (the Sparkplug 3.0 form; 2.2's ``STATE/{host_id}`` is not accepted). Each id is a non-empty
string without ``/``, ``+`` or ``#``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhizao.connectors.sparkplug.errors import SparkplugRejected
from zhizao.telemetry.kinds import RejectReason

NAMESPACE = "spBv1.0"
STATE = "STATE"
SUBSCRIPTION = f"{NAMESPACE}/#"  # what a primary host application subscribes to (QoS 1)

_RESERVED = ("/", "+", "#")


class MessageType(StrEnum):
    NBIRTH = "NBIRTH"
    NDEATH = "NDEATH"
    DBIRTH = "DBIRTH"
    DDEATH = "DDEATH"
    NDATA = "NDATA"
    DDATA = "DDATA"
    NCMD = "NCMD"
    DCMD = "DCMD"

    @property
    def is_device(self) -> bool:
        return self.value.startswith("D")


@dataclass(frozen=True, slots=True)
class EdgeTopic:
    """A message from or to an edge node (``device_id`` None) or one of its devices."""

    group_id: str
    message_type: MessageType
    edge_node_id: str
    device_id: str | None = None

    def __post_init__(self) -> None:
        _check_id("group_id", self.group_id)
        _check_id("edge_node_id", self.edge_node_id)
        if self.message_type.is_device:
            if self.device_id is None:
                raise SparkplugRejected(RejectReason.BAD_TOPIC, f"{self.message_type} needs a device_id")
            _check_id("device_id", self.device_id)
        elif self.device_id is not None:
            raise SparkplugRejected(RejectReason.BAD_TOPIC, f"{self.message_type} takes no device_id")

    def __str__(self) -> str:
        parts = [NAMESPACE, self.group_id, self.message_type.value, self.edge_node_id]
        if self.device_id is not None:
            parts.append(self.device_id)
        return "/".join(parts)


@dataclass(frozen=True, slots=True)
class StateTopic:
    """A host application's STATE (birth and will, retained)."""

    host_id: str

    def __post_init__(self) -> None:
        _check_id("host_id", self.host_id)

    def __str__(self) -> str:
        return f"{NAMESPACE}/{STATE}/{self.host_id}"


Topic = EdgeTopic | StateTopic


def parse_topic(topic: str) -> Topic:
    """The parts of a Sparkplug topic; raises ``SparkplugRejected`` (BAD_TOPIC) for anything else."""
    levels = topic.split("/")
    if levels[0] != NAMESPACE:
        raise SparkplugRejected(RejectReason.BAD_TOPIC, f"not in the {NAMESPACE} namespace: {topic!r}")
    if len(levels) == 3 and levels[1] == STATE:
        return StateTopic(levels[2])
    if len(levels) not in (4, 5):
        raise SparkplugRejected(RejectReason.BAD_TOPIC, f"wrong number of levels: {topic!r}")
    try:
        message_type = MessageType(levels[2])
    except ValueError:
        raise SparkplugRejected(RejectReason.BAD_TOPIC, f"unknown message type {levels[2]!r}: {topic!r}") from None
    device_id = levels[4] if len(levels) == 5 else None
    return EdgeTopic(levels[1], message_type, levels[3], device_id)


def node_topic(group_id: str, message_type: MessageType, edge_node_id: str) -> str:
    return str(EdgeTopic(group_id, message_type, edge_node_id))


def device_topic(group_id: str, message_type: MessageType, edge_node_id: str, device_id: str) -> str:
    return str(EdgeTopic(group_id, message_type, edge_node_id, device_id))


def state_topic(host_id: str) -> str:
    return str(StateTopic(host_id))


def _check_id(what: str, value: str) -> None:
    if not value:
        raise SparkplugRejected(RejectReason.BAD_TOPIC, f"empty {what}")
    if any(char in value for char in _RESERVED):
        raise SparkplugRejected(RejectReason.BAD_TOPIC, f"{what} {value!r} contains one of / + #")

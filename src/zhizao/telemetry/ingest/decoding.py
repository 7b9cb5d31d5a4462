"""What a protocol decoder hands to the pipeline, and the ``Decoder`` protocol every connector implements.

A decoder is pure: bytes and a topic in, a ``DecodedMessage`` out; it never raises for bad input (bad input is a
``Rejection``). MQTT JSON (``zhizao.connectors.mqtt_json``) and Sparkplug B plug in side by side: the pipeline picks
the decoder whose topic filter matches the message's topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

from zhizao.telemetry.kinds import DataType, RejectReason
from zhizao.telemetry.kinds import Protocol as SourceProtocol

Value = bool | int | float | str


class DeviceRef(NamedTuple):
    """A device as a message names it: the tenant and the device's code (unique within the tenant)."""

    enterprise_id: int
    device_code: str


class Reading(NamedTuple):
    """One sample as decoded, before its signal is resolved to an id."""

    device: DeviceRef
    signal: str
    ts_us: int
    value: Value
    position: int | None = None  # index of the sample in the message, reported back to HTTP callers
    data_type: DataType | None = None  # a hint from typed protocols (Sparkplug); inferred from the value if None


class SampleColumns(NamedTuple):
    """The common message, kept as columns: one device's numeric samples, every one already checked (a valid name,
    a timestamp inside the window, a finite number). Sample ``i`` of the message is ``(signals[i], ts_us[i],
    values[i])``; ``floats`` holds the values as stored. Columns skip a ``Reading`` per sample, which cost a
    worker more than decoding the JSON did."""

    device: DeviceRef
    signals: Sequence[str]
    ts_us: Sequence[int]
    values: Sequence[int | float]  # as sent: an auto-registered signal's type is inferred from its first value
    floats: Sequence[float]

    def readings(self) -> list[Reading]:
        return [
            Reading(self.device, name, ts_us, value, position)
            for position, (name, ts_us, value) in enumerate(zip(self.signals, self.ts_us, self.values, strict=True))
        ]


class Rejection(NamedTuple):
    """A part of a message (``position`` set) or the whole of it (``position`` None) that is not stored."""

    reason: RejectReason
    detail: str
    position: int | None = None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message a decoder wants published (e.g. a Sparkplug rebirth request)."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False


@dataclass(frozen=True, slots=True)
class DecodedMessage:
    readings: Sequence[Reading] = ()
    rejections: Sequence[Rejection] = ()
    commands_to_publish: Sequence[OutboundMessage] = ()
    # The tenant the message claims to come from, when the topic names one; kept with its dead letters.
    enterprise_id: int | None = None
    columns: SampleColumns | None = None  # a decoder's fast path: then ``readings`` and ``rejections`` are empty

    @property
    def rejected_whole(self) -> bool:
        return (
            any(rejection.position is None for rejection in self.rejections)
            and not self.readings
            and self.columns is None
        )

    def all_readings(self) -> list[Reading]:
        """Every reading, the columns' included."""
        return [*self.readings, *(self.columns.readings() if self.columns is not None else ())]


class Decoder(Protocol):
    """A protocol's decoder. ``topic_filters`` are MQTT filters (without any ``$share/`` prefix). A worker calls
    ``decode`` from one thread, in the order messages arrive, so a stateful decoder (Sparkplug's host, which tracks
    births and sequence numbers) needs no lock; it must not raise for bad input."""

    @property
    def source(self) -> SourceProtocol:
        """Recorded as the dead letters' ``source`` and used as the protocol of auto-registered devices."""

    @property
    def topic_filters(self) -> Sequence[str]: ...

    @property
    def shareable(self) -> bool:
        """Whether several workers may split this decoder's messages through a shared subscription. False for a
        decoder that needs every message of a source, in order (Sparkplug's sequence numbers)."""

    def decode(self, topic: str, payload: bytes, received_at_us: int) -> DecodedMessage: ...


@runtime_checkable
class SessionAware(Protocol):
    """A decoder with a presence of its own on the broker (a Sparkplug primary host's STATE)."""

    def session_messages(self, timestamp_ms: int) -> tuple[OutboundMessage, OutboundMessage]:
        """(will, birth) of a new MQTT session."""

    def farewell(self) -> OutboundMessage | None:
        """What to publish before a deliberate disconnect."""

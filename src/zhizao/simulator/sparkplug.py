"""Publish a simulated factory as Sparkplug B edge nodes (see :mod:`zhizao.connectors.sparkplug`).

One edge node per line (``edge_node_id`` = the line code, e.g. ``L1``), each machine a Sparkplug device of it
(``device_id`` = the machine code, e.g. ``L1-CNC-01``), in group ``{enterprise_id}``: the platform stores the data
of device ``L1-CNC-01`` of that enterprise, the same device the MQTT JSON publisher feeds. Each edge node has an MQTT
connection of its own, whose will is its NDEATH (QoS 1, with the session's ``bdSeq``).

- **Births.** With the first readings, every node publishes NBIRTH (``bdSeq``, ``Node Control/Rebirth``) and a
  DBIRTH per machine announcing each signal with its alias and datatype (INT → Int64, FLOAT → Double, BOOL →
  Boolean, STRING → String). A birth's values are the last ones published, with their own timestamps, so a birth
  never adds a sample the run did not generate; a signal not published yet is born null.
- **Data.** DDATA by alias, at most ``batch_size`` metrics a message, each with its own timestamp; a machine's
  readings in the order generated, so one signal may appear several times in a message. ``seq`` runs 0–255 per
  node across births and data.
- **Commands.** Each node subscribes to its NCMD topic; ``Node Control/Rebirth`` = true makes it publish its
  births again (a new NBIRTH, seq 0) before any further data.
- **QoS.** Births and data are QoS 0, as the specification asks; ``qos=1`` publishes them at QoS 1 so that a fast
  history backfill (and the tests) lose nothing. NDEATH (the will, and the one published on a clean exit) is QoS 1.

:func:`publish_history` and :func:`run_realtime` of :mod:`zhizao.simulator.mqtt_json` drive this publisher as
they drive the JSON one (they use only ``stats``, ``publish`` and ``flush``); the functions of the same names here
pass it to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self, cast

import aiomqtt

from zhizao.connectors.sparkplug.codec import (
    BDSEQ,
    REBIRTH,
    SEQ_MODULUS,
    Metric,
    Payload,
    SparkplugDataType,
    decode,
    encode,
    is_rebirth_request,
)
from zhizao.connectors.sparkplug.errors import SparkplugRejected
from zhizao.connectors.sparkplug.topics import MessageType, device_topic, node_topic
from zhizao.simulator import mqtt_json
from zhizao.simulator.catalogue import Reading, Value
from zhizao.simulator.model import DeviceInfo, FactoryRun
from zhizao.simulator.mqtt_json import (
    DRAIN_TIMEOUT_S,
    BrokerUrl,
    MqttJsonPublisher,
    MqttVersion,
    Progress,
    PublishStats,
    parse_broker_url,
)
from zhizao.simulator.payload import DEFAULT_BATCH_SIZE
from zhizao.telemetry.kinds import DataType

_PROTOCOLS = {MqttVersion.V5: aiomqtt.ProtocolVersion.V5, MqttVersion.V311: aiomqtt.ProtocolVersion.V311}
DEATH_QOS = 1
COMMAND_QOS = 1

DATATYPES: dict[DataType, SparkplugDataType] = {
    DataType.INT: SparkplugDataType.INT64,
    DataType.FLOAT: SparkplugDataType.DOUBLE,
    DataType.BOOL: SparkplugDataType.BOOLEAN,
    DataType.STRING: SparkplugDataType.STRING,
}


@dataclass(slots=True)
class _Signal:
    alias: int
    datatype: SparkplugDataType
    last: tuple[int, Value] | None = None  # (ts_ms, value) last published


@dataclass(slots=True)
class _EdgeNode:
    """One line: its MQTT connection, ``seq`` and its machines' signals by alias."""

    group_id: str
    edge_node_id: str
    devices: dict[str, dict[str, _Signal]]  # machine code → signal name → signal
    bd_seq: int
    seq: int = 0  # the next one to send
    born: bool = False
    rebirths: int = 0  # births sent on request
    client: aiomqtt.Client | None = None
    ncmd: str = field(init=False)

    def __post_init__(self) -> None:
        self.ncmd = node_topic(self.group_id, MessageType.NCMD, self.edge_node_id)

    def next_seq(self) -> int:
        seq = self.seq
        self.seq = (seq + 1) % SEQ_MODULUS
        return seq

    def death(self, timestamp_ms: int | None) -> bytes:
        bd_seq = Metric(name=BDSEQ, datatype=SparkplugDataType.UINT64, value=self.bd_seq)
        return encode(Payload(timestamp=timestamp_ms, metrics=(bd_seq,)))


class SparkplugPublisher:
    """An async context manager: connect one MQTT session per line, :meth:`publish` readings, :meth:`flush`;
    publishes each node's NDEATH and disconnects on exit.

    ``devices`` is the run's catalogue (``FactoryRun.devices``): it gives the lines, machines and signals the births
    announce. On exit by cancellation or error it stops publishing and waits up to DRAIN_TIMEOUT_S for what was
    handed to the MQTT client, then publishes the deaths and disconnects.
    """

    def __init__(
        self,
        broker: BrokerUrl | str,
        *,
        enterprise_id: int | str,
        devices: Sequence[DeviceInfo],
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        version: MqttVersion = MqttVersion.V311,
        batch_size: int = DEFAULT_BATCH_SIZE,
        qos: int = 0,
        bd_seq: int = 0,
        max_inflight: int = 200,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if qos not in (0, 1):
            raise ValueError("qos must be 0 or 1")
        self.broker = parse_broker_url(broker) if isinstance(broker, str) else broker
        self.group_id = str(enterprise_id)
        self.client_id = client_id or f"zhizao-sim-{uuid.uuid4().hex[:12]}"
        self.username = username if username is not None else self.broker.username
        self.password = password if password is not None else self.broker.password
        self.version = version
        self.batch_size = batch_size
        self.qos = qos
        self.max_inflight = max_inflight
        self.stats = PublishStats()
        self._nodes: dict[str, _EdgeNode] = {}
        self._node_of: dict[str, _EdgeNode] = {}  # machine code → its line's node
        alias = 0
        for device in devices:
            node = self._nodes.get(device.line_code)
            if node is None:
                node_topic(self.group_id, MessageType.NBIRTH, device.line_code)  # validates the ids
                node = _EdgeNode(self.group_id, device.line_code, {}, bd_seq % SEQ_MODULUS)
                self._nodes[device.line_code] = node
            device_topic(self.group_id, MessageType.DBIRTH, device.line_code, device.code)
            signals: dict[str, _Signal] = {}
            for spec in device.signals:
                alias += 1
                signals[spec.name] = _Signal(alias, DATATYPES[spec.data_type])
            node.devices[device.code] = signals
            self._node_of[device.code] = node
        self._now_ms: int | None = None  # the latest simulated time published
        self._sessions = 0
        self._stack = AsyncExitStack()
        self._pending: set[asyncio.Task[None]] = set()
        self._listeners: list[asyncio.Task[None]] = []

    @property
    def edge_node_ids(self) -> list[str]:
        return list(self._nodes)

    @property
    def rebirths(self) -> int:
        """How many times a node published its births again on request."""
        return sum(node.rebirths for node in self._nodes.values())

    def node_of(self, device_code: str) -> str:
        """The edge node id of a machine's line."""
        return self._node_of[device_code].edge_node_id

    # -- connection ----------------------------------------------------------------------------------------------

    def _client(self, node: _EdgeNode) -> aiomqtt.Client:
        will = aiomqtt.Will(
            node_topic(self.group_id, MessageType.NDEATH, node.edge_node_id), node.death(None), qos=DEATH_QOS
        )
        client = aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            username=self.username,
            password=self.password,
            identifier=f"{self.client_id}-{node.edge_node_id}",
            protocol=_PROTOCOLS[self.version],
            will=will,
            tls_context=ssl.create_default_context() if self.broker.tls else None,
            max_inflight_messages=self.max_inflight,
        )
        client.pending_calls_threshold = self.max_inflight + 1  # aiomqtt logs a warning above it; ours is bounded
        return client

    async def __aenter__(self) -> Self:
        if self._sessions:
            for node in self._nodes.values():
                node.bd_seq = (node.bd_seq + 1) % SEQ_MODULUS  # a new MQTT session: the next bdSeq
        self._sessions += 1
        try:
            for node in self._nodes.values():
                client = await self._stack.enter_async_context(self._client(node))
                await client.subscribe(node.ncmd, qos=COMMAND_QOS)
                node.client = client
                self._listeners.append(asyncio.create_task(self._listen(node, client)))
        except BaseException:
            await self._close()
            raise
        self.stats = PublishStats()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                await self.flush()
            else:
                with contextlib.suppress(Exception, asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(self.flush(), DRAIN_TIMEOUT_S)
            with contextlib.suppress(Exception, asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._deaths(), DRAIN_TIMEOUT_S)
        finally:
            self.stats.finished = time.monotonic()
            await self._close()

    async def _deaths(self) -> None:
        """A clean disconnect discards the will: say so explicitly (NDEATH, QoS 1) for every born node."""
        await self._stop_listening()  # no rebirth after a death
        deaths = [
            node.client.publish(
                node_topic(self.group_id, MessageType.NDEATH, node.edge_node_id),
                node.death(self._now_ms),
                qos=DEATH_QOS,
            )
            for node in self._nodes.values()
            if node.born and node.client is not None
        ]
        for node in self._nodes.values():
            node.born = False
        await asyncio.gather(*deaths)

    async def _stop_listening(self) -> None:
        for task in self._listeners:
            task.cancel()
        for task in self._listeners:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listeners.clear()

    async def _close(self) -> None:
        for task in self._pending:
            task.cancel()
        self._pending.clear()
        await self._stop_listening()
        for node in self._nodes.values():
            node.client = None
        await self._stack.aclose()

    async def _listen(self, node: _EdgeNode, client: aiomqtt.Client) -> None:
        with contextlib.suppress(aiomqtt.MqttError):
            async for message in client.messages:
                if str(message.topic) != node.ncmd or not isinstance(message.payload, bytes):
                    continue
                try:
                    command = decode(message.payload)
                except SparkplugRejected:
                    continue
                # Before the first readings the births are still to come, with them.
                if is_rebirth_request(command) and node.born and self._now_ms is not None:
                    node.rebirths += 1
                    self._births(node, self._now_ms)

    # -- publishing ----------------------------------------------------------------------------------------------

    def _send(self, node: _EdgeNode, topic: str, payload: bytes) -> None:
        """Hand one message to the node's client. Messages are sent in the order of the calls: nothing awaits
        between giving a message its ``seq`` and this call."""
        client = node.client
        if client is None:
            raise RuntimeError("the publisher is not connected: use it as an async context manager")
        task = asyncio.create_task(client.publish(topic, payload, qos=self.qos))
        self._pending.add(task)
        self.stats.messages += 1

    def _births(self, node: _EdgeNode, timestamp_ms: int) -> None:
        """NBIRTH (seq 0) and a DBIRTH per machine, in one go."""
        node.seq = 0
        node.born = True
        node_metrics = (
            Metric(name=BDSEQ, datatype=SparkplugDataType.UINT64, value=node.bd_seq),
            Metric(name=REBIRTH, datatype=SparkplugDataType.BOOLEAN, value=False),
        )
        nbirth = Payload(timestamp=timestamp_ms, seq=node.next_seq(), metrics=node_metrics)
        self._send(node, node_topic(self.group_id, MessageType.NBIRTH, node.edge_node_id), encode(nbirth))
        for device_code, signals in node.devices.items():
            metrics = tuple(
                Metric(name=name, alias=signal.alias, datatype=signal.datatype, value=None, is_null=True)
                if signal.last is None
                else Metric(
                    name=name,
                    alias=signal.alias,
                    datatype=signal.datatype,
                    value=signal.last[1],
                    timestamp=signal.last[0],
                )
                for name, signal in signals.items()
            )
            dbirth = Payload(timestamp=timestamp_ms, seq=node.next_seq(), metrics=metrics)
            topic = device_topic(self.group_id, MessageType.DBIRTH, node.edge_node_id, device_code)
            self._send(node, topic, encode(dbirth))

    async def _window(self) -> None:
        while len(self._pending) >= self.max_inflight:
            await self._settle(asyncio.FIRST_COMPLETED)

    async def publish(self, readings: Sequence[Reading]) -> int:
        """Queue readings as DDATA messages (births first, the first time); waits while max_inflight messages are
        unacknowledged. Returns the number of points queued. Errors of earlier messages are raised here or by
        flush(). A reading of a machine or signal not in the catalogue is a ValueError."""
        if not readings:
            return 0
        by_device: dict[str, list[Reading]] = {}
        for reading in readings:
            by_device.setdefault(reading.device_code, []).append(reading)
        for code, device_readings in by_device.items():
            node = self._node_of.get(code)
            if node is None:
                raise ValueError(f"machine {code!r} is not in the publisher's catalogue")
            unknown = {r.signal for r in device_readings} - node.devices[code].keys()
            if unknown:
                raise ValueError(f"machine {code!r} has no signal {', '.join(sorted(unknown))}")
        first = min(reading.ts_ms for reading in readings)
        for node in self._nodes.values():
            if not node.born:  # the first readings of this session
                self._births(node, first)
        if self._now_ms is None or first > self._now_ms:
            self._now_ms = first
        for code, device_readings in by_device.items():
            for start in range(0, len(device_readings), self.batch_size):
                await self._window()
                self._data(code, device_readings[start : start + self.batch_size])
        return len(readings)

    def _data(self, device_code: str, readings: Sequence[Reading]) -> None:
        node = self._node_of[device_code]
        signals = node.devices[device_code]
        metrics = []
        born: dict[int | str, SparkplugDataType] = {}
        for reading in readings:
            signal = signals[reading.signal]
            metrics.append(Metric(alias=signal.alias, value=reading.value, timestamp=reading.ts_ms))
            born[signal.alias] = signal.datatype
            signal.last = (reading.ts_ms, reading.value)
        newest = max(reading.ts_ms for reading in readings)
        if self._now_ms is None or newest > self._now_ms:
            self._now_ms = newest
        payload = Payload(timestamp=newest, seq=node.next_seq(), metrics=tuple(metrics))
        topic = device_topic(self.group_id, MessageType.DDATA, node.edge_node_id, device_code)
        self._send(node, topic, encode(payload, born=born))
        self.stats.points += len(readings)

    async def flush(self) -> None:
        """Wait until every queued message is sent (QoS 0) or acknowledged by the broker (QoS 1)."""
        while self._pending:
            await self._settle(asyncio.ALL_COMPLETED)

    async def _settle(self, return_when: str) -> None:
        done, _ = await asyncio.wait(self._pending, return_when=return_when)
        self._pending -= done
        for task in done:
            task.result()  # raise a failed publish


def _as_driven(publisher: SparkplugPublisher) -> MqttJsonPublisher:
    # publish_history and run_realtime use only .stats, .publish() and .flush(), which this publisher has too.
    return cast("MqttJsonPublisher", publisher)


async def publish_history(
    run: FactoryRun,
    publisher: SparkplugPublisher,
    *,
    until_ms: int,
    chunk_ms: int = 60_000,
    rate: float | None = None,
    progress: Progress | None = None,
) -> PublishStats:
    """:func:`zhizao.simulator.mqtt_json.publish_history` with a Sparkplug publisher."""
    return await mqtt_json.publish_history(
        run, _as_driven(publisher), until_ms=until_ms, chunk_ms=chunk_ms, rate=rate, progress=progress
    )


async def run_realtime(
    run: FactoryRun,
    publisher: SparkplugPublisher,
    *,
    speed: float = 1.0,
    duration_s: float | None = None,
    tick_s: float = 1.0,
    clock: Callable[[], int] | None = None,
    progress: Progress | None = None,
) -> PublishStats:
    """:func:`zhizao.simulator.mqtt_json.run_realtime` with a Sparkplug publisher."""
    return await mqtt_json.run_realtime(
        run, _as_driven(publisher), speed=speed, duration_s=duration_s, tick_s=tick_s, clock=clock, progress=progress
    )

"""Publish a simulated factory as MQTT JSON (see :mod:`zhizao.simulator.payload`) to any MQTT broker.

QoS 1 through aiomqtt, MQTT 5 or 3.1.1. One connection for the whole simulator (user name and password as
given), or — with ``device_tokens`` — one connection per device authenticating as ``{enterprise_id}/{code}``
with the device's token, as real devices would. Messages are published with a bounded window of
unacknowledged messages, so a fast history backfill neither waits for each PUBACK nor floods memory.

With ``on_command`` the devices also listen for the platform's commands, as real devices do: each device connection
subscribes to its own ``{prefix}/{enterprise_id}/{code}/cmd`` (the shared connection to ``…/+/cmd``), and every
command received is handed to ``on_command`` in the publisher's event loop (``commands.applier(run)`` applies them to
the run, see :mod:`zhizao.simulator.commands`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit

import aiomqtt

from zhizao.simulator.catalogue import Reading
from zhizao.simulator.commands import CommandSink, command_topic, parse_command
from zhizao.simulator.model import FactoryRun
from zhizao.simulator.payload import DEFAULT_BATCH_SIZE, DEFAULT_TOPIC_PREFIX, build_messages, device_username

QOS = 1
log = logging.getLogger(__name__)
DRAIN_TIMEOUT_S = 5.0  # on cancel: how long to wait for messages already handed to the client


class MqttVersion(StrEnum):
    V5 = "5"
    V311 = "3.1.1"


_PROTOCOLS = {MqttVersion.V5: aiomqtt.ProtocolVersion.V5, MqttVersion.V311: aiomqtt.ProtocolVersion.V311}


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerUrl:
    """``mqtt://host:port`` (also ``tcp://``), ``mqtts://`` (also ``ssl://``) for TLS; optional user:password@.
    ValueError with a one-line reason otherwise."""
    parts = urlsplit(url)
    schemes = {"mqtt": False, "tcp": False, "mqtts": True, "ssl": True}
    if parts.scheme not in schemes:
        raise ValueError(f"expected mqtt://host:port or mqtts://host:port, got {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"not a valid port in {url!r}") from None
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"a broker URL has no path or query: {url!r}")
    tls = schemes[parts.scheme]
    return BrokerUrl(
        host=parts.hostname,
        port=port if port is not None else (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


@dataclass(slots=True)
class PublishStats:
    messages: int = 0
    points: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def elapsed_s(self) -> float:
        return (self.finished if self.finished is not None else time.monotonic()) - self.started

    @property
    def points_per_s(self) -> float:
        elapsed = self.elapsed_s
        return self.points / elapsed if elapsed > 0 else 0.0


class MqttJsonPublisher:
    """An async context manager: connect, :meth:`publish` readings, :meth:`flush`; disconnects on exit.

    On exit by cancellation or error it stops publishing and waits up to DRAIN_TIMEOUT_S for messages already
    handed to the MQTT client to be acknowledged, then disconnects.
    """

    def __init__(
        self,
        broker: BrokerUrl | str,
        *,
        enterprise_id: int | str,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        device_tokens: Mapping[str, str] | None = None,
        version: MqttVersion = MqttVersion.V311,
        batch_size: int = DEFAULT_BATCH_SIZE,
        topic_prefix: str = DEFAULT_TOPIC_PREFIX,
        max_inflight: int = 200,
        on_command: CommandSink | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.broker = parse_broker_url(broker) if isinstance(broker, str) else broker
        self.enterprise_id = enterprise_id
        self.client_id = client_id or f"zhizao-sim-{uuid.uuid4().hex[:12]}"
        self.username = username if username is not None else self.broker.username
        self.password = password if password is not None else self.broker.password
        self.device_tokens = dict(device_tokens) if device_tokens is not None else None
        self.version = version
        self.batch_size = batch_size
        self.topic_prefix = topic_prefix
        self.max_inflight = max_inflight
        self.stats = PublishStats()
        self._stack = AsyncExitStack()
        self._shared: aiomqtt.Client | None = None
        self._per_device: dict[str, aiomqtt.Client] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self.on_command = on_command
        self._listeners: list[asyncio.Task[None]] = []

    def _client(self, identifier: str, username: str | None, password: str | None) -> aiomqtt.Client:
        client = aiomqtt.Client(
            self.broker.host,
            self.broker.port,
            username=username,
            password=password,
            identifier=identifier,
            protocol=_PROTOCOLS[self.version],
            tls_context=ssl.create_default_context() if self.broker.tls else None,
            max_inflight_messages=self.max_inflight,
        )
        client.pending_calls_threshold = self.max_inflight + 1  # aiomqtt logs a warning above it; ours is bounded
        return client

    async def __aenter__(self) -> Self:
        try:
            if self.device_tokens is None:
                client = self._client(self.client_id, self.username, self.password)
                self._shared = await self._stack.enter_async_context(client)
            else:
                for code, token in self.device_tokens.items():
                    client = self._client(f"{self.client_id}-{code}", device_username(self.enterprise_id, code), token)
                    self._per_device[code] = await self._stack.enter_async_context(client)
            if self.on_command is not None:
                await self._listen_for_commands()
        except BaseException:
            await self._stop_listening()
            await self._stack.aclose()
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
        finally:
            for task in self._pending:
                task.cancel()
            self._pending.clear()
            self.stats.finished = time.monotonic()
            await self._stop_listening()
            await self._stack.aclose()

    async def _listen_for_commands(self) -> None:
        clients = [("+", self._shared)] if self._shared is not None else list(self._per_device.items())
        for code, client in clients:
            assert client is not None
            topic = command_topic(self.enterprise_id, code, prefix=self.topic_prefix)
            await client.subscribe(topic, qos=QOS)
            self._listeners.append(asyncio.create_task(self._receive(client), name=f"sim-commands-{code}"))

    async def _receive(self, client: aiomqtt.Client) -> None:
        assert self.on_command is not None
        try:
            async for message in client.messages:
                if not isinstance(message.payload, bytes | bytearray):
                    continue
                command = parse_command(
                    str(message.topic),
                    bytes(message.payload),
                    enterprise_id=self.enterprise_id,
                    prefix=self.topic_prefix,
                )
                if command is not None:
                    try:
                        self.on_command(command)
                    except Exception:  # one bad command must not stop the machines from listening
                        log.exception("applying a command to %s failed", command.device_code)
        except aiomqtt.MqttError as exc:  # the connection is gone: the publisher reports it where it publishes
            log.warning("no longer receiving commands: %s", exc)

    async def _stop_listening(self) -> None:
        for task in self._listeners:
            task.cancel()
        for task in self._listeners:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listeners.clear()

    def _for(self, device_code: str) -> aiomqtt.Client:
        if self._shared is not None:
            return self._shared
        try:
            return self._per_device[device_code]
        except KeyError:
            raise KeyError(f"no device token for {device_code}") from None

    async def publish(self, readings: Sequence[Reading]) -> int:
        """Queue readings as messages (QoS 1); waits while max_inflight messages are unacknowledged.
        Returns the number of points queued. Errors of earlier messages are raised here or by flush()."""
        messages = build_messages(
            readings, enterprise_id=self.enterprise_id, batch_size=self.batch_size, prefix=self.topic_prefix
        )
        for message in messages:
            while len(self._pending) >= self.max_inflight:
                await self._settle(asyncio.FIRST_COMPLETED)
            client = self._for(message.device_code)
            task = asyncio.create_task(client.publish(message.topic, message.payload, qos=QOS))
            self._pending.add(task)
            self.stats.messages += 1
            self.stats.points += message.points
        return sum(message.points for message in messages)

    async def flush(self) -> None:
        """Wait until every queued message is acknowledged by the broker."""
        while self._pending:
            await self._settle(asyncio.ALL_COMPLETED)

    async def _settle(self, return_when: str) -> None:
        done, _ = await asyncio.wait(self._pending, return_when=return_when)
        self._pending -= done
        for task in done:
            task.result()  # raise a failed publish


Progress = Callable[[int], None]  # called with the simulated time reached


async def publish_history(
    run: FactoryRun,
    publisher: MqttJsonPublisher,
    *,
    until_ms: int,
    chunk_ms: int = 60_000,
    rate: float | None = None,
    progress: Progress | None = None,
) -> PublishStats:
    """Step ``run`` to ``until_ms`` as fast as the broker takes it (or at ``rate`` points/s) and publish."""
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive")
    started, points, messages = time.monotonic(), 0, publisher.stats.messages
    while run.now_ms < until_ms:
        readings = run.step(min(until_ms, run.now_ms + chunk_ms))
        points += await publisher.publish(readings)
        if rate is not None:
            ahead = points / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        else:
            await asyncio.sleep(0)
        if progress is not None:
            progress(run.now_ms)
    await publisher.flush()
    return PublishStats(publisher.stats.messages - messages, points, started, time.monotonic())


async def run_realtime(
    run: FactoryRun,
    publisher: MqttJsonPublisher,
    *,
    speed: float = 1.0,
    duration_s: float | None = None,
    tick_s: float = 1.0,
    clock: Callable[[], int] | None = None,
    progress: Progress | None = None,
) -> PublishStats:
    """Step ``run`` with the wall clock, ``speed`` simulated seconds per second, publishing every ``tick_s``;
    for ``duration_s`` wall seconds, or until cancelled (then it stops publishing and drains, see
    MqttJsonPublisher).

    ``clock`` (epoch ms, e.g. the wall clock) caps the simulated time: a run started in the past fast-forwards
    at ``speed`` until it reaches the clock and then keeps pace with it. Without it, speed > 1 runs ahead of
    the wall clock (the platform refuses samples more than 5 minutes in the future)."""
    if speed <= 0 or tick_s <= 0:
        raise ValueError("speed and tick_s must be positive")
    loop = asyncio.get_running_loop()
    wall_start, sim_start, points = loop.time(), run.now_ms, 0
    started, messages = time.monotonic(), publisher.stats.messages
    while True:
        elapsed = loop.time() - wall_start
        last = duration_s is not None and elapsed >= duration_s
        if last and duration_s is not None:
            elapsed = duration_s
        target = sim_start + int(elapsed * speed * 1000)
        if clock is not None:
            target = min(target, clock())
        points += await publisher.publish(run.step(max(run.now_ms, target)))
        if progress is not None:
            progress(run.now_ms)
        if last:
            break
        next_tick = tick_s * (int(elapsed / tick_s) + 1)
        if duration_s is not None:
            next_tick = min(next_tick, duration_s)
        await asyncio.sleep(max(0.0, wall_start + next_tick - loop.time()))
    await publisher.flush()
    return PublishStats(publisher.stats.messages - messages, points, started, time.monotonic())

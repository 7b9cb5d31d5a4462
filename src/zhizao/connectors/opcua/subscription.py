"""A running OPC UA connector: one session, one subscription, every mapped node a monitored item, readings to the
sink in batches; on any loss, report, back off and start over.

- **Start-up.** Connect (security, user), create one subscription at ``publishing_interval_ms``, then the
  monitored items ``batch_size`` at a time — one CreateMonitoredItems request per batch, since a server answers
  5,000 items in one request far faster than 5,000 requests, and a bounded request stays within the server's
  message size and operation limits. An item the server refuses (an unknown node id, a node that is not a
  variable, an attribute that cannot be read) is a ``BadPoint`` in the status, with the server's reason; the
  others run. A node that later sends a bad status is reported the same way until a good value arrives again.
- **Delivery.** Data changes gather for ``delivery_interval_s`` (or ``MAX_BATCH`` readings) and go to the sink as
  one call, so 5,000 nodes at 1 Hz make a few sink calls a second, not 5,000; ``status.received`` follows each.
  A separate task makes the sink calls, so notifications keep being drained while the pipeline is slow; only
  when ``QUEUE_FACTOR`` changes per node wait does the consumer stop, and asyncua's queue then overflows into a
  reconnect rather than silently dropping values.
- **Watchdog.** asyncua's supervisor reads the server's state every ``watchdog_interval_s`` when nothing else
  happens and says when the transport closes; a subscription status change (the server timed it out) or an
  overflowing notification queue count as losses too.
- **Reconnect.** ``status.failed(reason)``, then a wait of ``reconnect_min_s`` doubling to ``reconnect_max_s``,
  each with ±20 % jitter so that connectors of one restarted server do not return all at once; then a new session
  and subscription. Its first notifications carry every node's current value, so what changed while away shows
  as of the reconnection; nothing before the outage is lost (it was delivered), and nothing after it.
- **Stop.** ``context.stop`` ends the run within ``delivery_interval_s`` or so: what was gathered is delivered,
  the session is closed, ``status.stopped()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.subscription import DataChangeEvent, OverflowPolicy, StatusChangeEvent, Subscription
from asyncua.ua.attribute_ids import AttributeIds

from zhizao.connectors.base import BadPoint, RunContext
from zhizao.connectors.opcua import client as opcua_client
from zhizao.connectors.opcua.conversions import to_reading
from zhizao.connectors.opcua.settings import MappedNode, OpcUaSettings
from zhizao.telemetry.ingest.decoding import Reading
from zhizao.telemetry.timeutil import now_us

logger = logging.getLogger(__name__)

MAX_BATCH = 5_000  # readings that make a delivery full before its interval ends
JITTER = 0.2
MIN_QUEUE = 10_000  # notifications buffered between asyncua's publish loop and us
# asyncua's queue and our buffer each hold this many changes per node (10 s of data at 1 Hz): a sink that stalls
# (the database restarting) for less than that loses nothing; beyond it the connector reconnects.
QUEUE_FACTOR = 10
# Values a server keeps per item between two publishes: changes faster than the publishing interval (or a
# server that updates in bursts) are all delivered, not only the last one.
QUEUE_SIZE = 10


class Backoff:
    """Exponential backoff with jitter: ``minimum`` doubling to ``maximum``; ``reset`` after a good session."""

    def __init__(self, minimum: float, maximum: float, rng: random.Random | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum
        self._next = minimum
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def delay(self) -> float:
        base = self._next
        self._next = min(self.maximum, self._next * 2)
        return min(self.maximum, base * self._rng.uniform(1 - JITTER, 1 + JITTER))

    def reset(self) -> None:
        self._next = self.minimum


class ConnectionLost(Exception):
    """The session ended under us; the message says how, for the status."""


def monitored_item_requests(
    nodes: Sequence[MappedNode], sampling_interval_ms: float, first_handle: int = 1
) -> list[ua.MonitoredItemCreateRequest]:
    """One request per node, its client handle ``first_handle + index`` (how notifications find their node)."""
    requests = []
    for index, node in enumerate(nodes):
        item = ua.ReadValueId()
        item.NodeId = ua.NodeId.from_string(node.node_id)
        item.AttributeId = AttributeIds.Value
        parameters = ua.MonitoringParameters()
        parameters.ClientHandle = first_handle + index
        parameters.SamplingInterval = sampling_interval_ms
        parameters.QueueSize = QUEUE_SIZE
        parameters.DiscardOldest = True
        request = ua.MonitoredItemCreateRequest()
        request.ItemToMonitor = item
        request.MonitoringMode = ua.MonitoringMode.Reporting
        request.RequestedParameters = parameters
        requests.append(request)
    return requests


def reason_of(status: ua.StatusCode) -> str:
    return f"{status.name}: {status.doc}" if getattr(status, "doc", None) else str(status.name)


async def run(settings: OpcUaSettings, context: RunContext) -> None:
    """Until ``context.stop``: connect, subscribe, deliver; on failure report, wait and start over."""
    backoff = Backoff(settings.reconnect_min_s, settings.reconnect_max_s)
    try:
        while not context.stop.is_set():
            context.status.connecting()
            session = _Session(settings, context)
            try:
                await session.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if context.stop.is_set():
                    break
                message = opcua_client.describe(exc, settings, settings.request_timeout_s)
                logger.warning("OPC UA connector %s: %s", settings.endpoint_label(), message)
                context.status.failed(message)
            if session.subscribed:
                backoff.reset()
            if context.stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(context.stop.wait(), backoff.delay())
    finally:
        context.status.stopped()


class _Session:
    """One connection's life: subscribe, then deliver until stopped (returns) or lost (raises)."""

    def __init__(self, settings: OpcUaSettings, context: RunContext) -> None:
        self.settings = settings
        self.context = context
        self.nodes = list(settings.nodes)
        self.subscribed = False
        self.create_calls = 0
        self._lost = asyncio.Event()
        self._lost_reason = "connection lost"
        self._buffer: list[Reading] = []
        self._flush_lock = asyncio.Lock()
        self._due = asyncio.Event()  # MAX_BATCH readings wait
        self._drained = asyncio.Event()  # a sink call ended
        self._buffer_limit = max(MIN_QUEUE, QUEUE_FACTOR * len(self.nodes))
        self._refused: dict[int, BadPoint] = {}  # handle → why the server refused the item
        self._bad: dict[int, BadPoint] = {}  # handle → why its last value was not stored

    async def run(self) -> None:
        client = await opcua_client.connect(self.settings, self.settings.request_timeout_s)
        client.connection_lost_callback = self._on_lost
        try:
            subscription = await self._subscribe(client)
            self.subscribed = True
            self._report()
            await self._deliver(subscription)
        finally:
            while self._buffer:
                await self._flush()
            await opcua_client.close(client)

    async def _on_lost(self, error: Exception) -> None:
        self._lost_reason = opcua_client.describe(error, self.settings, self.settings.request_timeout_s)
        self._lost.set()

    async def _subscribe(self, client: Client) -> Subscription:
        parameters = ua.CreateSubscriptionParameters()
        parameters.RequestedPublishingInterval = self.settings.publishing_interval_ms
        # Keep-alives at least every 5 s or so, and the server keeps the subscription for 10 missed ones.
        keepalive = max(1, round(5000 / self.settings.publishing_interval_ms))
        parameters.RequestedMaxKeepAliveCount = keepalive
        parameters.RequestedLifetimeCount = keepalive * 10
        parameters.MaxNotificationsPerPublish = 0  # no limit: a publish carries all that changed
        parameters.PublishingEnabled = True
        parameters.Priority = 0
        subscription = await client.create_subscription(
            parameters,
            handler=None,
            queue_maxsize=max(MIN_QUEUE, QUEUE_FACTOR * len(self.nodes)),
            # A consumer that falls that far behind reconnects rather than silently dropping values.
            overflow=OverflowPolicy.DISCONNECT,
        )
        requests = monitored_item_requests(self.nodes, float(self.settings.sampling_interval_ms))
        size = self.settings.batch_size
        for start in range(0, len(requests), size):
            if self.context.stop.is_set() or self._lost.is_set():
                break
            batch = requests[start : start + size]
            self.create_calls += 1
            results = await subscription.create_monitored_items(batch)
            for request, result in zip(batch, results, strict=True):
                if isinstance(result, ua.StatusCode):
                    handle = request.RequestedParameters.ClientHandle
                    self._refused[handle] = BadPoint(self._node(handle).node_id, reason_of(result))
        return subscription

    def _node(self, handle: int) -> MappedNode:
        return self.nodes[handle - 1]

    def _report(self) -> None:
        bad = {**self._refused, **self._bad}
        ordered = [bad[handle] for handle in sorted(bad)]
        self.context.status.connected(len(self.nodes) - len(bad), ordered)

    async def _deliver(self, subscription: Subscription) -> None:
        consumer = asyncio.create_task(self._consume(subscription), name="opcua-consume")
        flusher = asyncio.create_task(self._flush_every(), name="opcua-flush")
        stop = asyncio.create_task(self.context.stop.wait())
        lost = asyncio.create_task(self._lost.wait())
        waiting = {consumer, flusher, stop, lost}
        try:
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waiting:
                task.cancel()
            for task in waiting:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for task in (consumer, flusher):
            if task in done and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        if lost in done:
            raise ConnectionLost(self._lost_reason)
        if consumer in done:
            raise ConnectionLost("the subscription ended")

    async def _consume(self, subscription: Subscription) -> None:
        enterprise_id = self.context.enterprise_id
        async for event in subscription:
            if isinstance(event, StatusChangeEvent):
                status = event.notification.Status
                raise ConnectionLost(f"the server ended the subscription ({status.name})")
            if not isinstance(event, DataChangeEvent):
                continue
            handle = event.data.monitored_item.ClientHandle
            node = self._node(handle)
            converted = to_reading(
                event.data.monitored_item.Value,
                enterprise_id=enterprise_id,
                device_code=node.device_code,
                signal=node.signal,
                hint=node.data_type,
                received_us=now_us(),
            )
            if converted.reading is None:
                if handle not in self._bad:
                    self._bad[handle] = BadPoint(node.node_id, converted.problem or "no value")
                    self._report()
                continue
            if handle in self._bad:
                del self._bad[handle]
                self._report()
            self._buffer.append(converted.reading)
            if len(self._buffer) >= MAX_BATCH:
                self._due.set()
            while len(self._buffer) >= self._buffer_limit:  # the sink is behind: wait for it (backpressure)
                self._drained.clear()
                self._due.set()
                await self._drained.wait()

    async def _flush_every(self) -> None:
        """Deliver every ``delivery_interval_s``, or sooner when ``MAX_BATCH`` readings wait: the consumer goes on
        draining asyncua's queue meanwhile, so a slow sink call does not overflow it."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), self.settings.delivery_interval_s)
            self._due.clear()
            await self._flush()

    async def _flush(self) -> None:
        async with self._flush_lock:
            if not self._buffer:
                return
            readings, self._buffer = self._buffer[:MAX_BATCH], self._buffer[MAX_BATCH:]
            if self._buffer:
                self._due.set()
            self._drained.clear()
            try:
                await self.context.sink(readings)
            finally:
                self._drained.set()
            self.context.status.received(len(readings))

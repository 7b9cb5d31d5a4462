"""An ingest worker: MQTT source → pipeline → store, and ``run_worker``, the body of ``zhizao ingest``.

Workers are stateless and share the load through one MQTT 5 shared subscription (``$share/{group}/…``); each
keeps a persistent session under its own stable client id, so a restarted worker gets back what it had not
acknowledged. Broker settings that at-least-once relies on (Mosquitto): ``persistence true`` (sessions survive a
broker restart) and ``max_queued_messages`` high enough for what may pile up while a worker is away (the default,
1000, drops the rest).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from zhizao.connectors.mqtt_json import MqttJsonDecoder
from zhizao.db.engine import Database, create_database
from zhizao.settings import Settings
from zhizao.telemetry.ingest.decoding import Decoder, OutboundMessage, SessionAware
from zhizao.telemetry.ingest.metrics import IngestMetrics, IngestStatus
from zhizao.telemetry.ingest.mqtt_source import MqttEndpoint, MqttSource, MqttVersion, subscription_for
from zhizao.telemetry.ingest.pipeline import CommitObserver, IngestPipeline, PipelineConfig
from zhizao.telemetry.registry import Registry
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.factory import open_store

logger = logging.getLogger(__name__)


class IngestWorker:
    """One worker's parts, wired: ``start()``, then ``stop()`` (drains: commits and acknowledges what it took)."""

    def __init__(
        self,
        *,
        store: TelemetryStore,
        database: Database,
        mqtt_url: str,
        client_id: str,
        shared_group: str | None = None,
        config: PipelineConfig | None = None,
        metrics_registry: CollectorRegistry | None = None,
        decoders: Sequence[Decoder] | None = None,
        session_expiry_s: int = 86_400,
        receive_maximum: int | None = None,
        reconnect_max_s: int = 30,
        mqtt_version: MqttVersion = MqttVersion.V5,
        observers: Sequence[CommitObserver] = (),
    ) -> None:
        self.config = config or PipelineConfig()
        self.metrics = IngestMetrics(metrics_registry if metrics_registry is not None else CollectorRegistry())
        self.registry = Registry(database)
        decoders = list(decoders) if decoders is not None else [MqttJsonDecoder()]
        self.pipeline = IngestPipeline(
            store, self.registry, decoders, self.metrics, self.config, publish=self._publish, observers=observers
        )
        # A Sparkplug primary host announces itself: STATE will and birth (at most one session-aware decoder).
        self._session_aware = [d for d in decoders if isinstance(d, SessionAware)]
        will, birth = (None, None)
        if self._session_aware:
            will, birth = self._session_aware[0].session_messages(int(time.time() * 1000))
        self.source = MqttSource(
            MqttEndpoint.parse(mqtt_url),
            client_id,
            [
                subscription_for(topic_filter, shared_group if decoder.shareable else None)
                for decoder in decoders
                for topic_filter in decoder.topic_filters
            ],
            self.pipeline.submit,
            metrics=self.metrics,
            session_expiry_s=session_expiry_s,
            receive_maximum=receive_maximum or min(self.config.queue_messages, 65_535),
            reconnect_max_s=reconnect_max_s,
            version=mqtt_version,
            will=will,
            births=[birth] if birth is not None else [],
        )

    def _publish(self, message: OutboundMessage) -> None:
        self.source.publish(message)

    def start(self) -> None:
        self.pipeline.start()
        self.source.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Commit and acknowledge what was taken, then disconnect keeping the session. False when the store could
        not take everything within ``timeout`` (that part stays unacknowledged and is redelivered)."""
        drained = self.pipeline.close(timeout)
        farewells = [message for d in self._session_aware if (message := d.farewell()) is not None]
        self.source.stop(farewells)
        if not drained:
            logger.warning("stopped with messages not committed; the broker will deliver them again")
        return drained

    def status(self) -> IngestStatus:
        return self.pipeline.status()


YOUNG_COLLECTION_ALLOCATIONS = 200_000  # Python's default: 700


def collect_garbage_less() -> None:
    """For a process that runs an ingest worker and little else (``zhizao ingest``, the benchmark's workers).

    A worker allocates a few tuples per sample and holds a batch of them (a list of 20,000) until its commit; at
    Python's default thresholds the collector ran dozens of times a batch and walked those lists each time, which
    cost as much as decoding (in a ``py-spy`` profile of a running worker it still took a tenth of the worker's time
    at 10,000 allocations; docs/benchmarks.md has the end-to-end figures). The objects alive now (modules, the
    ORM's registries) are moved out of its reach, and young objects are collected every 200,000 allocations, about
    once per two batches."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, 10, 10)


async def run_worker(
    settings: Settings,
    mqtt_url: str,
    shared_group: str | None,
    client_id: str,
    *,
    stop: asyncio.Event | None = None,
    config: PipelineConfig | None = None,
    metrics_registry: CollectorRegistry | None = None,
    metrics_port: int | None = None,
    metrics_addr: str = "127.0.0.1",
    session_expiry_s: int = 86_400,
    mqtt_version: MqttVersion = MqttVersion.V5,
    decoders: Sequence[Decoder] | None = None,
    drain_timeout_s: float = 30.0,
    on_started: Callable[[IngestWorker], None] | None = None,
    observers: Callable[[Database], Sequence[CommitObserver]] | None = None,
) -> IngestStatus:
    """Run one ingest worker until ``stop`` is set (or the task is cancelled); returns its final status.

        ``shared_group`` None subscribes to the plain filter (one worker); a name subscribes to
        ``$share/{shared_group}/zhizao/v1/+/+/data`` so that several workers split the messages (decoders that are
        not ``shareable``, such as Sparkplug's, always subscribe plainly). ``metrics_port``
        serves the worker's Prometheus metrics over HTTP. ``decoders`` default to MQTT JSON alone; a Sparkplug decoder
        is added beside it (each subscribes to its own topic filters). ``observers`` builds, on the worker's database,
    what is told of each commit (the alarm evaluator)."""
    database = create_database(settings)
    store = open_store(database)
    registry = metrics_registry if metrics_registry is not None else CollectorRegistry()
    worker = IngestWorker(
        store=store,
        database=database,
        mqtt_url=mqtt_url,
        client_id=client_id,
        shared_group=shared_group,
        config=config,
        metrics_registry=registry,
        session_expiry_s=session_expiry_s,
        mqtt_version=mqtt_version,
        decoders=decoders,
        observers=observers(database) if observers is not None else (),
    )
    server: Any = None
    try:
        if metrics_port is not None:
            server, _thread = start_http_server(metrics_port, metrics_addr, registry=registry)
        worker.start()
        if on_started is not None:
            on_started(worker)
        await (stop or asyncio.Event()).wait()
    finally:
        try:
            await asyncio.to_thread(worker.stop, drain_timeout_s)
        finally:
            if server is not None:
                server.shutdown()
                server.server_close()
            store.close()
            database.dispose()
    return worker.status()

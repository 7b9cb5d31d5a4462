"""Prometheus metrics of ingest (in a registry passed in, never the global one) and the ``IngestStatus`` snapshot."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True, slots=True)
class IngestStatus:
    """What a status page shows about one ingest worker (or the HTTP ingest of one web process)."""

    started_at: datetime
    client_id: str | None = None
    subscription: str | None = None
    connected: bool = False
    connections: int = 0  # successful (re)connections to the broker
    messages_received: int = 0
    samples_stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    rejected: Mapping[str, int] = field(default_factory=dict)
    batches: int = 0
    store_retries: int = 0
    queue_depth: int = 0
    queue_bytes: int = 0
    last_commit_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


class IngestMetrics:
    """Counters kept twice: as Prometheus metrics and as plain tallies for ``status()``."""

    def __init__(self, registry: CollectorRegistry, *, prefix: str = "zhizao_ingest") -> None:
        self.messages_received = Counter(
            f"{prefix}_messages_received", "Messages received, by protocol", ["source"], registry=registry
        )
        self.samples_stored = Counter(f"{prefix}_samples_stored", "New samples committed", registry=registry)
        self.duplicates = Counter(
            f"{prefix}_duplicates", "Samples already stored (replays) and repeats within a batch", registry=registry
        )
        self.rejected = Counter(
            f"{prefix}_rejected", "Rejected messages or samples, by reason", ["reason"], registry=registry
        )
        self.dead_letters = Counter(f"{prefix}_dead_letters", "Dead-letter rows committed", registry=registry)
        self.batches = Counter(f"{prefix}_batches", "Batches committed", registry=registry)
        self.store_retries = Counter(f"{prefix}_store_retries", "Failed store writes, retried", registry=registry)
        self.queue_depth = Gauge(f"{prefix}_queue_depth", "Messages waiting in the ingest queue", registry=registry)
        self.connected = Gauge(f"{prefix}_connected", "1 while connected to the MQTT broker", registry=registry)
        self.lag = Histogram(
            f"{prefix}_lag_seconds",
            "From a message's newest sample timestamp to the commit of its samples",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.write_seconds = Histogram(
            f"{prefix}_write_seconds",
            "Duration of one successful store write",
            buckets=WRITE_BUCKETS,
            registry=registry,
        )
        self._lock = threading.Lock()
        self._started_at = datetime.now(UTC)
        self._tally: dict[str, int] = {}
        self._rejected: dict[str, int] = {}
        self._connected = False
        self._last_commit_at: datetime | None = None
        self._last_error: tuple[str, datetime] | None = None
        self._queue = (0, 0)
        self._identity: tuple[str | None, str | None] = (None, None)

    def _add(self, name: str, amount: int) -> None:
        self._tally[name] = self._tally.get(name, 0) + amount

    def received(self, source: str) -> None:
        self.messages_received.labels(source).inc()
        with self._lock:
            self._add("messages_received", 1)

    def reject(self, reason: str, count: int = 1) -> None:
        self.rejected.labels(reason).inc(count)
        with self._lock:
            self._rejected[reason] = self._rejected.get(reason, 0) + count

    def committed(self, *, inserted: int, duplicates: int, dead_letters: int, seconds: float) -> None:
        self.samples_stored.inc(inserted)
        self.duplicates.inc(duplicates)
        self.dead_letters.inc(dead_letters)
        self.batches.inc()
        self.write_seconds.observe(seconds)
        with self._lock:
            self._add("samples_stored", inserted)
            self._add("duplicates", duplicates)
            self._add("dead_letters", dead_letters)
            self._add("batches", 1)
            self._last_commit_at = datetime.now(UTC)

    def retry(self, error: BaseException) -> None:
        self.store_retries.inc()
        with self._lock:
            self._add("store_retries", 1)
        self.error(error)

    def error(self, error: BaseException) -> None:
        with self._lock:
            self._last_error = (f"{type(error).__name__}: {error}"[:500], datetime.now(UTC))

    def queue(self, depth: int, size_bytes: int) -> None:
        self.queue_depth.set(depth)
        self._queue = (depth, size_bytes)

    def connection(self, connected: bool) -> None:
        self.connected.set(1 if connected else 0)
        with self._lock:
            if connected and not self._connected:
                self._add("connections", 1)
            self._connected = connected

    def identify(self, client_id: str | None, subscription: str | None) -> None:
        self._identity = (client_id, subscription)

    def status(self) -> IngestStatus:
        with self._lock:
            tally = dict(self._tally)
            error = self._last_error
            return IngestStatus(
                started_at=self._started_at,
                client_id=self._identity[0],
                subscription=self._identity[1],
                connected=self._connected,
                connections=tally.get("connections", 0),
                messages_received=tally.get("messages_received", 0),
                samples_stored=tally.get("samples_stored", 0),
                duplicates=tally.get("duplicates", 0),
                dead_letters=tally.get("dead_letters", 0),
                rejected=dict(self._rejected),
                batches=tally.get("batches", 0),
                store_retries=tally.get("store_retries", 0),
                queue_depth=self._queue[0],
                queue_bytes=self._queue[1],
                last_commit_at=self._last_commit_at,
                last_error=error[0] if error else None,
                last_error_at=error[1] if error else None,
            )

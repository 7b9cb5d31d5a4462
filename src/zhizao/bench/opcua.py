"""``zhizao bench opcua``: an OPC UA subscription of thousands of nodes through the connector and the real ingest
pipeline into the real store.

One run:

1. a fresh, migrated database (SQLite file in a temporary directory, or a throwaway PostgreSQL database) with one
   enterprise, one device and ``nodes`` float signals (``bench.seed``);
2. the simulator's OPC UA server in a process of its own (``python -m zhizao.simulator.opcua_server``), serving
   ``nodes`` variables that all change ``rate_hz`` times a second, each stamped with its source time;
3. in this process: the OPC UA driver (``DRIVER.run``) subscribed to every node (monitored items created
   ``batch_size`` at a time), its sink submitting each batch of readings to an ``IngestPipeline`` (as the
   connector runtime does: ``InboundMessage.decoded``, from a thread since ``submit`` blocks when full), which
   resolves, batches and commits them to the store;
4. measured: start-up (connect to every item monitored), then for ``duration_s`` the samples whose source time
   lies in the window and that were committed (against ``nodes × rate_hz × duration_s`` offered), lag from source
   timestamp to commit (p50, p99, seen by a commit observer), CPU seconds of this process (connector + pipeline +
   store client) and of the server process, peak RSS of both.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry

from zhizao import migrations
from zhizao.bench import infra
from zhizao.bench.infra import BenchError
from zhizao.bench.seed import seed_tenant
from zhizao.connectors.base import ConnectionState, RunContext, StatusBoard
from zhizao.connectors.opcua.driver import DRIVER
from zhizao.connectors.opcua.settings import MappedNode, OpcUaSettings
from zhizao.db.engine import create_database
from zhizao.settings import load_settings
from zhizao.simulator.opcua_server import bulk_node_id
from zhizao.telemetry.ingest.decoding import DecodedMessage, Reading
from zhizao.telemetry.ingest.metrics import IngestMetrics
from zhizao.telemetry.ingest.pipeline import InboundMessage, IngestPipeline, PipelineConfig
from zhizao.telemetry.kinds import DataType, Protocol
from zhizao.telemetry.registry import Registry
from zhizao.telemetry.store.base import Point, TextPoint
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import now_us

BACKENDS = ("sqlite", "postgresql")
STARTUP_TIMEOUT_S = 120.0
DRAIN_QUIET_S = 3.0
DRAIN_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class OpcUaBenchOptions:
    nodes: int = 5000
    rate_hz: float = 1.0
    duration_s: float = 30.0
    backend: str = "sqlite"
    database_url: str | None = None  # a PostgreSQL server for the throwaway database (postgresql backend)
    batch_size: int = 1000  # monitored items per CreateMonitoredItems request
    publishing_interval_ms: int = 500

    def check(self) -> None:
        if self.backend not in BACKENDS:
            raise BenchError(f"backend is one of {', '.join(BACKENDS)}")
        if not 1 <= self.nodes <= 50_000:
            raise BenchError("nodes must be 1 to 50,000")
        if not 0 < self.rate_hz <= 20:
            raise BenchError("rate must be above 0 and at most 20 changes a second")
        if self.duration_s < 1:
            raise BenchError("duration must be at least 1 s")


@dataclass(slots=True)
class OpcUaBenchResult:
    backend: str
    database: str
    machine: str
    nodes: int
    subscribed: int
    rate_hz: float
    duration_s: float
    startup_s: float  # connect → every monitored item created
    samples_stored: int  # committed, with a source time inside the window
    expected_samples: int
    stored_per_s: float
    delivery_ratio: float
    lag_p50_s: float | None
    lag_p99_s: float | None
    sink_calls: int
    cpu_s: dict[str, float]
    peak_rss: dict[str, int | None]
    bad_points: int
    notes: list[str] = field(default_factory=list)


class _Commits:
    """A commit observer: samples committed with a source time in the window, and their lag to the commit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.window: tuple[int, int] | None = None
        self.in_window = 0
        self.lags_us: list[int] = []

    def committed(self, points: Sequence[Point], texts: Sequence[TextPoint]) -> None:
        at = now_us()
        with self._lock:
            if self.window is None:
                return
            start, end = self.window
            for point in points:
                if start <= point.ts_us < end:
                    self.in_window += 1
                    self.lags_us.append(at - point.ts_us)


def _quantile(values: list[int], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6


@contextlib.contextmanager
def _database(options: OpcUaBenchOptions, directory: Path) -> Iterator[tuple[str, str]]:
    if options.backend == "sqlite":
        yield f"sqlite:///{directory / 'zhizao.db'}", f"SQLite {sqlite3.sqlite_version}"
        return
    with infra.postgres_server(options.database_url) as (server, origin), infra.throwaway_database(server) as url:
        yield url, f"PostgreSQL {infra.postgres_version(url)} ({origin})"


async def _start_server(port: int, options: OpcUaBenchOptions) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "zhizao.simulator.opcua_server",
        "--port",
        str(port),
        "--bulk",
        str(options.nodes),
        "--rate",
        str(options.rate_hz),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT_S)
    if not line.startswith(b"ready"):
        process.kill()
        raise BenchError(f"the OPC UA server did not start (code {await process.wait()})")
    return process


def run_opcua_sync(options: OpcUaBenchOptions) -> OpcUaBenchResult:
    return asyncio.run(run_opcua(options))


async def run_opcua(options: OpcUaBenchOptions) -> OpcUaBenchResult:
    options.check()
    with tempfile.TemporaryDirectory(prefix="zhizao-bench-opcua-") as temporary:
        directory = Path(temporary)
        with _database(options, directory) as (url, described):
            database = create_database(load_settings(database_url=url, data_dir=directory))
            try:
                migrations.upgrade(database.engine)
                tenant = await asyncio.to_thread(seed_tenant, database, 1, options.nodes)
                store = open_store(database)
                store.prepare(now_us())
                commits = _Commits()
                pipeline = IngestPipeline(
                    store,
                    Registry(database),
                    decoders=[],
                    metrics=IngestMetrics(CollectorRegistry()),
                    config=PipelineConfig(),
                    observers=[commits],
                )
                pipeline.start()
                try:
                    result = await _measure(
                        options, tenant.enterprise_id, tenant.device_codes[0], tenant.signal_names, pipeline, commits
                    )
                finally:
                    pipeline.close()
                    store.close()
                result.database = described
                return result
            finally:
                database.dispose()


async def _measure(
    options: OpcUaBenchOptions,
    enterprise_id: int,
    device_code: str,
    signals: Sequence[str],
    pipeline: IngestPipeline,
    commits: _Commits,
) -> OpcUaBenchResult:
    port = infra.free_port()
    server = await _start_server(port, options)
    try:
        nodes = [
            MappedNode(node_id=bulk_node_id(i), device_code=device_code, signal=signals[i], data_type=DataType.FLOAT)
            for i in range(options.nodes)
        ]
        settings = OpcUaSettings(
            endpoint_url=f"opc.tcp://127.0.0.1:{port}/zhizao/simulator",
            nodes=tuple(nodes),
            batch_size=options.batch_size,
            publishing_interval_ms=options.publishing_interval_ms,
            sampling_interval_ms=0,
            request_timeout_s=30.0,
        )
        sink_calls = 0

        async def sink(readings: Sequence[Reading]) -> None:
            nonlocal sink_calls
            sink_calls += 1
            message = InboundMessage(
                topic="opcua://bench",
                payload=b"",
                received_at_us=now_us(),
                ack=lambda: None,
                decoded=DecodedMessage(readings=readings),
                source=Protocol.OPCUA,
            )
            if not await asyncio.to_thread(pipeline.submit, message):
                raise BenchError("the pipeline closed")

        status = StatusBoard()
        context = RunContext(enterprise_id, sink, status, asyncio.Event())
        started = time.monotonic()
        task = asyncio.create_task(DRIVER.run(settings, context))
        while status.snapshot().state not in (ConnectionState.CONNECTED, ConnectionState.DEGRADED):
            if task.done() or time.monotonic() - started > STARTUP_TIMEOUT_S:
                raise BenchError(f"the connector did not subscribe: {status.snapshot().last_error}")
            await asyncio.sleep(0.01)
        startup = time.monotonic() - started
        await asyncio.sleep(2.0)  # past the initial values, into the steady state
        me, server_pid = os.getpid(), server.pid
        cpu_before = (infra.cpu_seconds(me), infra.cpu_seconds(server_pid))
        window_start = now_us()
        commits.window = (window_start, window_start + round(options.duration_s * 1e6))
        await asyncio.sleep(options.duration_s)
        cpu_after = (infra.cpu_seconds(me), infra.cpu_seconds(server_pid))
        # What the window sampled reaches the store: wait until nothing more of it arrives for DRAIN_QUIET_S.
        seen, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() - quiet_since < DRAIN_QUIET_S and time.monotonic() < deadline:
            if commits.in_window != seen:
                seen, quiet_since = commits.in_window, time.monotonic()
            await asyncio.sleep(0.1)
        context.stop.set()
        await asyncio.wait_for(task, 30)
        rss = {"connector + pipeline": infra.peak_rss_bytes(me), "OPC UA server": infra.peak_rss_bytes(server_pid)}
    finally:
        if server.returncode is None:
            server.terminate()
            await server.wait()
    expected = round(options.nodes * options.rate_hz * options.duration_s)
    snapshot = status.snapshot()
    cpu = {
        name: after - before
        for name, before, after in (
            ("connector + pipeline", cpu_before[0], cpu_after[0]),
            ("OPC UA server", cpu_before[1], cpu_after[1]),
        )
        if before is not None and after is not None
    }
    notes = []
    if snapshot.reconnects:
        notes.append(f"the connector reconnected {snapshot.reconnects} times: {snapshot.last_error}")
    return OpcUaBenchResult(
        backend=options.backend,
        database="",
        machine=infra.machine().describe(),
        nodes=options.nodes,
        subscribed=snapshot.points_ok,
        rate_hz=options.rate_hz,
        duration_s=options.duration_s,
        startup_s=startup,
        samples_stored=commits.in_window,
        expected_samples=expected,
        stored_per_s=commits.in_window / options.duration_s,
        delivery_ratio=commits.in_window / expected if expected else 0.0,
        lag_p50_s=_quantile(commits.lags_us, 0.5),
        lag_p99_s=_quantile(commits.lags_us, 0.99),
        sink_calls=sink_calls,
        cpu_s=cpu,
        peak_rss=rss,
        bad_points=len(snapshot.bad_points),
        notes=notes,
    )


def describe(result: OpcUaBenchResult) -> list[str]:
    """The result as lines for a terminal or docs/benchmarks.md."""

    def seconds(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 1000:.0f} ms"

    lines = [
        f"OPC UA → ingest → {result.database} on {result.machine}",
        f"{result.nodes:,} nodes at {result.rate_hz:g} Hz, {result.subscribed:,} subscribed "
        f"in {result.startup_s:.1f} s",
        f"stored {result.samples_stored:,} of {result.expected_samples:,} samples in {result.duration_s:g} s "
        f"({result.stored_per_s:,.0f}/s, delivery {result.delivery_ratio:.1%}), {result.sink_calls:,} sink calls",
        f"lag source → commit: p50 {seconds(result.lag_p50_s)}, p99 {seconds(result.lag_p99_s)}",
        "CPU s: " + ", ".join(f"{name} {value:.1f}" for name, value in result.cpu_s.items()),
        "peak RSS: "
        + ", ".join(f"{name} {value / 2**20:.0f} MiB" for name, value in result.peak_rss.items() if value is not None),
    ]
    return lines + result.notes

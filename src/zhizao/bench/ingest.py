"""``zhizao bench ingest``: publishers → Mosquitto → N ingest workers → store, against the raw ceiling.

One run per backend:

1. a fresh, migrated database (PostgreSQL: a throwaway database on a server; SQLite: a file in a temporary
   directory) with one enterprise of ``devices`` × ``signals`` float signals;
2. ``workers`` processes of ``python -m zhizao.telemetry.ingest.runner`` (each its own GIL), sharing one MQTT 5
   shared subscription when there are several, each serving its Prometheus metrics on a port of its own;
3. ``publishers`` processes of ``python -m zhizao.bench.publisher`` sending ``points`` samples in messages of
   ``batch_size``, flat out or at ``rate`` points/s, each message stamped with its publish time;
4. the workers' metrics are scraped until every point is committed: sustained rate = points committed after the
   first commit was seen / (last commit − that moment); also points / (last commit − publish start); lag p50/p99
   from the workers' merged lag histograms (newest sample of a message → its commit); peak RSS from ``VmHWM``;
   CPU seconds per process (workers, publishers, Mosquitto, the PostgreSQL backends) over the run;
5. the database must then hold exactly ``points`` samples, each counted once in the minute roll-ups;
6. the ceiling, in the same run: the same points, in transactions of the size the pipeline committed, into one
   fresh table shaped like ``sample`` (primary key (signal_id, ts); PostgreSQL: WAL-logged, not partitioned) by
   binary COPY (SQLite: ``executemany``) — the statements of ``PostgresStore.bulk_copy_raw`` and
   ``SqliteStore.bulk_insert_raw``, which take one transaction per call into a table of their own and so cannot
   show how the index grows over many batches; the ratio is the sustained rate over this rate. The same points in
   one transaction through those helpers are reported beside it. A checkpoint precedes the pipeline and each
   ceiling, so that neither pays for the other's WAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import psycopg
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from zhizao import migrations
from zhizao.bench import infra
from zhizao.bench.infra import BenchError
from zhizao.bench.publisher import ticks_per_message
from zhizao.bench.report import fraction_within, histogram_quantile, merge_buckets
from zhizao.bench.seed import Tenant, seed_tenant
from zhizao.db.engine import Database, create_database
from zhizao.settings import load_settings
from zhizao.telemetry.ingest.mqtt_source import MqttEndpoint
from zhizao.telemetry.ingest.pipeline import PipelineConfig
from zhizao.telemetry.store.base import Point
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.store.pgcopy import copy_points
from zhizao.telemetry.store.postgres import PostgresStore
from zhizao.telemetry.store.sqlite import SqliteStore
from zhizao.telemetry.tables import rollup_minute, sample
from zhizao.telemetry.timeutil import now_us

BACKENDS = ("postgresql", "sqlite")
METRICS = "zhizao_ingest"
LAG_TARGET_S = 1.0
PROGRESS_INTERVAL_S = 0.1
_PIPELINE = PipelineConfig()  # the pipeline's defaults


@dataclass(frozen=True, slots=True)
class IngestOptions:
    backend: str = "postgresql"
    points: int = 3_000_000
    # 2: one per core. On SQLite too: their writes take turns on the file's lock, and one worker decodes while
    # the other writes (one worker keeps one core busy: its decoding and writing share one interpreter lock).
    workers: int = 2
    devices: int = 100
    signals: int = 20
    batch_size: int = 100  # samples per MQTT message
    write_batch: int = _PIPELINE.batch_points  # samples per store write (PipelineConfig.batch_points)
    batch_ms: int = round(_PIPELINE.batch_interval_s * 1000)  # the longest a batch stays open
    rate: float | None = None  # points/s over all publishers; None: flat out
    publishers: int = 1
    window: int = 100  # messages a publisher leaves unacknowledged at most
    mqtt_url: str | None = None  # None: a Mosquitto of the benchmark's own
    mqtt_persistence: bool = True
    database_url: str | None = None  # a PostgreSQL server the throwaway database is created on
    ceiling: bool = True
    stall_timeout_s: float = 60.0

    @property
    def messages(self) -> int:
        return self.points // self.batch_size

    def check(self) -> None:
        if self.backend not in BACKENDS:
            raise BenchError(f"backend is one of {', '.join(BACKENDS)}")
        for name in ("points", "devices", "signals", "batch_size", "write_batch", "batch_ms", "publishers", "window"):
            if getattr(self, name) < 1:
                raise BenchError(f"{name.replace('_', '-')} must be at least 1")
        if self.workers < 1:
            raise BenchError("workers must be at least 1")
        if self.publishers > self.devices:
            raise BenchError("no more publishers than devices (each publishes the devices it owns)")
        if self.rate is not None and self.rate <= 0:
            raise BenchError("rate must be positive")
        if self.batch_size > 10_000:
            raise BenchError("batch-size: MQTT JSON takes at most 10,000 samples a message")
        if self.points % self.batch_size:
            raise BenchError(f"points must be a whole number of messages of {self.batch_size} (batch-size)")


@dataclass(slots=True)
class IngestResult:
    backend: str
    database: str
    broker: str
    machine: str
    workers: int
    publishers: int
    points: int
    messages: int
    batch_size: int
    write_batch: int
    devices: int
    signals: int
    rate_target: float | None
    sustained_pps: float
    from_publish_pps: float
    publish_pps: float
    duration_s: float
    lag_p50_s: float | None
    lag_p99_s: float | None
    lag_within_1s: float | None
    lag_observations: int
    batches: int
    mean_batch_points: float
    mean_write_s: float | None
    duplicates: int
    dead_letters: int
    stored: int
    rolled_up: int
    worker_peak_rss: list[int | None]
    broker_peak_rss: int | None
    cpu_s: dict[str, float]
    system_busy_s: float | None
    load_before: float | None
    ceiling_method: str | None = None
    ceiling_s: float | None = None
    ceiling_pps: float | None = None
    ceiling_single_pps: float | None = None  # all points in one transaction
    ratio: float | None = None
    notes: list[str] = field(default_factory=list)


# -- worker processes -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Child:
    name: str
    process: asyncio.subprocess.Process
    metrics_port: int | None = None
    log: Path | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    async def event(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            where = f"; see {self.log}" if self.log else ""
            raise BenchError(f"{self.name} exited (code {await self.process.wait()}){where}")
        event: dict[str, Any] = json.loads(line)
        return event

    async def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def stop(self) -> dict[str, Any] | None:
        """SIGTERM, then its last event (a worker's final status); None if it had exited."""
        if self.process.returncode is not None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            return await self.event(60)
        except (BenchError, TimeoutError, json.JSONDecodeError):
            return None
        finally:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 30)

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@contextlib.asynccontextmanager
async def _children() -> AsyncIterator[list[_Child]]:
    started: list[_Child] = []
    try:
        yield started
    finally:
        for child in started:
            with contextlib.suppress(ProcessLookupError):
                await child.kill()


async def _spawn(name: str, args: Sequence[str], log: Path, *, stdin: bool = False) -> _Child:
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    return _Child(name, process, log=log)


# -- metrics ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scrape:
    stored: float = 0.0
    batches: float = 0.0
    duplicates: float = 0.0
    dead_letters: float = 0.0
    rejected: float = 0.0
    write_sum: float = 0.0
    write_count: float = 0.0
    lag: dict[float, float] = field(default_factory=dict)


def _scrape(port: int) -> _Scrape:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        body = response.read().decode()
    found = _Scrape()
    for family in text_string_to_metric_families(body):
        for sample_ in family.samples:
            name, labels, value = sample_.name, sample_.labels, float(sample_.value)
            if name == f"{METRICS}_samples_stored_total":
                found.stored += value
            elif name == f"{METRICS}_batches_total":
                found.batches += value
            elif name == f"{METRICS}_duplicates_total":
                found.duplicates += value
            elif name == f"{METRICS}_dead_letters_total":
                found.dead_letters += value
            elif name == f"{METRICS}_rejected_total":
                found.rejected += value
            elif name == f"{METRICS}_write_seconds_sum":
                found.write_sum += value
            elif name == f"{METRICS}_write_seconds_count":
                found.write_count += value
            elif name == f"{METRICS}_lag_seconds_bucket":
                found.lag[float(labels["le"])] = value
    return found


def _scrape_all(ports: Sequence[int]) -> list[_Scrape]:
    return [_scrape(port) for port in ports]


# -- the ceiling -----------------------------------------------------------------------------------------------------


def pipeline_points(tenant: Tenant, points: int, batch_size: int, start_us: int) -> Iterator[Point]:
    """The points the publishers send, in the order they send them: message ``m`` is device ``m % devices``'s next
    ``ticks_per_message`` ticks, 1 ms apart; sample ``i`` of a message is signal ``i % signals`` at tick ``i //
    signals``."""
    devices = len(tenant.signal_ids)
    signals = len(tenant.signal_names)
    ticks = ticks_per_message(batch_size, signals)
    sent = 0
    message = 0
    while sent < points:
        device = message % devices
        first_tick = (message // devices) * ticks
        ids = tenant.signal_ids[device]
        for i in range(min(batch_size, points - sent)):
            yield Point(ids[i % signals], start_us + (first_tick + i // signals) * 1000, (i % 997) * 0.5)
        sent += min(batch_size, points - sent)
        message += 1


def _chunks(points: Iterator[Point], size: int) -> Iterator[list[Point]]:
    chunk: list[Point] = []
    for point in points:
        chunk.append(point)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True, slots=True)
class Ceiling:
    method: str
    seconds: float  # the points in transactions of the pipeline's batch size, into one table
    single_seconds: float  # the same points in one transaction, through the store's own helper


_CEILING_TABLE = (
    "CREATE TABLE bench_ceiling (signal_id {int4} NOT NULL, ts {int8} NOT NULL, value {float8} NOT NULL, "
    "CONSTRAINT pk_bench_ceiling PRIMARY KEY (signal_id, ts)){suffix}"
)


def _copy_in_batches(database: Database, chunks: Sequence[Sequence[Point]]) -> float:
    """Binary COPY of each chunk into one table shaped like ``sample`` (logged, primary key), a commit per chunk."""
    with database.engine.connect() as connection:
        db = cast(psycopg.Connection[Any], connection.connection.driver_connection)
        db.execute("DROP TABLE IF EXISTS bench_ceiling")
        db.execute(_CEILING_TABLE.format(int4="int4", int8="int8", float8="float8", suffix=""))
        db.commit()
        elapsed = 0.0
        for chunk in chunks:
            started = time.perf_counter()
            with db.cursor() as cursor, cursor.copy("COPY bench_ceiling FROM STDIN (FORMAT BINARY)") as copy:
                copy_points(copy, chunk)  # the pipeline's own COPY encoding
            db.commit()
            elapsed += time.perf_counter() - started
        db.execute("DROP TABLE bench_ceiling")
        db.commit()
    return elapsed


def _insert_in_batches(database: Database, chunks: Sequence[Sequence[Point]]) -> float:
    """``executemany`` of each chunk into one table shaped like ``sample`` (WITHOUT ROWID), a commit per chunk."""
    with database.engine.connect() as connection:
        db = cast(sqlite3.Connection, connection.connection.driver_connection)
        db.execute("DROP TABLE IF EXISTS main.bench_ceiling")
        db.execute(_CEILING_TABLE.format(int4="INTEGER", int8="INTEGER", float8="REAL", suffix=" WITHOUT ROWID"))
        db.commit()
        elapsed = 0.0
        for chunk in chunks:
            started = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO main.bench_ceiling (signal_id, ts, value) VALUES (?, ?, ?)", chunk)
            db.commit()
            elapsed += time.perf_counter() - started
        db.execute("DROP TABLE main.bench_ceiling")
        db.commit()
    return elapsed


def checkpoint(database: Database) -> None:
    """Start from a clean slate: write out what the last run left in the WAL (where the server lets us)."""
    with database.engine.connect() as connection:
        if database.is_sqlite:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        with contextlib.suppress(DBAPIError):  # CHECKPOINT needs superuser or pg_checkpoint
            connection.exec_driver_sql("CHECKPOINT")


def measure_ceiling(database: Database, tenant: Tenant, points: int, batch_size: int, chunk: int) -> Ceiling:
    """The time to write the pipeline's ``points`` through the backend's raw bulk path into a fresh table shaped
    like ``sample``: ``chunk`` points a transaction, and all of them in one (``bulk_copy_raw`` / ``bulk_insert_raw``).
    """
    store = open_store(database)
    everything = list(pipeline_points(tenant, points, batch_size, now_us()))
    chunks = list(_chunks(iter(everything), chunk))
    checkpoint(database)
    if isinstance(store, PostgresStore):
        batched = _copy_in_batches(database, chunks)
        checkpoint(database)
        return Ceiling(
            f"binary COPY into one logged table with the primary key, {chunk:,} points a transaction",
            batched,
            store.bulk_copy_raw(everything, unlogged=False),
        )
    if isinstance(store, SqliteStore):
        batched = _insert_in_batches(database, chunks)
        checkpoint(database)
        return Ceiling(
            f"executemany into one WITHOUT ROWID table with the primary key, {chunk:,} points a transaction",
            batched,
            store.bulk_insert_raw(everything),
        )
    raise BenchError(f"no raw ceiling for {type(store).__name__}")


# -- the run ---------------------------------------------------------------------------------------------------------

Progress = Callable[[int, int], None]  # (points committed, points in all)


def _counts(database: Database) -> tuple[int, int]:
    with database.engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(sample)) or 0
        rolled = connection.scalar(select(func.coalesce(func.sum(rollup_minute.c.count), 0))) or 0
    return int(stored), int(rolled)


def _cpu_by_pid(pids: Mapping[str, Sequence[int]]) -> dict[int, float]:
    """CPU seconds used so far by each process named in ``pids`` (one that cannot be read is left out)."""
    return {pid: seconds for group in pids.values() for pid in group if (seconds := infra.cpu_seconds(pid)) is not None}


@contextlib.contextmanager
def _database_for(options: IngestOptions, directory: Path) -> Iterator[tuple[str, str]]:
    """(URL, description) of a fresh database for ``options.backend``."""
    if options.backend == "sqlite":
        yield f"sqlite:///{directory / 'zhizao.db'}", f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
        return
    with infra.postgres_server(options.database_url) as (server, origin), infra.throwaway_database(server) as url:
        yield url, f"PostgreSQL {infra.postgres_version(url)} ({origin})"


@contextlib.contextmanager
def _broker(options: IngestOptions, directory: Path) -> Iterator[tuple[str, infra.Mosquitto | None]]:
    if options.mqtt_url:
        yield options.mqtt_url, None
        return
    with infra.Mosquitto(directory / "mosquitto", persistence=options.mqtt_persistence) as broker:
        yield broker.url, broker


def run_ingest(options: IngestOptions, progress: Progress | None = None) -> IngestResult:
    options.check()
    with tempfile.TemporaryDirectory(prefix="zhizao-bench-") as temporary:
        directory = Path(temporary)
        with _database_for(options, directory) as (url, described), _broker(options, directory) as (mqtt, broker):
            settings = load_settings(database_url=url, data_dir=directory)
            database = create_database(settings)
            try:
                migrations.upgrade(database.engine)
                tenant = seed_tenant(database, options.devices, options.signals)
                checkpoint(database)
                result = asyncio.run(_run(options, url, directory, mqtt, broker, database, tenant, described, progress))
                if options.ceiling:
                    ceiling = measure_ceiling(
                        database, tenant, options.points, options.batch_size, max(1, round(result.mean_batch_points))
                    )
                    result.ceiling_method = ceiling.method
                    result.ceiling_s = ceiling.seconds
                    result.ceiling_pps = options.points / ceiling.seconds if ceiling.seconds > 0 else None
                    result.ceiling_single_pps = (
                        options.points / ceiling.single_seconds if ceiling.single_seconds > 0 else None
                    )
                    result.ratio = result.sustained_pps / result.ceiling_pps if result.ceiling_pps else None
                return result
            finally:
                database.dispose()


async def _run(
    options: IngestOptions,
    url: str,
    directory: Path,
    mqtt: str,
    broker: infra.Mosquitto | None,
    database: Database,
    tenant: Tenant,
    described: str,
    progress: Progress | None,
) -> IngestResult:
    run_id = uuid.uuid4().hex[:8]
    workers = options.workers
    shared = ["--shared-group", f"bench{run_id}"] if workers > 1 else []
    async with _children() as children:
        worker_children = []
        for index in range(workers):
            port = infra.free_port()
            child = await _spawn(
                f"worker {index}",
                [
                    "-m",
                    "zhizao.telemetry.ingest.runner",
                    "--database-url",
                    url,
                    "--data-dir",
                    str(directory),
                    "--mqtt-url",
                    mqtt,
                    "--client-id",
                    f"bench-{run_id}-w{index}",
                    *shared,
                    "--batch-points",
                    str(options.write_batch),
                    "--batch-ms",
                    str(options.batch_ms),
                    "--metrics-port",
                    str(port),
                    "--session-expiry",
                    "300",
                    "--log-level",
                    "WARNING",
                ],
                directory / f"worker-{index}.log",
            )
            child.metrics_port = port
            children.append(child)
            worker_children.append(child)
        for child in worker_children:
            started = await child.event(60)
            if not started.get("subscribed"):
                raise BenchError(f"{child.name} did not subscribe: {started}")
        publisher_children = []
        messages = options.messages
        for index in range(options.publishers):
            share = messages // options.publishers + (1 if index < messages % options.publishers else 0)
            rate = options.rate * share / messages if options.rate else 0.0
            child = await _spawn(
                f"publisher {index}",
                [
                    "-m",
                    "zhizao.bench.publisher",
                    "--mqtt-url",
                    mqtt,
                    "--client-id",
                    f"bench-{run_id}-p{index}",
                    "--enterprise",
                    str(tenant.enterprise_id),
                    "--device-count",
                    str(options.devices),
                    "--first-device",
                    str(index),
                    "--device-stride",
                    str(options.publishers),
                    "--signals",
                    str(options.signals),
                    "--messages",
                    str(share),
                    "--batch-size",
                    str(options.batch_size),
                    "--rate",
                    str(rate),
                    "--window",
                    str(options.window),
                ],
                directory / f"publisher-{index}.log",
                stdin=True,
            )
            children.append(child)
            publisher_children.append(child)
        for child in publisher_children:
            ready = await child.event(60)
            if ready.get("event") != "ready":
                raise BenchError(f"{child.name}: {ready}")

        total = options.points
        ports = [child.metrics_port for child in worker_children if child.metrics_port is not None]
        load_before = infra.load_average()
        pids: dict[str, list[int]] = {
            "workers": [child.pid for child in worker_children],
            "publishers": [child.pid for child in publisher_children],
            "broker": [broker.pid] if broker is not None and broker.pid is not None else [],
        }
        postmaster = None
        if options.backend == "postgresql":
            pids["postgres backends"] = await asyncio.to_thread(infra.backend_pids, url)
            postmaster = await asyncio.to_thread(infra.postmaster_pid, url)
        cpu_before = _cpu_by_pid(pids)
        busy_before = infra.system_cpu_busy_seconds()
        server_before = infra.tree_cpu_seconds(postmaster) if postmaster is not None else None
        for child in publisher_children:
            await child.say("go")
        done_events = [asyncio.create_task(child.event(3600)) for child in publisher_children]
        go = time.time()

        first_seen: tuple[float, float] | None = None
        nothing_yet_at = go  # the last moment nothing was seen committed
        last_progress = (time.monotonic(), 0.0)
        while True:
            scrapes = await asyncio.to_thread(_scrape_all, ports)
            now = time.time()
            stored = sum(scrape.stored for scrape in scrapes)
            if first_seen is None and stored > 0:
                first_seen = (now, stored)
            elif stored == 0:
                nothing_yet_at = now
            if progress is not None:
                progress(int(stored), total)
            if stored >= total:
                break
            if stored > last_progress[1]:
                last_progress = (time.monotonic(), stored)
            elif time.monotonic() - last_progress[0] > options.stall_timeout_s:
                raise BenchError(
                    f"no progress for {options.stall_timeout_s:.0f} s at {stored:,.0f} of {total:,} points "
                    f"({sum(s.dead_letters for s in scrapes):,.0f} dead letters, "
                    f"{sum(s.rejected for s in scrapes):,.0f} rejected); logs in {directory}"
                )
            for task in done_events:
                if task.done() and task.exception() is not None:
                    raise BenchError(f"a publisher failed: {task.exception()}")
            for child in worker_children:
                if child.process.returncode is not None:
                    raise BenchError(f"{child.name} exited (code {child.process.returncode}); see {child.log}")
            await asyncio.sleep(PROGRESS_INTERVAL_S)

        busy_after = infra.system_cpu_busy_seconds()
        server_after = infra.tree_cpu_seconds(postmaster) if postmaster is not None else None
        if options.backend == "postgresql":
            pids["postgres backends"] = await asyncio.to_thread(infra.backend_pids, url)
        cpu_after = _cpu_by_pid(pids)
        await asyncio.sleep(0.3)  # a worker counts a batch's samples a moment before it records their lag
        scrapes = await asyncio.to_thread(_scrape_all, ports)
        worker_rss = [infra.peak_rss_bytes(child.pid) for child in worker_children]
        broker_rss = infra.peak_rss_bytes(broker.pid) if broker is not None and broker.pid is not None else None
        published = [await asyncio.wait_for(task, 120) for task in done_events]
        finals = [await child.stop() for child in worker_children]

    last_commit = max(
        (_timestamp(final.get("last_commit_at")) for final in finals if final is not None), default=time.time()
    )
    publish_start = min((event["started"] for event in published), default=go)
    publish_end = max((event["acked_at"] for event in published), default=last_commit)
    assert first_seen is not None
    first_at, first_points = first_seen
    if total > first_points and last_commit > first_at:
        sustained = (total - first_points) / (last_commit - first_at)
    else:  # all of it was committed between two looks: bound the span by the last look that saw nothing
        sustained = total / max(last_commit - nothing_yet_at, 1e-3)
    lag = merge_buckets(scrape.lag for scrape in scrapes)
    stored_rows, rolled = await asyncio.to_thread(_counts, database)
    batches = sum(scrape.batches for scrape in scrapes)
    write_count = sum(scrape.write_count for scrape in scrapes)
    cpu = {
        name: sum(cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in group if pid in cpu_after)
        for name, group in pids.items()
        if name != "publishers"
    }
    cpu["publishers"] = sum(float(event.get("cpu_s", 0.0)) for event in published)  # they may have exited
    if server_before is not None and server_after is not None:
        # The whole server: the backends above, and autovacuum, the WAL writer, the checkpointer…
        cpu["postgres other"] = max(0.0, server_after - server_before - cpu.get("postgres backends", 0.0))
    notes = []
    if stored_rows != total or rolled != total:
        notes.append(f"the database holds {stored_rows:,} samples and {rolled:,} in roll-ups, not {total:,}")
    if last_commit - publish_start < 5:
        notes.append("a short run: the rates are dominated by start-up; measure with a few million points")
    if options.rate is not None:
        notes.append(
            "rate-limited: the sustained rate is what was offered; the pipeline's capacity (and a meaningful ratio "
            "to the ceiling) is measured flat out"
        )
    if load_before is not None and load_before >= 1.0:
        notes.append(f"the machine was busy before the run (load average {load_before:.2f})")
    return IngestResult(
        backend=options.backend,
        database=described,
        broker=(
            f"Mosquitto {infra.mosquitto_version(broker.binary)} of the benchmark's own, persistence "
            f"{'on' if broker.persistence else 'off'}"
            if broker is not None
            else _without_credentials(mqtt)
        ),
        machine=infra.machine().describe(),
        workers=len(worker_children),
        publishers=len(publisher_children),
        points=total,
        messages=options.messages,
        batch_size=options.batch_size,
        write_batch=options.write_batch,
        devices=options.devices,
        signals=options.signals,
        rate_target=options.rate,
        sustained_pps=sustained,
        from_publish_pps=total / max(last_commit - publish_start, 1e-9),
        publish_pps=total / max(publish_end - publish_start, 1e-9),
        duration_s=last_commit - publish_start,
        lag_p50_s=histogram_quantile(0.5, lag),
        lag_p99_s=histogram_quantile(0.99, lag),
        lag_within_1s=fraction_within(LAG_TARGET_S, lag) if LAG_TARGET_S in lag else None,
        lag_observations=int(max(lag.values(), default=0)),
        batches=int(batches),
        mean_batch_points=total / batches if batches else float(options.write_batch),
        mean_write_s=sum(scrape.write_sum for scrape in scrapes) / write_count if write_count else None,
        duplicates=int(sum(scrape.duplicates for scrape in scrapes)),
        dead_letters=int(sum(scrape.dead_letters for scrape in scrapes)),
        stored=stored_rows,
        rolled_up=rolled,
        worker_peak_rss=worker_rss,
        broker_peak_rss=broker_rss,
        cpu_s=cpu,
        system_busy_s=busy_after - busy_before if busy_after is not None and busy_before is not None else None,
        load_before=load_before,
        notes=notes,
    )


def _without_credentials(url: str) -> str:
    endpoint = MqttEndpoint.parse(url)
    return f"{'mqtts' if endpoint.tls else 'mqtt'}://{endpoint.host}:{endpoint.port}"


def _timestamp(value: object) -> float:
    """An ISO 8601 time from a worker's final status as epoch seconds (now when absent)."""
    if not isinstance(value, str):
        return time.time()
    return datetime.fromisoformat(value).timestamp()

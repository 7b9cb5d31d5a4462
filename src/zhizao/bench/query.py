"""``zhizao bench query``: downsampled reads of 24 h of 1 Hz data for 100 signals (8.64 M samples).

The data goes in through ``store.write`` (so the roll-ups are exactly what ingest makes), ``write_batch``
samples a transaction, time-major (every signal's second ``t`` before second ``t + 1``), ending on the last whole
hour before now. PostgreSQL's tables are then vacuumed and analysed, as autovacuum would have done by the time
anyone reads a day of data. Each query — ``store.downsample(all signal ids, the 24 h, bucket, AVG)`` for buckets
of 60 s, 300 s and 3600 s, answered from the minute and hour roll-ups — runs twice to warm up, then ``repeats``
times; the median and p95 are reported. The same series for one signal is then fetched through the HTTP API
(``GET /api/signals/{id}/series``, a real uvicorn server on loopback, bearer token), timed the same way.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import uvicorn
from sqlalchemy import text

from zhizao import migrations
from zhizao.bench import infra
from zhizao.bench.infra import BenchError
from zhizao.bench.report import median, percentile
from zhizao.bench.seed import seed_admin, seed_tenant
from zhizao.db.engine import Database, create_database
from zhizao.settings import load_settings
from zhizao.telemetry.store.base import Aggregate, Batch, Point, TelemetryStore
from zhizao.telemetry.store.common import rollup_source
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.tables import HOUR_US
from zhizao.telemetry.timeutil import from_us, now_us

BACKENDS = ("postgresql", "sqlite")
TARGET_S = 0.050
SIGNALS_PER_DEVICE = 20
WARMUP = 2

Progress = Callable[[int, int], None]  # (points written, points in all)


@dataclass(frozen=True, slots=True)
class QueryOptions:
    backend: str = "postgresql"
    signals: int = 100
    hours: int = 24
    buckets_s: tuple[int, ...] = (60, 300, 3600)
    repeats: int = 20
    write_batch: int = 100_000
    http: bool = True
    database_url: str | None = None

    @property
    def points(self) -> int:
        return self.signals * self.hours * 3600

    def check(self) -> None:
        if self.backend not in BACKENDS:
            raise BenchError(f"backend is one of {', '.join(BACKENDS)}")
        if self.signals < 1 or self.hours < 1 or self.repeats < 1 or self.write_batch < 1:
            raise BenchError("signals, hours, repeats and write-batch must be at least 1")
        if not self.buckets_s or any(bucket < 1 for bucket in self.buckets_s):
            raise BenchError("buckets are whole seconds, at least 1")


@dataclass(frozen=True, slots=True)
class QueryTiming:
    path: str  # "store" or "http"
    bucket_s: int
    signals: int
    rows: int  # buckets returned, over all signals
    source: str  # the table that answers: rollup_minute, rollup_hour or sample
    median_s: float
    p95_s: float
    min_s: float


@dataclass(slots=True)
class QueryResult:
    backend: str
    database: str
    machine: str
    signals: int
    hours: int
    points: int
    fill_s: float
    fill_pps: float
    repeats: int
    timings: list[QueryTiming] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _timed(call: Callable[[], int], repeats: int) -> tuple[int, list[float]]:
    rows = 0
    for _ in range(WARMUP):
        rows = call()
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        rows = call()
        durations.append(time.perf_counter() - started)
    return rows, durations


def _timing(path: str, bucket_s: int, signals: int, rows: int, source: str, durations: Sequence[float]) -> QueryTiming:
    return QueryTiming(
        path=path,
        bucket_s=bucket_s,
        signals=signals,
        rows=rows,
        source=source,
        median_s=median(durations),
        p95_s=percentile(durations, 0.95),
        min_s=min(durations),
    )


def fill(
    store: TelemetryStore, signal_ids: Sequence[int], start_us: int, end_us: int, batch: int, progress: Progress | None
) -> float:
    """Write one sample a second per signal over [start, end) through ``store.write``; returns seconds taken."""
    seconds_per_batch = max(1, batch // len(signal_ids))
    total = len(signal_ids) * ((end_us - start_us) // 1_000_000)
    written = 0
    started = time.perf_counter()
    for chunk_start in range(start_us, end_us, seconds_per_batch * 1_000_000):
        chunk_end = min(end_us, chunk_start + seconds_per_batch * 1_000_000)
        points = [
            Point(signal_id, ts, ((ts // 1_000_000 + index * 37) % 600) * 0.25)
            for ts in range(chunk_start, chunk_end, 1_000_000)
            for index, signal_id in enumerate(signal_ids)
        ]
        store.write(Batch(points=points))
        written += len(points)
        if progress is not None:
            progress(written, total)
    return time.perf_counter() - started


def _maintain(database: Database) -> None:
    """What autovacuum would have done to a day-old table: visibility map and planner statistics."""
    if database.is_sqlite:
        with database.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        return
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("sample", "rollup_minute", "rollup_hour"):
            connection.execute(text(f"VACUUM ANALYZE {table}"))


@contextlib.contextmanager
def _database_for(options: QueryOptions, directory: Path) -> Iterator[tuple[str, str]]:
    if options.backend == "sqlite":
        import sqlite3

        yield f"sqlite:///{directory / 'zhizao.db'}", f"SQLite {sqlite3.sqlite_version}"
        return
    with infra.postgres_server(options.database_url) as (server, origin), infra.throwaway_database(server) as url:
        yield url, f"PostgreSQL {infra.postgres_version(url)} ({origin})"


@contextlib.contextmanager
def _http_server(database: Database, directory: Path) -> Iterator[str]:
    """The web app on a free loopback port, in a thread; yields its base URL."""
    from zhizao.web.app import create_app

    settings = load_settings(
        data_dir=directory, database_url=str(database.engine.url), secret_key="bench-" + "x" * 40, log_level="WARNING"
    )
    port = infra.free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="bench-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise BenchError("the web app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _token(base: str, username: str, password: str) -> str:
    body = urllib.parse.urlencode({"username": username, "password": password}).encode()
    request = urllib.request.Request(f"{base}/api/auth/token", data=body, method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        token: str = json.loads(response.read())["access_token"]
    return token


def _get_series(base: str, token: str, signal_id: int, start_us: int, end_us: int, bucket_s: int) -> int:
    query = urllib.parse.urlencode(
        {
            "start": from_us(start_us).isoformat(),
            "end": from_us(end_us).isoformat(),
            "bucket_seconds": bucket_s,
            "aggregate": "avg",
        }
    )
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/api/signals/{signal_id}/series?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return len(json.loads(response.read())["points"])


def run_query(options: QueryOptions, progress: Progress | None = None) -> QueryResult:
    options.check()
    with tempfile.TemporaryDirectory(prefix="zhizao-bench-") as temporary:
        directory = Path(temporary)
        with _database_for(options, directory) as (url, described):
            settings = load_settings(database_url=url, data_dir=directory)
            database = create_database(settings)
            try:
                migrations.upgrade(database.engine)
                return _run(options, database, described, directory, progress)
            finally:
                database.dispose()


def _run(
    options: QueryOptions, database: Database, described: str, directory: Path, progress: Progress | None
) -> QueryResult:
    devices = -(-options.signals // SIGNALS_PER_DEVICE)
    tenant = seed_tenant(database, devices, min(options.signals, SIGNALS_PER_DEVICE))
    signal_ids = tenant.all_signal_ids[: options.signals]
    end_us = now_us() // HOUR_US * HOUR_US
    start_us = end_us - options.hours * HOUR_US
    store = open_store(database)
    for moment in range(start_us, end_us + 1, 24 * HOUR_US):
        store.prepare(moment)  # daily partitions around each day of the range (PostgreSQL)
    store.prepare(end_us)
    fill_s = fill(store, signal_ids, start_us, end_us, options.write_batch, progress)
    _maintain(database)
    result = QueryResult(
        backend=options.backend,
        database=described,
        machine=infra.machine().describe(),
        signals=len(signal_ids),
        hours=options.hours,
        points=options.points,
        fill_s=fill_s,
        fill_pps=options.points / fill_s if fill_s > 0 else 0.0,
        repeats=options.repeats,
    )
    for bucket_s in options.buckets_s:
        bucket_us = bucket_s * 1_000_000

        def downsample(bucket_us: int = bucket_us) -> int:
            series = store.downsample(signal_ids, start_us, end_us, bucket_us, Aggregate.AVG)
            return sum(len(buckets) for buckets in series.values())

        rows, durations = _timed(downsample, options.repeats)
        source = rollup_source(start_us, end_us, bucket_us)
        table = source[0] if source else "sample"
        result.timings.append(_timing("store", bucket_s, len(signal_ids), rows, table, durations))
    expected = {bucket_s: len(signal_ids) * options.hours * 3600 // bucket_s for bucket_s in options.buckets_s}
    for timing in result.timings:
        if timing.rows != expected[timing.bucket_s]:
            result.notes.append(
                f"bucket {timing.bucket_s} s gave {timing.rows:,} rows, not {expected[timing.bucket_s]:,}"
            )
    if options.http:
        username, password = seed_admin(database)
        with _http_server(database, directory) as base:
            token = _token(base, username, password)
            for bucket_s in options.buckets_s:
                fetch = partial(_get_series, base, token, signal_ids[0], start_us, end_us, bucket_s)
                rows, durations = _timed(fetch, options.repeats)
                source = rollup_source(start_us, end_us, bucket_s * 1_000_000)
                table = source[0] if source else "sample"
                result.timings.append(_timing("http", bucket_s, 1, rows, table, durations))
    load = infra.load_average()
    if load is not None and load >= 1.0:
        result.notes.append(f"the machine was busy (load average {load:.2f})")
    return result

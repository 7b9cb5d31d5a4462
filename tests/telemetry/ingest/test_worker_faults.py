"""Faults around a running worker: killed with SIGKILL and restarted, database connections dropped and the
database refusing connections for a while. Every sample is stored exactly once."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from tests.telemetry.ingest.support import IngestWorld, Mosquitto, publish, stored_counts, stream, wait_until
from zhizao.db.engine import Database, create_database
from zhizao.settings import Settings
from zhizao.telemetry.ingest.pipeline import PipelineConfig
from zhizao.telemetry.ingest.worker import IngestWorker
from zhizao.telemetry.store.factory import open_store


class WorkerProcess:
    """``python -m zhizao.telemetry.ingest.runner`` in a process of its own."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def event(self, timeout: float = 30.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert line, "the worker exited"
        event: dict[str, Any] = json.loads(line)
        return event

    async def kill(self) -> None:
        self.process.kill()
        await self.process.wait()

    async def terminate(self) -> dict[str, Any]:
        self.process.send_signal(signal.SIGTERM)
        event = await self.event()
        assert await asyncio.wait_for(self.process.wait(), 30) == 0
        return event


@asynccontextmanager
async def worker_process(url: str, data_dir: Path, broker: Mosquitto, client_id: str) -> AsyncIterator[WorkerProcess]:
    log = (data_dir / f"{client_id}.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "zhizao.telemetry.ingest.runner",
        "--database-url",
        url,
        "--data-dir",
        str(data_dir),
        "--mqtt-url",
        broker.url,
        "--client-id",
        client_id,
        "--batch-ms",
        "50",
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    worker = WorkerProcess(process)
    try:
        assert await worker.event() == {"event": "started", "client_id": client_id, "subscribed": True}
        yield worker
    finally:
        if process.returncode is None:
            await worker.kill()
        log.close()


@pytest.mark.asyncio
async def test_a_worker_killed_mid_stream_loses_nothing_and_stores_nothing_twice(
    database: Database, ingest_world: IngestWorld, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    tenant = ingest_world.enterprise(auto_register=True)
    url = database.engine.url.render_as_string(hide_password=False)
    messages = stream(tenant, "press-7", 3_000, 4)
    async with worker_process(url, tmp_path, mosquitto, "kill-me") as first:
        publishing = asyncio.create_task(publish(mosquitto.port, messages))
        seen = await wait_until(lambda: stored_counts(database), lambda counts: counts[0] >= 2_000)
        await first.kill()  # SIGKILL: no goodbye, committed batches may be unacknowledged
    killed_at = stored_counts(database)
    await publishing  # the broker keeps the rest for the worker's session
    assert seen[0] <= killed_at[0] < 12_000
    async with worker_process(url, tmp_path, mosquitto, "kill-me") as second:
        counts = await wait_until(lambda: stored_counts(database), lambda counts: counts[0] >= 12_000)
        await asyncio.sleep(0.3)
        final = await second.terminate()
    assert final["event"] == "stopped"
    assert final["messages_received"] > 0
    assert stored_counts(database) == counts == (12_000, 0, 12_000)  # roll-ups: each sample counted once


@contextmanager
def admin_connection(url: str) -> Iterator[Connection]:
    """A connection to the server's ``postgres`` database (a database cannot refuse connections to itself)."""
    server = make_url(url).set(drivername="postgresql+psycopg", database="postgres")
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_dropped_database_connections_lose_nothing(
    database: Database, ingest_world: IngestWorld, mosquitto: Mosquitto, settings: Settings
) -> None:
    tenant = ingest_world.enterprise(auto_register=True)
    url = database.engine.url.render_as_string(hide_password=False)
    name = make_url(url).database
    worker_url = make_url(url).update_query_dict({"application_name": "zhizao-ingest-under-test"})
    worker_db = create_database(settings, url=worker_url.render_as_string(hide_password=False))
    worker_store = open_store(worker_db)
    messages = stream(tenant, "oven-2", 2_000, 3)
    config = PipelineConfig(batch_points=600, batch_interval_s=0.05, retry_initial_s=0.05, retry_max_s=0.3)
    worker = IngestWorker(
        store=worker_store, database=worker_db, mqtt_url=mosquitto.url, client_id="db-faults", config=config
    )
    # Only this run's database: other runs (other xdist workers, other checkouts) may share the server.
    kill = text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = :name AND datname = :database"
    ).bindparams(name="zhizao-ingest-under-test", database=name)
    terminated = 0
    try:
        worker.start()
        assert await asyncio.to_thread(worker.source.wait_subscribed, 10.0)
        with admin_connection(url) as admin:
            publishing = asyncio.create_task(publish(mosquitto.port, messages, chunk=40, pause_s=0.05))
            for _ in range(8):  # connections dropped under the worker's feet, mid-transaction or idle
                await asyncio.sleep(0.1)
                terminated += admin.execute(kill).scalar_one()
            try:  # then the database refuses connections for a second (as while it restarts)
                admin.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
                terminated += admin.execute(kill).scalar_one()
                await asyncio.sleep(1.0)
            finally:
                admin.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
            await publishing
        counts = await wait_until(lambda: stored_counts(database), lambda counts: counts[0] >= 6_000)
        await asyncio.sleep(0.3)
    finally:
        assert await asyncio.to_thread(worker.stop, 10.0)
        worker_store.close()
        worker_db.dispose()
    status = worker.status()
    assert terminated > 0
    assert status.store_retries > 0  # writes (or lookups) failed and were retried …
    assert stored_counts(database) == counts == (6_000, 0, 6_000)  # … and nothing was lost or doubled

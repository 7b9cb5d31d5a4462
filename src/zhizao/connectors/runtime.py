"""The connector runtime: runs every enabled connector (OPC UA, Modbus) of the platform, or of one enterprise, and
follows configuration changes without a restart.

One task per connector runs its driver (``driver.run(settings, RunContext(...))``); readings go through the same
ingest pipeline as MQTT (``IngestPipeline`` with pre-decoded messages, topic ``connector/<id>``). Every
``reload_s`` the enabled connectors and their revisions are read again: a changed connector is restarted, a
disabled or removed one stopped, a new one started; the others are left alone. A driver that raises is logged,
reported disconnected with the error and restarted after a backoff; it never stops the others. Every ``status_s``
each running connector's ``StatusBoard`` is written to ``connector_status`` (one row per connector), which is what
every web replica shows.

On PostgreSQL several runtimes may run side by side (one per host, for availability): each connector is run by the
runtime that holds its advisory lock (``pg_try_advisory_lock(ADVISORY_NAMESPACE, id)``), taken on a connection of
the runtime's own and released when the connector stops. A runtime that dies loses its connection and with it
its locks; another picks the connectors up at its next reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from sqlalchemy import select

from zhizao.connectors.base import ConnectorStatus, ReadingSink, RunContext, StatusBoard
from zhizao.connectors.config import parse_settings
from zhizao.connectors.drivers import DriverRegistry
from zhizao.connectors.locks import ConnectorLocks, open_locks
from zhizao.connectors.models import ConnectorRecord, ConnectorStatusRecord
from zhizao.db.engine import Database
from zhizao.telemetry.ingest.decoding import DecodedMessage, Reading
from zhizao.telemetry.ingest.metrics import IngestMetrics
from zhizao.telemetry.ingest.pipeline import CommitObserver, InboundMessage, IngestPipeline, PipelineConfig
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.registry import Registry
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import now_us

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0  # a driver told to stop gets this long before it is cancelled
STABLE_AFTER_S = 60.0  # a driver that ran this long before failing starts again from the shortest backoff


def runtime_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class _Config:
    id: int
    enterprise_id: int
    name: str
    protocol: Protocol
    revision: int
    settings: dict[str, object]


@dataclass(slots=True)
class _Running:
    config: _Config
    board: StatusBoard
    stop: asyncio.Event
    task: asyncio.Task[None] | None = None
    removed: bool = False  # deleted: no final status to write


@dataclass(slots=True)
class _Backoff:
    initial_s: float
    max_s: float
    current_s: float = field(default=0.0)

    def next(self) -> float:
        self.current_s = self.initial_s if self.current_s == 0 else min(self.current_s * 2, self.max_s)
        return self.current_s

    def reset(self) -> None:
        self.current_s = 0.0


class ConnectorRuntime:
    """``await ConnectorRuntime(database, store, drivers).run(stop)`` runs until ``stop`` is set, then stops every
    connector, writes their final status, drains the pipeline and releases its locks."""

    def __init__(
        self,
        database: Database,
        store: TelemetryStore,
        drivers: DriverRegistry,
        *,
        observers: Sequence[CommitObserver] = (),
        enterprise_id: int | None = None,
        reload_s: float = 2.0,
        status_s: float = 2.0,
        backoff_s: tuple[float, float] = (1.0, 30.0),
        name: str | None = None,
        pipeline_config: PipelineConfig | None = None,
    ) -> None:
        self.database = database
        self.drivers = drivers
        self.enterprise_id = enterprise_id
        self.reload_s = reload_s
        self.status_s = status_s
        self.backoff_s = backoff_s
        self.name = name or runtime_name()
        self.metrics = IngestMetrics(CollectorRegistry())
        self.pipeline = IngestPipeline(
            store, Registry(database), decoders=[], metrics=self.metrics, config=pipeline_config, observers=observers
        )
        self._locks: ConnectorLocks = open_locks(database)
        self._running: dict[int, _Running] = {}

    @property
    def running(self) -> dict[int, int]:
        """Connector id → the revision this runtime runs (for tests and the demo's status line)."""
        return {connector_id: item.config.revision for connector_id, item in self._running.items()}

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        self.pipeline.start()
        next_reload = next_status = loop.time()
        try:
            while not stop.is_set():
                if loop.time() >= next_reload:
                    try:
                        await self._reconcile()
                    except Exception:  # the database is away: keep what runs, try again later
                        logger.exception("could not reload the connector configuration")
                    next_reload = loop.time() + self.reload_s
                if loop.time() >= next_status:
                    await self._report(list(self._running.values()))
                    next_status = loop.time() + self.status_s
                wait_s = max(0.0, min(next_reload, next_status) - loop.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait_s)
        finally:
            stopping = list(self._running.values())
            await asyncio.gather(*(self._stop(item) for item in stopping), return_exceptions=True)
            await self._report(stopping)
            for item in stopping:
                await asyncio.to_thread(self._locks.release, item.config.id)
            self._running.clear()
            await asyncio.to_thread(self.pipeline.close, 30.0)
            await asyncio.to_thread(self._locks.close)

    # -- configuration -------------------------------------------------------------------------------------------

    def _load(self) -> dict[int, _Config]:
        query = select(ConnectorRecord).where(ConnectorRecord.enabled)
        if self.enterprise_id is not None:
            query = query.where(ConnectorRecord.enterprise_id == self.enterprise_id)
        with self.database.session() as session:
            return {
                row.id: _Config(row.id, row.enterprise_id, row.name, row.protocol, row.revision, dict(row.settings))
                for row in session.scalars(query.order_by(ConnectorRecord.id))
            }

    async def _reconcile(self) -> None:
        wanted = await asyncio.to_thread(self._load)
        if not await asyncio.to_thread(self._locks.alive):
            logger.error("lost the database connection that holds the connector locks; stopping every connector")
            await self._stop_many(list(self._running.values()))
        changed = [
            item
            for connector_id, item in self._running.items()
            if connector_id not in wanted or wanted[connector_id].revision != item.config.revision
        ]
        if changed:
            existing = await asyncio.to_thread(self._existing, [item.config.id for item in changed])
            for item in changed:
                item.removed = item.config.id not in existing
            await self._stop_many(changed)
        for connector_id, connector in wanted.items():
            if connector_id in self._running:
                continue
            if not await asyncio.to_thread(self._locks.acquire, connector_id):
                continue  # another runtime runs it
            self._start(connector)

    def _existing(self, ids: list[int]) -> set[int]:
        with self.database.session() as session:
            return set(session.scalars(select(ConnectorRecord.id).where(ConnectorRecord.id.in_(ids))))

    def _start(self, connector: _Config) -> None:
        item = _Running(connector, StatusBoard(), asyncio.Event())
        item.board.connecting()
        item.task = asyncio.create_task(self._supervise(item), name=f"connector-{connector.id}")
        self._running[connector.id] = item
        logger.info("connector %d (%s) started, revision %d", connector.id, connector.name, connector.revision)

    async def _stop_many(self, items: list[_Running]) -> None:
        await asyncio.gather(*(self._stop(item) for item in items))
        await self._report([item for item in items if not item.removed])
        for item in items:
            self._running.pop(item.config.id, None)
            await asyncio.to_thread(self._locks.release, item.config.id)

    async def _stop(self, item: _Running) -> None:
        item.stop.set()
        if item.task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(item.task), STOP_TIMEOUT_S)
            except TimeoutError:
                logger.warning("connector %d did not stop within %.0f s; cancelled", item.config.id, STOP_TIMEOUT_S)
                item.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await item.task
            except Exception:
                logger.exception("connector %d failed while stopping", item.config.id)
        item.board.stopped()
        logger.info("connector %d stopped", item.config.id)

    # -- one connector -------------------------------------------------------------------------------------------

    async def _supervise(self, item: _Running) -> None:
        connector = item.config
        try:
            driver = self.drivers.get(connector.protocol, "protocol")
            settings = parse_settings(driver.settings_model, connector.settings, "settings")
        except Exception as exc:  # no driver here, or settings its model no longer takes
            logger.error("connector %d cannot start: %s", connector.id, exc)
            item.board.failed(f"cannot start: {exc}")
            await item.stop.wait()
            return
        context = RunContext(connector.enterprise_id, self._sink(connector), item.board, item.stop)
        backoff = _Backoff(*self.backoff_s)
        loop = asyncio.get_running_loop()
        while not item.stop.is_set():
            started = loop.time()
            try:
                await driver.run(settings, context)
                if item.stop.is_set():
                    return
                raise RuntimeError("the driver stopped on its own")
            except Exception as exc:
                # The driver's message only (never the settings, which hold secrets).
                logger.error("connector %d (%s) failed: %r", connector.id, connector.name, exc, exc_info=exc)
                item.board.failed(exc)
            if loop.time() - started >= STABLE_AFTER_S:
                backoff.reset()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(item.stop.wait(), backoff.next())

    def _sink(self, connector: _Config) -> ReadingSink:
        topic = f"connector/{connector.id}"

        async def sink(readings: Sequence[Reading]) -> None:
            own = [reading for reading in readings if reading.device.enterprise_id == connector.enterprise_id]
            if len(own) != len(readings):
                logger.warning("connector %d: dropped readings of another enterprise", connector.id)
            if not own:
                return
            message = InboundMessage(
                topic=topic,
                payload=b"",
                received_at_us=now_us(),
                ack=_nothing,
                decoded=DecodedMessage(readings=own, enterprise_id=connector.enterprise_id),
                source=connector.protocol,
            )
            await asyncio.to_thread(self.pipeline.submit, message)

        return sink

    # -- status --------------------------------------------------------------------------------------------------

    async def _report(self, items: list[_Running]) -> None:
        if not items:
            return
        rows = [(item.config, item.board.snapshot()) for item in items if not item.removed]
        try:
            await asyncio.to_thread(self._write_status, rows)
        except Exception:
            logger.exception("could not write the connectors' status")

    def _write_status(self, rows: list[tuple[_Config, ConnectorStatus]]) -> None:
        now = datetime.now(UTC)
        with self.database.session() as session, session.begin():
            ids = [connector.id for connector, _ in rows]
            existing = set(session.scalars(select(ConnectorRecord.id).where(ConnectorRecord.id.in_(ids))))
            for connector, snapshot in rows:
                if connector.id not in existing:
                    continue
                session.merge(
                    ConnectorStatusRecord(
                        connector_id=connector.id,
                        state=snapshot.state,
                        revision=connector.revision,
                        last_error=snapshot.last_error,
                        last_error_at=snapshot.last_error_at,
                        connected_since=snapshot.connected_since,
                        last_data_at=snapshot.last_data_at,
                        points_ok=snapshot.points_ok,
                        bad_points=[{"key": p.key, "reason": p.reason} for p in snapshot.bad_points],
                        reconnects=snapshot.reconnects,
                        readings=snapshot.readings,
                        runtime=self.name,
                        reported_at=now,
                    )
                )


def _nothing() -> None:
    """Pre-decoded messages have no broker to acknowledge to."""

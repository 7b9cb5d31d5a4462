"""``zhizao demo`` at run time: the web app, an embedded MQTT broker, an ingest worker, the virtual factory (over
MQTT, and a cell served over OPC UA and Modbus TCP), the connectors that read that cell, alarm and health evaluation
with the alarm ticker, webhooks and preventive plans, and remote commands — all in one process and one event loop,
so the demo needs nothing installed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import uvicorn
from sqlalchemy import select

from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import User
from zhizao.accounts.roles import Role
from zhizao.connectors.drivers import default_drivers
from zhizao.connectors.runtime import ConnectorRuntime
from zhizao.db.engine import Database
from zhizao.demo import connected
from zhizao.demo import maintenance as maintenance_demo
from zhizao.demo import vision as vision_demo
from zhizao.production import jobs
from zhizao.settings import Settings
from zhizao.simulator.commands import applier
from zhizao.simulator.modbus_server import ModbusMachineServer
from zhizao.simulator.model import FactoryRun
from zhizao.simulator.mqtt_json import MqttJsonPublisher, publish_history, run_realtime
from zhizao.simulator.mqtt_json import MqttVersion as PublisherVersion
from zhizao.simulator.opcua_server import OpcUaMachineServer
from zhizao.simulator.seed import demo_enterprise_id, demo_factory
from zhizao.streams import run_stream_services, stream_observers
from zhizao.telemetry import devices
from zhizao.telemetry.broker_auth import SERVICE_USERNAME, DatabaseBrokerAuth
from zhizao.telemetry.commands.mqtt import open_publisher
from zhizao.telemetry.embedded_broker import EmbeddedBroker
from zhizao.telemetry.ingest.mqtt_source import MqttVersion
from zhizao.telemetry.ingest.worker import IngestWorker, run_worker
from zhizao.telemetry.models import Device
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.factory import open_store
from zhizao.web.app import create_app
from zhizao.web.prepare import prepare_to_serve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoOptions:
    mqtt_port: int = 18830
    history_hours: float = 2.0
    history_rate: float = 20_000.0  # points/s while back-filling, so the web UI stays responsive
    seed: int = 2020
    production_sync_s: float = 30.0  # how often the state ledger and OEE totals catch up with the data
    opcua_port: int = connected.OPCUA_PORT  # the seeded connectors point at these two
    modbus_port: int = connected.MODBUS_PORT


def issue_demo_tokens(database: Database, base_url: str) -> dict[str, str]:
    """A fresh token per demo device (the simulator connects as each device, as real gateways do)."""
    enterprise_id = demo_enterprise_id(database)
    tokens: dict[str, str] = {}
    with database.session() as session:
        admin = session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
        assert admin is not None
        actor = principal_of(admin)
        rows = session.execute(select(Device.code, Device.id).where(Device.enterprise_id == enterprise_id)).all()
        session.rollback()
        for code, device_id in rows:
            tokens[code] = devices.issue_credential(session, actor, device_id, base_url).token
    return tokens


async def _simulate(broker_url: str, enterprise_id: int, tokens: dict[str, str], options: DemoOptions) -> None:
    now_ms = int(time.time() * 1000)
    run = FactoryRun(demo_factory(), seed=options.seed, start_ms=now_ms - int(options.history_hours * 3_600_000))
    async with MqttJsonPublisher(
        broker_url,
        enterprise_id=enterprise_id,
        device_tokens=tokens,
        version=PublisherVersion.V311,
        on_command=applier(run),  # job ids sent by capacity sharing, like any remote command
    ) as publisher:
        stats = await publish_history(run, publisher, until_ms=now_ms, rate=options.history_rate)
        logger.info("virtual factory: %s points of history published", stats.points)
        await run_realtime(run, publisher, speed=1.0, clock=lambda: int(time.time() * 1000))


async def _production(
    database: Database,
    store: TelemetryStore,
    options: DemoOptions,
    stop: asyncio.Event,
    before: Callable[[], object] | None,
) -> None:
    """First the slow set-up (the demo's months of history), in a thread so the web UI answers meanwhile; then
    the production sync every ``production_sync_s`` seconds."""
    if before is not None:
        try:
            result = await asyncio.to_thread(before)
            logger.info("production history ready: %s", result)
        except Exception:  # the demo goes on without its history; the trace says why
            logger.exception("preparing the production history failed")
    await jobs.run_periodically(database, store, interval_s=options.production_sync_s, stop=stop)


def _cell_run_now(start_ms: int | None) -> FactoryRun:
    """The cell's run from ``start_ms`` (None: from now), stepped to now: the servers go on from the present, and
    the history before it is the one the maintenance seeder wrote (the same seed and start give the same data)."""
    run = connected.cell_run(start_ms)
    run.step(max(run.now_ms, int(time.time() * 1000)))
    return run


@contextlib.asynccontextmanager
async def cell_servers(options: DemoOptions, start_ms: int | None = None) -> AsyncIterator[None]:
    """The connected cell's OPC UA and Modbus servers, serving the cell's run that started at ``start_ms`` (the
    seeded history's start; None: now). One that cannot start (its port is taken) is logged and left out: its
    connector then shows as disconnected, with the reason, and the rest of the demo runs."""
    async with contextlib.AsyncExitStack() as stack:
        for label, server in (
            (
                f"OPC UA on {connected.opcua_url(port=options.opcua_port)}",
                OpcUaMachineServer(
                    port=options.opcua_port,
                    run=_cell_run_now(start_ms),
                    machines=[connected.OPCUA_MACHINE],
                    path=connected.OPCUA_PATH,
                ),
            ),
            (
                f"Modbus TCP on 127.0.0.1:{options.modbus_port}",
                ModbusMachineServer(
                    _cell_run_now(start_ms), machines=[connected.MODBUS_MACHINE], port=options.modbus_port
                ),
            ),
        ):
            try:
                await stack.enter_async_context(server)
                logger.info("virtual factory: %s", label)
            except OSError as error:
                logger.warning("virtual factory: could not serve %s (%s); its connector will show why", label, error)
        yield


async def run_connectors(database: Database, stop: asyncio.Event) -> None:
    store = open_store(database)
    try:
        await ConnectorRuntime(database, store, default_drivers(), observers=stream_observers(database)).run(stop)
    finally:
        store.close()


async def run_demo(
    settings: Settings,
    database: Database,
    options: DemoOptions,
    before_production: Callable[[], object] | None = None,
) -> None:
    app = create_app(settings, database)
    prepare_to_serve(app)
    base_url = f"http://{settings.host}:{settings.port}"
    tokens = issue_demo_tokens(database, base_url)
    enterprise_id = demo_enterprise_id(database)
    service_password = secrets.token_urlsafe(24)
    auth = DatabaseBrokerAuth(database, service_password=service_password)
    async with EmbeddedBroker("127.0.0.1", options.mqtt_port, verify=auth.verify, may=auth.may) as broker:
        stop = asyncio.Event()

        def attach(worker: IngestWorker) -> None:
            app.state.ingest_worker = worker

        service_url = f"mqtt://{SERVICE_USERNAME}:{service_password}@127.0.0.1:{broker.port}"
        app.state.command_publisher = open_publisher(service_url, client_id="zhizao-demo-commands")
        worker = asyncio.create_task(
            run_worker(
                settings,
                service_url,
                None,
                "zhizao-demo-ingest",
                stop=stop,
                mqtt_version=MqttVersion.V311,
                on_started=attach,
                observers=stream_observers,
            )
        )
        services = asyncio.create_task(
            run_stream_services(database, stop, timezone=settings.timezone, settings=settings)
        )
        simulator = asyncio.create_task(_simulate(f"mqtt://127.0.0.1:{broker.port}", enterprise_id, tokens, options))
        production = asyncio.create_task(
            _production(database, app.state.telemetry_store, options, stop, before_production)
        )
        camera = asyncio.create_task(vision_demo.feed_station(database, settings, stop))
        server = uvicorn.Server(
            uvicorn.Config(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
        )
        try:
            cell_start = maintenance_demo.cell_history_start_ms(database, app.state.telemetry_store)
            async with cell_servers(options, cell_start):
                connectors = asyncio.create_task(run_connectors(database, stop))
                try:
                    await server.serve()
                finally:
                    stop.set()
                    await connectors
        finally:
            simulator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await simulator
            stop.set()
            await worker
            await production
            await camera
            await services
            app.state.command_publisher.close()

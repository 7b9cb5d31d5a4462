"""``zhizao connectors …``: run the connector runtime."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from zhizao.cli.common import DatabaseUrl, DataDir, open_database, say, settings_from
from zhizao.connectors.drivers import default_drivers
from zhizao.connectors.runtime import ConnectorRuntime, runtime_name
from zhizao.streams import run_stream_services, stream_observers
from zhizao.telemetry.store.factory import open_store

connectors_app = typer.Typer(help="Connectors (OPC UA, Modbus TCP): the runtime that polls them.", no_args_is_help=True)


@connectors_app.command("run")
def run(
    enterprise: Annotated[int | None, typer.Option(help="Run only this enterprise's connectors.", min=1)] = None,
    reload_s: Annotated[float, typer.Option(help="How often configuration changes are looked for.", min=0.1)] = 2.0,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run every enabled connector until SIGTERM or Ctrl+C; configuration changes apply within seconds. Alarm rules
    and equipment health are evaluated on what they store; the alarm ticker, webhooks and preventive plans run beside
    (safe in several processes).

    On PostgreSQL, run one on each of several hosts: each connector runs in exactly one of them."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database:
        store = open_store(database)
        runtime = ConnectorRuntime(
            database,
            store,
            default_drivers(),
            observers=stream_observers(database),
            enterprise_id=enterprise,
            reload_s=reload_s,
        )
        scope = f"enterprise {enterprise}" if enterprise is not None else "all enterprises"
        say(f"connector runtime {runtime_name()} running the connectors of {scope}")

        async def until_signalled() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            services = asyncio.create_task(
                run_stream_services(database, stop, timezone=settings.timezone, settings=settings)
            )
            try:
                await runtime.run(stop)
            finally:
                stop.set()
                await services

        try:
            asyncio.run(until_signalled())
        finally:
            store.close()
    say("connector runtime stopped")

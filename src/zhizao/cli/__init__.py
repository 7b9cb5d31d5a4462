"""The ``zhizao`` command. Each context adds its sub-commands here as a Typer group."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao import migrations
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.cli.common import DatabaseUrl, DataDir, error, guarded, open_database, out, say, settings_from
from zhizao.cli.lazy import LazyTyperGroup
from zhizao.seeding import DEMO_WINDOW_MONTHS
from zhizao.settings import Settings, ensure_safe_to_serve

if TYPE_CHECKING:
    from zhizao.seeding import SeedReport

app = typer.Typer(cls=LazyTyperGroup, help="zhizao 智造 — smart-factory programme platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="orgs")


# Messages hold user input: never read as markup, never wrapped (pipes and logs read one error per line).
@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Create or migrate the schema to the newest revision."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings, migrated=False) as database:
        migrations.upgrade(database.engine)
    say(f"database at {database.engine.url.render_as_string(hide_password=True)} is up to date")


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Option(help="Registered name.")],
    kind: Annotated[OrganisationKind, typer.Option(help="What kind of body it is.")],
    credit_code: Annotated[str | None, typer.Option(help="统一社会信用代码 (18 characters).")] = None,
    district: Annotated[str | None, typer.Option(help="Shanghai district, e.g. 浦东新区.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Register an organisation."""
    from zhizao.accounts import service as accounts
    from zhizao.accounts.schemas import OrganisationCreate

    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:
        org = guarded(
            lambda: accounts.create_organisation(
                session,
                None,
                OrganisationCreate(name=name, kind=kind, credit_code=credit_code, district=district),
            )
        )
    say(f"created organisation {org.id}: {org.name} ({org.kind.value})")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Login name (letters, digits, _ . -).")],
    role: Annotated[Role, typer.Option(help="The user's role.")],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the UI.")] = None,
    organisation: Annotated[str | None, typer.Option(help="Organisation id or exact name.")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters."),
    ] = "",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user (prompts for the password unless --password is given)."""
    from zhizao.accounts import service as accounts
    from zhizao.accounts.schemas import UserCreate

    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:
        organisation_id = _resolve_organisation(session, organisation)
        user = guarded(
            lambda: accounts.create_user(
                session,
                None,
                UserCreate(
                    username=username,
                    display_name=display_name or username,
                    password=password,
                    role=role,
                    organisation_id=organisation_id,
                    email=email,
                ),
            )
        )
    say(f"created user {user.id}: {user.username} ({user.role.value})")


def _resolve_organisation(session: Session, value: str | None) -> int | None:
    if value is None:
        return None
    column = Organisation.id if value.isdigit() else Organisation.name
    found = session.scalar(select(Organisation.id).where(column == (int(value) if value.isdigit() else value)))
    session.rollback()
    if found is None:
        error("organisation", f"no organisation {value!r}")
        raise typer.Exit(2)
    return found


def _serve(settings: Settings, announce: str) -> None:
    import uvicorn

    from zhizao.telemetry.commands.mqtt import open_publisher
    from zhizao.web.app import create_app
    from zhizao.web.prepare import prepare_to_serve

    application = create_app(settings)
    prepare_to_serve(application)
    # Remote commands to MQTT devices go out through the service account (it connects on the first command).
    publisher = open_publisher(settings.mqtt_url, client_id=f"zhizao-web-{socket.gethostname()}-{os.getpid()}")
    application.state.command_publisher = publisher
    out.print(Text(announce, style="bold green"))
    try:
        uvicorn.run(application, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
    finally:
        publisher.close()


@app.command()
def ingest(
    mqtt_url: Annotated[str | None, typer.Option(help="Broker (ZHIZAO_MQTT_URL), with the service account.")] = None,
    shared_group: Annotated[
        str | None, typer.Option(help="MQTT 5 shared-subscription group; workers in one group split the load.")
    ] = None,
    client_id: Annotated[
        str | None, typer.Option(help="Stable per worker: its persistent session survives restarts.")
    ] = None,
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on this port.")] = None,
    sparkplug: Annotated[
        bool,
        typer.Option(
            "--sparkplug",
            help="Also ingest Sparkplug B (never through a shared subscription: enable on exactly one worker).",
        ),
    ] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run an ingest worker: MQTT JSON (and Sparkplug B) → validation → telemetry store, at-least-once; alarm rules
    and equipment health are evaluated on each committed batch, and the alarm ticker, webhook delivery and
    preventive maintenance plans run beside it.

    SIGTERM or Ctrl+C drains: what was taken is committed and acknowledged before the worker exits."""
    from zhizao.connectors.mqtt_json import MqttJsonDecoder
    from zhizao.connectors.sparkplug.decoder import SparkplugDecoder
    from zhizao.db.engine import create_database
    from zhizao.streams import run_stream_services, stream_observers
    from zhizao.telemetry.ingest.decoding import Decoder
    from zhizao.telemetry.ingest.metrics import IngestStatus
    from zhizao.telemetry.ingest.worker import collect_garbage_less, run_worker

    settings = settings_from(data_dir, database_url, mqtt_url=mqtt_url)
    with open_database(settings):
        pass  # refuses an unmigrated database before connecting to the broker
    worker_id = client_id or f"zhizao-ingest-{socket.gethostname()}"
    say(f"ingest worker {worker_id} consuming from {_redacted(settings.mqtt_url)}")
    decoders: list[Decoder] = [MqttJsonDecoder(), *([SparkplugDecoder()] if sparkplug else [])]

    async def until_signalled() -> IngestStatus:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        services_database = create_database(settings)
        services = asyncio.create_task(
            run_stream_services(services_database, stop, timezone=settings.timezone, settings=settings)
        )
        collect_garbage_less()
        try:
            return await run_worker(
                settings,
                settings.mqtt_url,
                shared_group,
                worker_id,
                stop=stop,
                metrics_port=metrics_port,
                decoders=decoders,
                observers=stream_observers,
            )
        finally:
            stop.set()
            await services
            services_database.dispose()

    status = asyncio.run(until_signalled())
    say(f"stopped: {status.samples_stored} samples stored, {status.dead_letters} dead letters")


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (ZHIZAO_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ZHIZAO_PORT).")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Migrate the database, then serve the web UI and API."""
    settings = settings_from(data_dir, database_url, host=host, port=port)
    guarded(lambda: ensure_safe_to_serve(settings))
    with open_database(settings, migrated=False) as database:
        migrations.upgrade(database.engine)
    _serve(settings, f"zhizao serving on http://{settings.host}:{settings.port}")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    data_dir: Annotated[Path | None, typer.Option(help="Use this (empty) directory instead of a new one.")] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare the demo database, then exit.")] = False,
    mqtt_port: Annotated[int, typer.Option(help="Port of the embedded MQTT broker.", min=1, max=65535)] = 18830,
    history_hours: Annotated[
        float, typer.Option(help="Hours of simulated history to back-fill first.", min=0, max=48)
    ] = 2.0,
    production_months: Annotated[
        int,
        typer.Option(
            help="Whole months of production history before and after the factory's upgrade, each (0: none).",
            min=0,
            max=12,
        ),
    ] = DEMO_WINDOW_MONTHS,
) -> None:
    """Run the platform with demo data: a fresh SQLite database, one login per role, an embedded MQTT broker and
    a virtual factory whose data is ingested live, on http://127.0.0.1."""
    from zhizao.demo import production as production_demo
    from zhizao.demo import seed_all
    from zhizao.runtime import DemoOptions, run_demo

    directory = data_dir or Path(tempfile.mkdtemp(prefix="zhizao-demo-"))
    if directory.exists() and any(directory.iterdir()):
        error("data-dir", f"{directory} is not empty; the demo starts from a fresh directory")
        raise typer.Exit(2)
    settings = settings_from(directory, None, demo=True, secure_cookies=False, host="127.0.0.1", port=port)
    with open_database(settings, migrated=False) as database:
        migrations.upgrade(database.engine)
        reports = seed_all(database, settings)
    say(f"demo data in {directory}")
    for report in reports:
        _print_report(report)
    # The production history ends where the live simulation's back-fill begins.
    plan = production_demo.HistoryPlan.monthly(
        int(time.time() * 1000) - int(history_hours * 3_600_000), production_months
    )
    if no_serve:
        if production_months:
            say(f"writing the production history from {plan.baseline[0]} (a few minutes)…")
            with open_database(settings, migrated=False) as database:
                _print_report(production_demo.seed_history(database, plan))
        return
    options = DemoOptions(mqtt_port=mqtt_port, history_hours=history_hours)
    out.print(Text(f"zhizao demo is running at http://127.0.0.1:{port} (Ctrl+C stops)", style="bold green"))
    say(f"virtual factory publishing to the embedded MQTT broker at mqtt://127.0.0.1:{mqtt_port}")
    with open_database(settings, migrated=False) as database:
        prepare = functools.partial(production_demo.seed_history, database, plan) if production_months else None
        asyncio.run(run_demo(settings, database, options, before_production=prepare))


def _print_report(report: SeedReport) -> None:
    table = Table(*report.headers, title=report.title)
    for row in report.rows:
        table.add_row(*row)
    out.print(table)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("amqtt", "transitions"):  # the embedded broker logs every packet at INFO
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)

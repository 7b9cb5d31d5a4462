"""``zhizao telemetry …`` (data maintenance) and ``zhizao devices …`` (device credentials for the MQTT broker)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import User
from zhizao.accounts.roles import Role
from zhizao.cli.common import DatabaseUrl, DataDir, error, guarded, open_database, say, settings_from
from zhizao.telemetry import devices, retention
from zhizao.telemetry.broker_auth import (
    export_mosquitto_acl,
    mosquitto_password_line,
    upsert_password_entry,
    write_broker_file,
)
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import now_us

telemetry_app = typer.Typer(help="Telemetry data: partitions and retention.", no_args_is_help=True)
devices_app = typer.Typer(help="Devices: credentials for MQTT and HTTP ingest.", no_args_is_help=True)


@telemetry_app.command("prepare")
def prepare(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Create the daily sample partitions around today ahead of time (PostgreSQL; a no-op on SQLite)."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database:
        open_store(database).prepare(now_us())
    say("partitions ready")


@telemetry_app.command("retention")
def apply_retention(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Apply every enterprise's retention policy now (run daily, e.g. from a systemd timer)."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database:
        rules, report = retention.apply(database, open_store(database), now_us())
    say(
        f"{len(rules)} rules applied: {len(report.partitions_dropped)} partitions dropped, "
        f"{report.raw_rows_deleted} raw rows and {report.rollup_rows_deleted} roll-up rows deleted"
    )


@devices_app.command("issue-credential")
def issue_credential(
    device_id: Annotated[int, typer.Option(help="The device (see GET /api/devices).", min=1)],
    mosquitto_passwd: Annotated[
        Path | None, typer.Option(help="Mosquitto password file to add the device's entry to (then SIGHUP it).")
    ] = None,
    mosquitto_acl: Annotated[Path | None, typer.Option(help="Mosquitto ACL file to rewrite from the registry.")] = None,
    base_url: Annotated[str, typer.Option(help="Public URL of the platform, for the HTTP ingest address.")] = (
        "http://127.0.0.1:8000"
    ),
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a new token for a device (the old one stops working) and print it once."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:
        admin = session.scalar(select(User).where(User.role == Role.ADMIN, User.is_active).order_by(User.id))
        session.rollback()
        if admin is None:
            error("admin", "create an administrator first (zhizao users create --role admin)")
            raise typer.Exit(2)
        credential = guarded(lambda: devices.issue_credential(session, principal_of(admin), device_id, base_url))
        if mosquitto_passwd is not None:
            text = mosquitto_passwd.read_text() if mosquitto_passwd.exists() else ""
            line = mosquitto_password_line(credential.mqtt_username, credential.token)
            write_broker_file(mosquitto_passwd, upsert_password_entry(text, line))
        if mosquitto_acl is not None:
            write_broker_file(mosquitto_acl, export_mosquitto_acl(database))
    say(f"device {credential.device_id}")
    say(f"  MQTT user name: {credential.mqtt_username}")
    say(f"  token (shown once; MQTT password and HTTP bearer): {credential.token}")
    say(f"  publish to:     {credential.mqtt_topic}")
    say(f"  or POST to:     {credential.http_url}")

"""``zhizao production …``: the OEE case calculator and the production sync job."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from zhizao.cli.common import DatabaseUrl, DataDir, guarded, open_database, say, settings_from
from zhizao.production import jobs
from zhizao.production.case import evaluate_case, load_case
from zhizao.telemetry.store.factory import open_store

production_app = typer.Typer(help="Production: OEE and ISO 22400-2 KPIs.", no_args_is_help=True)


@production_app.callback()
def production() -> None:
    """Production: OEE and ISO 22400-2 KPIs (a group, so that ``oee`` stays a sub-command as more are added)."""


@production_app.command("oee")
def oee(
    case: Annotated[Path, typer.Option("--case", help="A case file (JSON; format in docs/kpi.md).")],
) -> None:
    """Evaluate a self-contained OEE case and print every time element, KPI, flag and loss as JSON."""
    result = guarded(lambda: evaluate_case(load_case(case)))
    say(json.dumps(result, indent=2, ensure_ascii=False))


@production_app.command("sync")
def sync(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    enterprise_id: Annotated[int | None, typer.Option(help="Only this enterprise's equipment.", min=1)] = None,
    loop: Annotated[bool, typer.Option(help="Keep syncing every --interval seconds until interrupted.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between syncs with --loop.", min=1)] = 30.0,
) -> None:
    """Bring every state ledger and the OEE totals up to date with the telemetry (run it from cron, or with
    --loop as a service; on PostgreSQL several replicas may run it at once and share the equipment)."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database:
        store = open_store(database)
        try:
            while True:
                summary = jobs.sync_all(database, store, enterprise_id=enterprise_id)
                say(
                    f"{summary.equipment} equipment: {summary.changed} changed, {summary.intervals} intervals, "
                    f"{summary.days} days recomputed"
                    + (f", {len(summary.skipped)} busy elsewhere" if summary.skipped else "")
                )
                if not loop:
                    return
                time.sleep(interval)
        finally:
            store.close()

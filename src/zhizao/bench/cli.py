"""``zhizao bench``: the benchmark commands. They print figures and ratios; they never fail on a missed target."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from zhizao.bench import cli_c2m, cli_connectors, infra, report
from zhizao.bench.console import (
    Backend,
    BackendOption,
    DatabaseUrlOption,
    JsonOption,
    QuietOption,
    check,
    consoles,
    quiet_logs,
    report_result,
    wait_until_quiet,
)
from zhizao.bench.ingest import IngestOptions, IngestResult, run_ingest
from zhizao.bench.oee import OeeBenchOptions, OeeBenchResult, run_oee
from zhizao.bench.query import TARGET_S, QueryOptions, QueryResult, run_query
from zhizao.bench.web import WebOptions, WebResult, run_web
from zhizao.telemetry.ingest.pipeline import PipelineConfig

_PIPELINE = PipelineConfig()  # the pipeline's defaults

bench_app = typer.Typer(
    help="Benchmarks: measured figures and the ceilings they are compared with, side by side in one run.",
    no_args_is_help=True,
)

# The targets of the data-acquisition capability, on a 2-core machine.
PG_SUSTAINED_TARGET = 200_000
PG_LAG_P99_TARGET_S = 1.0
PG_RATIO_TARGET = 0.40
SQLITE_RATIO_TARGET = 0.80


# -- ingest ----------------------------------------------------------------------------------------------------------


def ingest_table(result: IngestResult) -> Table:
    per_point = {name: seconds / result.points * 1e6 for name, seconds in result.cpu_s.items()}
    cpu = ", ".join(f"{name} {seconds:.1f} s ({per_point[name]:.1f} µs/pt)" for name, seconds in result.cpu_s.items())
    rss = ", ".join(report.mebibytes(value) for value in result.worker_peak_rss)
    lag_p99 = result.lag_p99_s
    rows: list[tuple[str, str | Text]] = [
        ("machine", result.machine),
        ("database", result.database),
        ("broker", result.broker),
        (
            "load",
            f"{result.points:,} points = {result.messages:,} messages × {result.batch_size}, "
            f"{result.devices} devices × {result.signals} signals, "
            + (f"at {result.rate_target:,.0f}/s" if result.rate_target else "flat out"),
        ),
        ("workers / publishers", f"{result.workers} / {result.publishers}"),
        ("sustained (first → last commit)", report.rate(result.sustained_pps)),
        ("from publish start", f"{report.rate(result.from_publish_pps)} ({result.duration_s:.1f} s)"),
        ("publishers sent", report.rate(result.publish_pps)),
        (
            "lag p50 / p99",
            f"{report.seconds(result.lag_p50_s)} / {report.seconds(lag_p99)}"
            f" ({report.percent(result.lag_within_1s)} within 1 s)",
        ),
        (
            "store writes",
            f"{result.batches:,} of {result.mean_batch_points:,.0f} points on average, "
            f"{report.seconds(result.mean_write_s)} each",
        ),
        ("peak RSS", f"workers {rss}; broker {report.mebibytes(result.broker_peak_rss)}"),
        ("CPU", cpu),
        (
            "machine CPU busy",
            "–"
            if result.system_busy_s is None
            else f"{result.system_busy_s:.1f} s over {result.duration_s:.1f} s, "
            f"{max(0.0, result.system_busy_s - sum(result.cpu_s.values())):.1f} s of it not by the processes above "
            f"(load average before: {'–' if result.load_before is None else f'{result.load_before:.2f}'})",
        ),
        ("stored / in roll-ups", f"{result.stored:,} / {result.rolled_up:,}"),
    ]
    if result.ceiling_pps is not None:
        rows += [
            ("ceiling", f"{report.rate(result.ceiling_pps)}: {result.ceiling_method}"),
            ("ceiling, one transaction", report.rate(result.ceiling_single_pps)),
            ("ratio", report.percent(result.ratio)),
        ]
    if result.backend == "postgresql":
        rows += [
            (f"target ≥ {PG_SUSTAINED_TARGET:,}/s sustained", check(result.sustained_pps >= PG_SUSTAINED_TARGET)),
            (
                f"target lag p99 < {PG_LAG_P99_TARGET_S:.0f} s",
                check(None if lag_p99 is None else lag_p99 < PG_LAG_P99_TARGET_S),
            ),
            (
                f"target ≥ {PG_RATIO_TARGET:.0%} of the ceiling",
                check(None if result.ratio is None else result.ratio >= PG_RATIO_TARGET),
            ),
        ]
    else:
        rows.append(
            (
                f"target ≥ {SQLITE_RATIO_TARGET:.0%} of the ceiling",
                check(None if result.ratio is None else result.ratio >= SQLITE_RATIO_TARGET),
            )
        )
    rows += [("note", note) for note in result.notes]
    made = Table("", "", title=f"bench ingest — {result.backend}", title_justify="left", show_header=False)
    for label, value in rows:
        made.add_row(label, value)
    return made


@bench_app.command("ingest")
def ingest(
    backend: BackendOption = Backend.BOTH,
    points: Annotated[int, typer.Option(help="Samples to publish in all.", min=1)] = 3_000_000,
    workers: Annotated[int, typer.Option(help="Ingest worker processes (one MQTT 5 shared subscription).", min=1)] = 2,
    rate: Annotated[float | None, typer.Option(help="Target points/s over all publishers; default flat out.")] = None,
    batch_size: Annotated[int, typer.Option(help="Samples per MQTT message.", min=1, max=10_000)] = 100,
    write_batch: Annotated[
        int, typer.Option(help="Samples per store write (the pipeline's batch).", min=1)
    ] = _PIPELINE.batch_points,
    batch_ms: Annotated[int, typer.Option(help="Longest time a pipeline batch stays open, in ms.", min=1)] = int(
        _PIPELINE.batch_interval_s * 1000
    ),
    devices: Annotated[int, typer.Option(help="Devices publishing.", min=1)] = 100,
    signals: Annotated[int, typer.Option(help="Signals per device.", min=1)] = 20,
    publishers: Annotated[int, typer.Option(help="Publisher processes.", min=1)] = 1,
    window: Annotated[int, typer.Option(help="Messages a publisher leaves unacknowledged at most.", min=1)] = 100,
    mqtt_url: Annotated[
        str | None, typer.Option(help="Use this broker instead of a Mosquitto of the benchmark's own.")
    ] = None,
    mqtt_persistence: Annotated[bool, typer.Option(help="Persistence of the benchmark's own Mosquitto.")] = True,
    database_url: DatabaseUrlOption = None,
    ceiling: Annotated[bool, typer.Option(help="Also measure the raw COPY / executemany ceiling.")] = True,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """MQTT JSON through Mosquitto into N ingest workers and the store, against the raw COPY ceiling.

    Prints sustained points/s, lag p50/p99, peak memory, CPU per point, the ceiling and the ratio to it."""
    quiet_logs()
    tables, lines = consoles(as_json)
    for name in backend.selected():
        options = IngestOptions(
            backend=name,
            points=points,
            workers=workers,
            devices=devices,
            signals=signals,
            batch_size=batch_size,
            write_batch=write_batch,
            batch_ms=batch_ms,
            rate=rate,
            publishers=publishers,
            window=window,
            mqtt_url=mqtt_url,
            mqtt_persistence=mqtt_persistence,
            database_url=database_url,
            ceiling=ceiling,
        )
        report_result(
            (tables, lines), "ingest", f"ingest → {name}", wait_for_quiet,
            partial(run_ingest, options), ingest_table, as_json,
        )  # fmt: skip


# -- query -----------------------------------------------------------------------------------------------------------


def query_table(result: QueryResult) -> Table:
    made = Table(
        "path",
        "bucket",
        "signals",
        "rows",
        "from",
        "median",
        "p95",
        "min",
        f"< {TARGET_S * 1000:.0f} ms",
        title=f"bench query — {result.backend}",
        caption=(
            f"{result.machine}; {result.database}; "
            f"{result.signals} signals × {result.hours} h × 1 Hz = {result.points:,} points, "
            f"written through store.write in {result.fill_s:.1f} s ({report.rate(result.fill_pps)}); "
            f"{result.repeats} timed runs each after 2 warm-ups"
        ),
        caption_justify="left",
        title_justify="left",
    )
    for timing in result.timings:
        made.add_row(
            "store.downsample" if timing.path == "store" else "GET …/series",
            f"{timing.bucket_s} s",
            str(timing.signals),
            f"{timing.rows:,}",
            timing.source,
            report.seconds(timing.median_s),
            report.seconds(timing.p95_s),
            report.seconds(timing.min_s),
            check(timing.median_s < TARGET_S),
        )
    return made


@bench_app.command("query")
def query(
    backend: BackendOption = Backend.BOTH,
    signals: Annotated[int, typer.Option(help="Signals queried at once.", min=1)] = 100,
    hours: Annotated[int, typer.Option(help="Hours of 1 Hz data, ending on the last whole hour.", min=1)] = 24,
    buckets: Annotated[str, typer.Option(help="Bucket widths in seconds, comma-separated.")] = "60,300,3600",
    repeats: Annotated[int, typer.Option(help="Timed runs of each query (after two warm-ups).", min=1)] = 20,
    write_batch: Annotated[int, typer.Option(help="Samples per store.write while filling.", min=1)] = 100_000,
    http: Annotated[bool, typer.Option(help="Also time GET /api/signals/{id}/series for one signal.")] = True,
    database_url: DatabaseUrlOption = None,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """A downsampled query of 24 h of 1 Hz data for 100 signals, through the store and the HTTP API."""
    quiet_logs()
    tables, lines = consoles(as_json)
    try:
        widths = tuple(int(part) for part in buckets.split(",") if part.strip())
    except ValueError:
        tables.print(Text("error: ", style="red") + Text("buckets: whole seconds, comma-separated"))
        raise typer.Exit(2) from None
    for name in backend.selected():
        options = QueryOptions(
            backend=name,
            signals=signals,
            hours=hours,
            buckets_s=widths,
            repeats=repeats,
            write_batch=write_batch,
            http=http,
            database_url=database_url,
        )
        report_result(
            (tables, lines), "query", f"filling {name}", wait_for_quiet,
            partial(run_query, options), query_table, as_json, lambda result: result.notes,
        )  # fmt: skip


# -- oee -------------------------------------------------------------------------------------------------------------

OEE_YEAR_TARGET_S = 10.0
OEE_DAY_TARGET_S = 1.0


def oee_table(result: OeeBenchResult) -> Table:
    rows: list[tuple[str, str | Text]] = [
        ("machine", infra.machine().describe()),
        (
            "load",
            f"{result.machines:,} machines × {result.days} days: {result.intervals:,} state intervals, "
            f"{result.count_records:,} count records (generated in {result.generate_s:.1f} s)",
        ),
        (
            f"daily totals, all {result.days} days (vectorised)",
            f"{result.year_s:.2f} s ({report.rate(result.intervals_per_s)} intervals)",
        ),
        ("  target < 10 s", check(result.year_s < OEE_YEAR_TARGET_S)),
        ("one day incrementally (vectorised)", f"{result.day_s * 1000:.0f} ms"),
        ("  target < 1 s", check(result.day_s < OEE_DAY_TARGET_S)),
        (
            f"one-equipment path, {result.per_equipment_sample} machines × {result.days} days",
            f"{result.per_equipment_s:.2f} s (fleet extrapolated {result.per_equipment_extrapolated_s:.0f} s, "
            f"{result.per_equipment_extrapolated_s / result.year_s:.1f}× the vectorised path)",
        ),
        ("fleet OEE (sanity)", report.percent(result.oee_fleet)),
    ]
    table = Table(title="zhizao bench oee", show_header=False)
    for name, value in rows:
        table.add_row(name, value)
    return table


@bench_app.command()
def oee(
    machines: Annotated[int, typer.Option(help="Machines in the fleet.", min=1, max=100_000)] = 1_000,
    days: Annotated[int, typer.Option(help="Days of state intervals.", min=2, max=3_660)] = 365,
    sample: Annotated[int, typer.Option(help="Machines timed on the one-equipment path.", min=1)] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the generated ledger.")] = 22400,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Daily ISO 22400-2 totals of 1,000 machines over a year of state intervals, and one day incrementally."""
    tables, lines = consoles(as_json)
    wait_until_quiet(tables, wait_for_quiet)
    result = run_oee(OeeBenchOptions(machines=machines, days=days, seed=seed, sample_machines=sample))
    tables.print(oee_table(result))
    if as_json:
        lines.print(report.json_line("oee", result), markup=False)


# -- web -------------------------------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value * 1000:,.1f} ms"


def web_table(result: WebResult) -> Table:
    seeded = ", ".join(f"{title} {seconds:.1f} s" for title, seconds in result.seeders)
    made = Table(
        "page",
        "path",
        "bytes",
        "SQL statements",
        "median",
        "p95",
        "max",
        f"p95 < {result.target_s * 1000:.0f} ms",
        title=f"bench web — {result.backend}",
        caption=(
            f"{result.machine}; {result.database}; the demo: {result.enterprises} enterprises, "
            f"{result.projects} projects, seeded in {result.seed_s:.1f} s ({seeded}); signed in as the demo "
            f"officer, in process through create_app + TestClient; {result.repeat} rounds after {result.warmup} "
            "warm-ups; load average before: " + ("–" if result.load_before is None else f"{result.load_before:.2f}")
        ),
        caption_justify="left",
        title_justify="left",
    )
    for timing in result.timings:
        statements = str(timing.statements)
        if timing.statements_min != timing.statements_max:
            statements += f" ({timing.statements_min}–{timing.statements_max})"
        made.add_row(
            timing.label,
            timing.path,
            f"{timing.bytes:,}",
            statements,
            _ms(timing.median_s),
            _ms(timing.p95_s),
            _ms(timing.max_s),
            check(timing.p95_s < result.target_s if timing.path == result.target_path else None),
        )
    return made


@bench_app.command("web")
def web(
    sqlite: Annotated[bool, typer.Option("--sqlite", help="Measure on a SQLite file instead of PostgreSQL.")] = False,
    repeat: Annotated[
        int, typer.Option(help="Timed rounds; each fetches every page once (after 2 warm-ups).", min=1)
    ] = 30,
    database_url: DatabaseUrlOption = None,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """The programme officer's cockpit and key pages on the demo data, through the real app: median, p95, max and
    SQL statements per request; the target is the cockpit page under 300 ms."""
    quiet_logs()
    tables, lines = consoles(as_json)
    options = WebOptions(sqlite=sqlite, repeat=repeat, database_url=database_url)
    report_result(
        (tables, lines), "web", f"demo data and pages → {options.backend}", wait_for_quiet,
        partial(run_web, options), web_table, as_json, lambda result: result.notes,
    )  # fmt: skip


bench_app.command("modbus")(cli_connectors.modbus)
bench_app.command("opcua")(cli_connectors.opcua)
bench_app.command("configurator")(cli_c2m.configurator)
bench_app.command("jssp")(cli_c2m.jssp)
bench_app.command("carseq")(cli_c2m.carseq)

"""``zhizao bench modbus`` and ``zhizao bench opcua``: the polling connectors against the simulator's servers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Annotated

import typer
from rich.table import Table

from zhizao.bench import report
from zhizao.bench.console import (
    Backend,
    BackendOption,
    DatabaseUrlOption,
    JsonOption,
    QuietOption,
    consoles,
    quiet_logs,
    report_result,
)
from zhizao.bench.modbus import ModbusBenchOptions, ModbusBenchResult, ModeFigures, run_modbus
from zhizao.bench.opcua import OpcUaBenchOptions, OpcUaBenchResult, run_opcua_sync


def modbus_table(result: ModbusBenchResult) -> Table:
    made = Table(
        "plan",
        "reads / poll",
        "registers / poll",
        "polls/s",
        "requests/s",
        "registers/s",
        "points/s",
        "bad points",
        "mismatches",
        title=f"bench modbus — {result.point_count:,} points over loopback",
        caption=(
            f"data types: {', '.join(t.value for t in result.options.data_types)}; "
            f"{result.options.duration_s:.1f} s, the two plans alternating every half second; "
            f"merged reads give {result.ratio:.1f}× the points a second of one read per point"
        ),
        caption_justify="left",
        title_justify="left",
    )
    for figures in (result.merged, result.per_point):
        made.add_row(*_mode_row(figures))
    return made


def _mode_row(figures: ModeFigures) -> tuple[str, ...]:
    return (
        figures.name,
        f"{figures.reads_per_poll:,}",
        f"{figures.registers_per_poll:,}",
        f"{figures.polls_per_s:,.1f}",
        report.rate(figures.requests_per_s),
        report.rate(figures.registers_per_s),
        report.rate(figures.points_per_s),
        f"{figures.bad_points:,}",
        f"{figures.mismatches:,}",
    )


def modbus(
    points: Annotated[int, typer.Option(help="Points, spread evenly over the six register data types.", min=1)] = 1200,
    duration: Annotated[float, typer.Option(help="Seconds, both plans together.", min=0.2)] = 6.0,
    interval_ms: Annotated[int, typer.Option(help="Between the starts of two polls; 0: back to back.", min=0)] = 0,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """The Modbus TCP connector reading the simulator's bulk server on loopback: registers, requests and points a
    second with merged reads and with one read per point, side by side."""
    quiet_logs()
    options = ModbusBenchOptions(points=points, duration_s=duration, interval_ms=interval_ms)
    report_result(
        consoles(as_json), "modbus", f"{points:,} points → modbus", wait_for_quiet,
        lambda _progress: _checked_modbus(options), modbus_table, as_json, lambda result: result.notes,
    )  # fmt: skip


def _checked_modbus(options: ModbusBenchOptions) -> ModbusBenchResult:
    options.check()
    return asyncio.run(run_modbus(options))


# The target of the OPC UA connector: a 5,000-node subscription at 1 Hz sustained into the store, on a 2-core machine.
OPCUA_TARGET_NODES = 5000
OPCUA_TARGET_DELIVERY = 0.99


def opcua_table(result: OpcUaBenchResult) -> Table:
    cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.cpu_s.items())
    rss = ", ".join(f"{name} {report.mebibytes(value)}" for name, value in result.peak_rss.items())
    made = Table(
        "figure",
        "value",
        title=f"bench opcua — {result.backend}",
        caption=f"{result.machine}; {result.database}",
        caption_justify="left",
        title_justify="left",
    )
    sustained = result.nodes >= OPCUA_TARGET_NODES and result.delivery_ratio >= OPCUA_TARGET_DELIVERY
    for name, value in (
        ("load", f"{result.nodes:,} nodes changing at {result.rate_hz:g} Hz for {result.duration_s:g} s"),
        ("monitored", f"{result.subscribed:,} items in {result.startup_s:.1f} s ({result.bad_points} bad)"),
        ("stored / offered", f"{result.samples_stored:,} / {result.expected_samples:,}"),
        ("sustained into the store", f"{report.rate(result.stored_per_s)} ({report.percent(result.delivery_ratio)})"),
        (
            "lag p50 / p99 (source time → commit)",
            f"{report.seconds(result.lag_p50_s)} / {report.seconds(result.lag_p99_s)}",
        ),
        ("pipeline hand-offs", f"{result.sink_calls:,}"),
        ("CPU", cpu),
        ("peak RSS", rss),
        (
            f"target: {OPCUA_TARGET_NODES:,} nodes at 1 Hz, ≥ {OPCUA_TARGET_DELIVERY:.0%} stored",
            "met" if sustained else "not met",
        ),
    ):
        made.add_row(name, value)
    return made


def opcua(
    nodes: Annotated[int, typer.Option(help="Variables on the simulator server, all subscribed.", min=1)] = 5000,
    rate: Annotated[float, typer.Option(help="Changes per second of every variable.", min=0.01)] = 1.0,
    duration: Annotated[float, typer.Option(help="Seconds measured, after every item is monitored.", min=1)] = 30.0,
    backend: BackendOption = Backend.SQLITE,
    database_url: DatabaseUrlOption = None,
    wait_for_quiet: QuietOption = 0.0,
    as_json: JsonOption = False,
) -> None:
    """The OPC UA connector subscribed to the simulator's bulk server (another process), through the ingest pipeline
    into the store: samples stored against those offered, lag, start-up time, CPU and memory."""
    quiet_logs()
    tables, lines = consoles(as_json)
    for selected in backend.selected():
        options = OpcUaBenchOptions(
            nodes=nodes, rate_hz=rate, duration_s=duration, backend=selected, database_url=database_url
        )
        report_result(
            (tables, lines), "opcua", f"{nodes:,} nodes → opcua → {selected}", wait_for_quiet,
            partial(_checked_opcua, options), opcua_table, as_json, lambda result: result.notes,
        )  # fmt: skip


def _checked_opcua(options: OpcUaBenchOptions, _progress: Callable[[int, int], None]) -> OpcUaBenchResult:
    options.check()
    return run_opcua_sync(options)

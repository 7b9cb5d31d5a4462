"""``zhizao bench modbus`` and ``zhizao bench opcua``: the polling connectors against the simulator's servers."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from zhizao.bench import report
from zhizao.bench.console import JsonOption, QuietOption, consoles, quiet_logs, report_result
from zhizao.bench.modbus import ModbusBenchOptions, ModbusBenchResult, ModeFigures, run_modbus


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

"""What every ``zhizao bench`` command shares: its options, the quiet wait, the progress bar, the table, the notes
and the JSON line, and the error that ends it."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from zhizao.bench import infra, report
from zhizao.bench.infra import BenchError

R = TypeVar("R")

WIDE = 160  # columns of a table that is not printed to a terminal


class Backend(StrEnum):
    POSTGRESQL = "postgresql"
    SQLITE = "sqlite"
    BOTH = "both"

    def selected(self) -> list[str]:
        return ["postgresql", "sqlite"] if self is Backend.BOTH else [self.value]


BackendOption = Annotated[Backend, typer.Option(help="Store to measure.")]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        help="PostgreSQL server to create the throwaway database on (dropped afterwards). Default: "
        "ZHIZAO_BENCH_DATABASE_URL, else postgres@127.0.0.1:5432 if it answers, else an embedded server."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON line per result on stdout (tables: stderr).")]
QuietOption = Annotated[
    float,
    typer.Option(help="First wait up to this many seconds for the 1-minute load average to fall below 1.", min=0),
]


def quiet_logs() -> None:
    """Migrating the throwaway database logs every revision at INFO, the test client every request; the figures are
    what the reader wants."""
    for chatty in ("alembic", "uvicorn.error", "httpx", "httpx2", "pymodbus", "asyncua"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def consoles(as_json: bool) -> tuple[Console, Console]:
    """(where tables go, where JSON goes). Tables written to a file or a pipe are not squeezed into 80 columns."""
    stdout = Console(highlight=False, soft_wrap=True)
    tables = Console(stderr=True, highlight=False) if as_json else Console(highlight=False)
    if not tables.is_terminal:
        tables.width = max(tables.width, WIDE)
    return tables, stdout


@contextlib.contextmanager
def progress_bar(console: Console, label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def wait_until_quiet(console: Console, seconds: float) -> None:
    if seconds <= 0:
        return
    deadline = time.monotonic() + seconds
    load = infra.load_average()
    while load is not None and load >= 1.0 and time.monotonic() < deadline:
        console.print(f"waiting for a quiet machine: load average {load:.2f}", style="dim")
        time.sleep(min(15.0, max(0.0, deadline - time.monotonic())))
        load = infra.load_average()


def report_result(
    consoles: tuple[Console, Console],
    kind: str,
    label: str,
    wait_for_quiet: float,
    run: Callable[[Callable[[int, int], None]], R],
    table: Callable[[R], Table],
    as_json: bool,
    notes: Callable[[R], Sequence[str]] = lambda _result: (),
) -> None:
    """What every measuring command does: wait for a quiet machine, run with a progress bar, print the table and
    its notes (or the error, exit 1), and the JSON line when asked."""
    tables, lines = consoles
    wait_until_quiet(tables, wait_for_quiet)
    try:
        with progress_bar(tables, label) as progress:
            result = run(progress)
    except BenchError as error:
        raise fail(tables, error) from error
    tables.print(table(result))
    for note in notes(result):
        tables.print(Text(f"note: {note}", style="yellow"))
    if as_json:
        lines.print(report.json_line(kind, result), markup=False)


def check(ok: bool | None) -> Text:
    if ok is None:
        return Text("–")
    return Text("met", style="green") if ok else Text("not met", style="red")


def fail(console: Console, error: BenchError) -> typer.Exit:
    console.print(Text("error: ", style="red") + Text(error.message))
    return typer.Exit(2)

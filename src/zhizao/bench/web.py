"""``zhizao bench web``: the programme officer's key pages, rendered in process through the real app on the demo data.

A fresh database (a throwaway one on PostgreSQL, or a SQLite file), migrated and filled by the demo's own seeders
(``zhizao.demo.SEEDERS``: accounts, the virtual factory's plant and production plans, the seven assessment
diagnoses, the programme of about 150 enterprises — everything ``zhizao demo`` makes before it serves, less the
production history it writes in the background, which no page timed here reads), each seeder timed. PostgreSQL's
tables are then analysed, as autovacuum would have done a minute after seeding.

The app is ``create_app`` on that database, driven by ``fastapi.testclient.TestClient`` in this process (no socket;
the whole ASGI stack: middleware, session cookie, dependencies, services, templates), signed in through ``/login``
as the demo officer. Every page is fetched ``WARMUP`` times, then ``repeat`` rounds each fetch every page once, so
that the machine's ups and downs fall on all pages alike; the median, p95 and max of each page are reported beside
the SQL statements each request sent (``before_cursor_execute`` on the app's engine: the sign-in check of the session
included), which stay the same whatever the number of projects when a page has no N+1 queries. The target of issue
#7 — the cockpit renders in under 300 ms on PostgreSQL — is checked on the cockpit page's p95; a missed target is
printed, never an error.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text

from zhizao import migrations
from zhizao.accounts.demo import DEMO_USERS
from zhizao.bench import infra
from zhizao.bench.infra import BenchError
from zhizao.bench.report import median, percentile
from zhizao.db.engine import Database, create_database
from zhizao.demo import SEEDERS
from zhizao.programme.models import EnterpriseRecord, FactoryProject
from zhizao.seeding import Seeder
from zhizao.settings import Settings, load_settings

TARGET_S = 0.300
TARGET_PATH = "/programme/cockpit"
OFFICER = "officer"
WARMUP = 2
BASE_URL = "https://testserver"  # session cookies are Secure outside demo mode


@dataclass(frozen=True, slots=True)
class Page:
    path: str
    label: str


PAGES = (
    Page("/programme/cockpit", "cockpit (page)"),
    Page("/api/programme/cockpit", "cockpit (JSON API)"),
    Page("/programme/projects", "projects"),
    Page("/programme/enterprises", "enterprises"),
    Page("/public/smart-factories", "smart-factory list (public)"),
    Page("/public/cases.pdf", "case collection PDF (public)"),
    Page("/programme/benchmarks", "benchmark ranking"),
)

Progress = Callable[[int, int], None]  # (steps done, steps in all): seeders, then rounds of requests


@dataclass(frozen=True, slots=True)
class WebOptions:
    sqlite: bool = False
    repeat: int = 30
    database_url: str | None = None  # the PostgreSQL server to make the throwaway database on

    @property
    def backend(self) -> str:
        return "sqlite" if self.sqlite else "postgresql"

    def check(self) -> None:
        if self.repeat < 1:
            raise BenchError("repeat must be at least 1")


@dataclass(frozen=True, slots=True)
class PageTiming:
    path: str
    label: str
    status: int
    bytes: int  # the response body of the last request
    statements: int  # SQL statements per request (the median; see statements_min/max)
    statements_min: int
    statements_max: int
    median_s: float
    p95_s: float
    max_s: float
    min_s: float


@dataclass(slots=True)
class WebResult:
    backend: str
    database: str
    machine: str
    repeat: int
    warmup: int
    seed_s: float
    seeders: list[tuple[str, float]] = field(default_factory=list)  # (report title, seconds)
    enterprises: int = 0
    projects: int = 0
    timings: list[PageTiming] = field(default_factory=list)
    target_s: float = TARGET_S
    target_path: str = TARGET_PATH
    target_p95_s: float | None = None
    target_met: bool | None = None
    load_before: float | None = None
    notes: list[str] = field(default_factory=list)


# -- timing the pages ----------------------------------------------------------------------------------------------


class StatementCounter:
    """SQL statements sent through an engine (each ``execute`` or ``executemany`` counts once)."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.count = 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise BenchError("the sign-in page has no CSRF field")
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str) -> None:
    """Sign in through the login form, as a browser does; the session cookie then rides on every request."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "next": "/", "csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise BenchError(f"signing in as {username!r} failed with HTTP {response.status_code}")


def time_pages(
    database: Database,
    settings: Settings,
    username: str,
    password: str,
    pages: Sequence[Page] = PAGES,
    repeat: int = 30,
    progress: Progress | None = None,
    done: int = 0,
    total: int | None = None,
) -> list[PageTiming]:
    """Fetch every page ``WARMUP`` times, then ``repeat`` rounds of every page once, through the real app signed in
    as ``username``; each page's durations and statements per request. BenchError on a response other than 200."""
    from zhizao.web.app import create_app

    durations: dict[str, list[float]] = {page.path: [] for page in pages}
    statements: dict[str, list[int]] = {page.path: [] for page in pages}
    sizes: dict[str, int] = {}
    rounds = WARMUP + repeat
    steps = total if total is not None else done + rounds
    with (
        TestClient(create_app(settings, database), base_url=BASE_URL) as client,
        StatementCounter(database) as counter,
    ):
        sign_in(client, username, password)
        for turn in range(rounds):
            for page in pages:
                counter.count = 0
                started = time.perf_counter()
                response = client.get(page.path)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise BenchError(f"GET {page.path} answered HTTP {response.status_code}")
                if turn >= WARMUP:
                    durations[page.path].append(elapsed)
                    statements[page.path].append(counter.count)
                sizes[page.path] = len(response.content)
            if progress is not None:
                progress(done + turn + 1, steps)
    return [
        PageTiming(
            path=page.path,
            label=page.label,
            status=200,
            bytes=sizes[page.path],
            statements=int(median(statements[page.path])),
            statements_min=min(statements[page.path]),
            statements_max=max(statements[page.path]),
            median_s=median(durations[page.path]),
            p95_s=percentile(durations[page.path], 0.95),
            max_s=max(durations[page.path]),
            min_s=min(durations[page.path]),
        )
        for page in pages
    ]


def judge(result: WebResult) -> None:
    """Fill in the target's verdict from the timings: the target page's p95 under ``TARGET_S``."""
    found = next((timing for timing in result.timings if timing.path == result.target_path), None)
    result.target_p95_s = None if found is None else found.p95_s
    result.target_met = None if found is None else found.p95_s < result.target_s


# -- the run -------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _database_for(options: WebOptions, directory: Path) -> Iterator[tuple[str, str]]:
    if options.sqlite:
        yield f"sqlite:///{directory / 'zhizao.db'}", f"SQLite {sqlite3.sqlite_version}"
        return
    with (
        infra.postgres_server(options.database_url) as (server, origin),
        infra.throwaway_database(server, "zhizao_bench_web") as url,
    ):
        yield url, f"PostgreSQL {infra.postgres_version(url)} ({origin})"


def _seed(
    database: Database, settings: Settings, seeders: Sequence[Seeder], progress: Progress | None, total: int
) -> list[tuple[str, float]]:
    timed = []
    for done, seeder in enumerate(seeders, start=1):
        started = time.perf_counter()
        report = seeder(database, settings)
        timed.append((report.title, time.perf_counter() - started))
        if progress is not None:
            progress(done, total)
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("ANALYZE"))
    return timed


def _officer_password() -> str:
    return next(user.password for user in DEMO_USERS if user.username == OFFICER)


def run_web(
    options: WebOptions,
    progress: Progress | None = None,
    *,
    seeders: Sequence[Seeder] | None = None,
    pages: Sequence[Page] = PAGES,
) -> WebResult:
    """Seed a fresh database with ``seeders`` (default: the demo's ``SEEDERS``), then time ``pages``."""
    options.check()
    seeders = SEEDERS if seeders is None else seeders
    load_before = infra.load_average()
    total = len(seeders) + WARMUP + options.repeat
    with tempfile.TemporaryDirectory(prefix="zhizao-bench-web-") as temporary:
        directory = Path(temporary)
        with _database_for(options, directory) as (url, described):
            settings = load_settings(
                data_dir=directory, database_url=url, secret_key="bench-" + "x" * 40, log_level="WARNING"
            )
            database = create_database(settings)
            try:
                migrations.upgrade(database.engine)
                began = time.perf_counter()
                timed = _seed(database, settings, seeders, progress, total)
                seed_s = time.perf_counter() - began
                with database.session() as session:
                    enterprises = session.scalar(select(func.count()).select_from(EnterpriseRecord)) or 0
                    projects = session.scalar(select(func.count()).select_from(FactoryProject)) or 0
                timings = time_pages(
                    database, settings, OFFICER, _officer_password(), pages, options.repeat, progress,
                    len(seeders), total,
                )  # fmt: skip
            finally:
                database.dispose()
    result = WebResult(
        backend=options.backend,
        database=described,
        machine=infra.machine().describe(),
        repeat=options.repeat,
        warmup=WARMUP,
        seed_s=seed_s,
        seeders=timed,
        enterprises=enterprises,
        projects=projects,
        timings=timings,
        load_before=load_before,
    )
    judge(result)
    load = infra.load_average()
    if load is not None and load >= 1.0:
        result.notes.append(f"the machine was busy (load average {load:.2f} at the end)")
    return result

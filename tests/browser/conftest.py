"""Browser fixtures: the real app served by uvicorn on loopback, driven by Debian's Chromium through Playwright.

The server runs for the whole session in a background thread on a fresh, migrated and demo-seeded SQLite
database. Chromium is the system one (``/usr/bin/chromium``); without it the browser tests are skipped, unless
``ZHIZAO_TEST_REQUIRE_BROWSER=1`` (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from zhizao import migrations
from zhizao.db.engine import Database, create_database
from zhizao.demo import production as production_demo
from zhizao.demo import seed_all
from zhizao.settings import Settings, load_settings
from zhizao.web.app import create_app

from .live import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 20.0
PAGE_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("ZHIZAO_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; ZHIZAO_TEST_REQUIRE_BROWSER=1 forbids skipping")
    pytest.skip(reason)


@dataclass(frozen=True)
class LiveData:
    """The live server's settings and database, for a test to prepare what no page makes (a closed on-site
    diagnosis, a factory's telemetry-side totals); everything else a browser test does goes through the pages."""

    settings: Settings
    database: Database


@pytest.fixture(scope="session")
def live_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveData]:
    """A fresh, migrated, demo-seeded database; disposed of after the server stops."""
    data_dir = tmp_path_factory.mktemp("browser-data")
    settings = load_settings(data_dir=data_dir, demo=True, secure_cookies=False)
    database = create_database(settings)
    try:
        migrations.upgrade(database.engine)
        seed_all(database, settings)
        # Two days of the virtual factory's production history (one before, one after its upgrade), so the OEE
        # pages have something to draw.
        plan = production_demo.HistoryPlan.daily(int(time.time() * 1000), 1)
        production_demo.seed_history(database, plan, rules=None)
        yield LiveData(settings, database)
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def live_server(live_data: LiveData) -> Iterator[LiveServer]:
    """The real app on a free 127.0.0.1 port, in a background thread, on a fresh demo database."""
    settings, database = live_data.settings, live_data.database
    app = create_app(settings, database=database)

    # Bind first and hand the socket to uvicorn: the port is ours from the start, with no race for it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="zhizao-live-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                pytest.fail("the uvicorn server thread died during startup")
            if time.monotonic() > deadline:
                pytest.fail(f"the uvicorn server did not start within {STARTUP_TIMEOUT_S} s")
            time.sleep(0.02)
        yield LiveServer(base_url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_S)
        sock.close()
        if thread.is_alive():
            pytest.fail("the uvicorn server thread did not stop")


# Module scope: the sync API keeps an event loop running in this thread until it stops, which would break
# every asyncio test run after it.
@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh page in a context of its own (no cookies carried between tests)."""
    context = browser.new_context(base_url=live_server.base_url)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        tab = context.new_page()
        try:
            yield tab
        finally:
            tab.close()
    finally:
        context.close()

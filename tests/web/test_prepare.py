"""Routes are prepared and the scheduler's compiled search loaded before serving, so that no request after a start
waits for either."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient

from tests.conftest import TEST_SECRET, World
from zhizao import migrations
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database, create_database
from zhizao.settings import Settings, load_settings
from zhizao.web import prepare
from zhizao.web.app import create_app, shared_routes
from zhizao.web.prepare import prepare_routes

# A page near the start, an API route near the end of the app's routers, and a path no route has.
PATHS = ("/login", "/api/vision/quality", "/no/such/page")


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite only: which database the app has does not change how its routes are prepared."""
    return str(request.param)


@pytest.fixture
def preparations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths of the API routes FastAPI prepares from here on (it prepares one per router it includes it in)."""
    prepared: list[str] = []
    original = routing._EffectiveRouteContext.from_api_route

    def counted(*, original_route: routing.APIRoute, include_context: object) -> object:
        prepared.append(original_route.path)
        return original(original_route=original_route, include_context=include_context)  # type: ignore[arg-type]

    monkeypatch.setattr(routing._EffectiveRouteContext, "from_api_route", counted)
    yield prepared


@pytest.fixture
def new_app(settings: Settings, database: Database) -> FastAPI:
    """An app built as the first of its process builds it: its routes not yet prepared by another test's app."""
    shared_routes.cache_clear()
    return create_app(settings, database)


def test_without_it_the_first_requests_prepare_the_routes(new_app: FastAPI, preparations: list[str]) -> None:
    with TestClient(new_app) as client:
        for path in PATHS:
            client.get(path)
    assert "/api/vision/quality" in preparations
    assert len(preparations) > 100


def test_after_it_no_request_prepares_a_route(new_app: FastAPI, preparations: list[str]) -> None:
    prepare_routes(new_app)
    assert len(preparations) > 100
    preparations.clear()
    with TestClient(new_app) as client:
        for path in PATHS:
            client.get(path)
    assert preparations == []


def test_routes_are_prepared_once_per_process_and_each_app_keeps_its_own_state(
    new_app: FastAPI, world: World, tmp_path: Path, preparations: list[str]
) -> None:
    """A second app prepares nothing again, yet answers from its own database: the shared routes hold no app."""
    prepare_routes(new_app)
    admin = world.user(Role.ADMIN)
    other_settings = load_settings(data_dir=tmp_path / "other", secret_key=TEST_SECRET)
    other_database = create_database(other_settings)
    migrations.upgrade(other_database.engine)
    preparations.clear()
    try:
        other_app = create_app(other_settings, other_database)
        login = {"username": admin.username, "password": admin.password}
        with TestClient(new_app) as client, TestClient(other_app) as other_client:
            assert client.post("/api/auth/token", data=login).status_code == 200
            # The other app's database has no such user.
            assert other_client.post("/api/auth/token", data=login).status_code == 401
            for path in PATHS:
                other_client.get(path)
        assert preparations == []
    finally:
        other_database.dispose()


def test_a_fresh_process_has_the_compiled_search_once_prepared_to_serve() -> None:
    """In a process of its own: in the test process another test may have loaded it already."""
    script = (
        "from zhizao.c2m.scheduling import tabu_compiled\n"
        "from zhizao.web.prepare import load_scheduling_kernel\n"
        "assert tabu_compiled._kernel is None\n"
        "load_scheduling_kernel()\n"
        "assert tabu_compiled._kernel is not None and tabu_compiled.load_seconds is not None\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)  # noqa: S603 - our own script
    assert done.returncode == 0, done.stderr


def test_where_the_compiled_search_cannot_load_serving_goes_on_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("the compiled tabu search could not be loaded: ImportError: no numba")

    monkeypatch.setattr(prepare, "load_kernel", broken)
    with caplog.at_level(logging.WARNING, logger="zhizao.web.prepare"):
        prepare.load_scheduling_kernel()
    assert "pure-Python tabu search" in caplog.text
    assert "no numba" in caplog.text

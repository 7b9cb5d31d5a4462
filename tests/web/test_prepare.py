"""Routes are prepared and the scheduler's compiled search loaded before serving, so that no request after a start
waits for either."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient

from zhizao.web import prepare
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


def test_without_it_the_first_requests_prepare_the_routes(client: TestClient, preparations: list[str]) -> None:
    for path in PATHS:
        client.get(path)
    assert "/api/vision/quality" in preparations
    assert len(preparations) > 100


def test_after_it_no_request_prepares_a_route(app: FastAPI, client: TestClient, preparations: list[str]) -> None:
    prepare_routes(app)
    assert len(preparations) > 100
    preparations.clear()
    for path in PATHS:
        client.get(path)
    assert preparations == []


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

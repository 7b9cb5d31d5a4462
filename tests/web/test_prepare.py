"""Routes are prepared before serving, so that no request after a start waits while FastAPI prepares them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient

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

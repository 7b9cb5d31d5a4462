"""Prepare every route before serving rather than on first use.

FastAPI prepares an included router's routes (their dependencies and parameter models) the first time a request
is matched against that router, and a request walks the routers in order until one matches: without this, the
first request after a start to a route near the end waits while every router before it is prepared — 3 s for the
whole app on a quiet core. Matching one path that no route has walks them all, before the server takes requests.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Scope

NO_ROUTE_PATH = "/\x00"  # no route's path has a NUL, and a request cannot send one


def prepare_routes(app: FastAPI) -> None:
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": NO_ROUTE_PATH,
        "root_path": "",
        "headers": [],
        "query_string": b"",
    }
    for route in app.router.routes:
        route.matches(dict(scope))

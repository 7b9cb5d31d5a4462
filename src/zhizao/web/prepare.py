"""Do before serving what the first requests would otherwise wait for: preparing the routes, loading the
scheduler's compiled search.

FastAPI prepares an included router's routes (their dependencies and parameter models) the first time a request
is matched against that router, and a request walks the routers in order until one matches: without this, the
first request after a start to a route near the end waits while every router before it is prepared — 3 s for the
whole app on a quiet core. Matching one path that no route has walks them all, before the server takes requests.
The routes are included once per process (``zhizao.web.app.shared_routes``), so they are prepared once, whichever
app of the process is prepared or asked first.

The job-shop scheduler's tabu search is compiled by numba: on the first start after an install that takes seconds
(7.6 s here) and holds the interpreter lock, later starts read it from numba's disk cache in under a second. Loaded
by the first solve instead, it would eat that solve's time limit and stall every other request meanwhile.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.types import Scope

from zhizao.c2m.scheduling.tabu_compiled import load_kernel

logger = logging.getLogger(__name__)

NO_ROUTE_PATH = "/\x00"  # no route's path has a NUL, and a request cannot send one


def prepare_to_serve(app: FastAPI) -> None:
    prepare_routes(app)
    load_scheduling_kernel()


def load_scheduling_kernel() -> None:
    """Load the compiled search now; where it cannot be (numba missing or broken), say so: the scheduler then uses
    its pure-Python search."""
    try:
        load_kernel()
    except RuntimeError as exc:
        logger.warning("scheduling will use the pure-Python tabu search: %s", exc)


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

"""What the route-walking tests need to know about the app's routes, read from the app itself."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from zhizao.accounts.deps import RoleRequirement
from zhizao.accounts.roles import Role
from zhizao.settings import load_settings
from zhizao.web.app import create_app


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    allowed_roles: frozenset[Role] | None  # None: any signed-in user
    has_body: bool

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def url(self, **values: Any) -> str:
        return re.sub(r"{(\w+)}", lambda match: str(values.get(match.group(1), 999_999)), self.path)


def _role_requirement(dependant: Dependant) -> frozenset[Role] | None:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleRequirement):
            return dependency.call.allowed_roles
        found = _role_requirement(dependency)
        if found is not None:
            return found
    return None


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router whole (without prefixes added at include time, which we do not use).
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def operations(app: FastAPI) -> Iterator[Operation]:
    """Every operation in the OpenAPI schema, with the roles its shared dependencies admit."""
    schema_paths = app.openapi()["paths"]
    for route in _api_routes(app.routes):
        if route.path not in schema_paths:
            continue
        for method in sorted(route.methods):
            if method.lower() not in schema_paths[route.path]:
                continue
            yield Operation(method, route.path, _role_requirement(route.dependant), route.body_field is not None)


@cache
def collection_app() -> FastAPI:
    """An app to read routes from at collection time; it never touches its (in-memory) database.

    One for the whole run: building its OpenAPI schema takes seconds, and the app keeps it once built.
    """
    return create_app(load_settings(database_url="sqlite://", secret_key="collection-only-secret-0123456789abc"))


OPERATIONS = list(operations(collection_app()))

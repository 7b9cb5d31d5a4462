"""Property-based walk of the whole OpenAPI schema with Schemathesis, in process, on SQLite.

Every operation gets generated inputs, valid and invalid, twice: as an admin (who may call everything) and
anonymously. Whatever comes in, the app must not answer 5xx, and every 4xx must carry the one error shape,
``{"error": {"code": str, "message": str, "fields": [...]}}``. A 429 from the throttled login is a valid answer.

What this walk proves is about input validation and the error shape, which the web layer and the services'
checks decide before and apart from the SQL: it does not depend on the database backend, so it runs on SQLite
only (it ran on both, at twice the cost). What differs between backends (constraints, locking, tenant scoping in
queries) is proved on both by each context's own tests and by the tenant walk of ``test_route_authz.py``.

The admin walk, whose calls reach the routes, runs all of Schemathesis's phases: its coverage phase (about 50
deterministic boundary and negative cases per operation, every field) and 30 generated examples. An anonymous
call is refused by the authentication dependency before its body or parameters are read, so the anonymous walk
skips the coverage phase and sends a handful of generated inputs per operation: enough to show that whatever
comes in, the answer is a 4xx in the error shape. The few public operations in the schema (the login) answer
the same inputs with or without the admin's token, so the admin walk covers their inputs in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from tests.conftest import Account, World, bearer
from tests.web.routes import collection_app
from zhizao.accounts.roles import Role
from zhizao.web.pages import PUBLIC_PATHS

# Bounded for CI on two cores: each test covers every operation, on SQLite (see above).
ADMIN_EXAMPLES = 30
ANONYMOUS_EXAMPLES = 4
# The fixtures (app, database, admin) are built once per test and shared by all generated cases on purpose.
# FastAPI prepares the routes of an included router the first time a request is matched against it, so a test's
# first call (its app is new) prepares every router up to its operation's: up to 3 s on a quiet core, and past
# Schemathesis's default 10 s read timeout on a loaded CI machine. A hung call still fails, at this limit.
CALL_TIMEOUT_S = 60
HEALTH_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

# Operations whose success may sign the caller out (auth_version bumps) or change the caller's password.
SELF_AFFECTING = {
    ("POST", "/api/me/password"),
    ("PATCH", "/api/users/{user_id}"),
    ("POST", "/api/users/{user_id}/password"),
}


# Operations are read at collection time from an app that never touches its database; each generated case is
# then sent to the test's own app (one per backend), built on the `database` fixture.
# (`schemathesis.pytest.from_fixture` would load the schema from a fixture instead, but its lazy subtests rely on
# `Node._nodeid`, which pytest 9 no longer has.)
schema = schemathesis.openapi.from_asgi("/openapi.json", collection_app())
anonymous_schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    collection_app(),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)


def error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every 4xx from the JSON API is ``{"error": {"code": str, "message": str, "fields": list}}``."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} body is not JSON: {response.content[:500]!r}") from exc
    error = body.get("error") if isinstance(body, dict) else None
    problems = []
    if not isinstance(error, dict):
        problems.append("no `error` object")
    else:
        if not isinstance(error.get("code"), str):
            problems.append("`error.code` is not a string")
        if not isinstance(error.get("message"), str):
            problems.append("`error.message` is not a string")
        if not isinstance(error.get("fields"), list):
            problems.append("`error.fields` is not a list")
    assert not problems, f"{response.status_code} not in the error shape ({'; '.join(problems)}): {body!r}"


def rejected(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Without credentials every call is refused with a 4xx (401, or 422/429 from the login itself)."""
    assert 400 <= response.status_code < 500, f"anonymous call answered {response.status_code}"


CHECKS = [not_a_server_error, error_shape]


class AdminSession:
    """An admin's bearer token, renewed when a generated call signs the admin out or changes their password."""

    def __init__(self, client: TestClient, account: Account) -> None:
        self.client = client
        self.account = account
        self.headers = bearer(client, account)

    def after(self, case: schemathesis.Case, response: schemathesis.Response) -> None:
        if (case.method.upper(), case.path) not in SELF_AFFECTING or response.status_code >= 300:
            return
        body = case.body if isinstance(case.body, dict) else {}
        changed_own_password = case.path == "/api/me/password" or (
            case.path.endswith("/password") and case.path_parameters == {"user_id": self.account.user_id}
        )
        if changed_own_password and isinstance(body.get("new_password"), str):
            self.account = Account(
                self.account.user_id,
                self.account.username,
                body["new_password"],
                self.account.role,
                self.account.organisation_id,
            )
        if self.client.get("/api/me", headers=self.headers).status_code == 401:
            self.headers = bearer(self.client, self.account)


# A parametrized fixture still (of one), so that each test's id names its operation: Schemathesis builds the
# id from the parametrization, and without one every test would be just `test_api_as_admin` (and xdist, which
# tells tests apart by their ids, would run one of them).
@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite only, in place of the shared fixture's two backends (see the module's docstring)."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _stop_app_lifespans() -> Iterator[None]:
    """Schemathesis keeps each app's lifespan (and so the app) alive for the whole session unless told to stop."""
    yield
    asgi.shutdown_lifespans()


@pytest.fixture
def admin_session(client: TestClient, world: World) -> AdminSession:
    # A name the generator will not stumble on, so failed generated logins never lock the admin out.
    return AdminSession(client, world.user(Role.ADMIN, username="schemathesis-admin-q7x2"))


@schema.parametrize()
@settings(max_examples=ADMIN_EXAMPLES, deadline=None, suppress_health_check=HEALTH_CHECKS)
def test_api_as_admin(case: schemathesis.Case, app: FastAPI, admin_session: AdminSession) -> None:
    response = case.call(app=app, headers=admin_session.headers, timeout=CALL_TIMEOUT_S)
    case.validate_response(response, checks=CHECKS, headers=admin_session.headers)
    admin_session.after(case, response)


@anonymous_schema.parametrize()
@settings(max_examples=ANONYMOUS_EXAMPLES, deadline=None, suppress_health_check=HEALTH_CHECKS)
def test_api_anonymously(case: schemathesis.Case, app: FastAPI) -> None:
    response = case.call(app=app, timeout=CALL_TIMEOUT_S)
    # Public operations (the directory, the published smart-factory list) answer the public; the rest refuse.
    checks = CHECKS if case.path in PUBLIC_PATHS else [*CHECKS, rejected]
    case.validate_response(response, checks=checks)

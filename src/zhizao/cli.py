"""The ``zhizao`` command. Each context adds its sub-commands here as a Typer group."""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao import migrations
from zhizao.accounts import service as accounts
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate
from zhizao.db.engine import Database, create_database
from zhizao.demo import seed_all
from zhizao.errors import ZhizaoError, plain_message
from zhizao.settings import Settings, ensure_safe_to_serve, load_settings
from zhizao.simulator.cli import simulate_app
from zhizao.web.app import create_app

app = typer.Typer(help="zhizao 智造 — smart-factory programme platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="orgs")
app.add_typer(simulate_app, name="simulate")

# Messages hold user input: never read as markup, never wrapped (pipes and logs read one error per line).
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# API field names as the CLI's options call them.
OPTION_NAMES = {"organisation_id": "organisation"}


def _say(message: str) -> None:
    out.print(message, markup=False)


def _error(field: str, message: str) -> None:
    err.print(Text("error: ", style="red") + Text(f"{field}: {message}" if field else message))


T = TypeVar("T")

DataDir = Annotated[Path | None, typer.Option(help="Data directory (ZHIZAO_DATA_DIR).")]
DatabaseUrl = Annotated[str | None, typer.Option(help="SQLAlchemy URL (ZHIZAO_DATABASE_URL).")]


def _settings(data_dir: Path | None = None, database_url: str | None = None, **extra: object) -> Settings:
    overrides: dict[str, object] = {key: value for key, value in extra.items() if value is not None}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        raise _fail_validation(exc) from exc


def _fail_validation(exc: ValidationError) -> typer.Exit:
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "input"
        _error(OPTION_NAMES.get(field, field), plain_message(str(error["msg"])))
    raise typer.Exit(2)


def _guarded(action: Callable[[], T]) -> T:
    """Run an action; a user's mistake becomes one clear line on stderr and exit code 2, not a traceback."""
    try:
        return action()
    except ValidationError as exc:
        raise _fail_validation(exc) from exc
    except ZhizaoError as exc:
        for problem in exc.fields:
            field = problem.field.removeprefix("body.")
            _error(OPTION_NAMES.get(field, field), problem.message)
        if not exc.fields:
            _error("", exc.message)
        raise typer.Exit(2) from exc


@contextmanager
def _database(settings: Settings, *, migrated: bool = True) -> Iterator[Database]:
    """The configured database; with ``migrated``, refuse one whose schema is not at the newest revision."""
    database = create_database(settings)
    try:
        if migrated and not migrations.is_current(database.engine):
            _error("database", "the schema is not up to date; run `zhizao db upgrade` first")
            raise typer.Exit(2)
        yield database
    finally:
        database.dispose()


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Create or migrate the schema to the newest revision."""
    settings = _settings(data_dir, database_url)
    with _database(settings, migrated=False) as database:
        migrations.upgrade(database.engine)
    _say(f"database at {database.engine.url.render_as_string(hide_password=True)} is up to date")


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Option(help="Registered name.")],
    kind: Annotated[OrganisationKind, typer.Option(help="What kind of body it is.")],
    credit_code: Annotated[str | None, typer.Option(help="统一社会信用代码 (18 characters).")] = None,
    district: Annotated[str | None, typer.Option(help="Shanghai district, e.g. 浦东新区.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Register an organisation."""
    settings = _settings(data_dir, database_url)
    with _database(settings) as database, database.session() as session:
        org = _guarded(
            lambda: accounts.create_organisation(
                session,
                None,
                OrganisationCreate(name=name, kind=kind, credit_code=credit_code, district=district),
            )
        )
    _say(f"created organisation {org.id}: {org.name} ({org.kind.value})")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Login name (letters, digits, _ . -).")],
    role: Annotated[Role, typer.Option(help="The user's role.")],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the UI.")] = None,
    organisation: Annotated[str | None, typer.Option(help="Organisation id or exact name.")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters."),
    ] = "",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user (prompts for the password unless --password is given)."""
    settings = _settings(data_dir, database_url)
    with _database(settings) as database, database.session() as session:
        organisation_id = _resolve_organisation(session, organisation)
        user = _guarded(
            lambda: accounts.create_user(
                session,
                None,
                UserCreate(
                    username=username,
                    display_name=display_name or username,
                    password=password,
                    role=role,
                    organisation_id=organisation_id,
                    email=email,
                ),
            )
        )
    _say(f"created user {user.id}: {user.username} ({user.role.value})")


def _resolve_organisation(session: Session, value: str | None) -> int | None:
    if value is None:
        return None
    column = Organisation.id if value.isdigit() else Organisation.name
    found = session.scalar(select(Organisation.id).where(column == (int(value) if value.isdigit() else value)))
    session.rollback()
    if found is None:
        _error("organisation", f"no organisation {value!r}")
        raise typer.Exit(2)
    return found


def _serve(settings: Settings, announce: str) -> None:
    application = create_app(settings)
    out.print(Text(announce, style="bold green"))
    uvicorn.run(application, host=settings.host, port=settings.port, log_level=settings.log_level.lower())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (ZHIZAO_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (ZHIZAO_PORT).")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Migrate the database, then serve the web UI and API."""
    settings = _settings(data_dir, database_url, host=host, port=port)
    _guarded(lambda: ensure_safe_to_serve(settings))
    with _database(settings, migrated=False) as database:
        migrations.upgrade(database.engine)
    _serve(settings, f"zhizao serving on http://{settings.host}:{settings.port}")


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    data_dir: Annotated[Path | None, typer.Option(help="Use this (empty) directory instead of a new one.")] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare the demo database, then exit.")] = False,
) -> None:
    """Run the platform with demo data: a fresh SQLite database, one login per role, on http://127.0.0.1."""
    directory = data_dir or Path(tempfile.mkdtemp(prefix="zhizao-demo-"))
    if directory.exists() and any(directory.iterdir()):
        _error("data-dir", f"{directory} is not empty; the demo starts from a fresh directory")
        raise typer.Exit(2)
    settings = _settings(directory, None, demo=True, secure_cookies=False, host="127.0.0.1", port=port)
    with _database(settings, migrated=False) as database:
        migrations.upgrade(database.engine)
        reports = seed_all(database, settings)
    _say(f"demo data in {directory}")
    for report in reports:
        table = Table(*report.headers, title=report.title)
        for row in report.rows:
            table.add_row(*row)
        out.print(table)
    if no_serve:
        return
    _serve(settings, f"zhizao demo is running at http://127.0.0.1:{port} (Ctrl+C stops)")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)

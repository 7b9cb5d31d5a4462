"""What every ``zhizao`` sub-command shares: settings from options, one-line errors, the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from zhizao import migrations
from zhizao.db.engine import Database, create_database
from zhizao.errors import ZhizaoError, plain_message
from zhizao.settings import Settings, load_settings

T = TypeVar("T")

DataDir = Annotated[Path | None, typer.Option(help="Data directory (ZHIZAO_DATA_DIR).")]
DatabaseUrl = Annotated[str | None, typer.Option(help="SQLAlchemy URL (ZHIZAO_DATABASE_URL).")]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# API field names as the CLI's options call them.
OPTION_NAMES = {"organisation_id": "organisation"}


def say(message: str) -> None:
    out.print(message, markup=False)


def error(field: str, message: str) -> None:
    err.print(Text("error: ", style="red") + Text(f"{field}: {message}" if field else message))


def settings_from(data_dir: Path | None = None, database_url: str | None = None, **extra: object) -> Settings:
    overrides: dict[str, object] = {key: value for key, value in extra.items() if value is not None}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        raise fail_validation(exc) from exc


def fail_validation(exc: ValidationError) -> typer.Exit:
    for problem in exc.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "input"
        error(OPTION_NAMES.get(field, field), plain_message(str(problem["msg"])))
    raise typer.Exit(2)


def guarded(action: Callable[[], T]) -> T:
    """Run an action; a user's mistake becomes one clear line on stderr and exit code 2, not a traceback."""
    try:
        return action()
    except ValidationError as exc:
        raise fail_validation(exc) from exc
    except ZhizaoError as exc:
        for problem in exc.fields:
            field = problem.field.removeprefix("body.")
            error(OPTION_NAMES.get(field, field), problem.message)
        if not exc.fields:
            error("", exc.message)
        raise typer.Exit(2) from exc


@contextmanager
def open_database(settings: Settings, *, migrated: bool = True) -> Iterator[Database]:
    """The configured database; with ``migrated``, refuse one whose schema is not at the newest revision."""
    database = create_database(settings)
    try:
        if migrated and not migrations.is_current(database.engine):
            error("database", "the schema is not up to date; run `zhizao db upgrade` first")
            raise typer.Exit(2)
        yield database
    finally:
        database.dispose()

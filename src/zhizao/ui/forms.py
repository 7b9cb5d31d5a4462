"""HTML form handling shared by every context's pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from pydantic import ValidationError
from starlette.requests import Request

from zhizao.errors import Conflict, FieldProblem, InputError, plain_message

T = TypeVar("T")


def attempt(action: Callable[[], T]) -> tuple[T | None, list[FieldProblem]]:
    """Run a form's action; turn what the user got wrong into messages for the form instead of an error page."""
    try:
        return action(), []
    except ValidationError as exc:
        problems = [FieldProblem(".".join(str(p) for p in e["loc"]), plain_message(e["msg"])) for e in exc.errors()]
        return None, problems
    except (InputError, Conflict) as exc:
        return None, exc.fields or [FieldProblem("", exc.message)]


# Larger numbers cannot be bound as SQL integers on SQLite; every id and count in a form fits far below.
LARGEST_FORM_INT = 2**63 - 1


def optional_int(value: str | None) -> int | None:
    """A form's optional number: blank is None; anything else is left for the schema to judge (-1 if it is not
    plain ASCII digits, e.g. "²" or "1e3", or too large to be any stored number)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > LARGEST_FORM_INT:
        return -1
    return int(text)


# The days a page asks about (a production day, a report's day): the programme's years, far from the calendar's
# ends, where a day or two either side in any time zone is still a date (``date.max`` + 1 day is an OverflowError).
FIRST_FORM_DAY = date(2000, 1, 1)
LAST_FORM_DAY = date(2100, 12, 31)


def form_day(value: str, field: str) -> date:
    """A day typed into a form (YYYY-MM-DD), within ``FIRST_FORM_DAY`` … ``LAST_FORM_DAY``; else ``InputError``."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError.for_field(field, f"not a date (YYYY-MM-DD): {value!r}") from exc
    if not FIRST_FORM_DAY <= day <= LAST_FORM_DAY:
        raise InputError.for_field(field, f"a day from {FIRST_FORM_DAY} to {LAST_FORM_DAY}")
    return day


async def posted_strings(request: Request) -> dict[str, str]:
    """The form's text fields as sent (files left out). The form is closed here: FastAPI closes only the forms it
    parses itself, and an uploaded part would otherwise stay in a temporary file until garbage collection."""
    async with request.form() as form:
        return {key: value for key, value in form.items() if isinstance(value, str)}

"""Form handling shared by the programme's pages: reading what a form posted, running the service step it asks for
in the service's own transaction, and answering with a redirect (303, post/redirect/get) or with the page again and
what the user got wrong (422, nothing stored).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from zhizao.errors import FieldProblem
from zhizao.ui.csrf import CSRF_FORM_FIELD
from zhizao.ui.forms import attempt, posted_strings
from zhizao.ui.templating import render

T = TypeVar("T")
View = Callable[[list[FieldProblem]], Response]


# Each reader closes the form it read: FastAPI closes only the forms it parses itself, and an uploaded file part
# would otherwise stay in a temporary file until garbage collection.
async def posted_form(request: Request) -> AsyncIterator[FormData]:
    async with request.form() as form:
        yield form


async def filled_fields(request: Request) -> dict[str, str]:
    """The form's filled-in text fields, stripped, for a schema to read: blank ones are left out (so the schema's
    defaults apply), and so is the CSRF token (the middleware has checked it)."""
    async with request.form() as form:
        return {
            key: value.strip()
            for key, value in form.items()
            if isinstance(value, str) and value.strip() and key != CSRF_FORM_FIELD
        }


PostedForm = Annotated[FormData, Depends(posted_form)]
PostedStrings = Annotated[dict[str, str], Depends(posted_strings)]
FilledFields = Annotated[dict[str, str], Depends(filled_fields)]


def text(form: FormData, name: str) -> str | None:
    """A text field, stripped; blank is None so that the schema's optional fields stay unset."""
    value = form.get(name)
    return (value.strip() or None) if isinstance(value, str) else None


def texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated text field, stripped."""
    return [value.strip() for value in form.getlist(name) if isinstance(value, str)]


def form_values(form: Mapping[str, Any], fields: Iterable[str], *, blank_is_none: bool) -> dict[str, str | None]:
    """The named fields a form sent, trimmed. A blank field is None (it clears an optional value) or, for a new
    record, left out (so that a required one is reported missing)."""
    values: dict[str, str | None] = {}
    for name in fields:
        value = form.get(name)
        if not isinstance(value, str):
            continue
        if value.strip():
            values[name] = value.strip()
        elif blank_is_none:
            values[name] = None
    return values


def submit(session: Session, action: Callable[[], T], done: str | Callable[[T], str], view: View) -> Response:
    """Run a form's action in the service's own transaction (whatever the page read first is rolled back), then
    redirect to ``done`` (a path, or the path of what the action returned); on what the user got wrong, roll back
    and show the page again with the problems."""
    session.rollback()
    result, problems = attempt(action)
    if problems:
        session.rollback()
        return view(problems)
    return RedirectResponse(done if isinstance(done, str) else done(cast(T, result)), status_code=303)


def form_page(request: Request, template: str, context: dict[str, Any], problems: list[FieldProblem]) -> Response:
    """A page with a form: 422 when it shows problems, else 200."""
    return render(request, template, {**context, "problems": problems}, status_code=422 if problems else 200)

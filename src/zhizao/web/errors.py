"""One error shape for the JSON API, ``{"error": {"code", "message", "fields": [...]}}``, and friendly pages."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from zhizao.errors import (
    AuthenticationFailed,
    ConfigurationError,
    Conflict,
    FieldProblem,
    InputError,
    LoginThrottled,
    MalformedInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    ZhizaoError,
    plain_message,
)
from zhizao.ui import i18n
from zhizao.ui.templating import render

logger = logging.getLogger(__name__)

STATUS_OF: list[tuple[type[ZhizaoError], int]] = [
    (MalformedInput, 400),
    (InputError, 422),
    (LoginThrottled, 429),
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (Unavailable, 502),
    (ConfigurationError, 500),
]

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    502: "unavailable",
}

JSON_PREFIXES = ("/api/", "/healthz", "/metrics", "/openapi.json")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


def error_body(code: str, message: str, fields: list[FieldProblem] | None = None) -> dict[str, Any]:
    problems = [{"field": problem.field, "message": problem.message} for problem in fields or []]
    return {"error": {"code": code, "message": message, "fields": problems}}


def _respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    fields: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)
    if status == 401:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    titles = {403: i18n.N_("You may not open this page"), 404: i18n.N_("Page not found")}
    context = {
        "status": status,
        "title": titles.get(status, i18n.N_("Something went wrong")),
        "message": message,
        "fields": fields or [],
    }
    return render(request, "error.html", context, status_code=status)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def handle_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return _respond(request, 400, MalformedInput.code, "the request body is not valid JSON")
    fields = [
        FieldProblem(_location(error.get("loc", ())), plain_message(str(error.get("msg", "invalid"))))
        for error in errors
    ]
    summary = "; ".join(f"{problem.field}: {problem.message}" for problem in fields[:5])
    return _respond(request, 422, InputError.code, f"invalid input — {summary}", fields)


async def handle_zhizao_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ZhizaoError)
    status = next(code for cls, code in STATUS_OF if isinstance(exc, cls)) if _known(exc) else 400
    headers: dict[str, str] = {}
    if isinstance(exc, (LoginThrottled, RateLimited)):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    elif isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, ConfigurationError):
        logger.error("configuration error serving %s: %s", request.url.path, exc.message)
    elif isinstance(exc, Unavailable):
        logger.warning("upstream unavailable serving %s: %s", request.url.path, exc.message)
    return _respond(request, status, exc.code, exc.message, exc.fields, headers or None)


def _known(exc: ZhizaoError) -> bool:
    return any(isinstance(exc, cls) for cls, _ in STATUS_OF)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers) if exc.headers else None
    return _respond(request, exc.status_code, code, message, headers=headers)


async def handle_unstorable_value(request: Request, exc: Exception) -> Response:
    """Backstop: a value the database cannot store (out of range, NUL in text) that no schema caught is still the
    caller's mistake. Typed inputs (``zhizao.fields``) should catch it first, naming the field."""
    logger.warning("unstorable value in %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return _respond(
        request, 422, InputError.code, "a value is out of range or contains characters that cannot be stored"
    )


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error serving %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(request, 500, "internal_error", "an internal error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(ZhizaoError, handle_zhizao_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(DataError, handle_unstorable_value)
    app.add_exception_handler(Exception, handle_unexpected)

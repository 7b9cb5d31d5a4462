"""CSRF protection for everything a browser sends with the session cookie.

A cookie rides along on cross-site requests, so every state-changing request of a browser session must also
carry the session's token: in the ``X-CSRF-Token`` header (HTMX sends it on every request) or in the form field
``csrf_token``. Requests without a session (API clients with a bearer token) are not cookie-borne and pass.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_CSRF_KEY = "csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(session: dict[str, Any]) -> str:
    """The session's token, created on first use."""
    token = session.get(SESSION_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF_KEY] = token
    return token


def rotate_csrf_token(session: dict[str, Any]) -> str:
    session.pop(SESSION_CSRF_KEY, None)
    return csrf_token(session)


def _matches(session: dict[str, Any], sent: object) -> bool:
    expected = session.get(SESSION_CSRF_KEY)
    return isinstance(expected, str) and isinstance(sent, str) and secrets.compare_digest(expected, sent)


class CSRFMiddleware:
    """Runs inside SessionMiddleware, which has put the decoded cookie at ``scope["session"]``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or not scope.get("session"):
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        if "authorization" in headers:
            await self.app(scope, receive, send)
            return
        session: dict[str, Any] = scope["session"]
        if _matches(session, headers.get(CSRF_HEADER)):
            await self.app(scope, receive, send)
            return
        if headers.get("content-type", "").startswith(FORM_TYPES):
            body = await _read_body(receive)
            replay = _replayer(body)
            form = await Request(scope, _replayer(body)).form()
            sent = form.get(CSRF_FORM_FIELD)
            await form.close()
            if _matches(session, sent):
                await self.app(scope, replay, send)
                return
        await _refuse(scope, send)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replayer(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _refuse(scope: Scope, send: Send) -> None:
    path: str = scope["path"]
    message = "missing or wrong CSRF token: reload the page and try again"
    if path.startswith("/api/"):
        payload = json.dumps({"error": {"code": "csrf_failed", "message": message, "fields": []}}).encode()
        content_type = b"application/json"
    else:
        payload = f"<!doctype html><meta charset=utf-8><title>403</title><p>{message}</p>".encode()
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})

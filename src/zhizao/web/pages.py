"""The shell every user meets: sign-in and sign-out, the home page, the language switch, health and metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import JSONResponse, RedirectResponse, Response

from zhizao.accounts import audit, auth, service
from zhizao.accounts.deps import (
    SESSION_USER_KEY,
    SESSION_VERSION_KEY,
    CurrentUser,
    DatabaseDep,
    SessionDep,
    SettingsDep,
    client_address,
)
from zhizao.accounts.roles import ROLE_LABELS, Role
from zhizao.errors import AuthenticationFailed, LoginThrottled
from zhizao.programme import pages_cockpit as programme_cockpit
from zhizao.programme import public_paths as programme_public
from zhizao.ui import i18n
from zhizao.ui.csrf import rotate_csrf_token
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render
from zhizao.web.middleware import LOCALE_COOKIE

router = APIRouter(include_in_schema=False)

NAV = (NavItem(i18n.N_("Home"), "/", order=0),)

# Public routes: reachable without signing in (the route-walking test reads this list).
# The HTTP ingest endpoint authenticates devices by their own token, not users.
PUBLIC_PATHS = frozenset(
    {
        "/login",
        "/logout",
        "/lang/{locale}",
        "/healthz",
        "/metrics",
        "/api/auth/token",
        "/api/ingest/{enterprise_id}/{device_code}",
        "/api/vision/gateway/stations/{station_id}/inspections",  # the station's token, not a user's
    }
    | programme_public.PUBLIC_PATHS
)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/healthz")
def healthz(database: DatabaseDep) -> JSONResponse:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # health checks report, they do not raise
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/metrics")
def metrics(request: Request, settings: SettingsDep) -> Response:
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.get_secret_value()}"
        if request.headers.get("authorization") != expected:
            raise AuthenticationFailed("metrics need 'Authorization: Bearer <ZHIZAO_METRICS_TOKEN>'")
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)


@router.get("/lang/{locale}")
def switch_language(locale: str, next: str | None = None) -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    chosen = i18n.normalise_locale(locale)
    if chosen:
        response.set_cookie(LOCALE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = auth.authenticate(session, settings, username, password, remote_addr=client_address(request))
    except LoginThrottled as exc:
        message = i18n.gettext("Too many failed sign-ins. Try again in %(seconds)d seconds.")
        context = {"next": safe_next(next), "error": message % {"seconds": exc.retry_after_seconds}}
        return render(request, "login.html", context, status_code=429)
    except AuthenticationFailed:
        context = {"next": safe_next(next), "error": i18n.gettext("Wrong username or password.")}
        return render(request, "login.html", context, status_code=401)
    # A fresh session on sign-in: nothing carried over from before (session fixation).
    request.session.clear()
    request.session[SESSION_USER_KEY] = user.id
    request.session[SESSION_VERSION_KEY] = user.auth_version
    rotate_csrf_token(request.session)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(request: Request, principal: CurrentUser, session: SessionDep) -> Response:
    if principal.role is Role.OFFICER:
        # The programme office's home is the cockpit: every target against measured progress.
        return RedirectResponse(programme_cockpit.HOME, status_code=303)
    overview: dict[str, object] = {"principal": principal, "recent_audit": None, "users_by_role": None}
    if principal.sees_all_tenants:
        overview["recent_audit"] = audit.list_entries(session, limit=10)[0]
        counts = service.active_users_by_role(session, principal)
        overview["users_by_role"] = {
            "labels": [i18n.gettext(ROLE_LABELS[role]) for role in counts],
            "values": list(counts.values()),
        }
    return render(request, "home.html", overview)

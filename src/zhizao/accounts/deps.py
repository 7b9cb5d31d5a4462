"""Authorisation as shared FastAPI dependencies, so that no route can forget it.

    CurrentUser        any authenticated caller (bearer access token, personal API token or UI session)
    require_role(...)  a dependency that also checks the caller's role; read by the route-walking test
    SessionDep         a database session for the request (services open its transactions)

Requests authenticated by the session cookie are checked for a CSRF token by ``zhizao.ui.csrf`` before
they reach a route. Tenant scoping lives in services (``Principal.may_access_tenant``): another tenant's id
is a 404, not a 403, so that ids of other tenants' rows cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from zhizao.accounts.auth import principal_of, user_for_bearer, user_for_session
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.errors import AuthenticationFailed, PermissionDenied
from zhizao.settings import Settings

SESSION_USER_KEY = "uid"
SESSION_VERSION_KEY = "ver"

# Declares the OAuth2 password flow in the OpenAPI schema (the "Authorize" button in /docs).
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    with database.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[Session, Depends(get_session)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def optional_principal(
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal | None:
    """Who is calling, or None for an anonymous caller. A bad credential is an error, never anonymous."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    remote = client_address(request)
    # A short session of its own: the request's SessionDep stays free for the service's transaction.
    with database.sessions() as session:
        if bearer:
            principal = principal_of(user_for_bearer(session, settings, bearer), remote)
        else:
            user_id = request.session.get(SESSION_USER_KEY)
            if not isinstance(user_id, int):
                return None
            try:
                user = user_for_session(session, user_id, int(request.session.get(SESSION_VERSION_KEY, 0)))
            except AuthenticationFailed:
                request.session.clear()
                raise
            principal = principal_of(user, remote)
    request.state.principal = principal
    return principal


def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise AuthenticationFailed("log in or send 'Authorization: Bearer <token>'")
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


class RoleRequirement:
    """A dependency that admits only the given roles. ``allowed_roles`` is read by the route-walking test."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("name at least one role")
        self.allowed_roles = frozenset(roles)

    def __call__(self, principal: CurrentUser) -> Principal:
        if principal.role not in self.allowed_roles:
            raise PermissionDenied(f"role {principal.role.value} may not do this")
        return principal

    def __repr__(self) -> str:
        return f"require_role({', '.join(sorted(self.allowed_roles))})"


def require_role(*roles: Role) -> RoleRequirement:
    return RoleRequirement(*roles)


AdminUser = Annotated[Principal, Depends(require_role(Role.ADMIN))]
OverseerUser = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER))]

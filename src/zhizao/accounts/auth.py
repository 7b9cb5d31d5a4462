"""Establishing who a caller is: password login with throttling, access tokens, personal API tokens, sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.credentials import (
    DUMMY_PASSWORD_HASH,
    hash_api_token,
    hash_password,
    issue_access_token,
    new_api_token,
    password_needs_rehash,
    read_access_token,
    verify_password,
)
from zhizao.accounts.models import ApiToken, LoginThrottle, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.schemas import AccessToken, ApiTokenCreate
from zhizao.db.base import utcnow
from zhizao.errors import AuthenticationFailed, LoginThrottled, NotFound
from zhizao.settings import Settings

BAD_CREDENTIALS = "wrong username or password"


def principal_of(user: User, remote_addr: str | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organisation_id=user.organisation_id,
        organisation_name=user.organisation.name if user.organisation else None,
        remote_addr=remote_addr,
    )


def authenticate(
    session: Session, settings: Settings, username: str, password: str, *, remote_addr: str | None = None
) -> User:
    """Check a username and password; after ``login_max_failures`` failures the name is locked for a while."""
    if "\x00" in username or "\x00" in password:
        raise AuthenticationFailed(BAD_CREDENTIALS)  # no stored name or password can hold NUL
    key = username.strip().casefold()[:64]
    now = utcnow()
    with session.begin():
        throttle = session.get(LoginThrottle, key, with_for_update=True)
        if throttle and throttle.locked_until and throttle.locked_until > now:
            wait = int((throttle.locked_until - now).total_seconds()) + 1
            raise LoginThrottled(f"too many failed logins; try again in {wait} s", retry_after_seconds=wait)
        user = session.scalar(select(User).where(User.username == username.strip()))
        valid = verify_password(user.password_hash if user else DUMMY_PASSWORD_HASH, password)
        if user is not None and valid and user.is_active:
            if throttle is not None:
                session.delete(throttle)
            if password_needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = now
            audit.record(
                session,
                principal_of(user, remote_addr),
                action="auth.login",
                entity_type="user",
                entity_id=user.id,
            )
            return user
        _count_failure(session, settings, key, throttle, now, remote_addr)
    raise AuthenticationFailed(BAD_CREDENTIALS)


def _count_failure(
    session: Session,
    settings: Settings,
    key: str,
    throttle: LoginThrottle | None,
    now: datetime,
    remote_addr: str | None,
) -> None:
    window = timedelta(seconds=settings.login_lockout_seconds)
    if throttle is None:
        throttle = LoginThrottle(username=key, failures=0, first_failure_at=now)
        session.add(throttle)
    elif throttle.first_failure_at < now - window:
        throttle.failures, throttle.first_failure_at, throttle.locked_until = 0, now, None
    throttle.failures += 1
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = now + window
        audit.record(
            session,
            None,
            action="auth.lockout",
            entity_type="login",
            entity_id=key,
            detail=f"{throttle.failures} failed logins from {remote_addr or 'unknown address'}",
        )


def issue_access(settings: Settings, user: User) -> AccessToken:
    ttl = timedelta(minutes=settings.access_token_minutes)
    token = issue_access_token(
        settings.secret_key.get_secret_value(),
        user_id=user.id,
        auth_version=user.auth_version,
        now=utcnow(),
        ttl=ttl,
    )
    return AccessToken(access_token=token, expires_in=int(ttl.total_seconds()))


def user_for_bearer(session: Session, settings: Settings, token: str) -> User:
    """The active user behind an access token or a personal API token."""
    if token.startswith("zz_"):
        return _user_for_api_token(session, token)
    claims = read_access_token(settings.secret_key.get_secret_value(), token)
    return user_for_session(session, claims.user_id, claims.auth_version)


def user_for_session(session: Session, user_id: int, auth_version: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.auth_version != auth_version:
        raise AuthenticationFailed("the session is no longer valid; log in again")
    return user


def _user_for_api_token(session: Session, token: str) -> User:
    with session.begin():
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_api_token(token)))
        now = utcnow()
        if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
            raise AuthenticationFailed("the API token is not valid")
        if not row.user.is_active:
            raise AuthenticationFailed("the API token's user is deactivated")
        # Written at most once a minute, so busy API clients do not turn every read into a write.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            row.last_used_at = now
        return row.user


def list_api_tokens(session: Session, actor: Principal) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.created_at.desc())
    ).all()


def create_api_token(session: Session, actor: Principal, data: ApiTokenCreate) -> tuple[ApiToken, str]:
    minted = new_api_token()
    now = utcnow()
    with session.begin():
        row = ApiToken(
            user_id=actor.user_id,
            name=data.name,
            prefix=minted.prefix,
            token_hash=minted.token_hash,
            created_at=now,
            expires_at=now + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            action="api_token.create",
            entity_type="api_token",
            entity_id=row.id,
            after={"name": row.name, "prefix": row.prefix},
        )
    return row, minted.token


def revoke_api_token(session: Session, actor: Principal, token_id: int) -> ApiToken:
    with session.begin():
        row = session.get(ApiToken, token_id)
        if row is None or row.user_id != actor.user_id:
            raise NotFound(f"API token {token_id} not found")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(
                session,
                actor,
                action="api_token.revoke",
                entity_type="api_token",
                entity_id=row.id,
                after={"name": row.name, "prefix": row.prefix},
            )
    return row

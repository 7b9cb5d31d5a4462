"""Password hashing (argon2id), password rules, signed access tokens and personal API tokens. No I/O."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zhizao.errors import AuthenticationFailed, InputError

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost parameters

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
API_TOKEN_MARK = "zz_"  # noqa: S105 - a public prefix, not a secret
_JWT_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verified against when the username is unknown, so a failed login takes as long either way.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


def check_password_rules(password: str, *, username: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError.for_field(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError.for_field(field, f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if password.casefold() == username.casefold():
        raise InputError.for_field(field, "must not be the username")
    if len(set(password)) < 4:
        raise InputError.for_field(field, "must use at least 4 different characters")


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    auth_version: int


def issue_access_token(secret: str, *, user_id: int, auth_version: int, now: datetime, ttl: timedelta) -> str:
    claims = {"sub": str(user_id), "ver": auth_version, "iat": now, "exp": now + ttl, "typ": "access"}
    return jwt.encode(claims, secret, algorithm=_JWT_ALGORITHM)


def read_access_token(secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, secret, algorithms=[_JWT_ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailed("the access token has expired") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed("the access token is not valid") from exc
    if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
        raise AuthenticationFailed("the access token is not valid")
    return AccessClaims(user_id=int(claims["sub"]), auth_version=int(claims.get("ver", 0)))


@dataclass(frozen=True)
class NewApiToken:
    token: str  # shown once to its owner, never stored
    prefix: str
    token_hash: str


def new_api_token() -> NewApiToken:
    token = API_TOKEN_MARK + secrets.token_urlsafe(32)
    return NewApiToken(token=token, prefix=token[:10], token_hash=hash_api_token(token))


def hash_api_token(token: str) -> str:
    # The token carries 256 bits of randomness, so a fast hash is enough (GitHub and PyPI do the same).
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_api_token(token: str) -> bool:
    return token.startswith(API_TOKEN_MARK)

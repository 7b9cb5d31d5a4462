"""The exception tree. Services raise these; the web layer maps each to one HTTP status and one JSON shape.

ZhizaoError
├── ConfigurationError        settings that must not be used (e.g. the default secret outside demo mode)
├── InputError                 a value a caller sent is wrong             → 422
│   └── MalformedInput         the body is not parseable at all            → 400
├── AuthenticationFailed       who you are could not be established       → 401
│   └── LoginThrottled         too many failed logins; retry later         → 429
├── PermissionDenied           known caller, wrong role                    → 403
├── NotFound                   absent, or belongs to another tenant        → 404
├── Conflict                   violates a uniqueness or state rule         → 409
├── RateLimited                too many of one action in a window; retry   → 429
└── Unavailable                equipment or a server we reach did not answer → 502
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field a caller got wrong: a dotted path (``body.username``) and what is wrong with it."""

    field: str
    message: str


class ZhizaoError(Exception):
    """Base of every error zhizao raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, fields: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []


class ConfigurationError(ZhizaoError):
    code = "configuration_error"


class InputError(ZhizaoError):
    code = "invalid_input"

    @classmethod
    def for_field(cls, field: str, message: str) -> InputError:
        return cls(message, fields=[FieldProblem(field, message)])


class MalformedInput(InputError):
    code = "malformed_input"


class AuthenticationFailed(ZhizaoError):
    code = "not_authenticated"


class LoginThrottled(AuthenticationFailed):
    code = "login_throttled"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class PermissionDenied(ZhizaoError):
    code = "forbidden"


class NotFound(ZhizaoError):
    code = "not_found"


class Conflict(ZhizaoError):
    code = "conflict"


class RateLimited(ZhizaoError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(ZhizaoError):
    """A device, an OPC UA or Modbus server, a broker the platform talks to on the caller's behalf did not answer
    or refused: not the caller's mistake and not ours; the message says which and why."""

    code = "unavailable"


def plain_message(pydantic_message: str) -> str:
    """A validator's message without pydantic's "Value error, " prefix, which says nothing to a user."""
    return pydantic_message.removeprefix("Value error, ")

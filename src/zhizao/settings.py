"""Settings from ``ZHIZAO_*`` environment variables, built by :func:`load_settings` and injected, never global."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from zhizao.errors import ConfigurationError

# Known to everyone who reads this file: accepted only in demo mode and tests.
DEFAULT_SECRET_KEY = "zhizao-insecure-default-secret-change-me"  # noqa: S105

Locale = Literal["zh_CN", "en"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZHIZAO_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the SQLite database and other files live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite at <data_dir>/zhizao.db."
    )
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Session cookies are sent over HTTPS only, unless demo mode serves plain HTTP on loopback.
    secure_cookies: bool = True
    # Evidence files (10 MiB) and Excel imports (5 MiB) are the largest bodies; the rest are small JSON.
    max_request_bytes: int = Field(default=12 * 1024 * 1024, ge=1024)
    access_token_minutes: int = Field(default=60, ge=1)
    session_hours: int = Field(default=12, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)
    default_locale: Locale = "zh_CN"
    timezone: str = "Asia/Shanghai"
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, /metrics requires 'Authorization: Bearer <token>'."
    )
    log_level: str = "INFO"
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="Broker of the ingest workers: mqtt://[user[:password]@]host[:port] (mqtts:// for TLS).",
    )

    @field_validator("database_url")
    @classmethod
    def _no_blank_url(cls, value: str | None) -> str | None:
        return value or None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zhizao.db').resolve()}"

    @property
    def uses_default_secret(self) -> bool:
        return self.secret_key.get_secret_value() == DEFAULT_SECRET_KEY


def load_settings(**overrides: Any) -> Settings:
    """Read the environment, apply explicit overrides (CLI flags, tests) and return validated settings."""
    return Settings(**overrides)


def ensure_safe_to_serve(settings: Settings) -> None:
    """Refuse to serve real users with a secret everyone knows, or one too short to sign sessions safely."""
    if settings.demo:
        return
    if settings.uses_default_secret:
        raise ConfigurationError(
            "ZHIZAO_SECRET_KEY is the built-in default; set a random secret "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) or use `zhizao demo`."
        )
    if len(settings.secret_key.get_secret_value()) < 32:
        raise ConfigurationError("ZHIZAO_SECRET_KEY must be at least 32 characters long.")

"""Alembic environment: the engine comes from the caller (see zhizao.migrations), never from a config file."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine

from zhizao.db.base import UTCDateTime
from zhizao.migrations.schema import metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through zhizao.db.migrate, which passes the engine")


def render_item(kind: str, value: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write our timestamp type as the plain column type it is, so migrations import nothing of ours."""
    if kind == "type" and isinstance(value, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

"""The telemetry store for a Database, chosen by its dialect."""

from __future__ import annotations

from zhizao.db.engine import Database
from zhizao.telemetry.store.base import TelemetryStore


def open_store(database: Database) -> TelemetryStore:
    """A store on ``database``; it borrows the Database's connection pool, so dispose of the Database, not it."""
    dialect = database.engine.dialect.name
    if dialect == "sqlite":
        from zhizao.telemetry.store.sqlite import SqliteStore

        return SqliteStore(database)
    if dialect == "postgresql":
        from zhizao.telemetry.store.postgres import PostgresStore

        return PostgresStore(database)
    raise ValueError(f"no telemetry store for the {dialect} dialect")

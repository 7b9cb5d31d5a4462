"""Which failures of the database are worth retrying (the server went away) and which are the data's fault."""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy import exc as sa_exc

from zhizao.telemetry.store.postgres import MissingPartitionError

# Raised when the data cannot be stored as it is; retrying the same data fails the same way.
_DATA_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.DataError,
    sa_exc.IntegrityError,
    psycopg.DataError,
    psycopg.IntegrityError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
    ValueError,
    TypeError,
    OverflowError,
)


def is_data_error(error: BaseException) -> bool:
    """True when ``error`` blames the data (a value the database refuses), not the database being unavailable.
    Anything else, including errors not recognised, counts as transient: the batch is retried, never dropped."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return False
    return isinstance(error, _DATA_ERRORS)


def is_missing_partition(error: BaseException) -> bool:
    """Samples on a day the store has no partition for: ``prepare`` may fix it; if not, the timestamps are wrong."""
    return isinstance(error, MissingPartitionError)

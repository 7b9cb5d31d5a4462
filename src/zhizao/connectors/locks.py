"""Which runtime runs which connector: on PostgreSQL, the one holding the connector's advisory lock (session
level, on a connection of the runtime's own, in autocommit so that it never sits idle in a transaction); on SQLite
(one process) every runtime runs every connector it is given."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import Connection, text

from zhizao.db.engine import Database

logger = logging.getLogger(__name__)

ADVISORY_NAMESPACE = 0x7A7A_0C01  # the first key of every connector lock (the second is the connector's id)

_TRY_LOCK = text("SELECT pg_try_advisory_lock(CAST(:ns AS integer), CAST(:id AS integer))")
_UNLOCK = text("SELECT pg_advisory_unlock(CAST(:ns AS integer), CAST(:id AS integer))")


class ConnectorLocks(Protocol):
    def acquire(self, connector_id: int) -> bool: ...

    def release(self, connector_id: int) -> None: ...

    def alive(self) -> bool:
        """False when the locks taken so far may be lost (the connection broke): stop everything and start over."""

    def close(self) -> None: ...


class NoLocks:
    def acquire(self, connector_id: int) -> bool:
        return True

    def release(self, connector_id: int) -> None:
        return None

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        return None


class AdvisoryLocks:
    """Not thread-safe: the runtime calls it from one task at a time."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: Connection | None = None
        self._held: set[int] = set()
        self._lost = False  # the connection broke while holding locks: the runtime must stop those connectors

    def _connect(self) -> Connection:
        if self._connection is None:
            connection = self._database.engine.connect()
            self._connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def acquire(self, connector_id: int) -> bool:
        try:
            taken = bool(self._connect().scalar(_TRY_LOCK, {"ns": ADVISORY_NAMESPACE, "id": connector_id}))
        except Exception:
            logger.exception("could not take the lock of connector %d", connector_id)
            self._drop()
            return False
        if taken:
            self._held.add(connector_id)
        return taken

    def release(self, connector_id: int) -> None:
        if connector_id not in self._held:
            return
        self._held.discard(connector_id)
        if self._connection is None:
            return
        try:
            self._connection.scalar(_UNLOCK, {"ns": ADVISORY_NAMESPACE, "id": connector_id})
        except Exception:
            logger.exception("could not release the lock of connector %d", connector_id)
            self._drop()

    def alive(self) -> bool:
        if self._lost:
            self._lost = False
            return False
        if not self._held:
            return True
        try:
            self._connect().scalar(text("SELECT 1"))
            return True
        except Exception:
            logger.exception("the connection holding the connector locks broke")
            self._drop()
            self._lost = False
            return False

    def _drop(self) -> None:
        self._lost = self._lost or bool(self._held)
        self._held.clear()
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except Exception:
                logger.debug("closing a broken lock connection", exc_info=True)
            self._connection = None

    def close(self) -> None:
        self._held.clear()
        if self._connection is not None:
            self._connection.close()  # ends the session: PostgreSQL releases whatever it still held
            self._connection = None


def open_locks(database: Database) -> ConnectorLocks:
    return AdvisoryLocks(database) if database.engine.dialect.name == "postgresql" else NoLocks()

"""One planner or progress writer per maker at a time.

On PostgreSQL the transaction takes an advisory lock on the maker (namespace "C2"), so that several replicas running
the C2M services, or a planning request from the web beside them, never write one maker's schedule at once; it is
released when the transaction ends. SQLite has one writer anyway, but the reads of a plan happen before its writes,
so threads of one process (the web and the services of ``zhizao demo``) also share a process-local lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

ADVISORY_NAMESPACE = 0x4332  # "C2": keeps these keys apart from the other contexts' advisory locks

_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(maker_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(maker_id, threading.Lock())


@contextmanager
def maker_lock(session: Session, maker_id: int) -> Iterator[bool]:
    """Yields whether this caller holds the maker's lock; call inside the transaction that does the work."""
    local = _process_lock(maker_id)
    if not local.acquire(blocking=False):
        yield False
        return
    try:
        if session.get_bind().dialect.name == "postgresql":
            held = session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:ns, :id)"), {"ns": ADVISORY_NAMESPACE, "id": maker_id}
            )
            yield bool(held)
        else:
            yield True
    finally:
        local.release()

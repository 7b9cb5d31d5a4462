"""Throwaway PostgreSQL databases on the test server (the same helper the benchmarks use)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from zhizao.bench.infra import throwaway_database


@contextmanager
def fresh_postgres_database(server_url: str, prefix: str = "zhizao_test") -> Iterator[str]:
    """An empty database of our own on the server at ``server_url``, dropped afterwards; yields its URL."""
    with throwaway_database(server_url, prefix) as url:
        yield url

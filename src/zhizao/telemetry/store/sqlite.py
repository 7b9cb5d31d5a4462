"""The SQLite telemetry store (the embedded default): WAL, ``executemany`` into a staging table, one transaction.

A write runs under ``BEGIN IMMEDIATE``, so it holds SQLite's single write lock from its first statement: the
anti-join against ``sample`` that picks the new rows cannot be raced by another writer (another thread through
this store waits on the store's lock, another process or store on ``busy_timeout``). The batch goes into a
temporary staging table keyed like ``sample`` (``ON CONFLICT DO NOTHING``: within a batch the first of two samples
with one key wins), rows already stored are deleted from the staging table, what is left is inserted into
``sample`` and is exactly what the roll-ups are updated from. So a replayed batch inserts nothing and changes no
roll-up. Text samples go straight into ``sample_text`` (``ON CONFLICT DO NOTHING``), dead letters into
``dead_letter``, in the same transaction.

Reads run on their own pooled connections beside the writer (WAL). Retention deletes rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, insert

from zhizao.db.engine import Database
from zhizao.telemetry.models import DeadLetter
from zhizao.telemetry.store.base import (
    Aggregate,
    Batch,
    Bucketed,
    Point,
    RetentionReport,
    RetentionRule,
    TextPoint,
    WriteResult,
)
from zhizao.telemetry.store.common import (
    RAW_AGGREGATES,
    ROLLUP_AGGREGATES,
    ROLLUP_COLUMNS,
    check_finite,
    dead_letter_params,
    floor_sql,
    rollup_merge_sql,
    rollup_source,
)
from zhizao.telemetry.tables import HOUR_US, MINUTE_US

_CREATE_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS zhizao_stage_sample (signal_id INTEGER NOT NULL, ts INTEGER NOT NULL, "
    "value REAL NOT NULL, PRIMARY KEY (signal_id, ts)) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS zhizao_stage_minute (signal_id INTEGER NOT NULL, bucket INTEGER NOT NULL, "
    f"{ROLLUP_COLUMNS}, PRIMARY KEY (signal_id, bucket)) WITHOUT ROWID",
    "DELETE FROM temp.zhizao_stage_sample",
    "DELETE FROM temp.zhizao_stage_minute",
)
# Within a batch the first of two samples with one key is staged, the second skipped. ON CONFLICT, not OR IGNORE,
# which would also skip a row that breaks NOT NULL, silently.
_STAGE_POINTS = "INSERT INTO temp.zhizao_stage_sample (signal_id, ts, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_INSERT_TEXTS = "INSERT INTO main.sample_text (signal_id, ts, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
# Staged rows that are already stored are not new: drop them (the anti-join).
_DROP_STORED = (
    "DELETE FROM temp.zhizao_stage_sample WHERE EXISTS (SELECT 1 FROM main.sample s "
    "WHERE s.signal_id = zhizao_stage_sample.signal_id AND s.ts = zhizao_stage_sample.ts)"
)
# A plain INSERT, not OR IGNORE: under the write lock every staged row is new, and if that ever stopped being true
# an error is better than roll-ups silently counting a sample that was not inserted.
_INSERT_NEW = "INSERT INTO main.sample (signal_id, ts, value) SELECT signal_id, ts, value FROM temp.zhizao_stage_sample"
_MINUTE_AGGREGATE = f"""
    INSERT INTO temp.zhizao_stage_minute (signal_id, bucket, {ROLLUP_COLUMNS})
    SELECT g.signal_id, g.b, g.n, g.lo, g.hi, g.total,
           (SELECT value FROM temp.zhizao_stage_sample s
            WHERE s.signal_id = g.signal_id AND s.ts = g.first_ts), g.first_ts,
           (SELECT value FROM temp.zhizao_stage_sample s
            WHERE s.signal_id = g.signal_id AND s.ts = g.last_ts), g.last_ts
    FROM (SELECT signal_id, {floor_sql("ts", MINUTE_US)} AS b, count(*) AS n, min(value) AS lo, max(value) AS hi,
                 sum(value) AS total, min(ts) AS first_ts, max(ts) AS last_ts
          FROM temp.zhizao_stage_sample GROUP BY signal_id, b) g"""  # noqa: S608
_MINUTE_UPSERT = f"""
    INSERT INTO main.rollup_minute (signal_id, bucket, {ROLLUP_COLUMNS})
    SELECT signal_id, bucket, {ROLLUP_COLUMNS} FROM temp.zhizao_stage_minute WHERE true
    ON CONFLICT (signal_id, bucket) DO UPDATE SET {rollup_merge_sql("rollup_minute", "min", "max")}"""  # noqa: S608
_HOUR_UPSERT = f"""
    INSERT INTO main.rollup_hour (signal_id, bucket, {ROLLUP_COLUMNS})
    SELECT g.signal_id, g.b, g.n, g.lo, g.hi, g.total,
           (SELECT "first" FROM temp.zhizao_stage_minute m
            WHERE m.signal_id = g.signal_id AND m.bucket = {floor_sql("g.first_ts", MINUTE_US)}), g.first_ts,
           (SELECT "last" FROM temp.zhizao_stage_minute m
            WHERE m.signal_id = g.signal_id AND m.bucket = {floor_sql("g.last_ts", MINUTE_US)}), g.last_ts
    FROM (SELECT signal_id, {floor_sql("bucket", HOUR_US)} AS b, sum("count") AS n, min("min") AS lo,
                 max("max") AS hi, sum("sum") AS total, min(first_ts) AS first_ts, max(last_ts) AS last_ts
          FROM temp.zhizao_stage_minute GROUP BY signal_id, b) g WHERE true
    ON CONFLICT (signal_id, bucket) DO UPDATE SET {rollup_merge_sql("rollup_hour", "min", "max")}"""  # noqa: S608
_IN_IDS = "signal_id IN (SELECT value FROM json_each(?))"


def _driver(connection: Connection) -> sqlite3.Connection:
    return cast(sqlite3.Connection, connection.connection.driver_connection)


class SqliteStore:
    """``TelemetryStore`` on SQLite. Safe to share between threads: writes through one store are serialised."""

    def __init__(self, database: Database) -> None:
        if not database.is_sqlite:
            raise ValueError("SqliteStore needs a SQLite database")
        self._engine = database.engine
        self._write_lock = threading.Lock()

    @contextmanager
    def _writing(self) -> Iterator[tuple[Connection, sqlite3.Cursor]]:
        """One write transaction holding SQLite's write lock from the start; commits, or rolls back on error."""
        with self._write_lock, self._engine.connect() as connection, connection.begin():
            cursor = _driver(connection).cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                yield connection, cursor
            finally:
                cursor.close()

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._engine.connect() as connection:
            cursor = _driver(connection).cursor()
            try:
                return cursor.execute(sql, params).fetchall()
            finally:
                cursor.close()

    def prepare(self, now_us: int) -> None:
        """Nothing to prepare: SQLite's ``sample`` is one table."""

    def write(self, batch: Batch) -> WriteResult:
        check_finite(batch.points)
        dead_letters = dead_letter_params(batch.dead_letters)
        if not (batch.points or batch.texts or dead_letters):
            return WriteResult(0, 0, 0)
        with self._writing() as (connection, cursor):
            inserted = self._write_points(cursor, batch.points) if batch.points else 0
            if batch.texts:
                cursor.executemany(_INSERT_TEXTS, batch.texts)
                inserted += cursor.rowcount
            if dead_letters:
                self._insert_dead_letters(connection, dead_letters)
        return WriteResult(inserted, len(batch.points) + len(batch.texts) - inserted, len(dead_letters))

    def _write_points(self, cursor: sqlite3.Cursor, points: Sequence[Point]) -> int:
        for statement in _CREATE_STAGING:
            cursor.execute(statement)
        cursor.executemany(_STAGE_POINTS, points)
        cursor.execute(_DROP_STORED)
        inserted = cursor.execute(_INSERT_NEW).rowcount
        if inserted:
            cursor.execute(_MINUTE_AGGREGATE)
            cursor.execute(_MINUTE_UPSERT)
            cursor.execute(_HOUR_UPSERT)
        return inserted

    def _insert_dead_letters(self, connection: Connection, params: list[dict[str, Any]]) -> None:
        # Through SQLAlchemy, so that received_at is stored exactly as the ORM stores and reads it.
        connection.execute(insert(DeadLetter), params)

    def raw(
        self, signal_id: int, start_us: int, end_us: int, *, limit: int = 10_000, after_us: int | None = None
    ) -> list[Point]:
        low = start_us if after_us is None else max(start_us, after_us + 1)
        rows = self._query(
            "SELECT ts, value FROM sample WHERE signal_id = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?",
            (signal_id, low, end_us, limit),
        )
        return [Point(signal_id, ts, value) for ts, value in rows]

    def raw_text(self, signal_id: int, start_us: int, end_us: int, *, limit: int = 10_000) -> list[TextPoint]:
        rows = self._query(
            "SELECT ts, value FROM sample_text WHERE signal_id = ? AND ts >= ? AND ts < ? ORDER BY ts LIMIT ?",
            (signal_id, start_us, end_us, limit),
        )
        return [TextPoint(signal_id, ts, value) for ts, value in rows]

    def latest(self, signal_ids: Sequence[int]) -> Mapping[int, Point]:
        rows = self._query(
            "SELECT s.signal_id, s.ts, s.value FROM json_each(?) j JOIN sample s ON s.signal_id = j.value "
            "AND s.ts = (SELECT max(ts) FROM sample WHERE signal_id = j.value)",
            (json.dumps(sorted(set(signal_ids))),),
        )
        return {signal_id: Point(signal_id, ts, value) for signal_id, ts, value in rows}

    def downsample(
        self, signal_ids: Sequence[int], start_us: int, end_us: int, bucket_us: int, aggregate: Aggregate
    ) -> Mapping[int, list[Bucketed]]:
        source = rollup_source(start_us, end_us, bucket_us)
        if source is None:
            table, ts, aggregates = "sample", "ts", RAW_AGGREGATES
            first, last = ("value", "ts"), ("value", "ts")
        else:
            table, ts, aggregates = source[0], "bucket", ROLLUP_AGGREGATES
            first, last = ('"first"', "first_ts"), ('"last"', "last_ts")
        bucket = floor_sql(ts, bucket_us)
        # FIRST and LAST: SQLite takes a bare column from the row that holds the query's one min() (or max()).
        if aggregate is Aggregate.FIRST:
            expression = f"{first[0]}, min({first[1]})"
        elif aggregate is Aggregate.LAST:
            expression = f"{last[0]}, max({last[1]})"
        else:
            expression = aggregates[aggregate]
        rows = self._query(
            f"SELECT signal_id, {bucket} AS b, {expression} FROM {table} "  # noqa: S608
            f"WHERE {_IN_IDS} AND {ts} >= ? AND {ts} < ? GROUP BY signal_id, b ORDER BY signal_id, b",
            (json.dumps(sorted(set(signal_ids))), start_us, end_us),
        )
        result: dict[int, list[Bucketed]] = {signal_id: [] for signal_id in signal_ids}
        for row in rows:
            result[row[0]].append(Bucketed(row[1], float(row[2])))
        return result

    def apply_retention(self, rules: Sequence[RetentionRule], now_us: int) -> RetentionReport:
        raw_deleted = rollup_deleted = 0
        with self._writing() as (_connection, cursor):
            for rule in rules:
                ids = json.dumps(sorted(set(rule.signal_ids)))
                for table in ("sample", "sample_text"):
                    cursor.execute(f"DELETE FROM {table} WHERE {_IN_IDS} AND ts < ?", (ids, rule.raw_before_us))  # noqa: S608
                    raw_deleted += cursor.rowcount
                for table, width in (("rollup_minute", MINUTE_US), ("rollup_hour", HOUR_US)):
                    # A roll-up row goes once all of its bucket is older than the cut.
                    cursor.execute(
                        f"DELETE FROM {table} WHERE {_IN_IDS} AND bucket <= ?",  # noqa: S608
                        (ids, rule.rollup_before_us - width),
                    )
                    rollup_deleted += cursor.rowcount
        return RetentionReport(raw_rows_deleted=raw_deleted, rollup_rows_deleted=rollup_deleted)

    def bulk_insert_raw(self, points: Sequence[Point]) -> float:
        """Seconds taken to ``executemany`` ``points`` into a fresh table shaped like ``sample`` and commit.

        For the throughput benchmark only: the ceiling ``write`` is measured against (no staging, no
        deduplication, no roll-ups). The scratch table ``sample_ceiling`` is created and dropped here.
        """
        with self._write_lock, self._engine.connect() as connection:
            db = _driver(connection)
            db.execute("DROP TABLE IF EXISTS main.sample_ceiling")
            db.execute(
                "CREATE TABLE main.sample_ceiling (signal_id INTEGER NOT NULL, ts INTEGER NOT NULL, "
                "value REAL NOT NULL, PRIMARY KEY (signal_id, ts)) WITHOUT ROWID"
            )
            db.commit()
            started = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO main.sample_ceiling (signal_id, ts, value) VALUES (?, ?, ?)", points)
            db.commit()
            elapsed = time.perf_counter() - started
            db.execute("DROP TABLE main.sample_ceiling")
            db.commit()
            return elapsed

    def close(self) -> None:
        """Nothing to release: connections belong to the Database's pool, which its owner disposes of."""

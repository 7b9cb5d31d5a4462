"""The PostgreSQL telemetry store (production): daily partitions, binary COPY, roll-ups from exactly the new rows.

A write is one transaction on a pooled connection. The points are COPYed (binary) into a temporary staging table.
Then, usually, the whole batch is new: a plain ``INSERT … SELECT`` moves it into ``sample`` inside a savepoint and
the roll-ups are aggregated from the staging table. If any key is already stored (a replay) or repeated within the
batch, that INSERT fails on it, the write rolls back to the savepoint and takes the slow path the design names:
``INSERT … ON CONFLICT DO NOTHING RETURNING`` hands exactly the rows it inserted to the aggregation, so a replayed
sample is skipped and never counted twice, and of two samples with one key in a batch the first one staged wins.
Either way the per-minute aggregate is upserted into ``rollup_minute`` and, merged per hour, into ``rollup_hour``
(count, min, max, sum; first/last by their timestamps). Rows are inserted and upserted in key order, samples then
minutes then hours, so concurrent writers lock in one order and do not deadlock; a deadlock or serialisation
failure that happens anyway is retried from the start.

A sample whose day has no partition is not stored and not dropped: ``write`` raises ``MissingPartitionError``
naming the days, with nothing of the batch written (so at-least-once ingest loses nothing). It does not create the
partition, because creating one locks all of ``sample`` and because a timestamp outside ``prepare``'s window (two
days back, seven ahead) means a clock or a caller is wrong; ingest refuses such timestamps before the store.

Every method checks a connection out of the Database's pool for its own use, so one store serves an ingest
thread and web request threads at once.
"""

from __future__ import annotations

import random
import re
import time
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, cast

import psycopg
from psycopg import errors, sql
from sqlalchemy import Connection, insert
from sqlalchemy.exc import DBAPIError

from zhizao.db.engine import Database
from zhizao.errors import ZhizaoError
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
from zhizao.telemetry.store.pgcopy import copy_points
from zhizao.telemetry.tables import DAY_US, HOUR_US, MINUTE_US
from zhizao.telemetry.timeutil import from_us

DAYS_BEHIND = 2  # partitions prepare() keeps ready before now (ingest accepts samples up to two days old) …
DAYS_AHEAD = 7  # … and after it
WRITE_ATTEMPTS = 5  # a deadlock or serialisation failure is retried; the failed attempt left nothing behind
_RETRYABLE = (errors.DeadlockDetected, errors.SerializationFailure)
# Serialises prepare() and the partition drops of retention across workers and replicas.
PARTITION_LOCK = 0x7A687A_73616D70  # "zhz" "samp"
_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '10s'"
_BOUND = re.compile(r"FROM \('?(-?\d+|MINVALUE)'?\) TO \('?(-?\d+|MAXVALUE)'?\)")

_CREATE_STAGING = """
    CREATE TEMP TABLE IF NOT EXISTS zhizao_stage_sample (signal_id int4 NOT NULL, ts int8 NOT NULL,
        value float8 NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS zhizao_stage_text (signal_id int4 NOT NULL, ts int8 NOT NULL,
        value text NOT NULL) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS zhizao_stage_minute (signal_id int4 NOT NULL, bucket int8 NOT NULL,
        "count" int4 NOT NULL, "min" float8 NOT NULL, "max" float8 NOT NULL, "sum" float8 NOT NULL,
        "first" float8 NOT NULL, first_ts int8 NOT NULL, "last" float8 NOT NULL, last_ts int8 NOT NULL)
        ON COMMIT DELETE ROWS"""
# Rows are inserted in key order, so that concurrent writers take row locks in one order and do not deadlock.
# The fast path, for a batch of only new samples (the usual case): a plain INSERT, which fails on the first key
# that is stored already (or twice in the batch); the write then rolls back to before it and takes the slow path.
_INSERT_FRESH = (
    "INSERT INTO sample (signal_id, ts, value) SELECT signal_id, ts, value FROM zhizao_stage_sample ORDER BY 1, 2"
)
# The per-minute aggregate of the rows in {source}. first/last: the value paired with the least (greatest) ts,
# through min/max over [ts, value] arrays, which hash-aggregate where an ordered array_agg would sort. A float8
# holds every ts exactly until the year 2255.
_MINUTES_OF = f"""
    INSERT INTO zhizao_stage_minute (signal_id, bucket, {ROLLUP_COLUMNS})
    SELECT signal_id, {floor_sql("ts", MINUTE_US)}, count(*), min(value), max(value), sum(value),
           (min(ARRAY[ts::float8, value]))[2], min(ts), (max(ARRAY[ts::float8, value]))[2], max(ts)
    FROM {{source}} GROUP BY 1, 2"""  # noqa: S608
_AGGREGATE_FRESH = _MINUTES_OF.format(source="zhizao_stage_sample")
# The slow path: ON CONFLICT DO NOTHING skips what is stored, and hands exactly the rows it inserted to the
# aggregate. Within the batch the first of two samples with one key wins (ctid: the order they were staged in).
_INSERT_NEW = f"""
    WITH ins AS (
        INSERT INTO sample (signal_id, ts, value)
        SELECT signal_id, ts, value FROM zhizao_stage_sample ORDER BY signal_id, ts, ctid
        ON CONFLICT DO NOTHING
        RETURNING signal_id, ts, value
    ), minutes AS ({_MINUTES_OF.format(source="ins")} RETURNING "count")
    SELECT coalesce(sum("count"), 0) FROM minutes"""  # noqa: S608
_MINUTE_UPSERT = f"""
    INSERT INTO rollup_minute AS r (signal_id, bucket, {ROLLUP_COLUMNS})
    SELECT signal_id, bucket, {ROLLUP_COLUMNS} FROM zhizao_stage_minute ORDER BY signal_id, bucket
    ON CONFLICT (signal_id, bucket) DO UPDATE SET {rollup_merge_sql("r", "LEAST", "GREATEST")}"""  # noqa: S608
_HOUR_UPSERT = f"""
    INSERT INTO rollup_hour AS r (signal_id, bucket, {ROLLUP_COLUMNS})
    SELECT signal_id, {floor_sql("bucket", HOUR_US)}, sum("count"), min("min"), max("max"), sum("sum"),
           (min(ARRAY[first_ts::float8, "first"]))[2], min(first_ts),
           (max(ARRAY[last_ts::float8, "last"]))[2], max(last_ts)
    FROM zhizao_stage_minute GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (signal_id, bucket) DO UPDATE SET {rollup_merge_sql("r", "LEAST", "GREATEST")}"""  # noqa: S608
_INSERT_TEXT = (
    "INSERT INTO sample_text (signal_id, ts, value) SELECT signal_id, ts, value FROM zhizao_stage_text "
    "ORDER BY signal_id, ts, ctid ON CONFLICT DO NOTHING"
)
_PARTITIONS = """
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'sample'::regclass"""
# The distinct signals of one partition, by skipping through its primary key index (a loose index scan).
_SIGNALS_IN = """
    WITH RECURSIVE ids AS (
        (SELECT signal_id FROM {table} ORDER BY signal_id LIMIT 1)
        UNION ALL
        SELECT (SELECT signal_id FROM {table} WHERE signal_id > ids.signal_id ORDER BY signal_id LIMIT 1)
        FROM ids WHERE ids.signal_id IS NOT NULL
    )
    SELECT signal_id FROM ids WHERE signal_id IS NOT NULL"""


class MissingPartitionError(ZhizaoError):
    """Samples fall on days that have no partition of ``sample``; nothing of the batch was written."""

    code = "missing_partition"

    def __init__(self, days: Sequence[date]) -> None:
        named = ", ".join(day.isoformat() for day in days)
        super().__init__(f"no partition of sample for {named} (UTC); call prepare() for that time, or refuse them")
        self.days = list(days)


def _driver(connection: Connection) -> psycopg.Connection[Any]:
    return cast(psycopg.Connection[Any], connection.connection.driver_connection)


def _cause(error: Exception) -> BaseException:
    return error.orig if isinstance(error, DBAPIError) and error.orig is not None else error


def _partition_name(day_start_us: int) -> str:
    return f"sample_p{from_us(day_start_us):%Y%m%d}"


class PostgresStore:
    """``TelemetryStore`` on PostgreSQL; thread-safe (a pooled connection per call)."""

    def __init__(self, database: Database) -> None:
        if database.engine.dialect.name != "postgresql":
            raise ValueError("PostgresStore needs a PostgreSQL database")
        self._engine = database.engine

    @contextmanager
    def _transaction(self) -> Iterator[tuple[Connection, psycopg.Cursor[Any]]]:
        with self._engine.connect() as connection, connection.begin(), _driver(connection).cursor() as cursor:
            yield connection, cursor

    def _query(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._engine.connect() as connection, _driver(connection).cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    @staticmethod
    def _partitions(cursor: psycopg.Cursor[Any]) -> list[tuple[str, int, int]]:
        """(name, lower bound, upper bound) of each range partition of ``sample``, by lower bound."""
        found = []
        for name, bound in cursor.execute(_PARTITIONS).fetchall():
            match = _BOUND.search(bound or "")
            if match:  # the default partition, if someone made one, has no range
                low = -(2**63) if match[1] == "MINVALUE" else int(match[1])
                high = 2**63 - 1 if match[2] == "MAXVALUE" else int(match[2])
                found.append((name, low, high))
        return sorted(found, key=lambda partition: partition[1])

    def prepare(self, now_us: int) -> None:
        """Create the daily partitions from ``DAYS_BEHIND`` days before ``now_us`` to ``DAYS_AHEAD`` after it."""
        first = now_us - DAYS_BEHIND * DAY_US
        first -= first % DAY_US
        with self._transaction() as (_connection, cursor):
            cursor.execute(_LOCK_TIMEOUT)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (PARTITION_LOCK,))
            existing = self._partitions(cursor)
            for low in range(first, now_us + DAYS_AHEAD * DAY_US + 1, DAY_US):
                high = low + DAY_US
                if any(start < high and low < end for _name, start, end in existing):
                    continue  # this day (or part of it) already has a partition
                cursor.execute(
                    sql.SQL("CREATE TABLE IF NOT EXISTS {} PARTITION OF sample FOR VALUES FROM ({}) TO ({})").format(
                        sql.Identifier(_partition_name(low)), sql.Literal(low), sql.Literal(high)
                    )
                )

    def write(self, batch: Batch) -> WriteResult:
        check_finite(batch.points)
        dead_letters = dead_letter_params(batch.dead_letters)
        if not (batch.points or batch.texts or dead_letters):
            return WriteResult(0, 0, 0)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                inserted = self._write_once(batch, dead_letters)
            except errors.CheckViolation as error:
                if "no partition" in str(error):
                    raise MissingPartitionError(self._days_without_partition(batch.points)) from error
                raise
            except (psycopg.Error, DBAPIError) as error:
                if attempt == WRITE_ATTEMPTS or not isinstance(_cause(error), _RETRYABLE):
                    raise
                time.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311 - jitter, not a secret
            else:
                return WriteResult(inserted, len(batch.points) + len(batch.texts) - inserted, len(dead_letters))
        raise AssertionError("unreachable")

    def _write_once(self, batch: Batch, dead_letters: list[dict[str, Any]]) -> int:
        inserted = 0
        with self._transaction() as (connection, cursor):
            cursor.execute(_CREATE_STAGING)
            if batch.points:
                inserted = self._write_points(cursor, batch.points)
            if batch.texts:
                with cursor.copy("COPY zhizao_stage_text (signal_id, ts, value) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["int4", "int8", "text"])
                    for text_point in batch.texts:
                        copy.write_row(text_point)
                inserted += cursor.execute(_INSERT_TEXT).rowcount
            if dead_letters:
                self._insert_dead_letters(connection, dead_letters)
        return inserted

    @staticmethod
    def _write_points(cursor: psycopg.Cursor[Any], points: Sequence[Point]) -> int:
        with cursor.copy("COPY zhizao_stage_sample (signal_id, ts, value) FROM STDIN (FORMAT BINARY)") as copy:
            copy_points(copy, points)
        cursor.execute("SAVEPOINT zhizao_fresh")
        try:
            inserted = cursor.execute(_INSERT_FRESH).rowcount
        except errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT zhizao_fresh")
            row = cursor.execute(_INSERT_NEW).fetchone()
            inserted = int(row[0]) if row else 0
        else:
            cursor.execute("RELEASE SAVEPOINT zhizao_fresh")
            cursor.execute(_AGGREGATE_FRESH)
        if inserted:
            cursor.execute(_MINUTE_UPSERT)
            cursor.execute(_HOUR_UPSERT)
        return inserted

    def _insert_dead_letters(self, connection: Connection, params: list[dict[str, Any]]) -> None:
        connection.execute(insert(DeadLetter), params)

    def _days_without_partition(self, points: Sequence[Point]) -> list[date]:
        with self._engine.connect() as connection, _driver(connection).cursor() as cursor:
            partitions = self._partitions(cursor)
        lows = [low for _name, low, _high in partitions]
        days = set()
        for point in points:
            index = bisect_right(lows, point.ts_us) - 1
            if index < 0 or point.ts_us >= partitions[index][2]:
                days.add(from_us(point.ts_us).date())
        return sorted(days)

    def raw(
        self, signal_id: int, start_us: int, end_us: int, *, limit: int = 10_000, after_us: int | None = None
    ) -> list[Point]:
        low = start_us if after_us is None else max(start_us, after_us + 1)
        rows = self._query(
            "SELECT ts, value FROM sample WHERE signal_id = %s AND ts >= %s AND ts < %s ORDER BY ts LIMIT %s",
            (signal_id, low, end_us, limit),
        )
        return [Point(signal_id, ts, value) for ts, value in rows]

    def raw_text(self, signal_id: int, start_us: int, end_us: int, *, limit: int = 10_000) -> list[TextPoint]:
        rows = self._query(
            "SELECT ts, value FROM sample_text WHERE signal_id = %s AND ts >= %s AND ts < %s ORDER BY ts LIMIT %s",
            (signal_id, start_us, end_us, limit),
        )
        return [TextPoint(signal_id, ts, value) for ts, value in rows]

    def latest(self, signal_ids: Sequence[int]) -> Mapping[int, Point]:
        rows = self._query(
            "SELECT s.id, x.ts, x.value FROM unnest(%s::int4[]) AS s(id) CROSS JOIN LATERAL "
            "(SELECT ts, value FROM sample WHERE signal_id = s.id ORDER BY ts DESC LIMIT 1) AS x",
            (sorted(set(signal_ids)),),
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
        if aggregate is Aggregate.FIRST:
            expression = f"(array_agg({first[0]} ORDER BY {first[1]}))[1]"
        elif aggregate is Aggregate.LAST:
            expression = f"(array_agg({last[0]} ORDER BY {last[1]} DESC))[1]"
        else:
            expression = aggregates[aggregate]
        rows = self._query(
            f"SELECT signal_id, {floor_sql(ts, bucket_us, '%%')}, {expression} FROM {table} "  # noqa: S608 - constants
            f"WHERE signal_id = ANY(%s::int4[]) AND {ts} >= %s AND {ts} < %s GROUP BY 1, 2 ORDER BY 1, 2",
            (sorted(set(signal_ids)), start_us, end_us),
        )
        result: dict[int, list[Bucketed]] = {signal_id: [] for signal_id in signal_ids}
        for signal_id, bucket, value in rows:
            result[signal_id].append(Bucketed(bucket, float(value)))
        return result

    def apply_retention(self, rules: Sequence[RetentionRule], now_us: int) -> RetentionReport:
        """Drop whole partitions where every row would be deleted anyway, then delete per rule.

        A partition goes only if each signal in it is covered by a rule whose ``raw_before_us`` is at or after the
        partition's upper bound (so it holds nothing any rule keeps) and it lies wholly before the window ingest
        still writes into. Rows in dropped partitions are not counted in ``raw_rows_deleted``.
        """
        cutoffs: dict[int, int] = {}
        for rule in rules:
            for signal_id in rule.signal_ids:
                cutoffs[signal_id] = max(cutoffs.get(signal_id, rule.raw_before_us), rule.raw_before_us)
        dropped = self._drop_partitions(cutoffs, now_us) if cutoffs else []
        raw_deleted = rollup_deleted = 0
        with self._transaction() as (_connection, cursor):
            for rule in rules:
                ids = sorted(set(rule.signal_ids))
                for table in ("sample", "sample_text"):
                    cursor.execute(
                        f"DELETE FROM {table} WHERE signal_id = ANY(%s::int4[]) AND ts < %s",  # noqa: S608
                        (ids, rule.raw_before_us),
                    )
                    raw_deleted += cursor.rowcount
                for table, width in (("rollup_minute", MINUTE_US), ("rollup_hour", HOUR_US)):
                    # A roll-up row goes once all of its bucket is older than the cut.
                    cursor.execute(
                        f"DELETE FROM {table} WHERE signal_id = ANY(%s::int4[]) AND bucket <= %s",  # noqa: S608
                        (ids, rule.rollup_before_us - width),
                    )
                    rollup_deleted += cursor.rowcount
        return RetentionReport(dropped, raw_deleted, rollup_deleted)

    def _drop_partitions(self, cutoffs: Mapping[int, int], now_us: int) -> list[str]:
        ingest_window = now_us - DAYS_BEHIND * DAY_US
        limit = min(max(cutoffs.values()), ingest_window - ingest_window % DAY_US)
        dropped = []
        try:
            with self._transaction() as (_connection, cursor):
                cursor.execute(_LOCK_TIMEOUT)
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (PARTITION_LOCK,))
                candidates = [(name, high) for name, _low, high in self._partitions(cursor) if high <= limit]
                if not candidates:
                    return []
                # Before looking inside: no writer may add a row between the look and the drop.
                cursor.execute("LOCK TABLE sample IN ACCESS EXCLUSIVE MODE")
                for name, high in candidates:
                    table = sql.Identifier(name)
                    cursor.execute(sql.SQL(_SIGNALS_IN).format(table=table))
                    if all(cutoffs.get(signal_id, high - 1) >= high for (signal_id,) in cursor.fetchall()):
                        cursor.execute(sql.SQL("DROP TABLE {}").format(table))
                        dropped.append(name)
        except errors.LockNotAvailable:
            return []  # readers held the table for long: leave it to DELETE this time
        return dropped

    def bulk_copy_raw(self, points: Sequence[Point], *, unlogged: bool = True) -> float:
        """Seconds taken to binary-COPY ``points`` into a fresh table shaped like ``sample`` and commit.

        For the throughput benchmark only: the ceiling ``write`` is measured against (no staging, no
        deduplication, no roll-ups, not partitioned). The scratch table ``sample_ceiling`` is UNLOGGED unless
        ``unlogged=False`` (then it writes WAL as ``sample`` does); it is created and dropped here.
        """
        with self._engine.connect() as connection:
            db = _driver(connection)
            db.execute("DROP TABLE IF EXISTS sample_ceiling")
            db.execute(
                sql.SQL(
                    "CREATE {} TABLE sample_ceiling (signal_id int4 NOT NULL, ts int8 NOT NULL, "
                    "value float8 NOT NULL, CONSTRAINT pk_sample_ceiling PRIMARY KEY (signal_id, ts))"
                ).format(sql.SQL("UNLOGGED" if unlogged else ""))
            )
            db.commit()
            started = time.perf_counter()
            with db.cursor() as cursor, cursor.copy("COPY sample_ceiling FROM STDIN (FORMAT BINARY)") as copy:
                copy_points(copy, points)
            db.commit()
            elapsed = time.perf_counter() - started
            db.execute("DROP TABLE sample_ceiling")
            db.commit()
            return elapsed

    def close(self) -> None:
        """Nothing to release: connections belong to the Database's pool, which its owner disposes of."""

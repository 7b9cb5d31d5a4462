"""Core tables for samples and roll-ups, written in bulk (binary COPY / executemany), never through the ORM.

``ts`` and ``bucket`` are integer microseconds since the Unix epoch (UTC) on both backends: compact, exact, and
the fastest type to COPY. On PostgreSQL ``sample`` is range-partitioned by ``ts`` (one partition per UTC day,
created ahead by the store; retention drops whole partitions). The primary key makes replays idempotent.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Integer, PrimaryKeyConstraint, Table, Text

from zhizao.db.base import Base

sample = Table(
    "sample",
    Base.metadata,
    Column("signal_id", Integer, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("value", Float(precision=53), nullable=False),
    PrimaryKeyConstraint("signal_id", "ts", name="pk_sample"),
    postgresql_partition_by="RANGE (ts)",
    sqlite_with_rowid=False,
)

sample_text = Table(
    "sample_text",
    Base.metadata,
    Column("signal_id", Integer, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("signal_id", "ts", name="pk_sample_text"),
    sqlite_with_rowid=False,
)


def _rollup(name: str) -> Table:
    return Table(
        name,
        Base.metadata,
        Column("signal_id", Integer, nullable=False),
        Column("bucket", BigInteger, nullable=False),
        Column("count", Integer, nullable=False),
        Column("min", Float(precision=53), nullable=False),
        Column("max", Float(precision=53), nullable=False),
        Column("sum", Float(precision=53), nullable=False),
        Column("first", Float(precision=53), nullable=False),
        Column("first_ts", BigInteger, nullable=False),
        Column("last", Float(precision=53), nullable=False),
        Column("last_ts", BigInteger, nullable=False),
        PrimaryKeyConstraint("signal_id", "bucket", name=f"pk_{name}"),
        sqlite_with_rowid=False,
    )


rollup_minute = _rollup("rollup_minute")
rollup_hour = _rollup("rollup_hour")

MINUTE_US = 60_000_000
HOUR_US = 3_600_000_000
DAY_US = 86_400_000_000

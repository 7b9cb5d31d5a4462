"""What the SQLite and PostgreSQL stores share: bucket arithmetic, the roll-up merge, dead-letter rows. Pure.

Buckets are aligned to the Unix epoch (UTC): a sample at ``ts`` falls in the bucket starting at ``floor(ts / width) *
width``. Roll-ups are kept per minute and per hour; a query whose bucket is a whole number of hours (minutes) and
whose range starts and ends on an hour (minute) is answered from ``rollup_hour`` (``rollup_minute``), otherwise from
raw samples. Both paths give the same numbers, because every roll-up row lies wholly inside one query bucket.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import String

from zhizao.telemetry.models import DeadLetter
from zhizao.telemetry.store.base import Aggregate, DeadLetterRow, Point
from zhizao.telemetry.tables import HOUR_US, MINUTE_US

ROLLUP_COLUMNS = '"count", "min", "max", "sum", "first", first_ts, "last", last_ts'

# Raw-sample aggregates, by SQL expression over ``value`` (FIRST and LAST are backend-specific).
RAW_AGGREGATES = {
    Aggregate.AVG: "avg(value)",
    Aggregate.MIN: "min(value)",
    Aggregate.MAX: "max(value)",
    Aggregate.SUM: "sum(value)",
    Aggregate.COUNT: "count(*)",
}
# The same aggregates over roll-up rows: AVG is the sum of sums over the sum of counts, never an average of averages.
ROLLUP_AGGREGATES = {
    Aggregate.AVG: 'sum("sum") / sum("count")',
    Aggregate.MIN: 'min("min")',
    Aggregate.MAX: 'max("max")',
    Aggregate.SUM: 'sum("sum")',
    Aggregate.COUNT: 'sum("count")',
}


def floor_sql(expr: str, width: int, modulo: str = "%") -> str:
    """SQL for ``expr`` rounded down to a multiple of ``width`` (also below zero, where ``%`` truncates).

    ``modulo`` is ``%%`` in a psycopg query that has parameters.
    """
    return f"({expr} - ((({expr}) {modulo} {width}) + {width}) {modulo} {width})"


def rollup_source(start_us: int, end_us: int, bucket_us: int) -> tuple[str, int] | None:
    """The roll-up table (and its width) that answers a query exactly, or None when raw samples must."""
    if bucket_us <= 0:
        raise ValueError("bucket_us must be positive")
    for table, width in (("rollup_hour", HOUR_US), ("rollup_minute", MINUTE_US)):
        if bucket_us % width == 0 and start_us % width == 0 and end_us % width == 0:
            return table, width
    return None


def rollup_merge_sql(target: str, least: str, greatest: str) -> str:
    """The ``DO UPDATE SET`` clause merging an incoming roll-up row (``excluded``) into the stored one."""
    return f"""
        "count" = {target}."count" + excluded."count",
        "min" = {least}({target}."min", excluded."min"),
        "max" = {greatest}({target}."max", excluded."max"),
        "sum" = {target}."sum" + excluded."sum",
        "first" = CASE WHEN excluded.first_ts < {target}.first_ts THEN excluded."first" ELSE {target}."first" END,
        first_ts = {least}({target}.first_ts, excluded.first_ts),
        "last" = CASE WHEN excluded.last_ts > {target}.last_ts THEN excluded."last" ELSE {target}."last" END,
        last_ts = {greatest}({target}.last_ts, excluded.last_ts)"""


def _max_length(column: str) -> int:
    column_type = DeadLetter.__table__.c[column].type
    assert isinstance(column_type, String) and column_type.length is not None
    return column_type.length


_LIMITS = {name: _max_length(name) for name in ("source", "topic", "reason")}


def dead_letter_params(rows: Sequence[DeadLetterRow]) -> list[dict[str, Any]]:
    """Insert parameters for ``dead_letter``; refuses what one backend would store and the other refuse.

    SQLite does not enforce ``VARCHAR`` lengths and PostgreSQL does, so lengths are checked here, before anything
    is written; naive datetimes are refused (they would be read back in the server's zone on PostgreSQL).
    """
    params = []
    for row in rows:
        if row.received_at.tzinfo is None:
            raise ValueError("dead letter received_at is a naive datetime: attach a timezone")
        for name, limit in _LIMITS.items():
            value = getattr(row, name)
            if value is not None and len(value) > limit:
                raise ValueError(f"dead letter {name} is longer than {limit} characters")
        params.append(
            {
                "received_at": row.received_at,
                "enterprise_id": row.enterprise_id,
                "source": row.source,
                "topic": row.topic,
                "reason": row.reason,
                "detail": row.detail,
                "payload": row.payload,
            }
        )
    return params


def check_finite(points: Sequence[Point]) -> None:
    """Refuse NaN and infinities (ingest dead-letters them before they get here).

    One would poison every roll-up sum it entered; SQLite cannot even store NaN in a ``REAL NOT NULL`` column while
    PostgreSQL can, so the check is here, the same for both. About 3 ms for 100k points.
    """
    if not all(map(math.isfinite, map(itemgetter(2), points))):
        bad = next(point for point in points if not math.isfinite(point.value))
        raise ValueError(f"non-finite value {bad.value} for signal {bad.signal_id} at {bad.ts_us}")

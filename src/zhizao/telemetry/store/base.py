"""The storage interface every backend implements, and the values that cross it.

Times are integer microseconds since the Unix epoch, UTC (``ts_us``), as stored. Conversions live in ``timeutil``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol


class Point(NamedTuple):
    """One numeric sample (bool and int are stored as float; state codes are integers)."""

    signal_id: int
    ts_us: int
    value: float


class TextPoint(NamedTuple):
    signal_id: int
    ts_us: int
    value: str


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    source: str
    reason: str
    detail: str
    received_at: datetime
    topic: str | None = None
    enterprise_id: int | None = None
    payload: bytes | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    """What one ingest flush writes in a single transaction: all of it, or none of it."""

    points: Sequence[Point] = ()
    texts: Sequence[TextPoint] = ()
    dead_letters: Sequence[DeadLetterRow] = ()


@dataclass(frozen=True, slots=True)
class WriteResult:
    inserted: int  # new numeric and text samples
    duplicates: int  # samples already stored (a replay): skipped, roll-ups untouched
    dead_letters: int


class Aggregate(StrEnum):
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    COUNT = "count"
    FIRST = "first"
    LAST = "last"


class Bucketed(NamedTuple):
    bucket_us: int  # start of the bucket
    value: float


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """Raw samples of these signals older than ``raw_before_us`` go; roll-ups older than ``rollup_before_us``."""

    signal_ids: Sequence[int]
    raw_before_us: int
    rollup_before_us: int


@dataclass(frozen=True, slots=True)
class RetentionReport:
    partitions_dropped: list[str] = field(default_factory=list)
    raw_rows_deleted: int = 0
    rollup_rows_deleted: int = 0


class TelemetryStore(Protocol):
    """One interface, one test suite (``tests/telemetry/store``) run against every backend."""

    def prepare(self, now_us: int) -> None:
        """Create what must exist before writes around ``now_us`` (PostgreSQL: daily partitions ahead)."""

    def write(self, batch: Batch) -> WriteResult:
        """Store a batch in one transaction. Idempotent: a replayed sample is skipped and not counted twice in
        roll-ups. Returns only after the transaction has committed."""

    def raw(
        self, signal_id: int, start_us: int, end_us: int, *, limit: int = 10_000, after_us: int | None = None
    ) -> list[Point]:
        """Samples with start_us <= ts < end_us (and ts > after_us, for paging), oldest first."""

    def raw_text(self, signal_id: int, start_us: int, end_us: int, *, limit: int = 10_000) -> list[TextPoint]: ...

    def downsample(
        self, signal_ids: Sequence[int], start_us: int, end_us: int, bucket_us: int, aggregate: Aggregate
    ) -> Mapping[int, list[Bucketed]]:
        """One value per non-empty bucket per signal; served from roll-ups when ``bucket_us`` is a whole number of
        minutes (hours) and the range is aligned, else from raw samples."""

    def latest(self, signal_ids: Sequence[int]) -> Mapping[int, Point]:
        """The newest sample of each signal that has one."""

    def apply_retention(self, rules: Sequence[RetentionRule], now_us: int) -> RetentionReport: ...

    def close(self) -> None: ...

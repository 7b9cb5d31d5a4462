"""One suite for every telemetry store backend (SQLite and PostgreSQL, through the ``database`` fixture)."""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import World
from zhizao.db.engine import Database
from zhizao.telemetry.models import DeadLetter
from zhizao.telemetry.store.base import (
    Aggregate,
    Batch,
    Bucketed,
    DeadLetterRow,
    Point,
    RetentionRule,
    TelemetryStore,
    TextPoint,
    WriteResult,
)
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.store.postgres import MissingPartitionError, PostgresStore
from zhizao.telemetry.tables import DAY_US, HOUR_US, MINUTE_US, rollup_hour, rollup_minute, sample, sample_text
from zhizao.telemetry.timeutil import from_us, to_us

NOW = to_us(datetime(2024, 3, 10, 12, 0, tzinfo=UTC))
T0 = NOW - 2 * HOUR_US  # on the hour
SECOND = 1_000_000


@pytest.fixture
def store(database: Database) -> Iterator[TelemetryStore]:
    opened = open_store(database)
    opened.prepare(NOW)
    yield opened
    opened.close()


def series(signal_ids: Sequence[int], start: int, end: int, seed: int = 1) -> list[Point]:
    """Irregular samples (2 to 20 s apart) of each signal in [start, end), with values kept exact in binary."""
    rng = random.Random(seed)
    points = []
    for signal_id in signal_ids:
        ts = start + rng.randrange(0, 5 * SECOND)
        while ts < end:
            points.append(Point(signal_id, ts, rng.randrange(-4000, 4000) / 4))
            ts += rng.randrange(2 * SECOND, 20 * SECOND)
    return points


def reference(points: Sequence[Point], start: int, end: int, bucket: int, aggregate: Aggregate) -> dict[int, Any]:
    groups: dict[int, dict[int, list[Point]]] = defaultdict(lambda: defaultdict(list))
    for point in sorted(points, key=lambda p: p.ts_us):
        if start <= point.ts_us < end:
            groups[point.signal_id][point.ts_us - point.ts_us % bucket].append(point)
    reducers = {
        Aggregate.AVG: lambda values: math.fsum(values) / len(values),
        Aggregate.MIN: min,
        Aggregate.MAX: max,
        Aggregate.SUM: math.fsum,
        Aggregate.COUNT: len,
        Aggregate.FIRST: lambda values: values[0],
        Aggregate.LAST: lambda values: values[-1],
    }
    return {
        signal_id: [
            Bucketed(b, pytest.approx(float(reducers[aggregate]([p.value for p in members])), rel=1e-12))
            for b, members in sorted(buckets.items())
        ]
        for signal_id, buckets in groups.items()
    }


def expected_rollups(points: Sequence[Point], width: int) -> list[tuple[Any, ...]]:
    groups: dict[tuple[int, int], list[Point]] = defaultdict(list)
    for point in sorted(points, key=lambda p: p.ts_us):
        groups[point.signal_id, point.ts_us - point.ts_us % width].append(point)
    rows = []
    for (signal_id, b), members in sorted(groups.items()):
        values = [p.value for p in members]
        first, last = members[0], members[-1]
        stats = (len(values), min(values), max(values), sum(values), first.value, first.ts_us, last.value, last.ts_us)
        rows.append((signal_id, b, *stats))
    return rows


def stored_rollups(database: Database, table: Any) -> list[tuple[Any, ...]]:
    with database.engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.signal_id, table.c.bucket)).all()
    return [tuple(row) for row in rows]


def count_rows(database: Database, table: Any) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_round_trip(store: TelemetryStore) -> None:
    points = series([1, 2], T0, T0 + HOUR_US)
    result = store.write(Batch(points=points))
    assert result == WriteResult(inserted=len(points), duplicates=0, dead_letters=0)
    for signal_id in (1, 2):
        expected = sorted((p for p in points if p.signal_id == signal_id), key=lambda p: p.ts_us)
        assert store.raw(signal_id, T0, T0 + HOUR_US) == expected
        assert all(isinstance(p.value, float) for p in store.raw(signal_id, T0, T0 + HOUR_US))
    assert store.raw(3, T0, T0 + HOUR_US) == []
    assert store.write(Batch()) == WriteResult(0, 0, 0)


def test_replay_is_idempotent_and_leaves_rollups_alone(store: TelemetryStore, database: Database) -> None:
    batch = Batch(points=series([1, 2], T0, T0 + 2 * HOUR_US), texts=[TextPoint(1, T0, "on")])
    first = store.write(batch)
    minutes, hours = stored_rollups(database, rollup_minute), stored_rollups(database, rollup_hour)
    assert store.write(batch) == WriteResult(inserted=0, duplicates=first.inserted, dead_letters=0)
    assert count_rows(database, sample) == len(batch.points)
    assert stored_rollups(database, rollup_minute) == minutes == expected_rollups(batch.points, MINUTE_US)
    assert stored_rollups(database, rollup_hour) == hours == expected_rollups(batch.points, HOUR_US)


def test_duplicates_within_one_batch_are_stored_once(store: TelemetryStore, database: Database) -> None:
    points = [Point(1, T0, 1.0), Point(1, T0 + SECOND, 2.0), Point(1, T0, 9.0), Point(1, T0 + SECOND, 2.0)]
    texts = [TextPoint(1, T0, "a"), TextPoint(1, T0, "b")]
    assert store.write(Batch(points=points, texts=texts)) == WriteResult(inserted=3, duplicates=3, dead_letters=0)
    assert store.raw(1, T0, T0 + MINUTE_US) == [Point(1, T0, 1.0), Point(1, T0 + SECOND, 2.0)]  # first one wins
    assert store.raw_text(1, T0, T0 + MINUTE_US) == [TextPoint(1, T0, "a")]
    assert stored_rollups(database, rollup_minute) == [(1, T0, 2, 1.0, 2.0, 3.0, 1.0, T0, 2.0, T0 + SECOND)]


def test_rollups_merge_batches_that_arrive_out_of_order(store: TelemetryStore, database: Database) -> None:
    points = series([1, 2, 3], T0, T0 + 2 * HOUR_US, seed=2)
    shuffled = list(points)
    random.Random(3).shuffle(shuffled)
    for index in range(0, len(shuffled), 97):  # later batches fill in earlier and later ends of each bucket
        store.write(Batch(points=shuffled[index : index + 97]))
    assert stored_rollups(database, rollup_minute) == expected_rollups(points, MINUTE_US)
    assert stored_rollups(database, rollup_hour) == expected_rollups(points, HOUR_US)


# (start, end, bucket): served from rollup_hour, rollup_minute, rollup_hour (2 h buckets), then from raw samples.
QUERIES = {
    "hours": (T0, T0 + 3 * HOUR_US, HOUR_US),
    "five-minutes": (T0 + 10 * MINUTE_US, T0 + 150 * MINUTE_US, 5 * MINUTE_US),
    "two-hours": (T0 - HOUR_US, T0 + 3 * HOUR_US, 2 * HOUR_US),
    "seven-seconds-unaligned": (T0 + 123_456, T0 + 2 * HOUR_US + 17 * SECOND, 7 * SECOND),
    "minutes-unaligned-start": (T0 + SECOND, T0 + 90 * MINUTE_US, MINUTE_US),
}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_downsample_equals_python_reference(store: TelemetryStore, query: tuple[int, int, int]) -> None:
    points = series([1, 2], T0, T0 + 3 * HOUR_US, seed=4)
    store.write(Batch(points=points))
    start, end, bucket = query
    for aggregate in Aggregate:
        result = store.downsample([1, 2, 3], start, end, bucket, aggregate)
        assert result == {3: [], **reference(points, start, end, bucket, aggregate)}, aggregate


def test_aligned_queries_are_served_from_rollups(store: TelemetryStore, database: Database) -> None:
    points = series([1], T0, T0 + 2 * HOUR_US, seed=5)
    store.write(Batch(points=points))
    aligned = store.downsample([1], T0, T0 + 2 * HOUR_US, 10 * MINUTE_US, Aggregate.AVG)
    with database.engine.begin() as connection:
        connection.execute(delete(sample))  # roll-ups are all that is left
    assert store.downsample([1], T0, T0 + 2 * HOUR_US, 10 * MINUTE_US, Aggregate.AVG) == aligned
    assert store.downsample([1], T0 + 1, T0 + 2 * HOUR_US, 10 * MINUTE_US, Aggregate.AVG) == {1: []}


def test_raw_pages_with_after(store: TelemetryStore) -> None:
    points = [Point(7, T0 + i * SECOND, float(i)) for i in range(25)]
    store.write(Batch(points=points))
    pages: list[list[Point]] = []
    after = None
    while page := store.raw(7, T0, T0 + HOUR_US, limit=10, after_us=after):
        pages.append(page)
        after = page[-1].ts_us
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [p for page in pages for p in page] == points
    assert store.raw(7, T0 + 5 * SECOND, T0 + 8 * SECOND) == points[5:8]  # start inclusive, end exclusive


def test_latest(store: TelemetryStore) -> None:
    store.write(Batch(points=[Point(1, T0, 1.0), Point(1, T0 + 5, 2.0), Point(2, T0 - DAY_US, 3.0)]))
    store.write(Batch(points=[Point(1, T0 + 2, 4.0)]))  # older than the newest: not the latest
    assert store.latest([1, 2, 3]) == {1: Point(1, T0 + 5, 2.0), 2: Point(2, T0 - DAY_US, 3.0)}
    assert store.latest([]) == {}


def test_text_samples(store: TelemetryStore, database: Database) -> None:
    texts = [TextPoint(4, T0 + i, value) for i, value in enumerate(["运行", "停机 (E-104)", "", "x" * 5000])]
    assert store.write(Batch(texts=texts)) == WriteResult(4, 0, 0)
    assert store.write(Batch(texts=texts)) == WriteResult(0, 4, 0)
    assert store.raw_text(4, T0, T0 + SECOND) == texts
    assert store.raw_text(4, T0 + 1, T0 + 3, limit=1) == texts[1:2]
    assert count_rows(database, rollup_minute) == 0


def test_dead_letters_keep_their_payload(store: TelemetryStore, database: Database, world: World) -> None:
    enterprise_id = world.organisation()
    received = datetime(2024, 3, 10, 20, 1, 2, 345678, tzinfo=UTC)
    letters = [
        DeadLetterRow(
            "mqtt_json", "malformed", "not JSON", received, "zhizao/v1/x/y/data", enterprise_id, b"\x00\xff{"
        ),
        DeadLetterRow("sparkplug_b", "unknown_device", "no such device", received.astimezone(UTC), None, None, None),
    ]
    assert store.write(Batch(points=[Point(1, T0, 1.0)], dead_letters=letters)) == WriteResult(1, 0, 2)
    with database.session() as session:
        stored = session.scalars(select(DeadLetter).order_by(DeadLetter.id)).all()
    assert [(d.source, d.reason, d.detail, d.topic, d.enterprise_id, d.payload) for d in stored] == [
        ("mqtt_json", "malformed", "not JSON", "zhizao/v1/x/y/data", enterprise_id, b"\x00\xff{"),
        ("sparkplug_b", "unknown_device", "no such device", None, None, None),
    ]
    assert stored[0].received_at == received and stored[0].received_at.tzinfo is not None


def assert_nothing_stored(database: Database) -> None:
    for table in (sample, sample_text, rollup_minute, rollup_hour, DeadLetter.__table__):
        assert count_rows(database, table) == 0, table.name


def test_a_failing_batch_writes_nothing(
    store: TelemetryStore, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    points = series([1, 2], T0, T0 + HOUR_US)
    received = datetime.now(UTC)
    unknown_enterprise = DeadLetterRow("http", "malformed", "x", received, enterprise_id=987_654)
    with pytest.raises(IntegrityError):  # the database refuses the dead letter, after the samples went in
        store.write(Batch(points=points, texts=[TextPoint(1, T0, "on")], dead_letters=[unknown_enterprise]))
    assert_nothing_stored(database)

    with pytest.raises(ValueError, match="source"):  # SQLite would store it whole and PostgreSQL refuse it
        store.write(Batch(points=points, dead_letters=[DeadLetterRow("s" * 33, "malformed", "x", received)]))
    for value in (math.nan, math.inf):  # SQLite cannot store NaN, PostgreSQL can: neither gets it
        with pytest.raises(ValueError, match="non-finite"):
            store.write(Batch(points=[*points, Point(1, T0 + 1, value)]))
    naive = DeadLetterRow("http", "malformed", "x", datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        store.write(Batch(points=points, dead_letters=[naive]))
    assert_nothing_stored(database)

    def explode(*_args: object) -> None:
        raise RuntimeError("worker killed mid-write")

    monkeypatch.setattr(store, "_insert_dead_letters", explode)
    with pytest.raises(RuntimeError):
        store.write(Batch(points=points, dead_letters=[DeadLetterRow("http", "malformed", "x", received)]))
    assert_nothing_stored(database)
    monkeypatch.undo()
    assert store.write(Batch(points=points)).inserted == len(points)  # the connection is usable afterwards
    assert stored_rollups(database, rollup_hour) == expected_rollups(points, HOUR_US)


@pytest.mark.parametrize("shared", [True, False], ids=["one-store", "a-store-each"])
def test_concurrent_overlapping_writes_store_each_sample_once(
    store: TelemetryStore, database: Database, shared: bool
) -> None:
    points = series(range(1, 9), T0, T0 + HOUR_US, seed=6)
    half = len(points) // 2
    streams = [points[: half + half // 2], points[half // 2 :]]  # the middle half is written by both
    stores = [store, store] if shared else [store, open_store(database)]
    barrier = threading.Barrier(2)

    def run(index: int) -> int:
        stream = list(streams[index])
        random.Random(index).shuffle(stream)
        barrier.wait()
        return sum(stores[index].write(Batch(points=stream[i : i + 50])).inserted for i in range(0, len(stream), 50))

    with ThreadPoolExecutor(2) as pool:
        inserted = sum(pool.map(run, range(2)))
    assert inserted == len(points) == count_rows(database, sample)
    assert stored_rollups(database, rollup_minute) == expected_rollups(points, MINUTE_US)
    assert stored_rollups(database, rollup_hour) == expected_rollups(points, HOUR_US)


def test_prepare_is_idempotent_and_safe_when_run_at_once(store: TelemetryStore) -> None:
    later = NOW + 3 * DAY_US
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(store.prepare, [later, later, later]))
    store.prepare(later)
    batch = Batch(points=[Point(1, later + 7 * DAY_US - SECOND, 1.0), Point(1, NOW - 2 * DAY_US, 2.0)])
    assert store.write(batch).inserted == 2


def test_a_sample_without_partition_is_refused_not_lost(store: TelemetryStore, database: Database) -> None:
    far = to_us(datetime(2001, 5, 6, 7, tzinfo=UTC))
    batch = Batch(points=[Point(1, T0, 1.0), Point(1, far, 2.0)])
    if isinstance(store, PostgresStore):
        with pytest.raises(MissingPartitionError, match="2001-05-06") as raised:
            store.write(batch)
        assert [day.isoformat() for day in raised.value.days] == ["2001-05-06"]
        assert_nothing_stored(database)
        store.prepare(far)
    assert store.write(batch).inserted == 2


def partition(day_us: int) -> str:
    return f"sample_p{from_us(day_us):%Y%m%d}"


def partition_names(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'sample'::regclass"
            )
        )
        return {row[0] for row in rows}


def test_retention_deletes_old_rows_and_drops_whole_partitions(store: TelemetryStore, database: Database) -> None:
    day = NOW - 30 * DAY_US - (NOW - 30 * DAY_US) % DAY_US  # a UTC midnight, a month back
    store.prepare(day)
    layout = {-2: [1, 2], -1: [1, 3], 0: [2], 1: [1, 2]}  # day offset: signals with samples that day
    points = [
        Point(signal_id, day + offset * DAY_US + hour * HOUR_US, float(hour))
        for offset, signal_ids in layout.items()
        for signal_id in signal_ids
        for hour in (1, 5, 13)
    ]
    store.write(Batch(points=points, texts=[TextPoint(1, day - DAY_US, "old"), TextPoint(1, day + DAY_US, "new")]))
    cut_1, cut_2 = day + DAY_US, day + DAY_US + 6 * HOUR_US  # signal 3 has no rule: all of it stays
    rules = [
        RetentionRule([1], raw_before_us=cut_1, rollup_before_us=day + 90 * SECOND),
        RetentionRule([2], raw_before_us=cut_2, rollup_before_us=day + 90 * SECOND),
    ]
    report = store.apply_retention(rules, NOW)

    def kept(p: Point) -> bool:
        return p.signal_id == 3 or p.ts_us >= {1: cut_1, 2: cut_2}[p.signal_id]

    for signal_id in (1, 2, 3):
        expected = sorted((p for p in points if p.signal_id == signal_id and kept(p)), key=lambda p: p.ts_us)
        assert store.raw(signal_id, day - 3 * DAY_US, day + 3 * DAY_US) == expected
    assert store.raw_text(1, day - 3 * DAY_US, day + 3 * DAY_US) == [TextPoint(1, day + DAY_US, "new")]
    rollups_deleted = 0
    for table, width in ((rollup_minute, MINUTE_US), (rollup_hour, HOUR_US)):
        every = expected_rollups(points, width)
        # A roll-up row goes once all of its bucket is older than the cut (day + 90 s), unless it is signal 3's.
        expected_rows = [row for row in every if row[0] == 3 or row[1] + width > day + 90 * SECOND]
        assert stored_rollups(database, table) == expected_rows
        rollups_deleted += len(every) - len(expected_rows)
    assert report.rollup_rows_deleted == rollups_deleted
    in_dropped = 0
    if isinstance(store, PostgresStore):
        names = partition_names(database)
        dropped = {partition(day - 2 * DAY_US), partition(day)}
        assert dropped <= set(report.partitions_dropped) and not dropped & names
        # Signal 3 keeps its day's partition; later days are newer than every cut.
        assert {partition(day + offset * DAY_US) for offset in (-1, 1, 2)} <= names
        in_dropped = sum(1 for p in points if p.ts_us < day - DAY_US or day <= p.ts_us < day + DAY_US)
    else:
        assert report.partitions_dropped == []
    deleted = len(points) - sum(1 for p in points if kept(p)) + 1  # and the old text sample
    assert report.raw_rows_deleted + in_dropped == deleted


def test_retention_leaves_partitions_that_ingest_still_writes_into(store: TelemetryStore, database: Database) -> None:
    yesterday = NOW - DAY_US
    store.write(Batch(points=[Point(1, yesterday, 1.0), Point(1, NOW, 2.0)]))
    report = store.apply_retention([RetentionRule([1], raw_before_us=NOW, rollup_before_us=NOW)], NOW)
    assert report.raw_rows_deleted == 1
    assert not {partition(NOW + offset * DAY_US) for offset in range(-2, 8)} & set(report.partitions_dropped)
    assert store.raw(1, 0, NOW + DAY_US) == [Point(1, NOW, 2.0)]
    assert store.write(Batch(points=[Point(1, yesterday + 1, 3.0)])).inserted == 1  # a late sample still fits

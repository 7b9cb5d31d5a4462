"""An in-memory ``TelemetryStore`` for the pipeline's unit tests: it can fail, block, and refuse data on demand."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from sqlalchemy.exc import DataError, OperationalError

from zhizao.telemetry.store.base import (
    Aggregate,
    Batch,
    Bucketed,
    DeadLetterRow,
    Point,
    RetentionReport,
    RetentionRule,
    TextPoint,
    WriteResult,
)
from zhizao.telemetry.store.postgres import MissingPartitionError


class FakeStore:
    def __init__(self) -> None:
        self.samples: dict[tuple[int, int], float] = {}
        self.texts: dict[tuple[int, int], str] = {}
        self.dead_letters: list[DeadLetterRow] = []
        self.batches: list[Batch] = []  # committed, in order
        self.attempts = 0
        self.fail_next = 0  # this many writes fail as if the server had gone away
        self.missing_partition = 0  # this many writes of samples find no partition for them
        self.prepared = 0
        self.refuse: Callable[[Batch], bool] = lambda batch: False  # True: the data is refused (DataError)
        self.gate = threading.Event()  # writes wait until it is set
        self.gate.set()
        self.on_commit: Callable[[Batch], None] = lambda batch: None
        self._lock = threading.Lock()

    def prepare(self, now_us: int) -> None:
        self.prepared += 1

    def write(self, batch: Batch) -> WriteResult:
        self.gate.wait()
        with self._lock:
            self.attempts += 1
            if self.fail_next:
                self.fail_next -= 1
                raise OperationalError("COPY", {}, ConnectionError("server closed the connection unexpectedly"))
            if self.missing_partition and batch.points:
                self.missing_partition -= 1
                raise MissingPartitionError([date(2000, 1, 1)])
            if self.refuse(batch):
                raise DataError("INSERT", {}, ValueError("invalid byte sequence"))
            inserted = 0
            for point in batch.points:
                if (point.signal_id, point.ts_us) not in self.samples:
                    self.samples[(point.signal_id, point.ts_us)] = point.value
                    inserted += 1
            for text_point in batch.texts:
                if (text_point.signal_id, text_point.ts_us) not in self.texts:
                    self.texts[(text_point.signal_id, text_point.ts_us)] = text_point.value
                    inserted += 1
            self.dead_letters.extend(batch.dead_letters)
            self.batches.append(batch)
            self.on_commit(batch)
            total = len(batch.points) + len(batch.texts)
            return WriteResult(inserted, total - inserted, len(batch.dead_letters))

    def raw(
        self, signal_id: int, start_us: int, end_us: int, *, limit: int = 10_000, after_us: int | None = None
    ) -> list[Point]:
        raise NotImplementedError

    def raw_text(self, signal_id: int, start_us: int, end_us: int, *, limit: int = 10_000) -> list[TextPoint]:
        raise NotImplementedError

    def downsample(
        self, signal_ids: Sequence[int], start_us: int, end_us: int, bucket_us: int, aggregate: Aggregate
    ) -> Mapping[int, list[Bucketed]]:
        raise NotImplementedError

    def latest(self, signal_ids: Sequence[int]) -> Mapping[int, Point]:
        raise NotImplementedError

    def apply_retention(self, rules: Sequence[RetentionRule], now_us: int) -> RetentionReport:
        raise NotImplementedError

    def close(self) -> None:
        pass

"""The pipeline without a broker: an in-memory store that blocks, fails and refuses; the real registry."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from tests.telemetry.ingest.fakes import FakeStore
from tests.telemetry.ingest.support import IngestWorld
from zhizao.connectors.mqtt_json import MqttJsonDecoder
from zhizao.db.engine import Database
from zhizao.telemetry.ingest.inbox import Closed, Inbox
from zhizao.telemetry.ingest.metrics import IngestMetrics
from zhizao.telemetry.ingest.pipeline import InboundMessage, IngestPipeline, PipelineConfig
from zhizao.telemetry.registry import Registry
from zhizao.telemetry.timeutil import now_us

FAST = PipelineConfig(batch_points=50, batch_interval_s=0.02, retry_initial_s=0.01, retry_max_s=0.05)


class Acks:
    """Records acknowledgements, and what the store had committed at each one."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.acked: list[int] = []
        self.lock = threading.Lock()

    def message(self, number: int, topic: str, document: object) -> InboundMessage:
        payload = json.dumps(document).encode() if not isinstance(document, bytes) else document
        return InboundMessage(topic, payload, now_us(), lambda: self._ack(number))

    def _ack(self, number: int) -> None:
        with self.lock:
            self.acked.append(number)


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


@pytest.fixture
def tenant(ingest_world: IngestWorld) -> int:
    return ingest_world.enterprise(auto_register=True)


@pytest.fixture
def fake_store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def pipeline(database: Database, fake_store: FakeStore) -> Iterator[IngestPipeline]:
    pipe = IngestPipeline(fake_store, Registry(database), [MqttJsonDecoder()], IngestMetrics(CollectorRegistry()), FAST)
    pipe.start()
    yield pipe
    pipe.close(timeout=5)


BASE_MS = now_us() // 1000 - 60_000  # one clock for all messages: message i is sampled at BASE_MS + i


def values(i: int, signals: int = 5) -> dict[str, object]:
    return {"ts": BASE_MS + i, "values": {f"s{k}": float(i + k) for k in range(signals)}}


def topic(tenant: int, device: str = "d1") -> str:
    return f"zhizao/v1/{tenant}/{device}/data"


def test_acknowledged_only_after_the_commit(pipeline: IngestPipeline, fake_store: FakeStore, tenant: int) -> None:
    acks = Acks(fake_store)
    committed_at_ack: list[int] = []
    fake_store.gate.clear()  # the database is slow
    for i in range(10):
        assert pipeline.submit(acks.message(i, topic(tenant), values(i)))
    time.sleep(0.2)
    assert acks.acked == []
    assert fake_store.samples == {}

    original = acks._ack

    def checking_ack(number: int) -> None:
        committed_at_ack.append(len(fake_store.samples))
        original(number)

    acks._ack = checking_ack  # type: ignore[method-assign]
    fake_store.gate.set()
    wait_for(lambda: len(acks.acked) == 10)
    assert len(fake_store.samples) == 50
    assert all(count > 0 for count in committed_at_ack)


def test_a_failed_write_is_retried_with_the_same_batch(
    pipeline: IngestPipeline, fake_store: FakeStore, tenant: int
) -> None:
    acks = Acks(fake_store)
    fake_store.fail_next = 3
    for i in range(4):
        pipeline.submit(acks.message(i, topic(tenant), values(i)))
    wait_for(lambda: len(acks.acked) == 4)
    assert fake_store.attempts >= 4
    assert len(fake_store.samples) == 20
    status = pipeline.status()
    assert status.store_retries == 3
    assert status.last_error is not None and "server closed" in status.last_error
    assert status.samples_stored == 20


def test_a_message_the_store_refuses_becomes_a_dead_letter(
    pipeline: IngestPipeline, fake_store: FakeStore, tenant: int
) -> None:
    acks = Acks(fake_store)
    fake_store.gate.clear()
    poison_value = 666.0
    fake_store.refuse = lambda batch: any(point.value == poison_value for point in batch.points)
    pipeline.submit(acks.message(0, topic(tenant), values(0)))
    pipeline.submit(acks.message(1, topic(tenant), {"ts": now_us() // 1000, "values": {"s0": poison_value}}))
    pipeline.submit(acks.message(2, topic(tenant), values(2)))
    fake_store.gate.set()
    wait_for(lambda: len(acks.acked) == 3)
    assert len(fake_store.samples) == 10  # messages 0 and 2
    assert [row.reason for row in fake_store.dead_letters] == ["wrong_type"]
    assert "store refused" in fake_store.dead_letters[0].detail
    assert fake_store.dead_letters[0].payload is not None


def test_a_missing_partition_is_prepared_once_then_refused(
    pipeline: IngestPipeline, fake_store: FakeStore, tenant: int
) -> None:
    acks = Acks(fake_store)
    fake_store.missing_partition = 1
    pipeline.submit(acks.message(0, topic(tenant), values(0)))
    wait_for(lambda: acks.acked == [0])
    assert len(fake_store.samples) == 5  # prepare() made the partition; the second try succeeded
    assert fake_store.prepared == 2
    fake_store.missing_partition = 2
    pipeline.submit(acks.message(1, topic(tenant), values(1)))
    wait_for(lambda: acks.acked == [0, 1])
    assert len(fake_store.samples) == 5
    assert [row.reason for row in fake_store.dead_letters] == ["timestamp_out_of_range"]


def test_batches_close_by_size_and_by_time(pipeline: IngestPipeline, fake_store: FakeStore, tenant: int) -> None:
    acks = Acks(fake_store)
    fake_store.gate.clear()
    for i in range(30):  # 5 samples each; batches hold 50
        pipeline.submit(acks.message(i, topic(tenant), values(i)))
    fake_store.gate.set()
    wait_for(lambda: len(acks.acked) == 30)
    assert max(len(batch.points) for batch in fake_store.batches) <= 50 + 4
    assert sum(len(batch.points) for batch in fake_store.batches) == 150
    before = len(fake_store.batches)
    started = time.monotonic()
    pipeline.submit(acks.message(99, topic(tenant), values(99, signals=1)))  # far below the size
    wait_for(lambda: len(acks.acked) == 31)
    assert time.monotonic() - started < 1.0
    assert len(fake_store.batches) == before + 1


def test_backpressure_bounds_the_queue(database: Database, tenant: int) -> None:
    fake_store = FakeStore()
    config = PipelineConfig(batch_points=5, batch_interval_s=0.01, queue_messages=3, retry_initial_s=0.01)
    pipe = IngestPipeline(
        fake_store, Registry(database), [MqttJsonDecoder()], IngestMetrics(CollectorRegistry()), config
    )
    pipe.start()
    acks = Acks(fake_store)
    fake_store.gate.clear()
    submitted: list[int] = []

    def producer() -> None:
        for i in range(40):
            pipe.submit(acks.message(i, topic(tenant), values(i)))
            submitted.append(i)

    thread = threading.Thread(target=producer)
    thread.start()
    time.sleep(0.3)
    # The writer holds one batch (one message of 5 samples), the hand-off one, the assembler one, the queue 3.
    assert len(submitted) <= 7
    assert pipe.status().queue_depth <= 3
    fake_store.gate.set()
    thread.join(10)
    wait_for(lambda: len(acks.acked) == 40)
    pipe.close(5)
    assert len(fake_store.samples) == 200


def test_close_commits_what_was_taken_and_refuses_the_rest(
    database: Database, fake_store: FakeStore, tenant: int
) -> None:
    pipe = IngestPipeline(fake_store, Registry(database), [MqttJsonDecoder()], IngestMetrics(CollectorRegistry()), FAST)
    pipe.start()
    acks = Acks(fake_store)
    for i in range(20):
        pipe.submit(acks.message(i, topic(tenant), values(i)))
    assert pipe.close(timeout=10)
    assert sorted(acks.acked) == list(range(20))
    assert len(fake_store.samples) == 100
    assert not pipe.submit(acks.message(20, topic(tenant), values(20)))


def test_close_gives_up_on_a_store_that_is_down_and_acknowledges_nothing(
    database: Database, fake_store: FakeStore, tenant: int
) -> None:
    pipe = IngestPipeline(fake_store, Registry(database), [MqttJsonDecoder()], IngestMetrics(CollectorRegistry()), FAST)
    pipe.start()
    acks = Acks(fake_store)
    fake_store.fail_next = 10**9
    for i in range(3):
        pipe.submit(acks.message(i, topic(tenant), values(i)))
    assert not pipe.close(timeout=0.5)
    assert acks.acked == []
    assert fake_store.samples == {}


def test_repeats_within_a_batch_are_written_once(database: Database, fake_store: FakeStore, tenant: int) -> None:
    config = PipelineConfig(batch_points=1_000, batch_interval_s=0.5)  # the three messages make one batch
    pipe = IngestPipeline(
        fake_store, Registry(database), [MqttJsonDecoder()], IngestMetrics(CollectorRegistry()), config
    )
    pipe.start()
    acks = Acks(fake_store)
    document = values(0)
    for i in range(3):
        pipe.submit(acks.message(i, topic(tenant), document))  # the same message three times
    wait_for(lambda: len(acks.acked) == 3)
    pipe.close(5)
    assert [len(batch.points) for batch in fake_store.batches] == [5]
    assert pipe.status().duplicates == 10


def test_topics_no_decoder_claims_are_dead_letters(
    pipeline: IngestPipeline, fake_store: FakeStore, tenant: int
) -> None:
    acks = Acks(fake_store)
    pipeline.submit(acks.message(0, "somewhere/else", b"{}"))
    wait_for(lambda: acks.acked == [0])
    assert [(row.source, row.reason) for row in fake_store.dead_letters] == [("mqtt", "bad_topic")]


def test_inbox_bounds_by_count_and_bytes() -> None:
    inbox: Inbox[str] = Inbox(max_items=10, max_bytes=100)
    assert inbox.put("a", 60)
    taken: list[str | None] = []

    def put_big() -> None:
        inbox.put("b", 60)  # waits: 120 bytes would not fit
        taken.append("b in")

    thread = threading.Thread(target=put_big)
    thread.start()
    time.sleep(0.05)
    assert taken == []
    assert inbox.get(0) == "a"
    thread.join(1)
    assert taken == ["b in"]
    assert inbox.get(0) == "b"
    assert inbox.get(0.01) is None
    assert inbox.put("huge", 1000)  # alone, an item over the byte limit still passes
    inbox.close()
    assert not inbox.put("late", 1)
    assert inbox.get(0) == "huge"
    with pytest.raises(Closed):
        inbox.get(0)

"""The pipeline: a bounded inbox → assemble and batch (by size and time) → write in one transaction → acknowledge.

Two threads: the assembler decodes messages, resolves their devices and signals and gathers batches; the writer
writes each batch with ``store.write`` and acknowledges its messages only after the commit. A failed write is
retried with backoff, the same batch, until it succeeds (the database may be restarting); a batch the database
refuses for its data is split by message, and a message that still cannot be stored becomes a dead letter.
The inbox and the hand-off between the threads are bounded: when they are full, ``submit`` waits, which stops the
MQTT network thread reading from its socket. Nothing is acknowledged that is not committed.

Polling connectors (OPC UA, Modbus) submit messages they decoded themselves (``InboundMessage.decoded``); they go
through the same resolution, batching, commit and acknowledgement. After each commit the ``observers`` are called
with what was stored (the alarm evaluator is one): in the writer thread, so they see batches in commit order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from zhizao.telemetry.ingest.assemble import Assembled, Assembler, dedupe
from zhizao.telemetry.ingest.decoding import DecodedMessage, Decoder, OutboundMessage, Rejection
from zhizao.telemetry.ingest.errors import is_data_error, is_missing_partition
from zhizao.telemetry.ingest.inbox import Closed, Inbox
from zhizao.telemetry.ingest.metrics import IngestMetrics, IngestStatus
from zhizao.telemetry.ingest.validation import clean_text, dead_letters
from zhizao.telemetry.kinds import Protocol as SourceProtocol
from zhizao.telemetry.kinds import RejectReason
from zhizao.telemetry.registry import Registry
from zhizao.telemetry.store.base import Batch, DeadLetterRow, Point, TelemetryStore, TextPoint
from zhizao.telemetry.timeutil import from_us, now_us

logger = logging.getLogger(__name__)

UNMATCHED_SOURCE = "mqtt"  # dead letters of topics no decoder claims
_MESSAGE_OVERHEAD = 200  # bytes counted per queued message beyond topic and payload
_READING_SIZE = 120  # bytes counted per reading of a pre-decoded message


@dataclass(frozen=True, slots=True)
class InboundMessage:
    topic: str
    payload: bytes
    received_at_us: int
    ack: Callable[[], None]  # acknowledges the message to the broker; called only after its commit
    # Set by polling connectors: the readings are already decoded, by the protocol named in ``source``.
    decoded: DecodedMessage | None = None
    source: SourceProtocol | None = None

    @property
    def size(self) -> int:
        readings = len(self.decoded.readings) * _READING_SIZE if self.decoded is not None else 0
        return len(self.payload) + len(self.topic) + _MESSAGE_OVERHEAD + readings


class CommitObserver(Protocol):
    """Told what each batch stored, after its commit and before its messages are acknowledged. It must not
    raise for the pipeline's sake (an exception is logged and counted, the batch stays committed)."""

    def committed(self, points: Sequence[Point], texts: Sequence[TextPoint]) -> None: ...


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    # Samples and dead letters that make a batch full. At 100,000 samples a second a batch fills in the 200 ms
    # below; a store write of 20,000 costs PostgreSQL about 40 % less per sample than one of 5,000 (roll-up rows are
    # upserted once per signal and minute in a write, not once per sample).
    batch_points: int = 20_000
    batch_interval_s: float = 0.2  # the longest a sample waits for its batch to fill
    queue_messages: int = 10_000
    queue_bytes: int = 64 * 1024 * 1024
    retry_initial_s: float = 0.05
    retry_max_s: float = 5.0
    prepare_interval_s: float = 600.0  # how often ``store.prepare`` is called (daily partitions ahead)


@dataclass(slots=True)
class _Part:
    message: InboundMessage
    source: str
    assembled: Assembled


@dataclass(slots=True)
class _Batch:
    parts: list[_Part] = field(default_factory=list)
    size: int = 0
    opened_at: float = 0.0

    def add(self, part: _Part) -> None:
        if not self.parts:
            self.opened_at = time.monotonic()
        self.parts.append(part)
        self.size += max(1, part.assembled.size)


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic-filter matching (``+`` one level, ``#`` the rest)."""
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    if topic.startswith("$") and filter_levels[0] in ("+", "#"):
        return False
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(topic_levels) or (level != "+" and level != topic_levels[index]):
            return False
    return len(filter_levels) == len(topic_levels)


class IngestPipeline:
    def __init__(
        self,
        store: TelemetryStore,
        registry: Registry,
        decoders: Sequence[Decoder],
        metrics: IngestMetrics,
        config: PipelineConfig | None = None,
        *,
        publish: Callable[[OutboundMessage], None] | None = None,
        observers: Sequence[CommitObserver] = (),
    ) -> None:
        self.store = store
        self.registry = registry
        self.decoders = list(decoders)
        self.metrics = metrics
        self.config = config or PipelineConfig()
        self._publish = publish
        self.observers = list(observers)
        self._assembler = Assembler(registry)
        self._inbox: Inbox[InboundMessage] = Inbox(self.config.queue_messages, self.config.queue_bytes)
        self._handoff: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
        self._abandon = threading.Event()
        self._last_prepare = -1e18
        self._threads = [
            threading.Thread(target=self._assemble_loop, name="ingest-assembler", daemon=True),
            threading.Thread(target=self._write_loop, name="ingest-writer", daemon=True),
        ]

    # -- life cycle ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, message: InboundMessage) -> bool:
        """Queue ``message``, waiting while the queue is full. False once the pipeline is closing: the message
        was not taken and must not be acknowledged."""
        self.metrics.received(self._source_of(message))
        accepted = self._inbox.put(message, message.size)
        self.metrics.queue(self._inbox.depth, self._inbox.size_bytes)
        return accepted

    def close(self, timeout: float = 30.0) -> bool:
        """Stop taking messages, commit and acknowledge what was taken, stop the threads. Returns False when the
        store could not take everything within ``timeout``: what was not committed is not acknowledged."""
        self._inbox.close()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        drained = not any(thread.is_alive() for thread in self._threads)
        if not drained:
            self._abandon.set()
            for thread in self._threads:
                thread.join(10.0)
        return drained

    def status(self) -> IngestStatus:
        self.metrics.queue(self._inbox.depth, self._inbox.size_bytes)
        return self.metrics.status()

    # -- assembler thread ----------------------------------------------------------------------------------------

    def _assemble_loop(self) -> None:
        batch = _Batch()
        try:
            while not self._abandon.is_set():
                timeout = 0.5 if not batch.parts else batch.opened_at + self.config.batch_interval_s - time.monotonic()
                try:
                    message = self._inbox.get(max(0.0, timeout))
                except Closed:
                    break
                self.metrics.queue(self._inbox.depth, self._inbox.size_bytes)
                if message is not None:
                    try:
                        part = self._assemble(message)
                    except Exception as exc:  # a bug must not end the thread; the message stays unacknowledged
                        logger.exception("could not assemble a message of %s", message.topic)
                        self.metrics.error(exc)
                        continue
                    if part is None:  # abandoned while the database was away
                        break
                    batch.add(part)
                full = batch.size >= self.config.batch_points
                due = bool(batch.parts) and time.monotonic() >= batch.opened_at + self.config.batch_interval_s
                if full or due:
                    self._hand_off(batch)
                    batch = _Batch()
            if batch.parts and not self._abandon.is_set():
                self._hand_off(batch)
        finally:
            self._hand_off(None)

    def _hand_off(self, batch: _Batch | None) -> None:
        while not self._abandon.is_set():
            try:
                self._handoff.put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    def _source_of(self, message: InboundMessage) -> str:
        if message.source is not None:
            return message.source.value
        decoder = self._decoder_for(message.topic)
        return decoder.source.value if decoder is not None else UNMATCHED_SOURCE

    def _decoder_for(self, topic: str) -> Decoder | None:
        for decoder in self.decoders:
            if any(topic_matches(topic_filter, topic) for topic_filter in decoder.topic_filters):
                return decoder
        return None

    def _assemble(self, message: InboundMessage) -> _Part | None:
        """The message's share of a batch; retried while the registry's database is unavailable."""
        received_at = from_us(message.received_at_us)
        if message.decoded is not None and message.source is not None:
            return self._resolve(message, message.decoded, message.source, received_at)
        decoder = self._decoder_for(message.topic)
        if decoder is None:
            rejection = Rejection(RejectReason.BAD_TOPIC, "no decoder subscribes to this topic")
            rows = dead_letters(
                [rejection],
                source=UNMATCHED_SOURCE,
                received_at=received_at,
                topic=message.topic,
                enterprise_id=None,
                payload=message.payload,
            )
            return _Part(message, UNMATCHED_SOURCE, Assembled(dead_letters=rows, rejections=[rejection]))
        try:
            decoded = decoder.decode(message.topic, message.payload, message.received_at_us)
        except Exception as exc:  # a decoder bug must not stop the pipeline; the message is kept as a dead letter
            logger.exception("decoder %s failed on a message of %s", decoder.source.value, message.topic)
            decoded = DecodedMessage(rejections=[Rejection(RejectReason.SCHEMA, f"decoder failed: {exc!r}")])
        if self._publish is not None:
            for command in decoded.commands_to_publish:
                try:
                    self._publish(command)
                except Exception:
                    logger.exception("could not publish to %s", command.topic)
        return self._resolve(message, decoded, decoder.source, received_at)

    def _resolve(
        self, message: InboundMessage, decoded: DecodedMessage, source: SourceProtocol, received_at: datetime
    ) -> _Part | None:
        delay = self.config.retry_initial_s
        while True:
            try:
                assembled = self._assembler.assemble(
                    decoded,
                    source=source,
                    topic=message.topic,
                    payload=message.payload,
                    received_at=received_at,
                )
                return _Part(message, source.value, assembled)
            except Exception as exc:
                if is_data_error(exc):
                    logger.exception("could not resolve the devices of a message of %s", message.topic)
                    rejection = Rejection(RejectReason.SCHEMA, f"could not resolve devices or signals: {exc!r}")
                    return _Part(message, source.value, self._refused(message, source.value, rejection))
                logger.warning("registry unavailable (%s); retrying in %.2fs", exc, delay)
                self.metrics.retry(exc)
                if self._abandon.wait(delay):
                    return None
                delay = min(delay * 2, self.config.retry_max_s)

    @staticmethod
    def _refused(message: InboundMessage, source: str, rejection: Rejection) -> Assembled:
        rows = dead_letters(
            [rejection],
            source=source,
            received_at=from_us(message.received_at_us),
            topic=message.topic,
            enterprise_id=None,
            payload=message.payload,
        )
        return Assembled(dead_letters=rows, rejections=[rejection])

    # -- writer thread -------------------------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while True:
            try:
                batch = self._handoff.get(timeout=0.5)
            except queue.Empty:
                if self._abandon.is_set():
                    return
                continue
            if batch is None:
                return
            try:
                self._commit(batch.parts)
            except Exception as exc:  # a bug must not end the thread; the batch stays unacknowledged
                logger.exception("could not commit a batch of %d messages", len(batch.parts))
                self.metrics.error(exc)

    def _commit(self, parts: list[_Part]) -> None:
        points, texts, rows, repeats = _merge(parts)
        delay = self.config.retry_initial_s
        prepared_for_it = False
        while True:
            started = time.monotonic()
            try:
                if started - self._last_prepare >= self.config.prepare_interval_s:
                    self.store.prepare(now_us())
                    self._last_prepare = started
                result = self.store.write(Batch(points=points, texts=texts, dead_letters=rows))
                break
            except Exception as exc:
                if is_missing_partition(exc) and not prepared_for_it:
                    prepared_for_it = True  # e.g. after a long outage: make the partitions, then try again
                    self._last_prepare = -1e18
                    continue
                if is_data_error(exc) or is_missing_partition(exc):
                    logger.error("the store refused a batch of %d messages: %s", len(parts), exc)
                    self.metrics.error(exc)
                    if len(parts) > 1:
                        for part in parts:  # find the message at fault: each is committed on its own
                            self._commit([part])
                        return
                    self._commit_refused(parts[0], exc)
                    return
                logger.warning("store write failed (%s); retrying the same batch in %.2fs", exc, delay)
                self.metrics.retry(exc)
                if self._abandon.wait(delay):
                    return  # shutting down: nothing acknowledged, the broker redelivers
                delay = min(delay * 2, self.config.retry_max_s)
        commit_us = now_us()
        self.metrics.committed(
            inserted=result.inserted,
            duplicates=result.duplicates + repeats,
            dead_letters=result.dead_letters,
            seconds=time.monotonic() - started,
        )
        device_ids: set[int] = set()
        for part in parts:
            for rejection in part.assembled.rejections:
                self.metrics.reject(rejection.reason.value)
            if part.assembled.newest_ts_us is not None:
                self.metrics.lag.observe(max(0.0, (commit_us - part.assembled.newest_ts_us) / 1e6))
            device_ids |= part.assembled.device_ids
        self._notify(points, texts)
        for part in parts:
            part.message.ack()
        if device_ids:
            try:
                self.registry.touch(device_ids, datetime.now(UTC))
            except Exception as exc:  # last-seen is advisory; the samples are committed
                logger.warning("could not update last_seen_at: %s", exc)
                self.metrics.error(exc)

    def _notify(self, points: Sequence[Point], texts: Sequence[TextPoint]) -> None:
        if not points and not texts:
            return
        for observer in self.observers:
            try:
                observer.committed(points, texts)
            except Exception as exc:  # an observer's failure must not hold back the acknowledgement
                logger.exception("commit observer %r failed", observer)
                self.metrics.error(exc)

    def _commit_refused(self, part: _Part, error: BaseException) -> None:
        """A message the store refused: kept as a dead letter instead (without payload if even that is refused)."""
        reason = RejectReason.TIMESTAMP_OUT_OF_RANGE if is_missing_partition(error) else RejectReason.WRONG_TYPE
        rejection = Rejection(reason, clean_text(f"the store refused the message: {error}", 1000))
        refused = self._refused(part.message, part.source, rejection)
        for keep_payload in (True, False):
            rows = refused.dead_letters
            if not keep_payload:
                rows = [
                    DeadLetterRow(source=r.source, reason=r.reason, detail=r.detail, received_at=r.received_at)
                    for r in rows
                ]
            try:
                self._retrying_write(Batch(dead_letters=rows))
            except Exception as exc:
                if not is_data_error(exc):
                    return  # abandoned while shutting down
                continue
            self.metrics.committed(inserted=0, duplicates=0, dead_letters=len(rows), seconds=0.0)
            self.metrics.reject(rejection.reason.value)
            part.message.ack()
            return
        logger.error("could not keep a dead letter for a message of %s; left unacknowledged", part.message.topic)

    def _retrying_write(self, batch: Batch) -> None:
        delay = self.config.retry_initial_s
        while True:
            try:
                self.store.write(batch)
                return
            except Exception as exc:
                if is_data_error(exc):
                    raise
                self.metrics.retry(exc)
                if self._abandon.wait(delay):
                    raise
                delay = min(delay * 2, self.config.retry_max_s)


def _merge(parts: Sequence[_Part]) -> tuple[list[Point], list[TextPoint], list[DeadLetterRow], int]:
    points = [point for part in parts for point in part.assembled.points]
    texts = [text_point for part in parts for text_point in part.assembled.texts]
    unique_points, unique_texts, repeats = dedupe(points, texts)
    return unique_points, unique_texts, [row for part in parts for row in part.assembled.dead_letters], repeats

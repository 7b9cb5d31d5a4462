"""End to end with a real Mosquitto and the real store on both backends: stored exactly once, acknowledged after
the commit, bad input counted and kept as dead letters, the broker restarted, two workers sharing the load."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiomqtt
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select

from tests.telemetry.ingest.support import (
    IngestWorld,
    Mosquitto,
    dead_letter_reasons,
    publish,
    stored_counts,
    stream,
    wait_until,
)
from zhizao.db.engine import Database
from zhizao.telemetry.embedded_broker import EmbeddedBroker
from zhizao.telemetry.ingest.mqtt_source import MqttVersion
from zhizao.telemetry.ingest.pipeline import PipelineConfig
from zhizao.telemetry.ingest.worker import IngestWorker
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.models import DeadLetter
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore
from zhizao.telemetry.timeutil import now_us

CONFIG = PipelineConfig(batch_points=2_000, batch_interval_s=0.05, retry_initial_s=0.05, retry_max_s=0.5)


@asynccontextmanager
async def running(
    store: TelemetryStore, database: Database, broker: Mosquitto, client_id: str, **options: Any
) -> AsyncIterator[IngestWorker]:
    worker = IngestWorker(
        store=store, database=database, mqtt_url=broker.url, client_id=client_id, config=CONFIG, **options
    )
    worker.start()
    try:
        assert await asyncio.to_thread(worker.source.wait_subscribed, 10.0)
        yield worker
    finally:
        assert await asyncio.to_thread(worker.stop, 10.0)


def totals(expected_numeric: int, expected_text: int = 0) -> Callable[[tuple[int, int, int]], bool]:
    return lambda counts: counts[0] >= expected_numeric and counts[1] >= expected_text


@pytest.mark.asyncio
async def test_a_stream_is_stored_once_and_acknowledged(
    database: Database, store: TelemetryStore, ingest_world: IngestWorld, mosquitto: Mosquitto
) -> None:
    tenant = ingest_world.enterprise(auto_register=True)
    messages = stream(tenant, "cnc-1", 400, 5)
    async with running(store, database, mosquitto, "worker-1") as worker:
        await publish(mosquitto.port, messages)
        counts = await wait_until(lambda: stored_counts(database), totals(2_000))
        await asyncio.sleep(0.2)  # nothing more arrives
        assert worker.status().connected
    status = worker.status()
    assert stored_counts(database) == counts == (2_000, 0, 2_000)  # the roll-ups counted each sample once
    assert status.messages_received == 400
    assert status.samples_stored == 2_000
    assert not status.connected
    # Everything was acknowledged: the same session, resumed, gets nothing again.
    async with running(store, database, mosquitto, "worker-1") as again:
        await asyncio.sleep(0.5)
        assert again.status().messages_received == 0


@pytest.mark.asyncio
async def test_a_replay_of_committed_messages_writes_nothing_twice(
    database: Database, store: TelemetryStore, ingest_world: IngestWorld, mosquitto: Mosquitto
) -> None:
    """As after a crash between commit and acknowledgement: the broker delivers again what is already stored."""
    tenant = ingest_world.enterprise()
    device = ingest_world.device(tenant, "cnc-2")
    signal_ids = [ingest_world.signal(device, f"s{k}") for k in range(3)]
    messages = stream(tenant, "cnc-2", 300, 3)
    committed = [
        Point(signal_ids[k], ts_ms * 1000, value)
        for _topic, payload in messages[:100]
        for document in [json.loads(payload)]
        for ts_ms in [document["ts"]]
        for k, value in enumerate(document["values"].values())
    ]
    store.write(Batch(points=committed))
    async with running(store, database, mosquitto, "worker-replay") as worker:
        await publish(mosquitto.port, messages)
        counts = await wait_until(lambda: stored_counts(database), totals(900))
    status = worker.status()
    assert stored_counts(database) == counts == (900, 0, 900)  # the roll-ups were not touched by the replay
    assert (status.samples_stored, status.duplicates) == (600, 300)


@pytest.mark.asyncio
async def test_bad_input_is_counted_kept_and_does_not_stop_the_pipeline(
    database: Database, store: TelemetryStore, ingest_world: IngestWorld, mosquitto: Mosquitto
) -> None:
    tenant = ingest_world.enterprise()  # no auto-registration
    other = ingest_world.enterprise()
    device = ingest_world.device(tenant, "dev-a")
    for name in ("s0", "s1"):
        ingest_world.signal(device, name)
    ingest_world.signal(device, "program", data_type=DataType.STRING)
    now_ms = now_us() // 1000
    here = f"zhizao/v1/{tenant}/dev-a/data"

    def doc(**fields: object) -> bytes:
        return json.dumps(fields).encode()

    messages = [
        (here, doc(ts=now_ms, values={"s0": 1.0, "s1": 2.0, "program": "O1001"})),
        (here, b"{not json"),
        (here, b"[1, 2, 3]"),
        (f"zhizao/v1/{tenant}/ghost/data", doc(ts=now_ms, values={"s0": 1})),
        (f"zhizao/v1/{other}/dev-a/data", doc(ts=now_ms, values={"s0": 1})),  # another tenant's device code
        ("zhizao/v1/999999/dev-a/data", doc(ts=now_ms, values={"s0": 1})),
        (here, f'{{"ts": {now_ms + 1}, "values": {{"s0": NaN, "s1": Infinity}}}}'.encode()),
        (
            here,
            doc(
                samples=[
                    {"signal": "s0", "ts": now_ms + 3_600_000, "value": 1},
                    {"signal": "s0", "ts": now_ms - 3 * 86_400_000, "value": 1},
                    {"signal": "s1", "ts": now_ms + 2, "value": 3.5},
                ]
            ),
        ),
        (here, doc(ts=now_ms, values={"blob": "x" * 300_000})),
        ("zhizao/v1/abc/dev-a/data", doc(ts=now_ms, values={"s0": 1})),
        (here, doc(ts=now_ms + 3, values={"nope": 1})),
        (here, doc(ts=now_ms + 4, values={"s0": "text for a number"})),
        (here, doc(ts=now_ms + 5, values={"s0": 5.0, "s1": 6.0})),
    ]
    metrics = CollectorRegistry()
    async with running(store, database, mosquitto, "worker-bad", metrics_registry=metrics) as worker:
        await publish(mosquitto.port, messages, chunk=1)
        await wait_until(lambda: sum(dead_letter_reasons(database).values()), lambda n: n >= 11)
        await wait_until(lambda: stored_counts(database), totals(5, 1))
    status = worker.status()
    assert stored_counts(database) == (5, 1, 5)
    assert dead_letter_reasons(database) == Counter(
        {
            "malformed_json": 1,
            "schema": 1,
            "unknown_device": 2,
            "unknown_tenant": 1,
            "not_finite": 1,  # one dead letter for the message, naming both samples
            "timestamp_out_of_range": 1,
            "oversize": 1,
            "bad_topic": 1,
            "unknown_signal": 1,
            "wrong_type": 1,
        }
    )
    assert status.rejected == {
        "malformed_json": 1,
        "schema": 1,
        "unknown_device": 2,
        "unknown_tenant": 1,
        "not_finite": 2,
        "timestamp_out_of_range": 2,
        "oversize": 1,
        "bad_topic": 1,
        "unknown_signal": 1,
        "wrong_type": 1,
    }
    assert status.messages_received == len(messages)
    assert metrics.get_sample_value("zhizao_ingest_rejected_total", {"reason": "not_finite"}) == 2
    assert metrics.get_sample_value("zhizao_ingest_samples_stored_total") == 6
    assert metrics.get_sample_value("zhizao_ingest_messages_received_total", {"source": "mqtt_json"}) == 13
    assert metrics.get_sample_value("zhizao_ingest_lag_seconds_count") == 3  # messages with stored samples
    with database.session() as session:
        letters = {(row.reason, row.topic): row for row in session.scalars(select(DeadLetter))}
    foreign = letters[("unknown_device", f"zhizao/v1/{other}/dev-a/data")]
    assert foreign.enterprise_id == other and foreign.source == "mqtt_json"
    assert letters[("unknown_tenant", "zhizao/v1/999999/dev-a/data")].enterprise_id is None
    assert letters[("malformed_json", here)].payload == b"{not json"
    oversize = letters[("oversize", here)]
    assert oversize.payload is not None and len(oversize.payload) == 64 * 1024
    assert "#0" in (letters[("not_finite", here)].detail or "")


@pytest.mark.asyncio
async def test_a_broker_restart_loses_nothing_and_stores_nothing_twice(
    database: Database, store: TelemetryStore, ingest_world: IngestWorld, mosquitto: Mosquitto
) -> None:
    tenant = ingest_world.enterprise(auto_register=True)
    messages = stream(tenant, "robot-1", 3_000, 2)
    async with running(store, database, mosquitto, "worker-restart", reconnect_max_s=1) as worker:
        await publish(mosquitto.port, messages[:1_500])
        await asyncio.to_thread(mosquitto.restart)  # the worker is still taking the first half
        await publish(mosquitto.port, messages[1_500:])
        counts = await wait_until(lambda: stored_counts(database), totals(6_000))
        await asyncio.sleep(0.3)
        status = worker.status()
    assert stored_counts(database) == counts == (6_000, 0, 6_000)
    assert status.connections >= 2


@pytest.mark.asyncio
async def test_two_workers_share_the_subscription(
    database: Database, store: TelemetryStore, ingest_world: IngestWorld, mosquitto: Mosquitto, settings: Any
) -> None:
    from zhizao.db.engine import create_database
    from zhizao.telemetry.store.factory import open_store

    tenant = ingest_world.enterprise(auto_register=True)
    second_db = create_database(settings, url=database.engine.url.render_as_string(hide_password=False))
    second_store = open_store(second_db)
    messages = stream(tenant, "line-1", 1_000, 3)
    try:
        async with (
            running(store, database, mosquitto, "shared-a", shared_group="zhizao") as first,
            running(second_store, second_db, mosquitto, "shared-b", shared_group="zhizao") as second,
        ):
            assert first.source.subscriptions == ["$share/zhizao/zhizao/v1/+/+/data"]
            await publish(mosquitto.port, messages)
            counts = await wait_until(lambda: stored_counts(database), totals(3_000))
            await asyncio.sleep(0.2)
            got = (first.status().messages_received, second.status().messages_received)
    finally:
        second_store.close()
        second_db.dispose()
    assert stored_counts(database) == counts == (3_000, 0, 3_000)
    assert sum(got) == 1_000  # each message went to one of them …
    assert min(got) > 0  # … and both had a share


@pytest.mark.asyncio
async def test_mqtt_3_1_1_with_the_embedded_broker(
    database: Database, store: TelemetryStore, ingest_world: IngestWorld
) -> None:
    """``zhizao demo``'s amqtt broker speaks only MQTT 3.1.1 (and has no shared subscriptions)."""
    tenant = ingest_world.enterprise(auto_register=True)
    messages = stream(tenant, "demo-1", 200, 2)
    async with EmbeddedBroker("127.0.0.1", 0, allow_anonymous=True) as broker:
        worker = IngestWorker(
            store=store,
            database=database,
            mqtt_url=broker.url,
            client_id="demo-worker",
            config=CONFIG,
            mqtt_version=MqttVersion.V311,
        )
        worker.start()
        try:
            assert await asyncio.to_thread(worker.source.wait_subscribed, 10.0)
            async with aiomqtt.Client("127.0.0.1", broker.port, identifier="demo-publisher") as client:
                for topic, payload in messages:
                    await client.publish(topic, payload, qos=1)
            counts = await wait_until(lambda: stored_counts(database), totals(400))
        finally:
            assert await asyncio.to_thread(worker.stop, 10.0)
    assert counts == (400, 0, 400)
    assert worker.status().messages_received == 200

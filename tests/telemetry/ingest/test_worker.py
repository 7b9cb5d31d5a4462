"""``run_worker`` (the body of ``zhizao ingest``) and the MQTT source's settings."""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.telemetry.ingest.support import IngestWorld, Mosquitto, free_port, publish, stored_counts, stream, wait_until
from zhizao.db.engine import Database
from zhizao.errors import ConfigurationError
from zhizao.settings import load_settings
from zhizao.telemetry.ingest.mqtt_source import MqttEndpoint, subscription_for
from zhizao.telemetry.ingest.pipeline import PipelineConfig
from zhizao.telemetry.ingest.worker import IngestWorker, run_worker


@pytest.mark.asyncio
async def test_run_worker_ingests_serves_metrics_and_stops_when_told(
    database: Database, ingest_world: IngestWorld, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    tenant = ingest_world.enterprise(auto_register=True)
    settings = load_settings(
        data_dir=tmp_path, secret_key=TEST_SECRET, database_url=database.engine.url.render_as_string(False)
    )
    stop = asyncio.Event()
    ready = asyncio.Event()
    workers: list[IngestWorker] = []
    port = free_port()

    def started(worker: IngestWorker) -> None:
        workers.append(worker)
        ready.set()

    task = asyncio.create_task(
        run_worker(
            settings,
            mosquitto.url,
            None,
            "run-worker-1",
            stop=stop,
            config=PipelineConfig(batch_interval_s=0.05),
            metrics_port=port,
            on_started=started,
        )
    )
    try:
        await asyncio.wait_for(ready.wait(), 10)
        assert await asyncio.to_thread(workers[0].source.wait_subscribed, 10.0)
        await publish(mosquitto.port, stream(tenant, "d1", 50, 2))
        await wait_until(lambda: stored_counts(database), lambda counts: counts[0] >= 100)
        with await asyncio.to_thread(urllib.request.urlopen, f"http://127.0.0.1:{port}/metrics") as response:
            exposed = response.read().decode()
        assert 'zhizao_ingest_messages_received_total{source="mqtt_json"} 50.0' in exposed
        assert "zhizao_ingest_lag_seconds_bucket" in exposed
    finally:
        stop.set()
        status = await asyncio.wait_for(task, 30)
    assert status.samples_stored == 100
    assert status.client_id == "run-worker-1"
    assert status.subscription == "zhizao/v1/+/+/data"
    assert not status.connected


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("mqtt://127.0.0.1", MqttEndpoint("127.0.0.1", 1883)),
        ("mqtt://broker:1884", MqttEndpoint("broker", 1884)),
        ("mqtts://broker", MqttEndpoint("broker", 8883, tls=True)),
        ("mqtt://ingest:p%40ss@broker:1883", MqttEndpoint("broker", 1883, username="ingest", password="p@ss")),
    ],
)
def test_mqtt_urls(url: str, endpoint: MqttEndpoint) -> None:
    assert MqttEndpoint.parse(url) == endpoint


@pytest.mark.parametrize("url", ["http://broker", "mqtt://", "broker:1883", "mqtt://broker:99999"])
def test_bad_mqtt_urls(url: str) -> None:
    with pytest.raises(ConfigurationError):
        MqttEndpoint.parse(url)


def test_shared_subscriptions() -> None:
    assert subscription_for("zhizao/v1/+/+/data", None) == "zhizao/v1/+/+/data"
    assert subscription_for("zhizao/v1/+/+/data", "zhizao") == "$share/zhizao/zhizao/v1/+/+/data"
    for group in ("", "a/b", "a+", "#"):
        with pytest.raises(ConfigurationError):
            subscription_for("x", group)


def test_only_shareable_decoders_use_the_shared_group(database: Database) -> None:
    from tests.telemetry.ingest.fakes import FakeStore
    from zhizao.connectors.mqtt_json import MqttJsonDecoder
    from zhizao.connectors.sparkplug.decoder import TOPIC_FILTERS, SparkplugDecoder

    worker = IngestWorker(
        store=FakeStore(),
        database=database,
        mqtt_url="mqtt://127.0.0.1:1",
        client_id="both",
        shared_group="zhizao",
        decoders=[MqttJsonDecoder(), SparkplugDecoder()],
    )
    assert worker.source.subscriptions == ["$share/zhizao/zhizao/v1/+/+/data", *TOPIC_FILTERS]


@pytest.mark.asyncio
async def test_a_sparkplug_worker_announces_its_state_as_primary_host(
    database: Database, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """Sparkplug 3.0: the primary host publishes a retained STATE birth, leaves an offline will, and says goodbye."""
    import json

    import aiomqtt

    from zhizao.connectors.mqtt_json import MqttJsonDecoder
    from zhizao.connectors.sparkplug.decoder import SparkplugDecoder

    settings = load_settings(
        data_dir=tmp_path, secret_key=TEST_SECRET, database_url=database.engine.url.render_as_string(False)
    )
    stop = asyncio.Event()
    ready = asyncio.Event()
    decoders = [MqttJsonDecoder(), SparkplugDecoder()]
    task = asyncio.create_task(
        run_worker(settings, mosquitto.url, None, "sparkplug-host", stop=stop, decoders=decoders,
                   on_started=lambda worker: ready.set())
    )  # fmt: skip

    async def retained_state() -> dict[str, object]:
        async with aiomqtt.Client("127.0.0.1", mosquitto.port, identifier="state-reader") as client:
            await client.subscribe("spBv1.0/STATE/zhizao", qos=1)
            message = await anext(client.messages)
            return dict(json.loads(bytes(message.payload)))  # type: ignore[arg-type]

    try:
        await asyncio.wait_for(ready.wait(), 10)
        # Retained, or published live right after the worker subscribes: either way the first message we get.
        online = await asyncio.wait_for(retained_state(), 10)
        assert online["online"] is True and isinstance(online["timestamp"], int)
    finally:
        stop.set()
        await task
    offline = await asyncio.wait_for(retained_state(), 5)
    assert offline == {"online": False, "timestamp": online["timestamp"]}

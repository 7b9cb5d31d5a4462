"""Publishing to a real broker: every sample generated arrives, exactly as generated, in order per device."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomqtt
import pytest

from tests.simulator.conftest import mqtt_versions
from zhizao.simulator import FactoryRun, FactorySpec, LineSpec, MachineSpec, Reading, default_factory
from zhizao.simulator.mqtt_json import (
    BrokerUrl,
    MqttJsonPublisher,
    MqttVersion,
    parse_broker_url,
    publish_history,
    run_realtime,
)
from zhizao.telemetry.kinds import EquipmentType

START = 1_714_924_800_000 + 7 * 3_600_000 + 30 * 60_000  # Monday 07:30 in Shanghai: the shift starts at 08:00
Samples = dict[str, list[tuple[str, int, object, type]]]


def as_samples(readings: list[Reading]) -> Samples:
    samples: Samples = {}
    for r in readings:
        samples.setdefault(r.device_code, []).append((r.signal, r.ts_ms, r.value, type(r.value)))
    return samples


class Collector:
    def __init__(self) -> None:
        self.samples: Samples = {}
        self.count = 0
        self.messages = 0
        self.topics: set[str] = set()

    async def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.count < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert self.count == count


@asynccontextmanager
async def collecting(url: str, prefix: str) -> AsyncIterator[Collector]:
    """Subscribe to everything under ``prefix`` (QoS 1) and decode the JSON samples as they arrive."""
    broker = parse_broker_url(url)
    collector = Collector()
    async with aiomqtt.Client(broker.host, broker.port, identifier=f"sub-{uuid.uuid4().hex[:8]}") as client:
        await client.subscribe(f"{prefix}/#", qos=1)

        async def receive() -> None:
            async for message in client.messages:
                topic = str(message.topic)
                collector.topics.add(topic)
                collector.messages += 1
                device = topic.split("/")[-2]
                assert isinstance(message.payload, bytes)
                for sample in json.loads(message.payload)["samples"]:
                    value = sample["value"]
                    collector.samples.setdefault(device, []).append(
                        (sample["signal"], sample["ts"], value, type(value))
                    )
                    collector.count += 1

        task = asyncio.create_task(receive())
        try:
            yield collector
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@pytest.mark.asyncio
@pytest.mark.parametrize("version", mqtt_versions())
async def test_history_arrives_exactly_as_generated(mqtt_url: str, topic_prefix: str, version: MqttVersion) -> None:
    end = START + 3_600_000
    expected = FactoryRun(default_factory(1), seed=21, start_ms=START).step(end)
    run = FactoryRun(default_factory(1), seed=21, start_ms=START)
    async with collecting(mqtt_url, topic_prefix) as collector:
        async with MqttJsonPublisher(mqtt_url, enterprise_id=9, topic_prefix=topic_prefix, version=version) as pub:
            stats = await publish_history(run, pub, until_ms=end)
        await collector.wait_for(len(expected))
    assert stats.points == len(expected) > 50_000
    assert stats.messages == collector.messages
    assert collector.samples == as_samples(expected)
    assert collector.topics == {f"{topic_prefix}/9/{d.code}/data" for d in run.devices}


@pytest.mark.asyncio
async def test_one_connection_per_device_with_device_tokens(mqtt_url: str, topic_prefix: str) -> None:
    machines = tuple(
        MachineSpec(code=f"M{i}", name=f"M{i}", equipment_type=EquipmentType.INDUSTRIAL_ROBOT) for i in (1, 2)
    )
    spec = FactorySpec(lines=(LineSpec(code="L1", name="L1", machines=machines),))
    expected = FactoryRun(spec, seed=3, start_ms=START).step(START + 600_000)
    run = FactoryRun(spec, seed=3, start_ms=START)
    tokens = {"M1": "token-1", "M2": "token-2"}
    async with collecting(mqtt_url, topic_prefix) as collector:
        async with MqttJsonPublisher(
            mqtt_url, enterprise_id=5, device_tokens=tokens, topic_prefix=topic_prefix, batch_size=7
        ) as pub:
            await publish_history(run, pub, until_ms=START + 600_000)
        await collector.wait_for(len(expected))
    assert collector.samples == as_samples(expected)


@pytest.mark.asyncio
async def test_realtime_at_a_speed_factor(mqtt_url: str, topic_prefix: str) -> None:
    run = FactoryRun(default_factory(1), seed=4, start_ms=START)
    async with collecting(mqtt_url, topic_prefix) as collector:
        async with MqttJsonPublisher(mqtt_url, enterprise_id=9, topic_prefix=topic_prefix) as pub:
            stats = await run_realtime(run, pub, speed=600, duration_s=1.0, tick_s=0.2)
        assert run.now_ms == START + 600_000  # one wall second at 600×: ten simulated minutes
        expected = FactoryRun(default_factory(1), seed=4, start_ms=START).step(run.now_ms)
        await collector.wait_for(len(expected))
    assert stats.points == len(expected)
    assert collector.samples == as_samples(expected)


@pytest.mark.asyncio
async def test_realtime_never_runs_ahead_of_the_clock(mqtt_url: str, topic_prefix: str) -> None:
    run = FactoryRun(default_factory(1), seed=4, start_ms=START)
    async with MqttJsonPublisher(mqtt_url, enterprise_id=9, topic_prefix=topic_prefix) as pub:
        await run_realtime(run, pub, speed=6_000, duration_s=0.3, tick_s=0.1, clock=lambda: START + 120_000)
    assert run.now_ms == START + 120_000  # 30 simulated minutes asked for, two allowed by the clock


@pytest.mark.asyncio
async def test_cancel_stops_gracefully_and_loses_nothing_it_counted(mqtt_url: str, topic_prefix: str) -> None:
    run = FactoryRun(default_factory(2), seed=6, start_ms=START)
    async with collecting(mqtt_url, topic_prefix) as collector:
        publisher = MqttJsonPublisher(mqtt_url, enterprise_id=9, topic_prefix=topic_prefix)

        async def simulate() -> None:
            async with publisher:
                await run_realtime(run, publisher, speed=3_600, tick_s=0.05)

        task = asyncio.create_task(simulate())
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await collector.wait_for(publisher.stats.points)
    assert publisher.stats.points > 1_000
    # What arrived is, for every device, the start of what the model generated: nothing lost, nothing reordered.
    generated = as_samples(FactoryRun(default_factory(2), seed=6, start_ms=START).step(run.now_ms))
    for device, samples in collector.samples.items():
        assert samples == generated[device][: len(samples)]


@pytest.mark.asyncio
async def test_history_at_a_target_rate(mqtt_url: str, topic_prefix: str) -> None:
    run = FactoryRun(default_factory(1), seed=1, start_ms=START)
    async with MqttJsonPublisher(mqtt_url, enterprise_id=9, topic_prefix=topic_prefix) as pub:
        stats = await publish_history(run, pub, until_ms=START + 300_000, rate=10_000, chunk_ms=10_000)
    assert stats.points > 5_000
    assert stats.elapsed_s >= 0.9 * (stats.points - 1_000) / 10_000  # the last chunk is not waited for
    assert stats.points_per_s < 12_000


@pytest.mark.asyncio
async def test_unreachable_broker_raises() -> None:
    from tests.simulator.conftest import _free_port

    publisher = MqttJsonPublisher(BrokerUrl("127.0.0.1", _free_port()), enterprise_id=1)
    with pytest.raises(aiomqtt.MqttError):
        async with publisher:
            pass  # pragma: no cover


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker.example", BrokerUrl("broker.example", 1883)),
        ("tcp://10.0.0.5:1884", BrokerUrl("10.0.0.5", 1884)),
        ("mqtts://broker.example", BrokerUrl("broker.example", 8883, tls=True)),
        ("mqtt://gw%2F1:s%40cret@h:1", BrokerUrl("h", 1, username="gw/1", password="s@cret")),
    ],
)
def test_parse_broker_url(url: str, expected: BrokerUrl) -> None:
    assert parse_broker_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h:1883", "expected mqtt://"),
        ("mqtt://h:99999", "port"),
        ("mqtt://:1883", "no host"),
        ("mqtt://h:1883/x", "no path"),
    ],
)
def test_parse_broker_url_refuses(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_broker_url(url)

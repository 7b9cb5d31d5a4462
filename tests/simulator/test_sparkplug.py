"""Sparkplug B through a real broker: the simulator as edge nodes, a ``SparkplugDecoder`` as the host.

Every reading generated arrives decoded (device code = machine code, signal, time, value and its type); births
are re-sent on a rebirth request, including the one the decoder itself asks for when it missed the births.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiomqtt
import pytest
import typer
from typer.testing import CliRunner

from tests.simulator.conftest import mqtt_versions
from zhizao.connectors.sparkplug.codec import rebirth_request
from zhizao.connectors.sparkplug.decoder import TOPIC_FILTERS, SparkplugDecoder
from zhizao.connectors.sparkplug.topics import EdgeTopic, MessageType, parse_topic
from zhizao.simulator import FactoryRun, FactorySpec, LineSpec, MachineSpec, Reading, default_factory
from zhizao.simulator.cli import simulate_app
from zhizao.simulator.mqtt_json import MqttVersion, parse_broker_url
from zhizao.simulator.sparkplug import SparkplugPublisher, publish_history, run_realtime
from zhizao.telemetry.kinds import DataType, EquipmentType, RejectReason, SignalKind

START = 1_714_924_800_000 + 7 * 3_600_000 + 30 * 60_000  # Monday 07:30 in Shanghai: the shift starts at 08:00
MINUTE = 60_000
Sample = tuple[str, int, object, type]  # signal, ts (ms), value, its type
Samples = dict[str, list[Sample]]
TYPES = {DataType.INT: int, DataType.FLOAT: float, DataType.BOOL: bool, DataType.STRING: str}


def as_samples(readings: list[Reading]) -> Samples:
    samples: Samples = {}
    for r in readings:
        samples.setdefault(r.device_code, []).append((r.signal, r.ts_ms, r.value, type(r.value)))
    return samples


def new_enterprise() -> int:
    """A group of this test's own, so that tests (and concurrent runs) on a shared broker never mix."""
    return random.randint(10**8, 2**31 - 1)


class Host:
    """What the broker delivers on the decoder's topic filters, decoded; rebirth requests published back."""

    def __init__(self, enterprise_id: int, received_at_ms: int) -> None:
        self.enterprise_id = enterprise_id
        self.received_at_us = received_at_ms * 1000  # the samples' time window is checked against it
        self.decoder = SparkplugDecoder()
        self.samples: Samples = {}
        self.count = 0
        self.messages: Counter[MessageType] = Counter()
        self.rejections: Counter[RejectReason] = Counter()
        self.data_types: dict[tuple[str, str], DataType | None] = {}
        self.births: list[EdgeTopic] = []
        self.commands = 0
        self.last_message = time.monotonic()
        self.receiver: asyncio.Task[None] | None = None

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            if self.receiver is not None and self.receiver.done():
                self.receiver.result()  # a failed assertion while receiving
            await asyncio.sleep(0.02)
        assert condition()

    async def wait_count(self, count: int, timeout: float = 60) -> None:
        """Until ``count`` readings have arrived, and no more a moment later."""
        await self.wait_until(lambda: self.count >= count, timeout)
        await asyncio.sleep(0.1)
        assert self.count == count


@asynccontextmanager
async def hosting(url: str, enterprise_id: int, received_at_ms: int) -> AsyncIterator[Host]:
    broker = parse_broker_url(url)
    host = Host(enterprise_id, received_at_ms)
    async with aiomqtt.Client(broker.host, broker.port, identifier=f"host-{uuid.uuid4().hex[:8]}") as client:
        for topic_filter in TOPIC_FILTERS:
            await client.subscribe(topic_filter.replace("/+/", f"/{enterprise_id}/", 1), qos=1)

        async def receive() -> None:
            async for message in client.messages:
                host.last_message = time.monotonic()
                topic = str(message.topic)
                assert isinstance(message.payload, bytes)
                parsed = parse_topic(topic)
                assert isinstance(parsed, EdgeTopic)
                host.messages[parsed.message_type] += 1
                if parsed.message_type in (MessageType.NBIRTH, MessageType.DBIRTH):
                    host.births.append(parsed)
                decoded = host.decoder.decode(topic, message.payload, host.received_at_us)
                assert decoded.enterprise_id == enterprise_id
                for rejection in decoded.rejections:
                    host.rejections[rejection.reason] += 1
                for reading in decoded.readings:
                    assert reading.device.enterprise_id == enterprise_id
                    code = reading.device.device_code
                    host.samples.setdefault(code, []).append(
                        (reading.signal, reading.ts_us // 1000, reading.value, type(reading.value))
                    )
                    assert reading.ts_us % 1000 == 0
                    host.data_types[code, reading.signal] = reading.data_type
                    host.count += 1
                for command in decoded.commands_to_publish:
                    host.commands += 1
                    await client.publish(command.topic, command.payload, qos=command.qos, retain=command.retain)

        task = host.receiver = asyncio.create_task(receive())
        try:
            yield host
            # Leave only once the broker is done delivering (amqtt leaks a connection closed mid-delivery).
            while time.monotonic() - host.last_message < 0.2 and not task.done():
                await asyncio.sleep(0.05)
            if task.done():
                task.result()  # a failed assertion in receive()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@pytest.mark.asyncio
@pytest.mark.parametrize("version", mqtt_versions())
async def test_history_arrives_decoded_exactly_as_generated(mqtt_url: str, version: MqttVersion) -> None:
    end = START + 20 * MINUTE
    expected = FactoryRun(default_factory(1), seed=21, start_ms=START).step(end)
    run = FactoryRun(default_factory(1), seed=21, start_ms=START)
    enterprise = new_enterprise()
    async with hosting(mqtt_url, enterprise, end) as host:
        async with SparkplugPublisher(
            mqtt_url, enterprise_id=enterprise, devices=run.devices, version=version, qos=1
        ) as publisher:
            stats = await publish_history(run, publisher, until_ms=end)
            await host.wait_count(len(expected))
        await host.wait_until(lambda: host.messages[MessageType.NDEATH] == 1)
    assert stats.points == len(expected) > 10_000
    assert host.samples == as_samples(expected)  # births carried no values yet: born null
    assert not host.rejections
    assert host.commands == 0
    assert host.births == [EdgeTopic(str(enterprise), MessageType.NBIRTH, "L1")] + [
        EdgeTopic(str(enterprise), MessageType.DBIRTH, "L1", device.code) for device in run.devices
    ]
    assert stats.messages == sum(host.messages.values()) - 1  # all but the NDEATH of the exit
    assert publisher.stats.messages == stats.messages
    # Each reading carries its birth's datatype as a hint, and a value of that type.
    data_types = {(device.code, spec.name): spec.data_type for device in run.devices for spec in device.signals}
    assert host.data_types == {key: data_types[key] for key in host.data_types}
    for code, samples in host.samples.items():
        for signal, _ts, value, kind in samples:
            assert kind is TYPES[data_types[code, signal]], (signal, value)


@pytest.mark.asyncio
async def test_one_edge_node_per_line(mqtt_url: str) -> None:
    end = START + 2 * MINUTE
    expected = FactoryRun(default_factory(2), seed=5, start_ms=START).step(end)
    run = FactoryRun(default_factory(2), seed=5, start_ms=START)
    enterprise = new_enterprise()
    async with (
        hosting(mqtt_url, enterprise, end) as host,
        SparkplugPublisher(mqtt_url, enterprise_id=enterprise, devices=run.devices, qos=1, batch_size=7) as publisher,
    ):
        assert publisher.edge_node_ids == ["L1", "L2"]
        assert publisher.node_of("L2-ROB-01") == "L2"
        await publish_history(run, publisher, until_ms=end, chunk_ms=10_000)
        await host.wait_count(len(expected))
    assert host.samples == as_samples(expected)
    assert host.messages[MessageType.NBIRTH] == 2
    assert {(b.edge_node_id, b.device_id) for b in host.births if b.device_id} == {
        (device.line_code, device.code) for device in run.devices
    }


@pytest.mark.asyncio
async def test_realtime_at_qos_0_as_the_specification_asks(mqtt_url: str) -> None:
    run = FactoryRun(default_factory(1), seed=4, start_ms=START)
    enterprise = new_enterprise()
    async with hosting(mqtt_url, enterprise, START + 10 * MINUTE) as host:
        async with SparkplugPublisher(mqtt_url, enterprise_id=enterprise, devices=run.devices) as publisher:
            stats = await run_realtime(run, publisher, speed=600, duration_s=0.5, tick_s=0.1)
        expected = FactoryRun(default_factory(1), seed=4, start_ms=START).step(run.now_ms)
        await host.wait_count(len(expected))
    assert run.now_ms == START + 5 * MINUTE
    assert stats.points == len(expected)
    assert host.samples == as_samples(expected)
    assert not host.rejections


@pytest.mark.asyncio
async def test_a_rebirth_request_sends_the_births_again_with_the_last_values(mqtt_url: str) -> None:
    middle, end = START + 3 * MINUTE, START + 5 * MINUTE
    generated = FactoryRun(default_factory(1), seed=8, start_ms=START).step(end)
    first = [r for r in generated if r.ts_ms < middle]
    last: dict[str, dict[str, tuple[int, object]]] = {}  # machine → signal → (ts, value) last published
    for r in first:
        last.setdefault(r.device_code, {})[r.signal] = (r.ts_ms, r.value)
    births = sum(len(signals) for signals in last.values())
    run = FactoryRun(default_factory(1), seed=8, start_ms=START)
    enterprise = new_enterprise()
    broker = parse_broker_url(mqtt_url)
    publisher = SparkplugPublisher(mqtt_url, enterprise_id=enterprise, devices=run.devices, qos=1)
    async with hosting(mqtt_url, enterprise, end + MINUTE) as host, publisher:
        await publish_history(run, publisher, until_ms=middle)
        await host.wait_count(len(first))
        async with aiomqtt.Client(broker.host, broker.port, identifier=f"cmd-{uuid.uuid4().hex[:8]}") as client:
            await client.publish(f"spBv1.0/{enterprise}/NCMD/L1", rebirth_request(START), qos=1)
        await host.wait_until(lambda: len(host.births) == 2 * (1 + len(run.devices)))
        assert publisher.rebirths == 1
        assert host.births[1 + len(run.devices)] == EdgeTopic(str(enterprise), MessageType.NBIRTH, "L1")
        # The births re-sent every signal's last value at its own time: nothing the run did not generate.
        await host.wait_count(len(first) + births)
        for code, signals in last.items():
            reborn = host.samples[code][-len(signals) :]
            assert {signal: (ts, value) for signal, ts, value, _kind in reborn} == signals
        # The session goes on from the new births.
        await publish_history(run, publisher, until_ms=end)
        await host.wait_count(len(generated) + births)
    assert not host.rejections
    assert host.commands == 0
    expected = as_samples(generated)
    assert {code: set(samples) for code, samples in host.samples.items()} == {
        code: set(samples) for code, samples in expected.items()
    }


@pytest.mark.asyncio
async def test_a_host_that_missed_the_births_asks_for_them_and_then_decodes_everything(mqtt_url: str) -> None:
    machines = tuple(
        MachineSpec(code=f"M{i}", name=f"M{i}", equipment_type=EquipmentType.CNC_MACHINE_TOOL) for i in (1, 2)
    )
    spec = FactorySpec(lines=(LineSpec(code="cell-7", name="Cell 7", machines=machines),))
    end = START + 6 * MINUTE
    generated = FactoryRun(spec, seed=3, start_ms=START).step(end)
    tail = as_samples([r for r in generated if r.ts_ms >= START + 4 * MINUTE])
    run = FactoryRun(spec, seed=3, start_ms=START)
    enterprise = new_enterprise()
    async with SparkplugPublisher(mqtt_url, enterprise_id=enterprise, devices=run.devices, qos=1) as publisher:
        await publish_history(run, publisher, until_ms=START + 2 * MINUTE)  # nobody listening: births missed
        async with hosting(mqtt_url, enterprise, end) as host:
            await publish_history(run, publisher, until_ms=START + 4 * MINUTE)
            await host.wait_until(lambda: host.messages[MessageType.NBIRTH] == 1)
            assert publisher.rebirths == 1
            await publish_history(run, publisher, until_ms=end)
            await host.wait_until(
                lambda: all(host.samples.get(code, [])[-len(samples) :] == samples for code, samples in tail.items())
            )
    assert host.rejections.keys() == {RejectReason.NOT_BORN}
    assert host.commands == 1  # one request per rebirth interval
    generated_set = {(r.device_code, r.signal, r.ts_ms, r.value) for r in generated}
    for code, samples in host.samples.items():
        for signal, ts, value, _kind in samples:
            assert (code, signal, ts, value) in generated_set


@pytest.mark.asyncio
async def test_a_new_session_is_born_again_with_the_next_bdseq(mqtt_url: str) -> None:
    end = START + 2 * MINUTE
    generated = FactoryRun(default_factory(1), seed=9, start_ms=START).step(end)
    run = FactoryRun(default_factory(1), seed=9, start_ms=START)
    enterprise = new_enterprise()
    publisher = SparkplugPublisher(mqtt_url, enterprise_id=enterprise, devices=run.devices, qos=1, bd_seq=255)
    async with hosting(mqtt_url, enterprise, end) as host:
        async with publisher:
            await publish_history(run, publisher, until_ms=START + MINUTE)
        await host.wait_until(lambda: host.messages[MessageType.NDEATH] == 1)
        assert not host.decoder.host.node_online(str(enterprise), "L1")
        async with publisher:  # bdSeq 0 now: the host takes the births and the death of the new session
            await publish_history(run, publisher, until_ms=end)
        await host.wait_until(lambda: host.messages[MessageType.NDEATH] == 2)
    assert host.messages[MessageType.NBIRTH] == 2
    assert not host.rejections
    assert not host.decoder.host.node_online(str(enterprise), "L1")
    expected = as_samples(generated)
    assert {code: set(samples) for code, samples in host.samples.items()} == {
        code: set(samples) for code, samples in expected.items()
    }


def test_publisher_rejects_readings_it_cannot_announce() -> None:
    run = FactoryRun(default_factory(1), seed=1, start_ms=START)
    publisher = SparkplugPublisher("mqtt://127.0.0.1:1", enterprise_id=1, devices=run.devices)
    power = Reading("X-1", "power_kw", START, 1.0, SignalKind.MEASUREMENT, DataType.FLOAT, "kW")
    with pytest.raises(ValueError, match="not in the publisher's catalogue"):
        asyncio.run(publisher.publish([power]))
    with pytest.raises(ValueError, match="has no signal packaging_rate_ppm"):
        asyncio.run(publisher.publish([power._replace(device_code="L1-CNC-01", signal="packaging_rate_ppm")]))
    with pytest.raises(ValueError, match="qos"):
        SparkplugPublisher("mqtt://127.0.0.1:1", enterprise_id=1, devices=run.devices, qos=2)


# ---------------------------------------------------------------- the CLI

app = typer.Typer()
app.add_typer(simulate_app, name="simulate")
START_ISO = "2024-05-06T07:50:00+08:00"
START_MS = 1_714_953_000_000


@pytest.mark.asyncio
async def test_cli_publishes_sparkplug(mqtt_url: str) -> None:
    enterprise = new_enterprise()
    expected = FactoryRun(default_factory(1), seed=2, start_ms=START_MS).step(START_MS + 300_000)
    args = [
        *("simulate", "--protocol", "sparkplug", "--enterprise-id", str(enterprise), "--broker", mqtt_url),
        *("--seed", "2", "--lines", "1", "--history-hours", str(5 / 60), "--start", START_ISO, "--duration", "0"),
    ]
    async with hosting(mqtt_url, enterprise, START_MS + 300_000) as host:
        result = await asyncio.to_thread(CliRunner().invoke, app, args, prog_name="zhizao")
        assert result.exit_code == 0, result.output
        await host.wait_count(len(expected))
    summary = result.stdout.splitlines()[-1]
    assert re.match(
        rf"devices 6, signals \d+, messages \d+, points {len(expected)}, [\d.]+ s, [\d,]+ points/s$", summary
    )
    assert host.samples == as_samples(expected)
    assert host.messages[MessageType.NDEATH] == 1


@pytest.mark.parametrize(
    ("extra", "option", "message"),
    [
        (("--protocol", "opcua"), "protocol", "mqtt_json or sparkplug"),
        (("--protocol", "sparkplug", "--device-tokens", "t.json"), "device-tokens", "only with --protocol mqtt_json"),
        (("--protocol", "sparkplug", "--topic-prefix", "x/y"), "topic-prefix", "only with --protocol mqtt_json"),
    ],
)
def test_cli_protocol_options(extra: tuple[str, ...], option: str, message: str) -> None:
    result = CliRunner().invoke(app, ["simulate", "--enterprise-id", "1", *extra], prog_name="zhizao")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {option}: ")
    assert message in lines[0]

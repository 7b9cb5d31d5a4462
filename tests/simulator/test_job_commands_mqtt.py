"""Simulated MQTT JSON machines listen on their command topics (over one shared connection, or one per device) and
report the job id they are sent, from the next step on, until it is cleared."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid

import aiomqtt
import pytest

from zhizao.simulator import FactoryRun, LineSpec, MachineSpec
from zhizao.simulator.commands import applier, command_topic
from zhizao.simulator.model import FactorySpec
from zhizao.simulator.mqtt_json import MqttJsonPublisher, parse_broker_url, run_realtime
from zhizao.telemetry.commands.mqtt import json_payload
from zhizao.telemetry.kinds import EquipmentType

ENTERPRISE = 9


async def _until(check: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@pytest.mark.asyncio
@pytest.mark.parametrize("per_device", [False, True], ids=["shared", "per-device"])
async def test_machines_take_the_job_from_their_command_topic(
    mqtt_url: str, topic_prefix: str, per_device: bool
) -> None:
    machines = (MachineSpec(code="C1", name="CNC", equipment_type=EquipmentType.CNC_MACHINE_TOOL),)
    spec = FactorySpec(lines=(LineSpec(code="L", name="L", machines=machines),))
    run = FactoryRun(spec, seed=2, start_ms=int(time.time() * 1000))
    reported: list[str] = []
    broker = parse_broker_url(mqtt_url)
    async with aiomqtt.Client(broker.host, broker.port, identifier=f"platform-{uuid.uuid4().hex[:8]}") as platform:
        await platform.subscribe(f"{topic_prefix}/{ENTERPRISE}/C1/data", qos=1)

        async def watch() -> None:
            async for message in platform.messages:
                assert isinstance(message.payload, bytes)
                samples = json.loads(message.payload)["samples"]
                reported.extend(sample["value"] for sample in samples if sample["signal"] == "job_id")

        watcher = asyncio.create_task(watch())
        tokens = {"C1": "token"} if per_device else None
        async with MqttJsonPublisher(
            mqtt_url, enterprise_id=ENTERPRISE, topic_prefix=topic_prefix, device_tokens=tokens, on_command=applier(run)
        ) as publisher:
            # 60×: a heartbeat (and so a job_id report) every wall second.
            realtime = asyncio.create_task(run_realtime(run, publisher, speed=60, tick_s=0.1))
            await _until(lambda: "" in reported, 5, "the first heartbeat without a job")
            topic = command_topic(ENTERPRISE, "C1", prefix=topic_prefix)
            await platform.publish(topic, json_payload("SH-9/start", "job_id", "SH-9", 0), qos=1)
            await _until(lambda: "SH-9" in reported, 5, "the job id")
            await _until(lambda: reported.count("SH-9") >= 2, 5, "the job id on a heartbeat")
            await platform.publish(topic, json_payload("SH-9/complete", "job_id", "", 0), qos=1)
            await _until(lambda: reported[-1] == "" and "SH-9" in reported, 5, "the job cleared")
            realtime.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await realtime
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    first = reported.index("SH-9")
    assert set(reported[:first]) == {""} and run.snapshot("C1")["job_id"] == ""
    assert "" in reported[first:]

"""Commands over a real MQTT broker: JSON and Sparkplug B NCMD/DCMD are published, decoded by a subscriber that
plays the device (it stores the new value, as the ingest pipeline would), and the command succeeds."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import paho.mqtt.client as paho
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import World, bearer
from tests.telemetry.commands.support import command_plant, store_sample
from tests.telemetry.ingest.support import broker_url
from zhizao.connectors.sparkplug.codec import SparkplugDataType, decode
from zhizao.errors import Unavailable
from zhizao.telemetry.commands.mqtt import PahoCommandPublisher, open_publisher
from zhizao.telemetry.commands.ratelimit import CommandPolicy
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.timeutil import now_us

__all__ = ["broker_url"]


class Device:
    """Subscribes to one topic; on each command stores the commanded value (as device + ingest would)."""

    def __init__(self, url: str, topic: str, on_command: object) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.messages: list[bytes] = []
        self.ready = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"device-{uuid4().hex[:8]}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rc, p: self.ready.set()
        self.on_command = on_command

        def received(client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
            self.messages.append(bytes(message.payload))
            self.on_command(message.payload)  # type: ignore[operator]

        self.client.on_message = received
        self.client.connect(host, int(port))
        self.client.loop_start()
        assert self.ready.wait(5), "the device did not subscribe"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _send(client: TestClient, headers: dict[str, str], signal_id: int, value: object) -> dict[str, Any]:
    prepared = client.post("/api/commands", json={"signal_id": signal_id, "value": value}, headers=headers)
    assert prepared.status_code == 201, prepared.text
    confirmed = client.post(f"/api/commands/{prepared.json()['id']}/confirm", headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    return dict(confirmed.json())


@pytest.fixture
def publisher(app: FastAPI, broker_url: str) -> Iterator[PahoCommandPublisher]:
    opened = open_publisher(broker_url)
    app.state.command_publisher = opened
    app.state.command_policy = CommandPolicy(confirm_timeout_s=5, poll_interval_s=0.05)
    yield opened
    opened.close()


def test_json_command_is_published_and_confirmed_from_stored_telemetry(
    app: FastAPI, client: TestClient, world: World, broker_url: str, publisher: PahoCommandPublisher
) -> None:
    cp = command_plant(world)
    topic = f"zhizao/v1/{cp.plant.enterprise_id}/L1-CNC-01/cmd"
    device = Device(
        broker_url, topic, lambda payload: store_sample(app, cp.setpoint_id, now_us(), json.loads(payload)["value"])
    )
    try:
        result = _send(client, bearer(client, cp.owner), cp.setpoint_id, 4321.5)
    finally:
        device.close()
    assert result["status"] == "succeeded", result
    document = json.loads(device.messages[0])
    assert document["id"] == result["id"] and document["signal"] == "spindle_setpoint_rpm"
    assert document["value"] == 4321.5 and isinstance(document["ts"], int)


def test_json_command_without_the_new_value_is_unconfirmed(
    app: FastAPI, client: TestClient, world: World, broker_url: str, publisher: PahoCommandPublisher
) -> None:
    app.state.command_policy = CommandPolicy(confirm_timeout_s=0.3, poll_interval_s=0.05)
    cp = command_plant(world)
    result = _send(client, bearer(client, cp.owner), cp.switch_id, True)
    assert result["status"] == "unconfirmed" and "not seen" in result["detail"]


@pytest.mark.parametrize("edge", [None, "L1"])
def test_sparkplug_ncmd_and_dcmd(
    app: FastAPI, client: TestClient, world: World, broker_url: str, publisher: PahoCommandPublisher, edge: str | None
) -> None:
    cp = command_plant(world, Protocol.SPARKPLUG_B)
    headers = bearer(client, cp.owner)
    enterprise = cp.plant.enterprise_id
    device_id = client.get(f"/api/signals/{cp.count_id}", headers=headers).json()["device_id"]
    routed = client.put(f"/api/devices/{device_id}/sparkplug-edge", json={"edge_node_id": edge}, headers=headers)
    assert routed.status_code == 200, routed.text
    topic = f"spBv1.0/{enterprise}/NCMD/PLC-01" if edge is None else f"spBv1.0/{enterprise}/DCMD/L1/PLC-01"
    assert routed.json()["command_topic"] == topic

    def echo(payload: bytes) -> None:
        metric = decode(payload).metrics[0]
        assert isinstance(metric.value, int)
        store_sample(app, cp.count_id, now_us(), float(metric.value))

    device = Device(broker_url, topic, echo)
    try:
        result = _send(client, headers, cp.count_id, 42)
    finally:
        device.close()
    assert result["status"] == "succeeded", result
    metric = decode(device.messages[0]).metrics[0]
    assert (metric.name, metric.datatype, metric.value) == ("batch_size", SparkplugDataType.INT64, 42)


def test_an_unreachable_broker_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        PahoCommandPublisher("mqtt://127.0.0.1:1", connect_timeout_s=0.5).publish("t", b"x", qos=1, timeout_s=1)

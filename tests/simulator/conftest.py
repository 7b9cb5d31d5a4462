"""A real MQTT broker for the simulator's tests: ``ZHIZAO_TEST_MQTT_URL`` when set (CI: the machine's
Mosquitto), otherwise an in-process amqtt broker on a free port, run in a thread of its own so that async
tests and the CLI (which runs its own event loop) can both use it. Never a mock."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from zhizao.simulator.mqtt_json import MqttVersion


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _ThreadedBroker:
    def __init__(self) -> None:
        self.port = _free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="amqtt-broker", daemon=True)
        self.broker: Any = None

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)

    async def _start(self) -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        self.broker = Broker(config)
        await self.broker.start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.broker.shutdown(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    url = os.environ.get("ZHIZAO_TEST_MQTT_URL")
    if url:
        yield url
        return
    broker = _ThreadedBroker()
    broker.start()
    try:
        yield f"mqtt://127.0.0.1:{broker.port}"
    finally:
        broker.stop()


def mqtt_versions() -> list[MqttVersion]:
    """amqtt speaks MQTT 3.1.1 only; a real broker is tested with both versions."""
    if os.environ.get("ZHIZAO_TEST_MQTT_URL"):
        return [MqttVersion.V311, MqttVersion.V5]
    return [MqttVersion.V311]


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix of this test's own, so tests (and concurrent runs) on a shared broker never mix."""
    return f"zhizao-test/{uuid.uuid4().hex}/zhizao/v1"

"""What the ingest tests share: a Mosquitto of their own, tenants and devices, publishing and counting."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import os
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import aiomqtt
import pytest
from sqlalchemy import func, select

from tests.conftest import World
from tests.requirements import mosquitto_binary
from zhizao.accounts.credentials import hash_api_token
from zhizao.db.engine import Database
from zhizao.telemetry.kinds import DataType, Protocol, SignalKind
from zhizao.telemetry.models import DeadLetter, Device, IngestPolicy, Signal
from zhizao.telemetry.tables import rollup_minute, sample, sample_text
from zhizao.telemetry.timeutil import now_us

T = TypeVar("T")
_QUIET = logging.getLogger("tests.publisher")
_QUIET.setLevel(logging.ERROR)  # not a warning per publish waiting for its acknowledgement


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mosquitto:
    """A Mosquitto of the test's own, with persistence, so that a test may restart it."""

    def __init__(self, directory: Path) -> None:
        self.binary = mosquitto_binary()
        self.directory = directory
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        (directory / "data").mkdir(exist_ok=True)
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            f"user {getpass.getuser()}\n"  # run as root, Mosquitto would switch to a user who cannot write here
            "persistence true\n"
            f"persistence_location {directory / 'data'}/\n"
            "max_queued_messages 0\n"  # no limit: a stopped worker's session keeps everything
            f"log_dest file {directory / 'mosquitto.log'}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and config
            [self.binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        """A clean shutdown: Mosquitto writes its persistence file (sessions, queued messages)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class IngestWorld:
    """Tenants, devices and signals written straight as rows."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.database = world.database

    def enterprise(self, *, auto_register: bool = False) -> int:
        enterprise_id = self.world.organisation()
        with self.database.session() as session, session.begin():
            session.add(IngestPolicy(enterprise_id=enterprise_id, auto_register=auto_register))
        return enterprise_id

    def device(self, enterprise_id: int, code: str, *, token: str | None = None, active: bool = True) -> int:
        with self.database.session() as session, session.begin():
            device = Device(
                enterprise_id=enterprise_id,
                code=code,
                name=code,
                protocol=Protocol.MQTT_JSON,
                secret_hash=hash_api_token(token) if token else None,
                is_active=active,
            )
            session.add(device)
            session.flush()
            return device.id

    def signal(
        self,
        device_id: int,
        name: str,
        *,
        data_type: DataType = DataType.FLOAT,
        kind: SignalKind = SignalKind.MEASUREMENT,
    ) -> int:
        with self.database.session() as session, session.begin():
            device = session.get_one(Device, device_id)
            signal = Signal(
                enterprise_id=device.enterprise_id,
                device_id=device_id,
                name=name,
                kind=kind,
                data_type=data_type,
            )
            session.add(signal)
            session.flush()
            return signal.id


def stored_counts(database: Database) -> tuple[int, int, int]:
    """(numeric samples, text samples, samples counted in the minute roll-ups)."""
    with database.engine.connect() as connection:
        numeric = connection.scalar(select(func.count()).select_from(sample)) or 0
        texts = connection.scalar(select(func.count()).select_from(sample_text)) or 0
        rolled = connection.scalar(select(func.coalesce(func.sum(rollup_minute.c.count), 0))) or 0
    return int(numeric), int(texts), int(rolled)


def dead_letter_reasons(database: Database) -> Counter[str]:
    with database.session() as session:
        return Counter(session.scalars(select(DeadLetter.reason)).all())


def stream(
    enterprise_id: int, device_code: str, messages: int, signals: int, *, start_ms: int | None = None
) -> list[tuple[str, bytes]]:
    """``messages`` messages of ``signals`` samples each, every (signal, ts) distinct; timestamps a minute old."""
    start = start_ms if start_ms is not None else now_us() // 1000 - 60_000
    topic = f"zhizao/v1/{enterprise_id}/{device_code}/data"
    return [
        (topic, json.dumps({"ts": start + i, "values": {f"s{k}": i * 0.5 + k for k in range(signals)}}).encode())
        for i in range(messages)
    ]


async def publish(port: int, messages: Sequence[tuple[str, bytes]], *, chunk: int = 100, pause_s: float = 0.0) -> None:
    """Publish with QoS 1, each acknowledged by the broker, ``chunk`` at a time."""
    async with aiomqtt.Client(
        "127.0.0.1",
        port,
        protocol=aiomqtt.ProtocolVersion.V5,
        identifier=f"publisher-{time.monotonic_ns()}",
        logger=_QUIET,
    ) as client:
        for start in range(0, len(messages), chunk):
            await asyncio.gather(*(client.publish(t, p, qos=1) for t, p in messages[start : start + chunk]))
            if pause_s:
                await asyncio.sleep(pause_s)


async def wait_until(probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 30.0) -> T:
    """Poll ``probe`` (in a thread, it may block) until ``done`` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(probe)
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; last seen {value!r}")
        await asyncio.sleep(0.05)


@pytest.fixture
def broker_url(tmp_path: Path) -> Iterator[str]:
    """A real broker: ``ZHIZAO_TEST_MQTT_URL`` when set, else a Mosquitto of the test's own."""
    url = os.environ.get("ZHIZAO_TEST_MQTT_URL")
    if url:
        yield url
        return
    broker = Mosquitto(tmp_path)
    broker.start()
    try:
        yield broker.url
    finally:
        broker.stop()

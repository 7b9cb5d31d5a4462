from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import World
from tests.telemetry.ingest.support import IngestWorld, Mosquitto
from zhizao.db.engine import Database
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import now_us


@pytest.fixture
def ingest_world(world: World) -> IngestWorld:
    return IngestWorld(world)


@pytest.fixture
def store(database: Database) -> Iterator[TelemetryStore]:
    opened = open_store(database)
    opened.prepare(now_us())
    yield opened
    opened.close()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()

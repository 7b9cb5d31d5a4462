"""Real asyncua servers for the connector's tests: the simulator's machines, or bulk variables."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from zhizao.bench.infra import free_port
from zhizao.simulator.model import FactoryRun, default_factory
from zhizao.simulator.opcua_server import OpcUaMachineServer

MACHINES = ["L1-CNC-01", "L1-ROB-01"]


@pytest.fixture
def run() -> FactoryRun:
    return FactoryRun(default_factory(1), seed=11, start_ms=int(time.time() * 1000))


@pytest_asyncio.fixture
async def machine_server(run: FactoryRun) -> AsyncIterator[OpcUaMachineServer]:
    async with OpcUaMachineServer(port=free_port(), run=run, machines=MACHINES, step_interval_s=0.2) as server:
        yield server

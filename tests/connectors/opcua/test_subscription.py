"""The running connector against real asyncua servers: batched subscription, bad nodes, server restarts."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator

import pytest
from asyncua import ua
from asyncua.server.internal_session import InternalSession

from tests.connectors.opcua.support import ENTERPRISE, Sink, context, until
from zhizao.bench.infra import free_port
from zhizao.connectors.base import ConnectionState
from zhizao.connectors.opcua.driver import DRIVER
from zhizao.connectors.opcua.settings import MappedNode
from zhizao.simulator.model import FactoryRun
from zhizao.simulator.opcua_server import OpcUaMachineServer, bulk_settings_for, connector_settings_for
from zhizao.telemetry.ingest.decoding import DeviceRef, Reading
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.machinery import MODE_SIGNAL, STATE_SIGNAL

from .conftest import MACHINES


@pytest.fixture
def create_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The size of every CreateMonitoredItems request the servers receive (counted on the server's side)."""
    sizes: list[int] = []
    original = InternalSession.create_monitored_items

    async def counting(self: InternalSession, params: ua.CreateMonitoredItemsParameters) -> object:
        sizes.append(len(params.ItemsToCreate))
        return await original(self, params)

    monkeypatch.setattr(InternalSession, "create_monitored_items", counting)
    yield sizes


@pytest.mark.asyncio
async def test_thousands_of_nodes_are_subscribed_in_batches_and_delivered_in_batches(
    create_requests: list[int],
) -> None:
    nodes = 2000
    async with OpcUaMachineServer(port=free_port(), bulk_nodes=nodes, bulk_rate_hz=2.0) as server:
        settings = bulk_settings_for(server.url, nodes, batch_size=500, publishing_interval_ms=200)
        sink = Sink()
        ctx = context(sink)
        task = asyncio.create_task(DRIVER.run(settings, ctx))
        try:
            await until(lambda: len(sink.signals()) == nodes, 20, "a value of every node")
            await until(lambda: len(sink.readings) >= 2 * nodes, 10, "a second round of changes")
        finally:
            ctx.stop.set()
            await asyncio.wait_for(task, 10)
    assert create_requests == [500] * math.ceil(nodes / 500)
    status = ctx.status.snapshot()
    assert status.points_ok == nodes and status.bad_points == []
    assert status.readings == len(sink.readings)
    assert len(sink.calls) * 100 < len(sink.readings)  # gathered, not a sink call per change
    first = sink.readings[0]
    assert first.device == DeviceRef(ENTERPRISE, "opcua-bulk") and first.data_type is DataType.FLOAT
    assert status.state is ConnectionState.STOPPED


@pytest.mark.asyncio
async def test_a_missing_node_is_reported_and_the_others_delivered(
    machine_server: OpcUaMachineServer, run: FactoryRun
) -> None:
    settings = connector_settings_for(machine_server.url, MACHINES, run)
    missing = MappedNode(node_id="ns=2;s=Machines.L1-CNC-01.NoSuchNode", device_code="L1-CNC-01", signal="ghost")
    not_a_variable = MappedNode(node_id="ns=2;s=Machines.L1-CNC-01", device_code="L1-CNC-01", signal="obj")
    settings = settings.model_copy(update={"nodes": (*settings.nodes, missing, not_a_variable)})
    sink = Sink()
    ctx = context(sink)
    task = asyncio.create_task(DRIVER.run(settings, ctx))
    try:
        await until(lambda: ctx.status.snapshot().state is ConnectionState.DEGRADED, 10, "the bad nodes")
        await until(lambda: {STATE_SIGNAL, MODE_SIGNAL, "program_name"} <= sink.signals(), 10, "states")
    finally:
        ctx.stop.set()
        await asyncio.wait_for(task, 10)
    status = ctx.status.snapshot()
    bad = {point.key: point.reason for point in status.bad_points}
    assert set(bad) == {missing.node_id, not_a_variable.node_id}
    assert bad[missing.node_id].startswith("BadNodeIdUnknown")
    assert status.points_ok == len(settings.nodes) - 2
    assert "ghost" not in sink.signals() and "obj" not in sink.signals()
    states = [r for r in sink.readings if r.signal == STATE_SIGNAL]
    assert {r.device.device_code for r in states} == set(MACHINES)
    assert all(isinstance(r.value, int) and 0 <= r.value <= 3 and r.data_type is DataType.INT for r in states)


@pytest.mark.asyncio
async def test_a_restarted_server_is_reconnected_and_values_resume() -> None:
    port = free_port()
    nodes = 20
    settings = None
    sink = Sink()
    ctx = context(sink)
    task: asyncio.Task[None] | None = None
    try:
        async with OpcUaMachineServer(port=port, bulk_nodes=nodes, bulk_rate_hz=5.0) as first:
            settings = bulk_settings_for(
                first.url,
                nodes,
                publishing_interval_ms=100,
                watchdog_interval_s=0.5,
                reconnect_min_s=0.2,
                reconnect_max_s=1.0,
                request_timeout_s=2.0,
            )
            task = asyncio.create_task(DRIVER.run(settings, ctx))
            await until(lambda: len(sink.readings) >= 3 * nodes, 15, "values before the restart")
        before = len(sink.readings)
        last_before = max(r.ts_us for r in sink.readings)
        await until(lambda: ctx.status.snapshot().state is ConnectionState.DISCONNECTED, 10, "the loss")
        lost = ctx.status.snapshot()
        assert lost.last_error and lost.reconnects >= 1
        await asyncio.sleep(0.5)  # the outage
        async with OpcUaMachineServer(port=port, bulk_nodes=nodes, bulk_rate_hz=5.0):
            await until(lambda: ctx.status.snapshot().state is ConnectionState.CONNECTED, 15, "the reconnection")

            def after() -> list[Reading]:
                return [r for r in sink.readings[before:] if r.ts_us > last_before]

            await until(lambda: len({r.signal for r in after()}) == nodes, 10, "every node after the restart")
            await until(lambda: len(after()) >= 3 * nodes, 10, "values changing again")
    finally:
        ctx.stop.set()
        if task is not None:
            await asyncio.wait_for(task, 10)
    status = ctx.status.snapshot()
    assert status.state is ConnectionState.STOPPED
    # Every node's values before the outage and after it arrived, each node's in time order across the restart.
    for signal in {r.signal for r in sink.readings}:
        times = [r.ts_us for r in sink.readings if r.signal == signal]
        assert times == sorted(times)
        assert times[0] <= last_before < times[-1]

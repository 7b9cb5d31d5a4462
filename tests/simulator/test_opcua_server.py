"""The simulator's OPC UA server: 40001-style machines fed from the virtual factory, bulk variables."""

from __future__ import annotations

import asyncio
import time

import pytest
from asyncua import ua
from asyncua.client.client import Client

from zhizao.bench.infra import free_port
from zhizao.simulator.model import FactoryRun, default_factory
from zhizao.simulator.opcua_server import OpcUaMachineServer, bulk_node_id, connector_settings_for
from zhizao.telemetry.machinery import MODE_SIGNAL, STATE_SIGNAL, MachineryItemState, OperationMode

STATE_NAMES = {0: "NotAvailable", 1: "OutOfService", 2: "NotExecuting", 3: "Executing"}


@pytest.mark.asyncio
async def test_machines_are_served_as_40001_objects_with_the_runs_values() -> None:
    run = FactoryRun(default_factory(1), seed=5, start_ms=int(time.time() * 1000))
    machines = ["L1-CNC-01", "L1-PKG-01"]
    async with OpcUaMachineServer(port=free_port(), run=run, machines=machines, step_interval_s=0.1) as server:
        settings = connector_settings_for(server.url, machines, run)
        device_signals = {d.code: {s.name for s in d.signals} for d in run.devices if d.code in machines}
        mapped = {(n.device_code, n.signal) for n in settings.nodes}
        assert {(code, name) for code, names in device_signals.items() for name in names} <= mapped
        writable = {n.signal for n in settings.nodes if n.writable}
        assert writable == {"feed_override_pct", "spindle_override_pct", "job_id"}
        assert {n.device_code for n in settings.nodes if n.writable} == {"L1-CNC-01"}  # CNC setpoints and job only
        await asyncio.sleep(0.3)  # a step or two of the run
        async with Client(server.url) as client:
            values = {}
            for node in settings.nodes:
                data = await client.get_node(node.node_id).read_data_value()
                assert data.StatusCode is not None and data.StatusCode.is_good(), node.node_id
                values[(node.device_code, node.signal)] = data
            base = "ns=2;s=Machines.L1-CNC-01"
            number = values[("L1-CNC-01", STATE_SIGNAL)].Value
            assert number is not None and number.VariantType is ua.VariantType.UInt32
            assert number.Value in set(MachineryItemState)
            current = await client.get_node(
                f"{base}.MachineryBuildingBlocks.MachineryItemState.CurrentState"
            ).read_value()
            assert current.Text == STATE_NAMES[number.Value]
            mode = values[("L1-CNC-01", MODE_SIGNAL)].Value
            assert mode is not None and mode.Value in set(OperationMode)
            for name in ("Manufacturer", "Model", "SerialNumber"):
                assert await client.get_node(f"{base}.Identification.{name}").read_value()
            program = values[("L1-CNC-01", "program_name")]
            assert program.Value is not None and program.Value.Value == run.snapshot("L1-CNC-01")["program_name"]
            stamp = values[("L1-CNC-01", "power_kw")].SourceTimestamp
            assert stamp is not None and abs(stamp.timestamp() - time.time()) < 5  # stamped with simulated time


@pytest.mark.asyncio
async def test_bulk_variables_change_at_the_given_rate() -> None:
    """The variables change while a client reads them, never more often than the rate allows since the server
    started (the ticker catches up after a stall, so under load the count is bounded by the elapsed time, not by
    the half second the test sleeps)."""
    began = time.monotonic()
    async with OpcUaMachineServer(port=free_port(), bulk_nodes=300, bulk_rate_hz=10.0) as server:
        async with Client(server.url) as client:
            first = await client.get_node(bulk_node_id(299)).read_value()
            await asyncio.sleep(0.5)
            second = await client.get_node(bulk_node_id(299)).read_value()
        elapsed = time.monotonic() - began
        assert second > first
        assert 1 <= server.bulk_ticks <= 10.0 * elapsed + 1


def test_machines_must_come_from_the_run() -> None:
    run = FactoryRun(default_factory(1), seed=5, start_ms=0)
    with pytest.raises(ValueError, match="no machine"):
        OpcUaMachineServer(port=1, run=run, machines=["X-1"])
    with pytest.raises(ValueError, match="need a FactoryRun"):
        OpcUaMachineServer(port=1, machines=["L1-CNC-01"])

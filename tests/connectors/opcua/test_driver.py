"""Browse and write against the simulator's OPC UA server."""

from __future__ import annotations

import pytest

from zhizao.bench.infra import free_port
from zhizao.connectors.base import Driver
from zhizao.connectors.opcua.driver import DRIVER
from zhizao.connectors.opcua.settings import OpcUaSettings
from zhizao.errors import InputError, Unavailable
from zhizao.simulator.model import FactoryRun
from zhizao.simulator.opcua_server import OpcUaMachineServer, connector_settings_for
from zhizao.telemetry.kinds import Protocol

from .conftest import MACHINES

OVERRIDE = "ns=2;s=Machines.L1-CNC-01.Monitoring.Spindle.Override"
SPEED = "ns=2;s=Machines.L1-CNC-01.Monitoring.Spindle.ActualSpeed"


def test_the_driver_meets_the_contract() -> None:
    driver: Driver = DRIVER
    assert driver.protocol is Protocol.OPCUA and driver.settings_model is OpcUaSettings


@pytest.mark.asyncio
async def test_browse_shows_machines_and_their_variables(machine_server: OpcUaMachineServer, run: FactoryRun) -> None:
    settings = connector_settings_for(machine_server.url, MACHINES, run)
    top = {node.browse_name: node for node in await DRIVER.browse(settings, None, 5)}
    assert top["2:Machines"].has_children and top["2:Machines"].node_class == "Object"
    machines = await DRIVER.browse(settings, top["2:Machines"].node_id, 5)
    assert sorted(node.display_name for node in machines) == sorted(MACHINES)
    spindle = {
        n.browse_name: n for n in await DRIVER.browse(settings, "ns=2;s=Machines.L1-CNC-01.Monitoring.Spindle", 5)
    }
    assert spindle["2:Override"].node_id == OVERRIDE
    assert spindle["2:Override"].writable and spindle["2:Override"].data_type == "Double"
    assert not spindle["2:ActualSpeed"].writable and spindle["2:ActualSpeed"].node_class == "Variable"
    assert not spindle["2:ActualSpeed"].has_children


@pytest.mark.asyncio
async def test_browse_an_unreachable_server_is_unavailable() -> None:
    settings = OpcUaSettings.model_validate({"endpoint_url": f"opc.tcp://127.0.0.1:{free_port()}"})
    with pytest.raises(Unavailable, match="connection refused"):
        await DRIVER.browse(settings, None, 3)


@pytest.mark.asyncio
async def test_a_write_is_read_back(machine_server: OpcUaMachineServer, run: FactoryRun) -> None:
    settings = connector_settings_for(machine_server.url, MACHINES, run)
    outcome = await DRIVER.write(settings, OVERRIDE, 85, 5)
    assert (outcome.old_value, outcome.requested, outcome.read_back) == (100.0, 85, 85.0)
    assert outcome.confirmed
    again = await DRIVER.write(settings, OVERRIDE, 92.5, 5)
    assert again.old_value == 85.0 and again.read_back == 92.5


@pytest.mark.asyncio
async def test_writes_that_are_not_allowed_name_the_field(machine_server: OpcUaMachineServer, run: FactoryRun) -> None:
    settings = connector_settings_for(machine_server.url, MACHINES, run)
    with pytest.raises(InputError) as read_only:
        await DRIVER.write(settings, SPEED, 1.0, 5)
    assert [p.field for p in read_only.value.fields] == ["key"] and "read-only" in read_only.value.message
    with pytest.raises(InputError) as unmapped:
        await DRIVER.write(settings, "ns=2;s=Elsewhere", 1.0, 5)
    assert [p.field for p in unmapped.value.fields] == ["key"]
    with pytest.raises(InputError) as wrong_type:
        await DRIVER.write(settings, OVERRIDE, "fast", 5)
    assert [p.field for p in wrong_type.value.fields] == ["value"]
    assert (await DRIVER.write(settings, OVERRIDE, 70, 5)).old_value == 100.0  # the refused ones sent nothing


@pytest.mark.asyncio
async def test_a_write_the_server_refuses_is_unavailable(machine_server: OpcUaMachineServer, run: FactoryRun) -> None:
    settings = connector_settings_for(machine_server.url, MACHINES, run)
    forced = [node.model_copy(update={"writable": True}) if node.node_id == SPEED else node for node in settings.nodes]
    with pytest.raises(Unavailable, match=r"BadUserAccessDenied|BadNotWritable"):
        await DRIVER.write(settings.model_copy(update={"nodes": tuple(forced)}), SPEED, 1.0, 5)

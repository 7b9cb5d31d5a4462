"""The simulator's Modbus server: simulated machines' live values behind the register map it publishes, read by
the real connector into the machines' own devices and signals; and the bulk server's known, changing values."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from zhizao.bench.infra import free_port
from zhizao.connectors.base import RunContext, StatusBoard
from zhizao.connectors.modbus.driver import DRIVER
from zhizao.connectors.modbus.plan import plan_map
from zhizao.connectors.modbus.registers import DataType, Endian, Table
from zhizao.connectors.modbus.settings import ModbusSettings
from zhizao.simulator.modbus_server import (
    FEED_OVERRIDE,
    ModbusBulkServer,
    ModbusMachineServer,
    bulk_register_map,
    bulk_value,
    connector_settings_for,
)
from zhizao.simulator.model import FactoryRun, default_factory
from zhizao.telemetry.ingest.decoding import Reading

START_MS = 1_767_254_400_000  # 2026-01-01 08:00 UTC, a Thursday morning shift: the machines are producing
MACHINES = ["L1-CNC-01", "L1-ROB-01", "L1-PKG-01"]
TEXT_SIGNALS = {"program_name", "job_id"}  # no registers: Modbus carries numbers


async def one_poll_each(settings: ModbusSettings, groups: int) -> list[Reading]:
    """Every reading of the first poll of each of ``groups`` groups, through the real connector."""
    polls: list[Sequence[Reading]] = []
    stop = asyncio.Event()

    async def sink(readings: Sequence[Reading]) -> None:
        polls.append(readings)
        if len(polls) >= groups:
            stop.set()

    await asyncio.wait_for(DRIVER.run(settings, RunContext(3, sink, StatusBoard(), stop)), 5)
    return [reading for poll in polls for reading in poll]


@pytest.mark.asyncio
async def test_machines_are_served_live_and_read_into_their_own_signals() -> None:
    run = FactoryRun(default_factory(1), seed=11, start_ms=START_MS)
    port = free_port()
    async with ModbusMachineServer(run, machines=MACHINES, port=port) as server:
        assert server.connector_settings() == connector_settings_for("127.0.0.1", port, MACHINES, run)
        # An hour of simulated time: the served values are each signal's latest reading.
        readings = server.advance(START_MS + 3_600_000)
        assert readings > 1000 and server.rejected == 0
        snapshot = run.snapshot("L1-CNC-01")
        assert server.value("L1-CNC-01/good_parts") == snapshot["good_parts"]
        assert server.value("L1-CNC-01/machinery_item_state") == snapshot["machinery_item_state"]
        assert server.value("L1-ROB-01/power_kw") == pytest.approx(float(snapshot_of(run, "L1-ROB-01", "power_kw")))

        settings = server.connector_settings()
        got = {(r.device.device_code, r.signal): r.value for r in await one_poll_each(settings, groups=2)}
        assert {code for code, _ in got} == set(MACHINES)
        for code in MACHINES:
            served = {spec.name for device in run.devices if device.code == code for spec in device.signals}
            assert {signal for device, signal in got if device == code} == (served - TEXT_SIGNALS) | {FEED_OVERRIDE}
            assert got[(code, "good_parts")] == run.snapshot(code)["good_parts"]
            assert got[(code, FEED_OVERRIDE)] == 100
        assert got[("L1-CNC-01", "coolant_on")] is run.snapshot("L1-CNC-01")["coolant_on"]

        outcome = await DRIVER.write(settings, f"L1-PKG-01/{FEED_OVERRIDE}", 85, 2.0)
        assert outcome.confirmed and server.value(f"L1-PKG-01/{FEED_OVERRIDE}") == 85


def snapshot_of(run: FactoryRun, code: str, signal: str) -> float:
    value = run.snapshot(code)[signal]
    assert isinstance(value, float)
    return value


def test_the_machine_layout_keeps_each_group_in_one_read_per_machine() -> None:
    run = FactoryRun(default_factory(1), seed=11, start_ms=START_MS)
    settings = connector_settings_for("plc.local", 5020, MACHINES, run)
    points = {point.name: point for point in settings.register_map.points}
    assert points["L1-CNC-01/machinery_item_state"].data_type is DataType.UINT16
    assert points["L1-CNC-01/good_parts"].data_type is DataType.UINT32
    assert (points["L1-ROB-01/power_kw"].data_type, points["L1-ROB-01/power_kw"].word_order) == (
        DataType.FLOAT32,
        Endian.LITTLE,
    )
    assert points["L1-PKG-01/feed_override_pct"].address == 200 and points["L1-PKG-01/feed_override_pct"].writable
    reads = {plan.group.name: [(r.table, r.address) for r in plan.reads] for plan in plan_map(settings.register_map)}
    assert [read for read in reads["fast"] if read[0] is Table.INPUT] == [(Table.INPUT, 0), (Table.INPUT, 100),
                                                                           (Table.INPUT, 200)]  # fmt: skip
    with pytest.raises(KeyError, match="L9-XXX-01"):
        connector_settings_for("plc.local", 5020, ["L9-XXX-01"], run)


@pytest.mark.asyncio
async def test_bulk_values_are_known_and_change() -> None:
    register_map = bulk_register_map(20, word_order=Endian.LITTLE, byte_order=Endian.LITTLE, interval_ms=100)
    assert len(register_map.points) == 20 * 9  # bool and the eight register types
    port = free_port()
    async with ModbusBulkServer(register_map, port=port) as server:
        settings = ModbusSettings(host="127.0.0.1", port=port, device_code="BULK", register_map=register_map)
        for tick in (5, 6):
            server.set_tick(tick)
            values = {r.signal: r.value for r in await one_poll_each(settings, groups=1)}
            assert values == {point.name: bulk_value(point.data_type, int(point.name.split("_")[1]), tick)
                              for point in register_map.points}  # fmt: skip
            assert values["int16_3"] != values["int16_4"] and isinstance(values["float32_3"], float)
            assert any(isinstance(v, int) and v < 0 for v in values.values())
        # 20 × 20 registers: four reads of at most 125 registers a poll; the 20 coils in one.
        (plan,) = plan_map(register_map)
        assert [read.count for read in plan.reads] == [124, 124, 124, 28, 20]  # points are not split
        assert (server.requests[3], server.requests[1]) == (2 * 4, 2 * 1)
    async with ModbusBulkServer(register_map, port=port, change_s=0.02) as server:
        await asyncio.sleep(0.2)
        assert server.tick >= 3
        assert server.value("uint32_7") == bulk_value(DataType.UINT32, 7, server.tick)

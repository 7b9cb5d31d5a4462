"""The Modbus connector against a real pymodbus server started here (the simulator's ``RegisterServer``): every data
type in every order decoded end to end, polling groups at their own rates with merged reads, a refused read
marking only its points bad, reconnecting after the device goes away, probe, and write with read-back."""

from __future__ import annotations

import asyncio
import itertools
import struct
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

from zhizao.bench.infra import free_port
from zhizao.connectors.base import BadPoint, ConnectionState, NotSupported, RunContext, StatusBoard
from zhizao.connectors.modbus.driver import DRIVER
from zhizao.connectors.modbus.registers import RegisterMap, Table, parse_register_map
from zhizao.connectors.modbus.settings import ModbusSettings
from zhizao.errors import InputError, Unavailable
from zhizao.simulator.modbus_server import RegisterServer
from zhizao.telemetry.ingest.decoding import DeviceRef, Reading, Value
from zhizao.telemetry.kinds import DataType

ORDERS = [("big", "big"), ("little", "big"), ("big", "little"), ("little", "little")]  # ABCD, CDAB, BADC, DCBA
FORMATS = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "int64": "q", "uint64": "Q", "float32": "f",
           "float64": "d"}  # fmt: skip
SAMPLES: dict[str, int | float] = {"int16": -12345, "uint16": 54321, "int32": -123456789, "uint32": 3_000_000_000,
    "int64": -(2**62) - 5, "uint64": 2**64 - 3, "float32": 123.456, "float64": -2.0 / 3.0}  # fmt: skip


def wire_words(data_type: str, value: float, word_order: str, byte_order: str) -> list[int]:
    """How a device lays ``value`` out, worked out here independently of the codec: big-endian bytes, bytes swapped
    in each register for byte order little, registers reversed for word order little."""
    packed = struct.pack(">" + FORMATS[data_type], value)
    words = [packed[i : i + 2] for i in range(0, len(packed), 2)]
    if byte_order == "little":
        words = [word[::-1] for word in words]
    if word_order == "little":
        words.reverse()
    return [int.from_bytes(word, "big") for word in words]


def test_wire_words_match_the_documented_float32_layouts() -> None:
    layouts = [wire_words("float32", 123.456, *order) for order in ORDERS]
    assert layouts == [[0x42F6, 0xE979], [0xE979, 0x42F6], [0xF642, 0x79E9], [0x79E9, 0xF642]]


def settings_for(port: int, register_map: RegisterMap, **fields: Any) -> ModbusSettings:
    return ModbusSettings(
        host="127.0.0.1", port=port, device_code="M1", register_map=register_map, timeout_s=0.5,
        reconnect_min_s=0.05, reconnect_max_s=0.2, **fields,
    )  # fmt: skip


class Collector:
    """A run's sink and status, and its readings by poll."""

    def __init__(self) -> None:
        self.polls: list[Sequence[Reading]] = []
        self.context = RunContext(7, self.sink, StatusBoard(), asyncio.Event())

    async def sink(self, readings: Sequence[Reading]) -> None:
        self.polls.append(readings)

    def polls_of(self, signal: str) -> list[Reading]:
        return [reading for poll in self.polls for reading in poll if reading.signal == signal]

    async def until(self, condition: Callable[[], bool], timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"timed out; status {self.context.status.snapshot()}"
            await asyncio.sleep(0.01)


@asynccontextmanager
async def running(settings: ModbusSettings) -> AsyncIterator[Collector]:
    collector = Collector()
    task = asyncio.create_task(DRIVER.run(settings, collector.context))
    try:
        yield collector
    finally:
        collector.context.stop.set()
        started = time.monotonic()
        await asyncio.wait_for(task, 2)
        assert time.monotonic() - started < 0.5, "the connector must stop promptly"
        assert collector.context.status.snapshot().state is ConnectionState.STOPPED


@pytest.mark.asyncio
async def test_every_data_type_in_every_order_decodes_end_to_end() -> None:
    points: list[dict[str, Any]] = []
    address = 0
    for data_type, value in SAMPLES.items():
        for word_order, byte_order in ORDERS:
            name = f"{data_type}_{word_order}_{byte_order}"
            points.append({"name": name, "table": "holding", "address": address, "data_type": data_type,
                           "word_order": word_order, "byte_order": byte_order})  # fmt: skip
            address += len(wire_words(data_type, value, "big", "big"))
    points += [{"name": f"coil{i}", "table": "coil", "address": i, "data_type": "bool"} for i in range(10)]
    points += [{"name": f"input{i}", "table": "discrete_input", "address": 3 + i, "data_type": "bool"} for i in (0, 1)]
    register_map = parse_register_map({"points": points, "groups": [{"name": "default", "interval_ms": 100}]})
    port = free_port()
    async with RegisterServer(register_map, port=port) as server:
        for point in register_map.points:
            if point.table is Table.HOLDING:
                data_type, word_order, byte_order = point.name.split("_")
                server.set_raw(
                    Table.HOLDING, point.address, wire_words(data_type, SAMPLES[data_type], word_order, byte_order)
                )
        server.set_raw(Table.COIL, 0, [1, 0, 0, 1, 1, 0, 1, 0, 0, 1])
        server.set_raw(Table.DISCRETE_INPUT, 3, [0, 1])
        async with running(settings_for(port, register_map)) as run:
            await run.until(lambda: bool(run.polls))
        # All 32 register points in one read, 10 coils in one, 2 discrete inputs in one.
        assert (server.requests[3], server.requests[1], server.requests[2]) == (len(run.polls),) * 3
    values = {reading.signal: reading for reading in run.polls[0]}
    assert len(values) == len(register_map.points)
    for point in register_map.points:
        reading = values[point.name]
        assert reading.device == DeviceRef(7, "M1")
        if point.table is Table.HOLDING:
            expected = SAMPLES[point.data_type.value]
            assert reading.value == expected, point.name
            assert type(reading.value) is type(expected)
            assert reading.data_type is (DataType.FLOAT if point.data_type.is_float else DataType.INT)
    assert [values[f"coil{i}"].value for i in range(10)] == [
        True,
        False,
        False,
        True,
        True,
        False,
        True,
        False,
        False,
        True,
    ]
    assert (values["input0"].value, values["input1"].value, values["input0"].data_type) == (False, True, DataType.BOOL)
    assert len({reading.ts_us for reading in run.polls[0]}) == 1  # one timestamp: the poll's


@pytest.mark.asyncio
async def test_groups_poll_at_their_own_rates_with_contiguous_points_in_one_read() -> None:
    register_map = parse_register_map({
        "groups": [{"name": "fast", "interval_ms": 100}, {"name": "slow", "interval_ms": 400}],
        "points": [
            {"name": "speed", "table": "holding", "address": 0, "data_type": "float32", "group": "fast"},
            {"name": "load", "table": "holding", "address": 2, "data_type": "int16", "group": "fast"},
            {"name": "mode", "table": "holding", "address": 3, "data_type": "uint16", "group": "fast"},
            {"name": "count", "table": "input", "address": 0, "data_type": "uint32", "group": "slow"},
            {"name": "energy", "table": "input", "address": 2, "data_type": "float64", "group": "slow"},
        ],
    })  # fmt: skip
    port = free_port()
    async with RegisterServer(register_map, port=port) as server:
        server.set_value("speed", 1500.5)
        server.set_value("count", 42)
        async with running(settings_for(port, register_map)) as run:
            await asyncio.sleep(1.25)
        fast, slow = run.polls_of("speed"), run.polls_of("count")
        assert 11 <= len(fast) <= 14, len(fast)  # at 0, 100, …, 1200 ms
        assert 3 <= len(slow) <= 4, len(slow)  # at 0, 400, 800, 1200 ms
        # One request per poll of each group: the three fast points in one read, the two slow ones in another.
        assert server.requests[3] == len(fast)
        assert server.requests[4] == len(slow)
    gaps = [(b.ts_us - a.ts_us) / 1000 for a, b in itertools.pairwise(fast)]
    assert all(60 <= gap <= 160 for gap in gaps), gaps
    assert {r.signal: r.value for r in [*run.polls[0], *run.polls[1]]} == {
        "speed": 1500.5, "load": 0, "mode": 0, "count": 42, "energy": 0.0}  # fmt: skip
    status = run.context.status.snapshot()
    assert status.readings == sum(len(poll) for poll in run.polls)
    assert status.points_ok == 5


@pytest.mark.asyncio
async def test_a_refused_read_marks_only_its_points_bad() -> None:
    served = parse_register_map({"points": [
        {"name": "speed", "table": "holding", "address": 0, "data_type": "float32"},
        {"name": "lamp", "table": "coil", "address": 0, "data_type": "bool"},
    ]})  # fmt: skip
    configured = parse_register_map({"groups": [{"name": "default", "interval_ms": 100}], "points": [
        *[point.model_dump() for point in served.points],
        {"name": "ghost", "table": "holding", "address": 50, "data_type": "uint32"},
        {"name": "ghost2", "table": "holding", "address": 52, "data_type": "int16"},
    ]})  # fmt: skip
    port = free_port()
    async with RegisterServer(served, port=port) as server:
        server.set_value("speed", 12.5)
        async with running(settings_for(port, configured)) as run:
            await run.until(lambda: len(run.polls) >= 3)
            status = run.context.status.snapshot()
        probe = await DRIVER.probe(settings_for(port, configured), 2.0)
    assert all({r.signal for r in poll} == {"speed", "lamp"} for poll in run.polls)
    assert status.state is ConnectionState.DEGRADED
    reason = "illegal data address (exception 2)"
    assert status.bad_points == [BadPoint("ghost", reason), BadPoint("ghost2", reason)]
    assert status.points_ok == 2
    assert status.last_error is not None and reason in status.last_error
    assert probe.ok and probe.bad_points == (BadPoint("ghost", reason), BadPoint("ghost2", reason))
    assert "2 of 4 points read" in probe.message
    assert "speed = 12.5 (holding 0–1, float32)" in probe.details


@pytest.mark.asyncio
async def test_the_connector_reconnects_when_the_device_comes_back() -> None:
    register_map = parse_register_map({"groups": [{"name": "default", "interval_ms": 100}], "points": [
        {"name": "count", "table": "input", "address": 0, "data_type": "uint32"}]})  # fmt: skip
    port = free_port()
    server = RegisterServer(register_map, port=port)
    await server.start()
    try:
        async with running(settings_for(port, register_map)) as run:
            status = run.context.status
            await run.until(lambda: status.snapshot().state is ConnectionState.CONNECTED and len(run.polls) >= 2)
            await server.stop()
            await run.until(lambda: status.snapshot().state is ConnectionState.DISCONNECTED)
            down = status.snapshot()
            assert down.last_error is not None and f"127.0.0.1:{port}" in down.last_error
            assert down.connected_since is None and down.reconnects >= 1
            polls_before = len(run.polls)
            await asyncio.sleep(0.3)  # retrying, refused
            assert status.snapshot().state in (ConnectionState.DISCONNECTED, ConnectionState.CONNECTING)
            assert "connection refused" in (status.snapshot().last_error or "")
            server.set_value("count", 99)
            await server.start()
            await run.until(lambda: len(run.polls) >= polls_before + 2)
            assert status.snapshot().state is ConnectionState.CONNECTED
            assert run.polls[-1][0].value == 99
    finally:
        await server.stop()


@pytest.mark.asyncio
async def test_probe_of_an_unreachable_device_says_why_quickly() -> None:
    port = free_port()
    register_map = parse_register_map(
        {"points": [{"name": "x", "table": "holding", "address": 0, "data_type": "int16"}]}
    )
    started = time.monotonic()
    result = await DRIVER.probe(settings_for(port, register_map), 2.0)
    assert time.monotonic() - started < 1.0
    assert not result.ok
    assert result.message == f"could not reach 127.0.0.1:{port}: connection refused"
    with pytest.raises(NotSupported):
        await DRIVER.browse(settings_for(port, register_map), None, 1.0)
    with pytest.raises(Unavailable, match="connection refused"):
        await _write_unreachable(port)


async def _write_unreachable(port: int) -> None:
    register_map = parse_register_map({"points": [
        {"name": "x", "table": "holding", "address": 0, "data_type": "int16", "writable": True}]})  # fmt: skip
    await DRIVER.write(settings_for(port, register_map), "x", 1, 1.0)


WRITE_MAP: dict[str, Any] = {"points": [
    {"name": "setpoint", "table": "holding", "address": 0, "data_type": "float32", "word_order": "little",
     "writable": True},
    {"name": "override", "table": "holding", "address": 2, "data_type": "int16", "scale": 0.1, "writable": True},
    {"name": "locked", "table": "holding", "address": 3, "data_type": "uint16", "writable": True},
    {"name": "fixed", "table": "holding", "address": 4, "data_type": "uint16"},
    {"name": "lamp", "table": "coil", "address": 5, "data_type": "bool", "writable": True},
    {"name": "count", "table": "input", "address": 0, "data_type": "uint32"},
]}  # fmt: skip


@pytest.mark.asyncio
async def test_write_with_read_back_and_refusals() -> None:
    register_map = parse_register_map(WRITE_MAP)
    # The device itself does not let "locked" be written: its map says read-only there.
    served = parse_register_map({"points": [
        {**p, "writable": False} if p["name"] == "locked" else p for p in WRITE_MAP["points"]]})  # fmt: skip
    port = free_port()
    settings = settings_for(port, register_map)
    async with RegisterServer(served, port=port) as server:
        server.set_value("setpoint", 10.5)
        server.set_value("override", 100.0)
        outcome = await DRIVER.write(settings, "setpoint", 250.25, 2.0)
        assert (outcome.old_value, outcome.requested, outcome.read_back) == (10.5, 250.25, 250.25)
        assert outcome.confirmed and server.value("setpoint") == 250.25
        assert server.raw(Table.HOLDING, 0, 2) == wire_words("float32", 250.25, "little", "big")
        assert server.requests[16] == 1  # two registers: Write Multiple Registers

        outcome = await DRIVER.write(settings, "override", 87.5, 2.0)
        assert outcome.confirmed and server.raw(Table.HOLDING, 2, 1) == [875] and server.requests[6] == 1

        outcome = await DRIVER.write(settings, "lamp", True, 2.0)
        assert (outcome.old_value, outcome.read_back) == (False, True) and server.value("lamp") is True
        assert server.requests[5] == 1

        sent = sum(server.requests.values())
        refusals: list[tuple[str, Value]] = [
            ("override", 3276.8),  # 32768 in the register: beyond int16
            ("override", 12.34),  # between two steps of 0.1
            ("setpoint", "fast"),
            ("lamp", 1),
            ("override", True),
            ("setpoint", float("nan")),
        ]
        for key, value in refusals:
            with pytest.raises(InputError) as refused:
                await DRIVER.write(settings, key, value, 2.0)
            assert [problem.field for problem in refused.value.fields] == ["value"], (key, value)
        for key in ("count", "fixed", "nothing"):
            with pytest.raises(InputError) as refused:
                await DRIVER.write(settings, key, 1, 2.0)
            assert [problem.field for problem in refused.value.fields] == ["key"]
        assert sum(server.requests.values()) == sent  # nothing was sent for any of them
        assert (server.value("override"), server.value("setpoint")) == (87.5, 250.25)

        with pytest.raises(Unavailable, match=r"refused the write of locked: illegal data address \(exception 2\)"):
            await DRIVER.write(settings, "locked", 7, 2.0)
        assert server.value("locked") == 0

"""The virtual factory as Modbus TCP devices: a pymodbus server whose registers follow a register map and hold
simulated machines' live values, so that the Modbus connector can be demonstrated, tested and measured end to end.

- ``RegisterServer`` serves the points of any ``RegisterMap``: exactly their addresses (any other is answered with
  exception 02, illegal data address, as a real device answers), values set by point (``set_value``, encoded by
  the connector's own codec) or as raw words and bits (``set_raw``, for tests that hold known encodings), writes
  accepted only where a point is ``writable`` (others: exception 02), and a count of the requests received per
  function code (``requests``) to show how many reads a poll took.
- ``ModbusMachineServer`` serves simulated machines (``FactoryRun``) in real time, one block of addresses per
  machine (``machine_register_map``); ``connector_settings_for`` gives the ``ModbusSettings`` that read them
  into the machines' own devices and signals, as the MQTT publishers deliver them.
- ``ModbusBulkServer`` serves ``count`` points of each data type with known values that change on a tick
  (``bulk_value``), for tests and ``zhizao bench modbus``.

The server is pymodbus's ``ModbusTcpServer`` over a ``SimDevice`` (pymodbus's data model from 3.x on), whose
access hook copies the requested addresses from this module's image of the four tables just before pymodbus
answers, and copies writes back: the image is the one truth, updated at any time from the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Self

from pymodbus.constants import ExcCodes
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType as SimType
from pymodbus.simulator import SimData, SimDevice

from zhizao.connectors.modbus.codec import Value, decode_point, encode_point
from zhizao.connectors.modbus.errors import ModbusValueError
from zhizao.connectors.modbus.registers import DataType, Endian, Point, PollingGroup, RegisterMap, Table
from zhizao.connectors.modbus.settings import ModbusSettings, PointTarget
from zhizao.simulator.catalogue import Cadence, SignalSpec
from zhizao.simulator.catalogue import Value as SimulatedValue
from zhizao.simulator.model import FactoryRun, FactorySpec
from zhizao.telemetry.kinds import SignalKind

_TABLE_OF_FUNCTION = {1: Table.COIL, 5: Table.COIL, 15: Table.COIL, 2: Table.DISCRETE_INPUT}
_TABLE_OF_FUNCTION |= {3: Table.HOLDING, 6: Table.HOLDING, 16: Table.HOLDING, 4: Table.INPUT}
_SIM_ORDER = (Table.COIL, Table.DISCRETE_INPUT, Table.HOLDING, Table.INPUT)  # SimDevice's order of the tables


class RegisterServer:
    """A Modbus TCP server on ``host:port`` serving ``register_map``'s points as unit ``unit_id`` (0: any unit)."""

    def __init__(self, register_map: RegisterMap, *, port: int, host: str = "127.0.0.1", unit_id: int = 0) -> None:
        self.register_map = register_map
        self.host, self.port, self.unit_id = host, port, unit_id
        self.requests: Counter[int] = Counter()  # requests received, by function code
        self.on_write: Callable[[Table, int, Sequence[int]], None] | None = None
        self._image: dict[Table, dict[int, int]] = {table: {} for table in Table}
        self._writable: dict[Table, set[int]] = {table: set() for table in Table}
        for point in register_map.points:
            for address in range(point.address, point.last_address + 1):
                self._image[point.table][address] = 0
                if point.writable:
                    self._writable[point.table].add(address)
        self._server: ModbusTcpServer | None = None

    # -- values ----------------------------------------------------------------------------------------------------

    def set_value(self, name: str, value: Value) -> None:
        """Put a point's value in its registers (or bit), encoded as the connector decodes it."""
        point = self._point(name)
        self.set_raw(point.table, point.address, encode_point(point, value))

    def value(self, name: str) -> Value:
        point = self._point(name)
        return decode_point(point, self.raw(point.table, point.address, point.width))

    def set_raw(self, table: Table, address: int, values: Sequence[int]) -> None:
        """Words (register tables) or 0/1 (bit tables) from ``address`` on; every address must be a point's."""
        image = self._image[table]
        for offset, word in enumerate(values):
            if address + offset not in image:
                raise KeyError(f"{table.value} {address + offset} is not in the register map")
            image[address + offset] = int(word)

    def raw(self, table: Table, address: int, count: int) -> list[int]:
        return [self._image[table][address + offset] for offset in range(count)]

    def _point(self, name: str) -> Point:
        point = self.register_map.point(name)
        if point is None:
            raise KeyError(f"no point {name!r} in the register map")
        return point

    # -- serving -----------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        coils, inputs, holding, input_registers = (self._blocks(table) for table in _SIM_ORDER)
        device = SimDevice(id=self.unit_id, simdata=(coils, inputs, holding, input_registers), action=self._access)
        self._server = ModbusTcpServer(device, address=(self.host, self.port), trace_pdu=self._count)
        await self._server.serve_forever(background=True)

    async def stop(self) -> None:
        """Stop listening and close every client's connection (they see the device go away)."""
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    def _blocks(self, table: Table) -> list[SimData]:
        """pymodbus's blocks for a table: one per run of consecutive addresses of one writability. A table without
        points still needs one block; it is put at the top of the address space and refused by ``_access``."""
        addresses = sorted(self._image[table])
        if table.is_bits:  # pymodbus keeps bits in 16-bit groups: one block spanning every coil or input
            first = addresses[0] if addresses else 65520
            span = (addresses[-1] if addresses else 65535) - first + 1
            return [SimData(first, values=[False] * span, datatype=SimType.BITS)]
        if not addresses:
            return [SimData(65535, datatype=SimType.INVALID)]
        runs: list[list[int]] = []
        for address in addresses:
            writable = address in self._writable[table]
            if runs and address == runs[-1][-1] + 1 and (runs[-1][-1] in self._writable[table]) == writable:
                runs[-1].append(address)
            else:
                runs.append([address])
        return [
            SimData(
                run[0], values=[0] * len(run), datatype=SimType.REGISTERS, readonly=run[0] not in self._writable[table]
            )
            for run in runs
        ]

    def _count(self, sending: bool, pdu: ModbusPDU) -> ModbusPDU:
        if not sending:
            self.requests[pdu.function_code] += 1
        return pdu

    async def _access(
        self,
        function_code: int,
        start: int,
        address: int,
        count: int,
        registers: list[int],
        written: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus's hook before it answers: refuse what the map lacks, bring its registers up to date from the
        image, and take writes into the image. For bits, ``start`` and ``count`` are in 16-bit groups."""
        table = _TABLE_OF_FUNCTION.get(function_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        image = self._image[table]
        if table.is_bits:
            if not image:
                return ExcCodes.ILLEGAL_ADDRESS
            for group in range(address // 16, address // 16 + count):
                registers[group - start] = sum(image.get(group * 16 + bit, 0) << bit for bit in range(16))
        else:
            if any(a not in image for a in range(address, address + count)):
                return ExcCodes.ILLEGAL_ADDRESS
            for a in range(address, address + count):
                registers[a - start] = image[a]
        if written is not None:
            if any(address + i not in self._writable[table] for i in range(len(written))):
                return ExcCodes.ILLEGAL_ADDRESS
            for i, value in enumerate(written):
                image[address + i] = int(value)
            if self.on_write is not None:
                self.on_write(table, address, [int(value) for value in written])
        return None


# -- simulated machines --------------------------------------------------------------------------------------------

MACHINE_STRIDE = 100  # registers of each table a machine's block takes: machine k from address k × 100
MACHINE_BIT_STRIDE = 16  # discrete inputs of each machine
FEED_OVERRIDE = "feed_override_pct"  # the writable setpoint each machine has (a holding register, 0–200 %)
FAST, SLOW = PollingGroup(name="fast", interval_ms=1000), PollingGroup(name="slow", interval_ms=5000)


def machine_register_map(run: FactoryRun, machines: Sequence[str] | None = None) -> RegisterMap:
    """The register map of ``machines`` (codes; None: every machine of ``run``), each in its own block: states
    as uint16, counters as uint32, measurements as float32 in word order little ("CDAB", as many PLCs keep
    them), bool signals as discrete inputs, and the writable feed override (uint16, %) in holding register 0 of
    the block. Points are named ``<device code>/<signal>``; measurements sampled every second are in group
    ``fast`` (1 s) with the states, the rest in ``slow`` (5 s). Text signals (the program name) have no
    register."""
    return RegisterMap(groups=(FAST, SLOW), points=tuple(_machine_points(run, machines)))


def _machine_points(run: FactoryRun, machines: Sequence[str] | None) -> list[Point]:
    devices = {device.code: device for device in run.devices}
    codes = list(machines) if machines is not None else list(devices)
    unknown = [code for code in codes if code not in devices]
    if unknown or not codes:
        raise KeyError(f"no simulated machine {', '.join(unknown)}" if unknown else "no machines to serve")
    points: list[Point] = []
    for index, code in enumerate(codes):
        words, bits = index * MACHINE_STRIDE, index * MACHINE_BIT_STRIDE
        points.append(
            Point(
                name=f"{code}/{FEED_OVERRIDE}",
                table=Table.HOLDING,
                address=words,
                data_type=DataType.UINT16,
                unit="%",
                group="slow",
                writable=True,
            )
        )
        # The fast group's signals first, so that each group's registers are contiguous: one read per group.
        for fast, spec in sorted(((_is_fast(spec), spec) for spec in devices[code].signals), key=lambda x: not x[0]):
            name = f"{code}/{spec.name}"
            group = "fast" if fast else "slow"
            if spec.data_type.value == "bool":
                points.append(
                    Point(name=name, table=Table.DISCRETE_INPUT, address=bits, data_type=DataType.BOOL, group=group)
                )
                bits += 1
            elif spec.data_type.value == "int":
                data_type = DataType.UINT16 if spec.kind is SignalKind.STATE else DataType.UINT32
                points.append(
                    Point(name=name, table=Table.INPUT, address=words, data_type=data_type, unit=spec.unit, group=group)
                )
                words += data_type.width
            elif spec.data_type.value == "float":
                points.append(
                    Point(
                        name=name,
                        table=Table.INPUT,
                        address=words,
                        data_type=DataType.FLOAT32,
                        word_order=Endian.LITTLE,
                        unit=spec.unit,
                        group=group,
                    )
                )
                words += 2
    return points


def _is_fast(spec: SignalSpec) -> bool:
    return spec.cadence is Cadence.FAST or spec.kind is SignalKind.STATE


def connector_settings_for(
    host: str, port: int, machines: Sequence[str] | None, run: FactoryRun, *, unit_id: int = 1
) -> ModbusSettings:
    """The connector configuration that reads ``ModbusMachineServer(run, machines=machines)`` at ``host:port``
    into each machine's device and the simulator's signal names (the feed override as ``feed_override_pct``)."""
    register_map = machine_register_map(run, machines)
    targets = {
        point.name: PointTarget(device_code=point.name.split("/", 1)[0], signal=point.name.split("/", 1)[1])
        for point in register_map.points
    }
    return ModbusSettings(host=host, port=port, unit_id=unit_id, register_map=register_map, targets=targets)


class ModbusMachineServer(RegisterServer):
    """Simulated machines served live: the run is stepped every ``tick_s`` to the wall clock (× ``speed``) and
    each new reading put in its register. ``run_or_spec``: a run to go on with, or a factory to start now with
    ``seed``. The feed override starts at 100 and keeps what a client writes (the model does not react to it)."""

    def __init__(
        self,
        run_or_spec: FactoryRun | FactorySpec,
        *,
        machines: Sequence[str] | None = None,
        port: int,
        host: str = "127.0.0.1",
        seed: int = 1,
        speed: float = 1.0,
        tick_s: float = 0.2,
    ) -> None:
        if isinstance(run_or_spec, FactorySpec):
            run_or_spec = FactoryRun(run_or_spec, seed=seed, start_ms=time.time_ns() // 1_000_000)
        self.run, self.speed, self.tick_s = run_or_spec, speed, tick_s
        super().__init__(machine_register_map(self.run, machines), port=port, host=host)
        self.machines = list(dict.fromkeys(point.name.split("/", 1)[0] for point in self.register_map.points))
        self.rejected = 0  # simulated values no register could hold
        for code in self.machines:
            self.set_value(f"{code}/{FEED_OVERRIDE}", 100)
            self._apply(code, self.run.snapshot(code).items())
        self._feeder: asyncio.Task[None] | None = None

    def connector_settings(self, host: str | None = None) -> ModbusSettings:
        return connector_settings_for(host or self.host, self.port, self.machines, self.run)

    def advance(self, until_ms: int) -> int:
        """Step the run to ``until_ms`` and serve its new values; how many readings that was."""
        readings = self.run.step(max(until_ms, self.run.now_ms))
        for reading in readings:
            self._apply(reading.device_code, [(reading.signal, reading.value)])
        return len(readings)

    def _apply(self, code: str, values: Iterable[tuple[str, SimulatedValue]]) -> None:
        for signal, value in values:
            point = self.register_map.point(f"{code}/{signal}")
            if point is None or isinstance(value, str):
                continue
            try:
                self.set_value(point.name, value)
            except ModbusValueError:
                self.rejected += 1

    async def start(self) -> None:
        await super().start()
        self._feeder = asyncio.create_task(self._feed())

    async def stop(self) -> None:
        if self._feeder is not None:
            self._feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._feeder
            self._feeder = None
        await super().stop()

    async def _feed(self) -> None:
        wall, simulated = time.monotonic(), self.run.now_ms
        while True:
            await asyncio.sleep(self.tick_s)
            self.advance(simulated + int((time.monotonic() - wall) * 1000 * self.speed))


# -- bulk: every data type, known values -----------------------------------------------------------------------------

BULK_TYPES = tuple(DataType)  # bool (coils) and every register type


def bulk_register_map(
    count: int,
    data_types: Sequence[DataType] = BULK_TYPES,
    *,
    interval_ms: int = 1000,
    word_order: Endian = Endian.BIG,
    byte_order: Endian = Endian.BIG,
) -> RegisterMap:
    """``count`` points of each of ``data_types``, named ``<type>_<n>``: registers back to back in holding
    registers from 0, one type after another; bools in coils from 0. One polling group, ``bulk``."""
    points: list[Point] = []
    address = 0
    for data_type in data_types:
        table = Table.COIL if data_type is DataType.BOOL else Table.HOLDING
        for n in range(count):
            where = n if table is Table.COIL else address
            points.append(
                Point(
                    name=f"{data_type.value}_{n}",
                    table=table,
                    address=where,
                    data_type=data_type,
                    word_order=word_order,
                    byte_order=byte_order,
                    group="bulk",
                    writable=True,
                )
            )
            address += data_type.width if table is Table.HOLDING else 0
    return RegisterMap(groups=(PollingGroup(name="bulk", interval_ms=interval_ms),), points=tuple(points))


def bulk_value(data_type: DataType, n: int, tick: int) -> Value:
    """The value of point ``n`` of ``data_type`` at ``tick``: different per point and per tick, exact in its type
    (float32 values are multiples of 1/8 below 2²¹), spanning negative numbers for signed types."""
    step = n * 37 + tick
    if data_type is DataType.BOOL:
        return step % 2 == 0
    if data_type.is_float:
        return float(n % 100_000) + (tick % 1024) / 8 - 64
    low, high = data_type.int_range
    return low + (n * 7_919 + tick * 104_729) % (high - low + 1)


class ModbusBulkServer(RegisterServer):
    """``bulk_register_map(count, data_types, …)`` served with ``bulk_value``s at ``tick``, which moves on every
    ``change_s`` seconds while the server runs (None: only when ``set_tick`` is called)."""

    def __init__(
        self, register_map: RegisterMap, *, port: int, host: str = "127.0.0.1", change_s: float | None = None
    ) -> None:
        super().__init__(register_map, port=port, host=host)
        self.change_s = change_s
        self.tick = 0
        self._feeder: asyncio.Task[None] | None = None
        self.set_tick(0)

    def set_tick(self, tick: int) -> None:
        self.tick = tick
        for point in self.register_map.points:
            self.set_value(point.name, self.expected(point))

    def expected(self, point: Point) -> Value:
        """What ``point`` holds at the current tick."""
        return bulk_value(point.data_type, int(point.name.rsplit("_", 1)[1]), self.tick)

    async def start(self) -> None:
        await super().start()
        if self.change_s is not None:
            self._feeder = asyncio.create_task(self._feed(self.change_s))

    async def stop(self) -> None:
        if self._feeder is not None:
            self._feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._feeder
            self._feeder = None
        await super().stop()

    async def _feed(self, change_s: float) -> None:
        while True:
            await asyncio.sleep(change_s)
            self.set_tick(self.tick + 1)

"""``zhizao bench modbus``: how fast the Modbus connector reads and decodes, and what merging reads is worth.

One run starts the simulator's bulk server (``ModbusBulkServer``: ``points`` points spread over the chosen data
types, values changing every 100 ms) on loopback and polls it with the connector's own poll (``poller.poll_once``:
the read plan sent over pymodbus, each response decoded, readings built) for ``duration_s`` in two halves that
alternate in slices, so that both see the same machine state:

- **merged**: the connector's plan (``plan_map``), contiguous points in one request of up to 125 registers;
- **per point**: one request per point, as a naive poller (or a map with gaps that cannot be merged) sends them.

Reported for each: polls, requests, registers and points a second, and the ratio of points a second between the
two. ``interval_ms`` 0 polls back to back (the ceiling); more paces the polls as a connector would. Every decoded
value is checked against the server's (``mismatches`` counts those that differ, beyond a tick's change).

Loopback has no network latency, so the ratio here is the protocol's and pymodbus's per-request overhead; over a
real network each request also costs a round trip, and merging is worth more.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

from zhizao.bench.infra import BenchError, free_port
from zhizao.connectors.modbus.client import ModbusLink
from zhizao.connectors.modbus.plan import GroupPlan, plan_map, plan_reads
from zhizao.connectors.modbus.poller import poll_once
from zhizao.connectors.modbus.registers import MAX_ADDRESS, DataType
from zhizao.connectors.modbus.settings import ModbusSettings
from zhizao.simulator.modbus_server import ModbusBulkServer, bulk_register_map

DEFAULT_TYPES = (DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32, DataType.FLOAT32, DataType.FLOAT64)
SLICE_S = 0.5  # the two modes alternate every half second


@dataclass(frozen=True, slots=True)
class ModbusBenchOptions:
    points: int = 1200  # spread evenly over the data types
    data_types: tuple[DataType, ...] = DEFAULT_TYPES
    duration_s: float = 6.0  # both modes together
    interval_ms: int = 0  # between the starts of two polls; 0: back to back

    def check(self) -> None:
        if not self.data_types:
            raise BenchError("name at least one data type")
        per_type = self.per_type
        registers = per_type * sum(t.width for t in self.data_types if t is not DataType.BOOL)
        if self.points < 1 or registers > MAX_ADDRESS + 1 or per_type > MAX_ADDRESS + 1:
            raise BenchError(f"{self.points} points of these types do not fit one device's 65536 registers")
        if not 0.2 <= self.duration_s <= 3600:
            raise BenchError("the duration is 0.2 s to an hour")
        if not 0 <= self.interval_ms <= 60_000:
            raise BenchError("the interval is 0 to 60000 ms")

    @property
    def per_type(self) -> int:
        return math.ceil(self.points / len(self.data_types))


@dataclass(slots=True)
class ModeFigures:
    """One way of reading the same points, over its share of the run."""

    name: str
    reads_per_poll: int
    registers_per_poll: int  # registers and bits, gaps included
    polls: int = 0
    requests: int = 0
    points: int = 0
    bad_points: int = 0
    mismatches: int = 0
    seconds: float = 0.0

    @property
    def polls_per_s(self) -> float:
        return self.polls / self.seconds if self.seconds else 0.0

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def registers_per_s(self) -> float:
        return self.polls * self.registers_per_poll / self.seconds if self.seconds else 0.0

    @property
    def points_per_s(self) -> float:
        return self.points / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class ModbusBenchResult:
    options: ModbusBenchOptions
    point_count: int
    merged: ModeFigures
    per_point: ModeFigures
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """How many times more points a second the merged plan reads than one read per point."""
        return self.merged.points_per_s / self.per_point.points_per_s if self.per_point.points_per_s else math.inf

    def as_dict(self) -> dict[str, object]:
        def mode(figures: ModeFigures) -> dict[str, object]:
            return {
                "reads_per_poll": figures.reads_per_poll,
                "registers_per_poll": figures.registers_per_poll,
                "polls": figures.polls,
                "requests": figures.requests,
                "seconds": round(figures.seconds, 3),
                "polls_per_s": round(figures.polls_per_s, 1),
                "requests_per_s": round(figures.requests_per_s, 1),
                "registers_per_s": round(figures.registers_per_s, 1),
                "points_per_s": round(figures.points_per_s, 1),
                "bad_points": figures.bad_points,
                "mismatches": figures.mismatches,
            }

        return {
            "points": self.point_count,
            "data_types": [t.value for t in self.options.data_types],
            "duration_s": self.options.duration_s,
            "interval_ms": self.options.interval_ms,
            "merged": mode(self.merged),
            "per_point": mode(self.per_point),
            "ratio": round(self.ratio, 2),
            "notes": self.notes,
        }


async def run_modbus(options: ModbusBenchOptions) -> ModbusBenchResult:
    """Serve the points on a free loopback port and poll them both ways, alternating; the figures of each."""
    options.check()
    register_map = bulk_register_map(options.per_type, options.data_types, interval_ms=1000)
    (merged_plan,) = plan_map(register_map)
    single = GroupPlan(merged_plan.group, tuple(read for p in register_map.points for read in plan_reads([p])))
    merged = ModeFigures("merged", len(merged_plan.reads), merged_plan.registers)
    per_point = ModeFigures("per point", len(single.reads), single.registers)
    port = free_port()
    settings = ModbusSettings(host="127.0.0.1", port=port, device_code="BENCH", register_map=register_map)
    async with ModbusBulkServer(register_map, port=port, change_s=0.1) as server:
        link = ModbusLink(settings)
        await link.open()
        try:
            deadline = time.monotonic() + options.duration_s
            turn = 0
            while (now := time.monotonic()) < deadline:
                plan, figures = (merged_plan, merged) if turn % 2 == 0 else (single, per_point)
                await _slice(link, plan, figures, settings, server, min(deadline, now + SLICE_S), options.interval_ms)
                turn += 1
        finally:
            link.close()
    notes = [
        "loopback, server and connector in one process and event loop: per-request cost, no network round trip",
        "values change every 100 ms; a mismatch is a decoded value unlike the server's, counted only in polls "
        "during which the values did not change",
    ]
    return ModbusBenchResult(options, len(register_map.points), merged, per_point, notes)


async def _slice(
    link: ModbusLink,
    plan: GroupPlan,
    figures: ModeFigures,
    settings: ModbusSettings,
    server: ModbusBulkServer,
    until: float,
    interval_ms: int,
) -> None:
    points = {point.name: point for point in settings.register_map.points}
    started = time.monotonic()
    next_start = started
    while time.monotonic() < until:
        sent = link.requests
        tick = server.tick
        readings, good, bad = await poll_once(link, plan, settings, 1)
        figures.polls += 1
        figures.requests += link.requests - sent
        figures.points += len(good)
        figures.bad_points += len(bad)
        for reading in readings:
            point = points[reading.signal]
            if reading.value != server.expected(point) and server.tick == tick:
                figures.mismatches += 1
        if interval_ms:
            next_start += interval_ms / 1000
            await asyncio.sleep(max(0.0, next_start - time.monotonic()))
    figures.seconds += time.monotonic() - started

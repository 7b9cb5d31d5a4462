"""Read planning: the fewest requests that read a polling group's points, and their responses split back per point.

Each poll of a group sends one read per run of points in one table whose addresses follow each other, at most
``max_gap`` unused addresses apart (default 0: only adjacent points share a read), and whose span stays within
the protocol's limit for one request (Modbus Application Protocol V1.1b3 §6.1–6.4: 125 registers for Read
Holding / Input Registers, 2000 bits for Read Coils / Discrete Inputs) or a lower one the device needs.

Points are taken in address order and each read grows while the next point fits; since any part of a feasible run
is feasible too, this greedy cut gives the fewest reads. Reads come out table by table (holding, input, coil,
discrete input), each in address order: the same points always give the same plan.

A gap merged into a read is read and ignored. Some devices answer a read that touches an unmapped register with
exception 02 (illegal data address): leave ``max_gap`` at 0 for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zhizao.connectors.modbus.codec import Value, decode_point
from zhizao.connectors.modbus.errors import ModbusResponseError
from zhizao.connectors.modbus.registers import (
    MAX_READ_BITS,
    MAX_READ_REGISTERS,
    Point,
    PollingGroup,
    RegisterMap,
    Table,
)


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a point's words (or bit) lie in a read's response: ``offset`` from the read's first address."""

    point: Point
    offset: int


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """One read: ``count`` registers or bits of ``table`` from ``address``."""

    table: Table
    address: int
    count: int
    slots: tuple[Slot, ...]

    @property
    def function_code(self) -> int:
        return self.table.read_function

    @property
    def last_address(self) -> int:
        return self.address + self.count - 1


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """What one poll of a group reads, every ``group.interval_ms``."""

    group: PollingGroup
    reads: tuple[ReadRequest, ...]

    @property
    def registers(self) -> int:
        """Registers (and bits) one poll reads, gaps included."""
        return sum(read.count for read in self.reads)


def plan_reads(
    points: Iterable[Point],
    *,
    max_gap: int = 0,
    max_registers: int = MAX_READ_REGISTERS,
    max_bits: int = MAX_READ_BITS,
) -> tuple[ReadRequest, ...]:
    """The fewest reads that cover ``points``, each at most ``max_registers`` registers or ``max_bits`` bits long
    and joining points at most ``max_gap`` unused addresses apart."""
    if not 4 <= max_registers <= MAX_READ_REGISTERS:
        raise ValueError(
            f"max_registers must be 4 to {MAX_READ_REGISTERS} (a 64-bit point takes 4), not {max_registers}"
        )
    if not 1 <= max_bits <= MAX_READ_BITS:
        raise ValueError(f"max_bits must be 1 to {MAX_READ_BITS}, not {max_bits}")
    if max_gap < 0:
        raise ValueError(f"max_gap must be 0 or more, not {max_gap}")
    by_table: dict[Table, list[Point]] = {table: [] for table in Table}
    for point in points:
        by_table[point.table].append(point)
    reads: list[ReadRequest] = []
    for table, members in by_table.items():
        limit = max_bits if table.is_bits else max_registers
        members.sort(key=lambda point: (point.address, point.last_address, point.name))
        run: list[Point] = []
        end = -1  # last address the run covers
        for point in members:
            if run and (point.address - end - 1 > max_gap or max(end, point.last_address) - run[0].address >= limit):
                reads.append(_read(table, run, end))
                run = []
            end = max(end, point.last_address) if run else point.last_address
            run.append(point)
        if run:
            reads.append(_read(table, run, end))
    return tuple(reads)


def _read(table: Table, run: list[Point], end: int) -> ReadRequest:
    start = run[0].address
    slots = tuple(Slot(point, point.address - start) for point in run)
    return ReadRequest(table, start, end - start + 1, slots)


def plan_map(register_map: RegisterMap) -> tuple[GroupPlan, ...]:
    """Each polling group's reads, with the map's gap and size limits; groups in the map's order. A group without
    points has no reads."""
    return tuple(
        GroupPlan(
            group,
            plan_reads(
                register_map.points_of(group.name),
                max_gap=register_map.max_gap,
                max_registers=register_map.max_registers_per_read,
                max_bits=register_map.max_bits_per_read,
            ),
        )
        for group in register_map.groups
    )


def split_response(read: ReadRequest, data: Sequence[int]) -> list[tuple[Point, Sequence[int]]]:
    """Each point's words (or its one bit) out of a read's response; the words are checked when decoded.

    Registers must number exactly ``read.count``. Bits may come padded up to a whole byte, as pymodbus hands them
    over (``bits`` of a response is a multiple of 8 long); the padding is ignored."""
    received = len(data)
    if read.table.is_bits:
        if not read.count <= received <= (read.count + 7) // 8 * 8:
            raise ModbusResponseError(
                f"asked for {read.count} bits at {read.table.value} {read.address}, got {received}"
            )
    else:
        if received != read.count:
            raise ModbusResponseError(
                f"asked for {read.count} registers at {read.table.value} {read.address}, got {received}"
            )
    return [(slot.point, data[slot.offset : slot.offset + slot.point.width]) for slot in read.slots]


def decode_response(read: ReadRequest, data: Sequence[int]) -> list[tuple[Point, Value]]:
    """Each point of a read with its value (scaled), in address order."""
    return [(point, decode_point(point, raw)) for point, raw in split_response(read, data)]

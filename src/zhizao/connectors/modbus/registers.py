"""Register maps: which signal lives where in a Modbus device, in what form, and how often it is read.

A map is a list of **points** (one signal each) and the **polling groups** they are read in::

    groups: [{name: fast, interval_ms: 200}, {name: slow, interval_ms: 5000}]
    points:
      - {name: spindle_speed, table: holding, address: 100, data_type: float32, word_order: little, group: fast}
      - {name: part_count, table: input, address: 0, data_type: uint32, word_order: big, group: slow}
      - {name: door_open, table: discrete_input, address: 7, data_type: bool, group: slow}

``groups`` may be left out: it is then one group ``default`` read every second, which is also every point's group
when it names none.

**Addresses** are the zero-based addresses that travel in the request (the Modbus Application Protocol's "PDU
address"), 0–65535 in each of the four tables. Vendor manuals often give one-based "Modicon references" instead:
holding register 40001 (or 400001) is address 0 of table ``holding``, input register 30001 address 0 of ``input``,
coil 00001 address 0 of ``coil``, discrete input 10001 address 0 of ``discrete_input``.

**Tables and types.** Coils and discrete inputs hold single bits: their points are ``bool``. Holding and input
registers hold 16-bit words: their points are numbers, one word (int16, uint16), two (int32, uint32, float32) or
four (int64, uint64, float64) consecutive registers. Word and byte order are explained in ``codec``.

**Scaling.** value = raw × ``scale`` + ``offset`` (``scale`` 0.1 turns a register holding 1234 into 123.4);
``unit`` is free text for display. Bool points are not scaled.

**Validation** reports each problem at the field at fault: ``points.3.address``, ``points.3.data_type``,
``points.4.name``, ``groups.1.name`` (nested under the caller's own path when a map is part of a larger model).
Each point's own problems come first, all at once; the checks across points (overlaps, duplicate names, unknown
groups) follow, all at once, when every point is right on its own. Refused: a point running past address 65535, two
points of one table sharing a register or bit (the error names both), a bool on a register table or a number on a
bit table, two points or groups of one name, a point in a group that does not exist, ``writable`` on a read-only
table (input registers, discrete inputs). Numbers are strict: ``"12"`` is not 12 and ``true`` is not 1.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from zhizao.errors import FieldProblem, InputError, plain_message

MAX_ADDRESS = 65535
MAX_READ_REGISTERS = 125  # Read Holding / Input Registers (0x03, 0x04): 1–125 registers a request
MAX_READ_BITS = 2000  # Read Coils / Discrete Inputs (0x01, 0x02): 1–2000 bits a request
MIN_INTERVAL_MS = 100
MAX_INTERVAL_MS = 3_600_000
MAX_SIGNAL_NAME = 200  # as for every signal of the platform
DEFAULT_GROUP = "default"
DEFAULT_INTERVAL_MS = 1000


class Table(StrEnum):
    """The four Modbus data tables."""

    HOLDING = "holding"  # 16-bit words, read/write (function codes 0x03, 0x06, 0x10)
    INPUT = "input"  # 16-bit words, read-only (0x04)
    COIL = "coil"  # bits, read/write (0x01, 0x05, 0x0F)
    DISCRETE_INPUT = "discrete_input"  # bits, read-only (0x02)

    @property
    def is_bits(self) -> bool:
        return self in (Table.COIL, Table.DISCRETE_INPUT)

    @property
    def writable(self) -> bool:
        return self in (Table.HOLDING, Table.COIL)

    @property
    def max_read(self) -> int:
        """The most registers or bits one read request may ask for."""
        return MAX_READ_BITS if self.is_bits else MAX_READ_REGISTERS

    @property
    def label(self) -> str:
        """The table in words, for messages: ``holding registers``, ``discrete inputs``."""
        return _LABEL[self]

    @property
    def read_function(self) -> int:
        """The function code that reads this table."""
        return _READ_FUNCTION[self]


_LABEL = {
    Table.HOLDING: "holding registers",
    Table.INPUT: "input registers",
    Table.COIL: "coils",
    Table.DISCRETE_INPUT: "discrete inputs",
}
_READ_FUNCTION = {Table.COIL: 0x01, Table.DISCRETE_INPUT: 0x02, Table.HOLDING: 0x03, Table.INPUT: 0x04}


class DataType(StrEnum):
    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def width(self) -> int:
        """Addresses taken: 16-bit registers for numbers, one bit for bool."""
        return _WIDTH[self]

    @property
    def article(self) -> str:
        """The type with its article, for messages: ``an int16``, ``a float32``."""
        return f"{'an' if self.value.startswith('i') else 'a'} {self.value}"

    @property
    def is_float(self) -> bool:
        return self in (DataType.FLOAT32, DataType.FLOAT64)

    @property
    def is_integer(self) -> bool:
        return self is not DataType.BOOL and not self.is_float

    @property
    def int_range(self) -> tuple[int, int]:
        """The smallest and largest raw value of an integer type."""
        bits = 16 * self.width
        signed = self.value.startswith("int")
        return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)


_WIDTH = {
    DataType.BOOL: 1,
    DataType.INT16: 1,
    DataType.UINT16: 1,
    DataType.INT32: 2,
    DataType.UINT32: 2,
    DataType.FLOAT32: 2,
    DataType.INT64: 4,
    DataType.UINT64: 4,
    DataType.FLOAT64: 4,
}


class Endian(StrEnum):
    BIG = "big"  # most significant first: the Modbus standard for the bytes of a register
    LITTLE = "little"


class ValueKind(StrEnum):
    """What a point's values are once scaled; the same words as telemetry's signal data types."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"


SignalName = Annotated[
    str, Field(strict=True, min_length=1, max_length=MAX_SIGNAL_NAME, pattern=r"^[^\x00-\x1F\x7F]+$")
]
GroupName = Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Address = Annotated[int, Field(strict=True, ge=0, le=MAX_ADDRESS)]
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Point(_Model):
    """One signal in one table: ``width`` addresses from ``address`` (registers, or one bit for a bool)."""

    name: SignalName
    table: Table
    address: Address
    data_type: DataType
    word_order: Endian = Endian.BIG
    byte_order: Endian = Endian.BIG
    scale: Finite = 1.0
    offset: Finite = 0.0
    unit: Annotated[str, Field(strict=True, min_length=1, max_length=32)] | None = None
    group: GroupName = DEFAULT_GROUP
    writable: Annotated[bool, Field(strict=True)] = False

    @property
    def width(self) -> int:
        return self.data_type.width

    @property
    def last_address(self) -> int:
        return self.address + self.width - 1

    @property
    def scaled(self) -> bool:
        return self.scale != 1.0 or self.offset != 0.0

    @property
    def value_kind(self) -> ValueKind:
        """Bool for bits; int for integer types while scale and offset are whole numbers; float otherwise."""
        if self.data_type is DataType.BOOL:
            return ValueKind.BOOL
        if self.data_type.is_integer and self.scale.is_integer() and self.offset.is_integer():
            return ValueKind.INT
        return ValueKind.FLOAT

    @property
    def layout(self) -> str:
        """The byte order on the wire as letters, A the most significant byte: ``CDAB`` for a float32 with word
        order little; ``AB``/``BA`` for one register; ``""`` for a bit."""
        if self.data_type is DataType.BOOL:
            return ""
        letters = "ABCDEFGH"
        words = [letters[2 * i : 2 * i + 2] for i in range(self.width)]
        if self.byte_order is Endian.LITTLE:
            words = [word[::-1] for word in words]
        if self.word_order is Endian.LITTLE:
            words.reverse()
        return "".join(words)

    def span(self) -> str:
        """Where the point lies, for messages: ``holding 40010–40011``."""
        if self.width == 1:
            return f"{self.table.value} {self.address}"
        return f"{self.table.value} {self.address}–{self.last_address}"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[InitErrorDetails] = []
        if self.table.is_bits and self.data_type is not DataType.BOOL:
            message = f"{self.table.label} hold single bits: the type is bool"
            errors.append(_error("table_type", message, self.data_type.value, "data_type"))
        elif not self.table.is_bits and self.data_type is DataType.BOOL:
            message = f"{self.table.label} hold numbers: bool is for coils and discrete inputs"
            errors.append(_error("table_type", message, self.data_type.value, "data_type"))
        elif self.last_address > MAX_ADDRESS:
            width = f"{self.data_type.article} takes {self.width} registers"
            message = f"{width}: {self.address}–{self.last_address} runs past the last address, {MAX_ADDRESS}"
            errors.append(_error("address_range", message, self.address, "address"))
        if self.scale == 0:
            errors.append(_error("scale", "scale must not be 0", self.scale, "scale"))
        if self.data_type is DataType.BOOL:
            if self.scale != 1.0:
                errors.append(_error("scale", "a bool point is not scaled: leave scale at 1", self.scale, "scale"))
            if self.offset != 0.0:
                errors.append(_error("scale", "a bool point is not scaled: leave offset at 0", self.offset, "offset"))
        if self.writable and not self.table.writable:
            message = f"{self.table.label} are read-only: only holding registers and coils are written"
            errors.append(_error("read_only", message, self.writable, "writable"))
        _raise(errors)
        return self


class PollingGroup(_Model):
    name: GroupName
    interval_ms: Annotated[int, Field(strict=True, ge=MIN_INTERVAL_MS, le=MAX_INTERVAL_MS)]


class RegisterMap(_Model):
    """A device's register map. ``max_gap``: unused addresses a read may span to join two points (0: only
    adjacent points are read together, as some devices refuse reads that touch unmapped registers);
    ``max_registers_per_read`` / ``max_bits_per_read``: lower than the protocol's 125 / 2000 for devices that
    answer less."""

    groups: tuple[PollingGroup, ...] = Field(
        default=(PollingGroup(name=DEFAULT_GROUP, interval_ms=DEFAULT_INTERVAL_MS),), min_length=1
    )
    points: tuple[Point, ...] = Field(min_length=1)
    max_gap: Annotated[int, Field(strict=True, ge=0, le=MAX_READ_REGISTERS - 1)] = 0
    max_registers_per_read: Annotated[int, Field(strict=True, ge=4, le=MAX_READ_REGISTERS)] = MAX_READ_REGISTERS
    max_bits_per_read: Annotated[int, Field(strict=True, ge=1, le=MAX_READ_BITS)] = MAX_READ_BITS

    def group(self, name: str) -> PollingGroup:
        return next(group for group in self.groups if group.name == name)

    def points_of(self, group: str) -> tuple[Point, ...]:
        return tuple(point for point in self.points if point.group == group)

    def point(self, name: str) -> Point | None:
        return next((point for point in self.points if point.name == name), None)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[InitErrorDetails] = []
        first_group: dict[str, int] = {}
        for index, group in enumerate(self.groups):
            if group.name in first_group:
                message = f"duplicate of groups[{first_group[group.name]}]"
                errors.append(_error("duplicate", message, group.name, "groups", index, "name"))
            first_group.setdefault(group.name, index)
        first_point: dict[str, int] = {}
        for index, point in enumerate(self.points):
            if point.name in first_point:
                message = f"duplicate of points[{first_point[point.name]}]"
                errors.append(_error("duplicate", message, point.name, "points", index, "name"))
            first_point.setdefault(point.name, index)
            if point.group not in first_group:
                known = ", ".join(repr(name) for name in first_group)
                message = f"no polling group {point.group!r} (the groups are {known})"
                errors.append(_error("unknown_group", message, point.group, "points", index, "group"))
        errors.extend(_overlaps(self.points))
        _raise(errors)
        return self


def _overlaps(points: tuple[Point, ...]) -> list[InitErrorDetails]:
    """One error per point that shares an address with another of its table: at the one listed later, naming the
    one listed first."""
    found: list[tuple[int, InitErrorDetails]] = []
    for table in Table:
        reach, reach_index = -1, -1  # the last address of the point reaching furthest so far, and its index
        for address, index in sorted((p.address, i) for i, p in enumerate(points) if p.table is table):
            if address <= reach:
                first, later = sorted((index, reach_index))
                other = points[first]
                message = f"overlaps points[{first}] {other.name!r} ({other.span()})"
                found.append((later, _error("overlap", message, points[later].address, "points", later, "address")))
            if points[index].last_address > reach:
                reach, reach_index = points[index].last_address, index
    return [error for _, error in sorted(found, key=lambda item: item[0])]


def _error(kind: str, message: str, value: object, *loc: str | int) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)


def _raise(errors: list[InitErrorDetails]) -> None:
    # A ValidationError raised in a validator keeps its locations (nested under the caller's: points.3.address).
    if errors:
        raise ValidationError.from_exception_data("RegisterMap", errors)


def parse_register_map(data: object) -> RegisterMap:
    """A map from parsed JSON or YAML; every problem becomes a ``FieldProblem`` at its path (``points.3.address``)."""
    try:
        return RegisterMap.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        failed = [error["loc"] for error in errors]
        fields = [
            FieldProblem(".".join(str(part) for part in error["loc"]) or "map", plain_message(error["msg"]))
            for error in errors
            # A list whose item failed is also reported as too short (pydantic counts the valid items): say it once.
            if not (
                error["type"] == "too_short"
                and any(loc[: len(error["loc"])] == error["loc"] and loc != error["loc"] for loc in failed)
            )
        ]
        summary = "; ".join(f"{field.field}: {field.message}" for field in fields[:5])
        more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
        raise InputError(f"invalid register map — {summary}{more}", fields=fields) from exc

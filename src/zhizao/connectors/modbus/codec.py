"""Modbus words and bits ↔ values: every data type in every word and byte order, scaling, and the inverse for writes.

**What the standard says.** The Modbus Application Protocol Specification V1.1b3 (modbus.org, 2012), §4.2 "Data
Encoding", fixes only the order of the two bytes of a 16-bit register: big-endian, most significant byte first
(register 0x1234 travels as 0x12, 0x34). Its data model (§4.3) knows single bits (coils, discrete inputs) and 16-bit
registers, nothing wider. A 32- or 64-bit value spread over consecutive registers is a vendor convention, and
vendors differ in which register comes first and, now and then, in the order of the bytes inside each register.

**How a point says which.** Name the bytes of a value A, B, C, D … from the most significant; a point's
``word_order`` says which register comes first, its ``byte_order`` which byte comes first inside each register:

=========== =========== ========== ============ ===============================================================
word_order  byte_order  32-bit     64-bit       seen in
=========== =========== ========== ============ ===============================================================
big         big         ABCD       ABCDEFGH     the standard's own order carried over; e.g. Siemens S7, most meters
little      big         CDAB       GHEFCDAB     "word swap", "first word low" (Kepware); e.g. Modicon/Schneider PLCs
big         little      BADC       BADCFEHG     "byte swap"; some gateways and serial converters
little      little      DCBA       HGFEDCBA     the value's memory on a little-endian CPU, copied word by word
=========== =========== ========== ============ ===============================================================

Register 0 is the point's ``address``, register 1 the next one, and so on: float32 123.456 (0x42F6E979) is read
as ``[0x42F6, 0xE979]`` in ABCD, ``[0xE979, 0x42F6]`` in CDAB, ``[0xF642, 0x79E9]`` in BADC, ``[0x79E9, 0xF642]``
in DCBA. For one-register types word order does nothing and byte order little reads 0x1234 as 0x3412. 64-bit
orders that swap words and double words separately (CDABGHEF, EFGHABCD) are not supported. pymodbus's
``convert_from_registers(…, word_order=…)`` is the byte-order-big column of this table.

**Values.** value = raw × scale + offset. Integer types decode to ``int`` while scale and offset are whole numbers
(exact, even for 64-bit counters), to ``float`` otherwise; float32 decodes to the shortest decimal that is the same
float32 (123.456, not 123.45600128173828). NaN and ±infinity in float registers decode as such and are left to the
ingest validation to refuse; nothing here raises for them. Bits decode to ``bool``.

**Writes** go the other way: raw = (value − offset) / scale, which must land on a whole register value for integer
types (writing 12.34 to a point with scale 0.1 is refused, not rounded) and within the type's range once unscaled;
values must be finite. Anything else raises ``ModbusValueError`` saying why.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from zhizao.connectors.modbus.errors import ModbusResponseError, ModbusValueError
from zhizao.connectors.modbus.registers import DataType, Endian, Point, ValueKind

Value = bool | int | float
Raw = int | float

_FORMAT = {
    DataType.INT16: struct.Struct(">h"),
    DataType.UINT16: struct.Struct(">H"),
    DataType.INT32: struct.Struct(">i"),
    DataType.UINT32: struct.Struct(">I"),
    DataType.INT64: struct.Struct(">q"),
    DataType.UINT64: struct.Struct(">Q"),
    DataType.FLOAT32: struct.Struct(">f"),
    DataType.FLOAT64: struct.Struct(">d"),
}
_WORDS = {n: struct.Struct(f">{n}H") for n in (1, 2, 4)}
_FLOAT32 = _FORMAT[DataType.FLOAT32]
_FLOAT32_SMALLEST_NORMAL = 2.0**-126


# --- registers ↔ raw values ------------------------------------------------------------------------------------------


def decode_words(
    words: Sequence[int], data_type: DataType, word_order: Endian = Endian.BIG, byte_order: Endian = Endian.BIG
) -> Raw:
    """The raw (unscaled) value in ``words``, as read from the point's address upwards."""
    if data_type is DataType.BOOL:
        raise ValueError("a bool is one bit, not registers: use decode_point")
    width = data_type.width
    if len(words) != width:
        raise ModbusResponseError(f"{data_type.article} takes {width} register(s), got {len(words)}")
    check_words(words)
    (raw,) = _FORMAT[data_type].unpack(_WORDS[width].pack(*_arrange(words, word_order, byte_order)))
    if data_type is DataType.FLOAT32:
        return _shortest_float32(raw)
    return raw  # type: ignore[no-any-return]  # struct gives int or float, as the format says


def encode_words(
    raw: Raw, data_type: DataType, word_order: Endian = Endian.BIG, byte_order: Endian = Endian.BIG
) -> list[int]:
    """The registers that hold ``raw`` (unscaled), from the point's address upwards. Floats may be NaN or infinite
    here (a simulator serves them); integer types take ``int`` only, within their range."""
    if data_type is DataType.BOOL:
        raise ValueError("a bool is one bit, not registers: use encode_point")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ModbusValueError(f"{data_type.article} register value is a number, not {raw!r}")
    if data_type.is_integer:
        if not isinstance(raw, int):
            raise ModbusValueError(f"{data_type.article} register value is a whole number, not {raw!r}")
        low, high = data_type.int_range
        if not low <= raw <= high:
            raise ModbusValueError(f"{raw} does not fit {data_type.value} ({low} to {high})")
    try:
        packed = _FORMAT[data_type].pack(raw)
    except (OverflowError, struct.error):  # a float beyond float32, an int beyond any float
        raise ModbusValueError(f"{raw!r} does not fit {data_type.value}") from None
    return _arrange(_WORDS[data_type.width].unpack(packed), word_order, byte_order)


def check_words(words: Sequence[int]) -> None:
    """Refuse anything that is not a 16-bit word (``ModbusResponseError``)."""
    for word in words:
        if not 0 <= word <= 0xFFFF:
            raise ModbusResponseError(f"a register holds 0–65535, not {word!r}")


def _arrange(words: Sequence[int], word_order: Endian, byte_order: Endian) -> list[int]:
    """Wire order ↔ most-significant-first order. Swapping bytes and reversing words commute and undo themselves,
    so the same steps convert both ways."""
    arranged = [((word & 0xFF) << 8) | (word >> 8) for word in words] if byte_order is Endian.LITTLE else list(words)
    if word_order is Endian.LITTLE:
        arranged.reverse()
    return arranged


def _shortest_float32(raw: float) -> float:
    """The shortest decimal that is the same float32: what the device's own display would show."""
    if not math.isfinite(raw):
        return raw
    packed = _FLOAT32.pack(raw)
    # Six digits tell any two normal float32 apart, so the first that fits is the shortest; subnormals have fewer.
    for digits in (6, 7, 8) if abs(raw) >= _FLOAT32_SMALLEST_NORMAL else range(1, 9):
        candidate = float(f"{raw:.{digits}g}")
        if _FLOAT32.pack(candidate) == packed:
            return candidate
    return raw  # 9 significant digits: the float32 itself, exactly


# --- scaling ----------------------------------------------------------------------------------------------------------


def scale_value(raw: Raw, point: Point) -> int | float:
    """raw × scale + offset; exact ``int`` for integer points with whole-number scale and offset."""
    if isinstance(raw, int) and point.value_kind is ValueKind.INT:
        return raw * int(point.scale) + int(point.offset)
    if not point.scaled:
        return raw
    return raw * point.scale + point.offset


def unscale_value(value: Value, point: Point) -> Raw:
    """(value − offset) / scale: the raw value to write; ``ModbusValueError`` when no register value gives
    ``value``."""
    name = point.name
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModbusValueError(f"{name}: {point.data_type.article} point takes a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ModbusValueError(f"{name}: {value!r} is not a finite number")
    if isinstance(value, int) and point.value_kind is ValueKind.INT:
        quotient, remainder = divmod(value - int(point.offset), int(point.scale))
        if remainder:
            raise ModbusValueError(f"{name}: {value} falls between two register values ({_steps(point)})")
        return quotient
    try:
        raw = (value - point.offset) / point.scale
    except OverflowError:
        raw = math.inf
    if not math.isfinite(raw):
        raise ModbusValueError(f"{name}: {value!r} is out of range for {point.data_type.value}{_scaling(point)}")
    if point.data_type.is_float:
        return raw
    nearest = round(raw)
    if abs(raw - nearest) > 1e-6 + 1e-12 * abs(raw):
        raise ModbusValueError(f"{name}: {value!r} falls between two register values ({_steps(point)})")
    return nearest


def _steps(point: Point) -> str:
    unit = f" {point.unit}" if point.unit else ""
    offset = f" from {point.offset:g}{unit}" if point.offset else ""
    return f"steps of {point.scale:g}{unit}{offset}"


def _scaling(point: Point) -> str:
    return f" (scale {point.scale:g}, offset {point.offset:g})" if point.scaled else ""


# --- points -----------------------------------------------------------------------------------------------------------


def decode_point(point: Point, raw: Sequence[int]) -> Value:
    """A point's value from its words (register tables) or its one bit (bit tables: ``bool`` or 0/1)."""
    if point.data_type is DataType.BOOL:
        if len(raw) != 1 or raw[0] not in (0, 1):
            raise ModbusResponseError(f"{point.name}: a bool is one bit (0 or 1), got {list(raw)!r}")
        return bool(raw[0])
    return scale_value(decode_words(raw, point.data_type, point.word_order, point.byte_order), point)


def encode_point(point: Point, value: Value) -> list[int]:
    """What to put at the point's address for ``value``: its registers, or for a bool point one bit as 0 or 1.

    Pure conversion: whether the point may be written (``point.writable``, a writable table) is the caller's check.
    """
    if point.data_type is DataType.BOOL:
        if not isinstance(value, bool):
            raise ModbusValueError(f"{point.name}: a bool point takes true or false, not {value!r}")
        return [int(value)]
    raw = unscale_value(value, point)
    try:
        return encode_words(raw, point.data_type, point.word_order, point.byte_order)
    except ModbusValueError as exc:
        shown = "" if raw == value else f" is {raw!r} in the register{_scaling(point)},"
        low, high = point.data_type.int_range if point.data_type.is_integer else (None, None)
        limits = f" ({low} to {high})" if low is not None else ""
        message = f"{point.name}: {value!r}{shown} out of range for {point.data_type.value}{limits}"
        raise ModbusValueError(message) from exc


# --- the bytes of a PDU -----------------------------------------------------------------------------------------------


def words_from_bytes(data: bytes) -> list[int]:
    """The registers of a read response's data (V1.1b3 §6.3: two bytes a register, high byte first)."""
    if len(data) % 2:
        raise ModbusResponseError(f"register data has an odd number of bytes ({len(data)})")
    return list(struct.unpack(f">{len(data) // 2}H", data))


def bytes_from_words(words: Sequence[int]) -> bytes:
    check_words(words)
    return struct.pack(f">{len(words)}H", *words)


def bits_from_bytes(data: bytes, count: int) -> list[bool]:
    """``count`` bits of a Read Coils / Discrete Inputs response (V1.1b3 §6.1: the first bit in the least
    significant bit of the first byte; the last byte padded with zeros)."""
    if len(data) != (count + 7) // 8:
        raise ModbusResponseError(f"{count} bits take {(count + 7) // 8} bytes, got {len(data)}")
    return [bool(data[i >> 3] >> (i & 7) & 1) for i in range(count)]


def bytes_from_bits(bits: Sequence[bool]) -> bytes:
    packed = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            packed[i >> 3] |= 1 << (i & 7)
    return bytes(packed)

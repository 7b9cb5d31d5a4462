"""Words and bits ↔ values against hand-written fixtures, scaling, write range checks and round-trip properties."""

from __future__ import annotations

import functools
import json
import math
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhizao.connectors.modbus.codec import (
    Value,
    bits_from_bytes,
    bytes_from_bits,
    bytes_from_words,
    decode_point,
    decode_words,
    encode_point,
    encode_words,
    words_from_bytes,
)
from zhizao.connectors.modbus.errors import ModbusResponseError, ModbusValueError
from zhizao.connectors.modbus.registers import DataType, Endian, Point, Table, ValueKind

FIXTURES = Path(__file__).parent / "fixtures"
VALUES = json.loads((FIXTURES / "values.json").read_text(encoding="utf-8"))
STRUCT_FORMAT = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "int64": ">q", "uint64": ">Q"}
STRUCT_FORMAT |= {"float32": ">f", "float64": ">d"}
BIG, LITTLE = Endian.BIG, Endian.LITTLE
# The order letters of each width → (word_order, byte_order).
ORDERS = {
    "AB": (BIG, BIG),
    "BA": (BIG, LITTLE),
    "ABCD": (BIG, BIG),
    "CDAB": (LITTLE, BIG),
    "BADC": (BIG, LITTLE),
    "DCBA": (LITTLE, LITTLE),
    "ABCDEFGH": (BIG, BIG),
    "GHEFCDAB": (LITTLE, BIG),
    "BADCFEHG": (BIG, LITTLE),
    "HGFEDCBA": (LITTLE, LITTLE),
}
CASES = [
    (case["type"], layout, case["value"], [int(word, 16) for word in words])
    for case in VALUES["cases"]
    for layout, words in case["words"].items()
]


def point(data_type: DataType | str, **fields: Any) -> Point:
    return _point(DataType(data_type), tuple(sorted(fields.items())))


@functools.cache  # the properties below ask for the same few points hundreds of times
def _point(data_type: DataType, fields: tuple[tuple[str, Any], ...]) -> Point:
    table = Table.COIL if data_type is DataType.BOOL else Table.HOLDING
    return Point.model_validate({"name": "p", "table": table, "address": 0, "data_type": data_type, **dict(fields)})


def ordered(data_type: str, layout: str, **fields: Any) -> Point:
    word_order, byte_order = ORDERS[layout]
    return point(data_type, word_order=word_order, byte_order=byte_order, **fields)


@pytest.mark.parametrize("case", VALUES["cases"], ids=lambda case: f"{case['type']}={case['value']}")
def test_fixture_hex_is_what_struct_packs(case: dict[str, Any]) -> None:
    packed = struct.pack(STRUCT_FORMAT[case["type"]], case["value"])
    assert packed.hex().upper() == case["hex"]
    assert "".join(case["words"][next(iter(case["words"]))]) == case["hex"]  # the standard order comes first


@pytest.mark.parametrize(("data_type", "layout", "value", "words"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_fixture_words_decode_to_the_value(data_type: str, layout: str, value: Value, words: list[int]) -> None:
    p = ordered(data_type, layout)
    assert p.layout == layout
    decoded = decode_point(p, words)
    assert decoded == value
    assert type(decoded) is type(value)


@pytest.mark.parametrize(("data_type", "layout", "value", "words"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_fixture_value_encodes_to_the_words(data_type: str, layout: str, value: Value, words: list[int]) -> None:
    assert encode_point(ordered(data_type, layout), value) == words


def test_every_type_and_order_has_a_fixture() -> None:
    layouts = {
        1: {"AB", "BA"},
        2: {"ABCD", "CDAB", "BADC", "DCBA"},
        4: {"ABCDEFGH", "GHEFCDAB", "BADCFEHG", "HGFEDCBA"},
    }
    for data_type in DataType:
        if data_type is not DataType.BOOL:
            covered = {layout for name, layout, _, _ in CASES if name == data_type.value}
            assert covered == layouts[data_type.width], data_type


@pytest.mark.parametrize("case", VALUES["not_finite"], ids=lambda case: f"{case['type']}-{case['hex']}")
@pytest.mark.parametrize("scale", [1.0, 0.1])
def test_nan_and_infinity_decode_as_such(case: dict[str, str], scale: float) -> None:
    words = [int(case["hex"][i : i + 4], 16) for i in range(0, len(case["hex"]), 4)]
    decoded = decode_point(point(case["type"], scale=scale, offset=5.0 if scale != 1 else 0.0), words)
    assert isinstance(decoded, float)
    expected = float(case["value"])
    assert math.isnan(decoded) if math.isnan(expected) else decoded == expected


def test_a_simulator_may_serve_nan_and_infinity() -> None:
    assert encode_words(math.inf, DataType.FLOAT32) == [0x7F80, 0x0000]
    assert math.isnan(decode_words(encode_words(math.nan, DataType.FLOAT64), DataType.FLOAT64))


@pytest.mark.parametrize(
    ("words", "expected"),
    [([0x3F80, 0x0000], 1.0), ([0x3DCC, 0xCCCD], 0.1), ([0x4049, 0x0FDB], 3.1415927), ([0x0000, 0x0001], 1e-45)],
)
def test_float32_decodes_to_its_shortest_decimal(words: list[int], expected: float) -> None:
    assert decode_words(words, DataType.FLOAT32) == expected


@pytest.mark.parametrize(
    ("data_type", "fields", "words", "value"),
    [
        ("int16", {"scale": 0.1}, [1234], 123.4),
        ("int16", {"scale": 0.1}, [0xFFF6], -1.0),
        ("uint16", {"scale": 0.01, "offset": -40.0}, [6500], 25.0),  # a temperature: 0.01 °C steps from −40 °C
        ("uint16", {"scale": 10.0}, [42], 420),  # whole scale and offset keep integers exact …
        ("uint64", {"offset": 1.0}, [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE], 2**64 - 1),  # … even beyond a double's 2⁵³
        ("int32", {"scale": 2.0, "offset": -3.0}, [0xFFFF, 0xFFFF], -5),
        ("float32", {"scale": 1000.0}, [0x3F80, 0x0000], 1000.0),
        ("float64", {"scale": -1.0, "offset": 0.5}, [0x3FF0, 0, 0, 0], -0.5),
    ],
)
def test_scaling_and_offset(data_type: str, fields: dict[str, float], words: list[int], value: Value) -> None:
    p = point(data_type, **fields)
    decoded = decode_point(p, words)
    assert decoded == pytest.approx(value)
    assert type(decoded) is (int if p.value_kind is ValueKind.INT else float)
    assert encode_point(p, value) == words


def test_bits_decode_to_bools_and_back() -> None:
    coil = point("bool")
    assert (decode_point(coil, [True]), decode_point(coil, [0]), decode_point(coil, [1])) == (True, False, True)
    assert (encode_point(coil, True), encode_point(coil, False)) == ([1], [0])


@pytest.mark.parametrize(
    ("data_type", "fields", "value", "message"),
    [
        ("int16", {}, 32768, "p: 32768 out of range for int16 (-32768 to 32767)"),
        ("int16", {}, -32769, "out of range for int16"),
        ("uint16", {}, -1, "p: -1 out of range for uint16 (0 to 65535)"),
        ("uint32", {}, 2**32, "out of range for uint32 (0 to 4294967295)"),
        ("int64", {}, 2**63, "out of range for int64"),
        ("uint64", {}, 2**64, "out of range for uint64"),
        ("int16", {"scale": 0.1}, 3276.8, "p: 3276.8 is 32768 in the register (scale 0.1, offset 0), out of range"),
        ("uint16", {"scale": 0.01, "offset": -40.0}, -40.01, "is -1 in the register (scale 0.01, offset -40)"),
        ("float32", {}, 1e39, "p: 1e+39 out of range for float32"),
        ("float32", {"scale": 1e-300}, 1e10, "out of range for float32"),
        ("float64", {"scale": 1e-300}, 1e300, "p: 1e+300 is out of range for float64 (scale 1e-300, offset 0)"),
        ("int16", {}, 12.5, "p: 12.5 falls between two register values (steps of 1)"),
        ("int16", {"scale": 0.1, "unit": "bar"}, 12.34, "falls between two register values (steps of 0.1 bar)"),
        ("int32", {"scale": 5.0, "offset": 1.0}, 12, "p: 12 falls between two register values (steps of 5 from 1)"),
        ("float32", {}, math.nan, "p: nan is not a finite number"),
        ("float64", {}, -math.inf, "p: -inf is not a finite number"),
        ("int16", {}, True, "p: an int16 point takes a number, not True"),
        ("float32", {}, "1.5", "takes a number, not '1.5'"),
        ("bool", {}, 1, "p: a bool point takes true or false, not 1"),
    ],
)
def test_writes_that_do_not_fit_are_refused_saying_why(
    data_type: str, fields: dict[str, Any], value: Any, message: str
) -> None:
    with pytest.raises(ModbusValueError) as caught:
        encode_point(point(data_type, **fields), value)
    assert message in caught.value.message
    assert caught.value.fields[0].field == "value"


def test_writes_on_the_resolution_pass_despite_float_rounding() -> None:
    p = point("int32", scale=0.1, offset=1000.0)
    assert encode_point(p, 1000.3) == [0, 3]  # (1000.3 − 1000) / 0.1 = 2.999999999999545
    assert encode_point(p, 1000) == [0, 0]
    assert encode_point(point("int16"), 7.0) == [7]


@pytest.mark.parametrize(
    ("data_type", "words"),
    [("int16", []), ("int32", [1]), ("float64", [1, 2, 3]), ("uint16", [65536]), ("int16", [-1]), ("bool", [2])],
)
def test_responses_that_do_not_fit_are_refused(data_type: str, words: list[int]) -> None:
    with pytest.raises(ModbusResponseError):
        decode_point(point(data_type), words)


def test_raw_codec_refuses_bits_and_non_integers() -> None:
    with pytest.raises(ValueError, match="use decode_point"):
        decode_words([1], DataType.BOOL)
    with pytest.raises(ValueError, match="use encode_point"):
        encode_words(1, DataType.BOOL)
    with pytest.raises(ModbusValueError, match="whole number"):
        encode_words(1.0, DataType.INT16)
    with pytest.raises(ModbusValueError, match="does not fit float32"):
        encode_words(10**400, DataType.FLOAT32)


def test_pdu_bytes_to_words_and_back() -> None:
    assert words_from_bytes(bytes.fromhex("022B00000064")) == [555, 0, 100]
    assert bytes_from_words([555, 0, 100]).hex().upper() == "022B00000064"
    assert bytes_from_bits([True, False, True, True, False, False, True, True, True]) == bytes([0xCD, 0x01])
    assert bits_from_bytes(bytes([0xCD, 0x01]), 9) == [True, False, True, True, False, False, True, True, True]
    with pytest.raises(ModbusResponseError, match="odd number"):
        words_from_bytes(b"\x00\x01\x02")
    with pytest.raises(ModbusResponseError, match="9 bits take 2 bytes"):
        bits_from_bytes(b"\xcd", 9)
    with pytest.raises(ModbusResponseError, match="0–65535"):
        bytes_from_words([70000])


# --- properties -------------------------------------------------------------------------------------------------------

ALL_ORDERS = st.tuples(st.sampled_from(Endian), st.sampled_from(Endian))


def _values(data_type: DataType) -> st.SearchStrategy[Any]:
    if data_type.is_integer:
        low, high = data_type.int_range
        return st.integers(low, high)
    if data_type is DataType.FLOAT32:
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    return st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def _typed_values(draw: st.DrawFn) -> tuple[DataType, Endian, Endian, Any]:
    data_type = draw(st.sampled_from([t for t in DataType if t is not DataType.BOOL]))
    word_order, byte_order = draw(ALL_ORDERS)
    return data_type, word_order, byte_order, draw(_values(data_type))


@settings(max_examples=200, deadline=None)
@given(_typed_values())
def test_encode_then_decode_gives_the_value_back(case: tuple[DataType, Endian, Endian, Any]) -> None:
    data_type, word_order, byte_order, value = case
    p = point(data_type, word_order=word_order, byte_order=byte_order)
    words = encode_point(p, value)
    assert len(words) == data_type.width and all(0 <= word <= 0xFFFF for word in words)
    decoded = decode_point(p, words)
    if data_type is DataType.FLOAT32:  # decoded as the shortest decimal of the same float32
        assert struct.pack(">f", decoded) == struct.pack(">f", value)
    else:
        assert decoded == value and type(decoded) is type(value)
    assert encode_point(p, decoded) == words


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([t for t in DataType if t is not DataType.BOOL]),
    ALL_ORDERS,
    st.lists(st.integers(0, 0xFFFF), min_size=4, max_size=4),
)
def test_decode_then_encode_gives_the_words_back(
    data_type: DataType, orders: tuple[Endian, Endian], words: list[int]
) -> None:
    words = words[: data_type.width]
    raw = decode_words(words, data_type, *orders)
    if isinstance(raw, float) and math.isnan(raw):
        return  # a NaN's payload bits are not kept
    assert encode_words(raw, data_type, *orders) == words


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([DataType.INT16, DataType.UINT16, DataType.INT32, DataType.UINT32]),
    st.sampled_from([0.001, 0.01, 0.1, 0.5, 2.5, 10.0, -0.1]),
    st.sampled_from([0.0, -40.0, 273.15, 1000.0]),
    st.data(),
)
def test_scaled_round_trip_within_the_resolution(
    data_type: DataType, scale: float, offset: float, data: st.DataObject
) -> None:
    p = point(data_type, scale=scale, offset=offset)
    low, high = data_type.int_range
    raw = data.draw(st.integers(low, high))
    value = decode_point(p, encode_words(raw, data_type))
    assert encode_point(p, value) == encode_words(raw, data_type)

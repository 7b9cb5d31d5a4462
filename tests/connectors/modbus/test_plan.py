"""Read planning: merging, gaps, the protocol's limits, the specification's own examples, and responses split back."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhizao.connectors.modbus.codec import bits_from_bytes, encode_point, words_from_bytes
from zhizao.connectors.modbus.errors import ModbusResponseError
from zhizao.connectors.modbus.plan import ReadRequest, decode_response, plan_map, plan_reads, split_response
from zhizao.connectors.modbus.registers import DataType, Point, RegisterMap, Table

SPEC = json.loads((Path(__file__).parent / "fixtures" / "spec_examples.json").read_text(encoding="utf-8"))


def p(address: int, data_type: str = "int16", table: str = "holding", name: str | None = None, **fields: Any) -> Point:
    return Point.model_validate(
        {"name": name or f"{table}{address}", "table": table, "address": address, "data_type": data_type, **fields}
    )


def shape(reads: tuple[ReadRequest, ...]) -> list[tuple[str, int, int, list[int]]]:
    """Each read as (table, address, count, the offsets of its points)."""
    return [(r.table.value, r.address, r.count, [s.offset for s in r.slots]) for r in reads]


@pytest.mark.parametrize(
    ("points", "max_gap", "expected"),
    [
        ([p(0), p(1, "float32"), p(3, "uint16")], 0, [("holding", 0, 4, [0, 1, 3])]),
        ([p(10, "float64"), p(14, "int32")], 0, [("holding", 10, 6, [0, 4])]),
        ([p(0), p(2)], 0, [("holding", 0, 1, [0]), ("holding", 2, 1, [0])]),
        ([p(0), p(2)], 1, [("holding", 0, 3, [0, 2])]),
        ([p(0), p(5, "float32"), p(20)], 4, [("holding", 0, 7, [0, 5]), ("holding", 20, 1, [0])]),
        ([p(0), p(5, "float32"), p(20)], 13, [("holding", 0, 21, [0, 5, 20])]),
        ([p(7), p(3), p(5)], 1, [("holding", 3, 5, [0, 2, 4])]),  # any order in, address order out
        ([p(0, table="input"), p(0), p(1, "bool", "coil"), p(0, "bool", "discrete_input")], 0,
         [("holding", 0, 1, [0]), ("input", 0, 1, [0]), ("coil", 1, 1, [0]), ("discrete_input", 0, 1, [0])]),
        ([p(a, "bool", "coil") for a in (0, 1, 2, 4, 8)], 0,
         [("coil", 0, 3, [0, 1, 2]), ("coil", 4, 1, [0]), ("coil", 8, 1, [0])]),
        ([p(a, "bool", "coil") for a in (0, 1, 2, 4, 8)], 3, [("coil", 0, 9, [0, 1, 2, 4, 8])]),
        ([], 0, []),
    ],
)  # fmt: skip
def test_merging_and_gaps(points: list[Point], max_gap: int, expected: list[Any]) -> None:
    assert shape(plan_reads(points, max_gap=max_gap)) == expected


def test_registers_up_to_125_a_read() -> None:
    assert shape(plan_reads([p(a) for a in range(125)]))[0][:3] == ("holding", 0, 125)
    assert [r[:3] for r in shape(plan_reads([p(a) for a in range(126)]))] == [("holding", 0, 125), ("holding", 125, 1)]
    # A float32 that would end at the 126th register starts the next read instead of being cut in two.
    points = [*(p(a) for a in range(124)), p(124, "float32")]
    assert [r[:3] for r in shape(plan_reads(points))] == [("holding", 0, 124), ("holding", 124, 2)]
    # 65535 is the last address: a full read may end there.
    assert [r[:3] for r in shape(plan_reads([p(a, table="input") for a in range(65411, 65536)]))] == [
        ("input", 65411, 125)
    ]


def test_bits_up_to_2000_a_read() -> None:
    coils = [p(a, "bool", "coil") for a in range(2001)]
    assert [r[:3] for r in shape(plan_reads(coils[:2000]))] == [("coil", 0, 2000)]
    assert [r[:3] for r in shape(plan_reads(coils))] == [("coil", 0, 2000), ("coil", 2000, 1)]


def test_a_gap_is_not_bridged_past_the_limit() -> None:
    assert [r[:3] for r in shape(plan_reads([p(0), p(124)], max_gap=123))] == [("holding", 0, 125)]
    assert [r[:3] for r in shape(plan_reads([p(0), p(125)], max_gap=124))] == [("holding", 0, 1), ("holding", 125, 1)]


def test_lower_limits_for_devices_that_answer_less() -> None:
    points = [p(a) for a in range(10)]
    assert [r[:3] for r in shape(plan_reads(points, max_registers=4))] == [
        ("holding", 0, 4),
        ("holding", 4, 4),
        ("holding", 8, 2),
    ]
    assert len(plan_reads([p(a, "bool", "coil") for a in range(10)], max_bits=3)) == 4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_registers": 126}, "max_registers must be 4 to 125"),
        ({"max_registers": 3}, "a 64-bit point takes 4"),
        ({"max_bits": 0}, "max_bits must be 1 to 2000"),
        ({"max_gap": -1}, "max_gap must be 0 or more"),
    ],
)
def test_limits_beyond_the_protocol_are_refused(arguments: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_reads([p(0)], **arguments)


@pytest.mark.parametrize("example", SPEC["examples"], ids=lambda example: example["section"])
def test_the_specifications_examples(example: dict[str, Any]) -> None:
    """Points at the addresses of each example are read with the example's very request and decode its response."""
    table = Table(example["table"])
    data_type = "bool" if table.is_bits else "uint16"
    points = [p(example["first"] + i, data_type, table.value) for i in range(example["quantity"])]
    random.Random(4).shuffle(points)
    (read,) = plan_reads(points)
    assert (read.function_code, read.address, read.count) == (
        example["function"],
        example["first"],
        example["quantity"],
    )
    data = bytes.fromhex(example["data"])
    if table.is_bits:
        raw: list[Any] = bits_from_bytes(data, read.count)
        expected: list[Any] = [bit == "1" for bit in example["bits"].replace(" ", "")]
    else:
        raw = words_from_bytes(data)
        expected = example["registers"]
    assert [value for _, value in decode_response(read, raw)] == expected


def test_a_response_splits_back_into_each_points_words() -> None:
    points = [
        p(0, "int16", name="temp", scale=0.1),
        p(1, "float32", name="speed", word_order="little"),
        p(5, "uint32", name="count"),
        p(9, "float64", name="energy"),
    ]
    (read,) = plan_reads(points, max_gap=2)
    assert (read.address, read.count, read.last_address) == (0, 13, 12)
    words = [0] * 13
    values = {"temp": 21.5, "speed": 1450.5, "count": 123_456_789, "energy": 98765.4321}
    for point in points:
        words[point.address : point.address + point.width] = encode_point(point, values[point.name])
    assert [(point.name, list(raw)) for point, raw in split_response(read, words)] == [
        ("temp", [215]),
        ("speed", [0x5000, 0x44B5]),  # 1450.5 = 0x44B55000, word order little
        ("count", [0x075B, 0xCD15]),
        ("energy", [0x40F8, 0x1CD6, 0xE9E1, 0xB08A]),
    ]
    assert {point.name: value for point, value in decode_response(read, words)} == values


def test_bits_split_back_ignoring_the_padding() -> None:
    (read,) = plan_reads(
        [p(3, "bool", "coil", name="a"), p(4, "bool", "coil", name="b"), p(6, "bool", "coil", name="c")], max_gap=1
    )
    assert (read.address, read.count) == (3, 4)
    padded = [True, False, True, False, True, True, True, True]  # pymodbus hands bits over a byte at a time
    assert [(point.name, value) for point, value in decode_response(read, padded)] == [
        ("a", True),
        ("b", False),
        ("c", False),
    ]


@pytest.mark.parametrize(
    ("table", "received"),
    [("holding", 3), ("holding", 5), ("input", 0), ("coil", 3), ("coil", 9), ("discrete_input", 0)],
)
def test_responses_of_the_wrong_length_are_refused(table: str, received: int) -> None:
    data_type = "bool" if Table(table).is_bits else "int16"
    (read,) = plan_reads([p(a, data_type, table) for a in range(4)])
    with pytest.raises(ModbusResponseError, match=f"asked for 4 .* at {table} 0, got {received}"):
        split_response(read, [0] * received)


def test_a_bad_word_is_refused_when_decoded() -> None:
    (read,) = plan_reads([p(0), p(1)])
    with pytest.raises(ModbusResponseError, match="0–65535"):
        decode_response(read, [1, 65536])


def test_plan_map_reads_each_group_with_the_maps_limits() -> None:
    register_map = RegisterMap.model_validate(
        {
            "groups": [
                {"name": "fast", "interval_ms": 100},
                {"name": "slow", "interval_ms": 10_000},
                {"name": "idle", "interval_ms": 1000},
            ],
            "max_gap": 2,
            "max_registers_per_read": 8,
            "points": [
                {"name": "a", "table": "holding", "address": 0, "data_type": "float32", "group": "fast"},
                {"name": "b", "table": "holding", "address": 4, "data_type": "float32", "group": "fast"},
                {"name": "c", "table": "holding", "address": 2, "data_type": "int16", "group": "slow"},
                {"name": "d", "table": "holding", "address": 8, "data_type": "float32", "group": "fast"},
                {"name": "e", "table": "coil", "address": 0, "data_type": "bool", "group": "slow"},
            ],
        }
    )  # fmt: skip
    plans = plan_map(register_map)
    assert [(plan.group.name, shape(plan.reads), plan.registers) for plan in plans] == [
        ("fast", [("holding", 0, 6, [0, 4]), ("holding", 8, 2, [0])], 8),
        ("slow", [("holding", 2, 1, [0]), ("coil", 0, 1, [0])], 2),
        ("idle", [], 0),
    ]


# --- properties -------------------------------------------------------------------------------------------------------


@st.composite
def _points(draw: st.DrawFn) -> list[Point]:
    """Points of one map: random tables, types and addresses, no two sharing an address."""
    points: list[Point] = []
    taken: dict[Table, set[int]] = {table: set() for table in Table}
    for index, (table, address, pick) in enumerate(
        draw(st.lists(st.tuples(st.sampled_from(Table), st.integers(0, 400), st.integers(0, 7)), max_size=120))
    ):
        data_type = DataType.BOOL if table.is_bits else [t for t in DataType if t is not DataType.BOOL][pick]
        span = set(range(address, address + data_type.width))
        if not span & taken[table]:
            taken[table] |= span
            points.append(p(address, data_type.value, table.value, name=f"p{index}"))
    return points


@settings(max_examples=60, deadline=None)
@given(_points(), st.integers(0, 12), st.integers(4, 125), st.integers(1, 2000))
def test_plans_cover_every_point_once_within_the_limits_in_the_fewest_reads(
    points: list[Point], max_gap: int, max_registers: int, max_bits: int
) -> None:
    reads = plan_reads(points, max_gap=max_gap, max_registers=max_registers, max_bits=max_bits)
    assert sorted(slot.point.name for read in reads for slot in read.slots) == sorted(point.name for point in points)
    for read in reads:
        assert 1 <= read.count <= (max_bits if read.table.is_bits else max_registers)
        for slot in read.slots:
            assert slot.point.table is read.table and slot.point.address == read.address + slot.offset
            assert slot.offset + slot.point.width <= read.count
        assert read.slots[0].offset == 0 and read.count == max(s.offset + s.point.width for s in read.slots)
    for before, after in itertools.pairwise(reads):  # next read could not have been joined to this one
        if before.table is after.table:
            limit = max_bits if before.table.is_bits else max_registers
            first = after.slots[0].point
            assert first.address - before.last_address - 1 > max_gap or first.last_address - before.address >= limit
    shuffled = list(points)
    random.Random(len(points)).shuffle(shuffled)
    assert plan_reads(shuffled, max_gap=max_gap, max_registers=max_registers, max_bits=max_bits) == reads

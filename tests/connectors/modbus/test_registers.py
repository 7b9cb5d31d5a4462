"""Register maps: what a good map means, and every bad map refused at the field at fault."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from zhizao.connectors.modbus.registers import (
    DataType,
    Endian,
    Point,
    RegisterMap,
    Table,
    ValueKind,
    parse_register_map,
)
from zhizao.errors import InputError

GOOD: dict[str, Any] = {
    "groups": [{"name": "fast", "interval_ms": 200}, {"name": "slow", "interval_ms": 5000}],
    "points": [
        {"name": "spindle_speed", "table": "holding", "address": 100, "data_type": "float32", "word_order": "little",
         "unit": "rpm", "group": "fast"},
        {"name": "setpoint", "table": "holding", "address": 102, "data_type": "int16", "scale": 0.1, "writable": True,
         "group": "fast"},
        {"name": "part_count", "table": "input", "address": 0, "data_type": "uint32", "group": "slow"},
        {"name": "energy", "table": "input", "address": 2, "data_type": "uint64", "scale": 0.001, "unit": "kWh",
         "group": "slow"},
        {"name": "door_open", "table": "discrete_input", "address": 7, "data_type": "bool", "group": "slow"},
        {"name": "lamp", "table": "coil", "address": 0, "data_type": "bool", "writable": True, "group": "fast"},
        {"name": "温度 / zone 1", "table": "holding", "address": 65534, "data_type": "int32", "group": "slow"},
    ],
}  # fmt: skip


def bad(change: dict[str, Any] | None = None, **point: Any) -> dict[str, Any]:
    """GOOD with ``point`` added (or ``change`` applied to the whole map)."""
    data = copy.deepcopy(GOOD)
    if point:
        data["points"].append(
            {"name": "new", "table": "holding", "address": 500, "data_type": "int16", "group": "slow"} | point
        )
    data.update(change or {})
    return data


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        RegisterMap.model_validate(data)
    return [(".".join(str(p) for p in error["loc"]), error["msg"]) for error in caught.value.errors()]


def test_a_good_map() -> None:
    register_map = RegisterMap.model_validate(GOOD)
    speed = register_map.points[0]
    assert (speed.table, speed.data_type, speed.width, speed.last_address) == (Table.HOLDING, DataType.FLOAT32, 2, 101)
    assert (speed.word_order, speed.byte_order, speed.layout, speed.value_kind) == (
        Endian.LITTLE,
        Endian.BIG,
        "CDAB",
        ValueKind.FLOAT,
    )
    assert register_map.point("part_count") is not None
    assert register_map.point("part_count").value_kind is ValueKind.INT  # type: ignore[union-attr]
    assert register_map.point("door_open").value_kind is ValueKind.BOOL  # type: ignore[union-attr]
    assert [p.name for p in register_map.points_of("fast")] == ["spindle_speed", "setpoint", "lamp"]
    assert register_map.group("slow").interval_ms == 5000
    assert (register_map.max_gap, register_map.max_registers_per_read, register_map.max_bits_per_read) == (0, 125, 2000)
    assert RegisterMap.model_validate_json(register_map.model_dump_json()) == register_map


def test_defaults_one_group_read_every_second() -> None:
    register_map = RegisterMap.model_validate(
        {"points": [{"name": "t", "table": "input", "address": 3, "data_type": "int16"}]}
    )
    assert [(g.name, g.interval_ms) for g in register_map.groups] == [("default", 1000)]
    only = register_map.points[0]
    assert (only.group, only.scale, only.offset, only.unit, only.writable, only.layout) == (
        "default",
        1,
        0,
        None,
        False,
        "AB",
    )


@pytest.mark.parametrize(
    ("data_type", "word_order", "byte_order", "layout"),
    [
        ("uint16", "little", "little", "BA"),
        ("int32", "big", "little", "BADC"),
        ("float32", "little", "little", "DCBA"),
        ("float64", "little", "big", "GHEFCDAB"),
        ("uint64", "big", "little", "BADCFEHG"),
    ],
)
def test_layout_names_the_order(data_type: str, word_order: str, byte_order: str, layout: str) -> None:
    point = Point.model_validate(
        {"name": "x", "table": "holding", "address": 0, "data_type": data_type, "word_order": word_order,
         "byte_order": byte_order}
    )  # fmt: skip
    assert point.layout == layout


def test_tables() -> None:
    assert [t.read_function for t in Table] == [3, 4, 1, 2]
    assert [t.max_read for t in Table] == [125, 125, 2000, 2000]
    assert [t for t in Table if t.writable] == [Table.HOLDING, Table.COIL]
    assert DataType.INT16.int_range == (-32768, 32767) and DataType.UINT64.int_range == (0, 2**64 - 1)


READ_ONLY = "are read-only: only holding registers and coils are written"
NOT_SCALED = "a bool point is not scaled: leave"
THREE_GROUPS = [
    {"name": "fast", "interval_ms": 200},
    {"name": "slow", "interval_ms": 5000},
    {"name": "fast", "interval_ms": 100},
]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (bad(name="overlap", address=101, data_type="uint16"),
         [("points.7.address", "overlaps points[0] 'spindle_speed' (holding 100–101)")]),
        (bad(name="wide", address=98, data_type="float64"),  # 98–101 covers spindle_speed
         [("points.7.address", "overlaps points[0] 'spindle_speed' (holding 100–101)")]),
        (bad(name="coil 0", table="coil", address=0, data_type="bool"),
         [("points.7.address", "overlaps points[5] 'lamp' (coil 0)")]),
        (bad(name="past the end", address=65535, data_type="float32"),
         [("points.7.address", "a float32 takes 2 registers: 65535–65536 runs past the last address, 65535")]),
        (bad(name="flag", data_type="bool"),
         [("points.7.data_type", "holding registers hold numbers: bool is for coils and discrete inputs")]),
        (bad(name="flag", table="coil", data_type="int16"),
         [("points.7.data_type", "coils hold single bits: the type is bool")]),
        (bad(name="flag", table="discrete_input", data_type="float32"),
         [("points.7.data_type", "discrete inputs hold single bits: the type is bool")]),
        (bad(name="setpoint"), [("points.7.name", "duplicate of points[1]")]),
        (bad(group="medium"), [("points.7.group", "no polling group 'medium' (the groups are 'fast', 'slow')")]),
        (bad(table="input", writable=True), [("points.7.writable", f"input registers {READ_ONLY}")]),
        (bad(table="discrete_input", data_type="bool", writable=True),
         [("points.7.writable", f"discrete inputs {READ_ONLY}")]),
        (bad(scale=0.0), [("points.7.scale", "scale must not be 0")]),
        (bad(table="coil", data_type="bool", scale=2.0, offset=1.0),
         [("points.7.scale", f"{NOT_SCALED} scale at 1"), ("points.7.offset", f"{NOT_SCALED} offset at 0")]),
        (bad({"groups": THREE_GROUPS}), [("groups.2.name", "duplicate of groups[0]")]),
    ],
)  # fmt: skip
def test_bad_maps_name_the_field(data: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert problems(data) == expected


@pytest.mark.parametrize(
    ("point", "field"),
    [
        ({"address": -1}, "address"),
        ({"address": 65536}, "address"),
        ({"address": "10"}, "address"),  # strict: text is not a number
        ({"address": 10.0}, "address"),
        ({"scale": "0.1"}, "scale"),
        ({"scale": float("inf")}, "scale"),
        ({"offset": float("nan")}, "offset"),
        ({"writable": 1}, "writable"),
        ({"table": "holding_register"}, "table"),
        ({"data_type": "float16"}, "data_type"),
        ({"word_order": "middle"}, "word_order"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "tab\there"}, "name"),
        ({"group": "a b"}, "group"),
        ({"unit": ""}, "unit"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_fields_are_refused_where_they_are(point: dict[str, Any], field: str) -> None:
    assert [loc for loc, _ in problems(bad(**point))] == [f"points.7.{field}"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"groups": [{"name": "fast", "interval_ms": 99}]}, "groups.0.interval_ms"),
        ({"groups": [{"name": "fast", "interval_ms": 3_600_001}]}, "groups.0.interval_ms"),
        ({"groups": []}, "groups"),
        ({"points": []}, "points"),
        ({"max_gap": -1}, "max_gap"),
        ({"max_registers_per_read": 126}, "max_registers_per_read"),
        ({"max_registers_per_read": 3}, "max_registers_per_read"),
        ({"max_bits_per_read": 2001}, "max_bits_per_read"),
    ],
)
def test_bad_map_settings(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_register_map(bad(change))
    assert [problem.field for problem in caught.value.fields] == [field]


def test_every_problem_of_the_map_at_once() -> None:
    data = bad(name="setpoint", address=100, data_type="uint16", group="nope")
    data["points"].append({"name": "second", "table": "holding", "address": 102, "data_type": "int16", "group": "fast"})
    assert problems(data) == [
        ("points.7.name", "duplicate of points[1]"),
        ("points.7.group", "no polling group 'nope' (the groups are 'fast', 'slow')"),
        ("points.7.address", "overlaps points[0] 'spindle_speed' (holding 100–101)"),
        ("points.8.address", "overlaps points[1] 'setpoint' (holding 102)"),
    ]


def test_overlap_is_reported_at_the_point_listed_later() -> None:
    data = copy.deepcopy(GOOD)
    data["points"].insert(
        0, {"name": "early", "table": "holding", "address": 101, "data_type": "int16", "group": "fast"}
    )
    assert problems(data) == [("points.1.address", "overlaps points[0] 'early' (holding 101)")]


def test_names_with_braces_are_shown_as_written() -> None:
    data = bad(name="new", address=101)
    data["points"][0]["name"] = "{spindle} {speed}"
    assert problems(data) == [("points.7.address", "overlaps points[0] '{spindle} {speed}' (holding 100–101)")]


def test_errors_keep_their_place_inside_a_larger_model() -> None:
    """A connector's configuration embeds the map; API errors then point into it (body.…map.points.7.address)."""

    class Connector(BaseModel):
        register_map: RegisterMap

    with pytest.raises(ValidationError) as caught:
        Connector.model_validate({"register_map": bad(name="x", address=101)})
    assert [error["loc"] for error in caught.value.errors()] == [("register_map", "points", 7, "address")]


def test_parse_register_map_gives_field_problems() -> None:
    assert parse_register_map(GOOD) == RegisterMap.model_validate(GOOD)
    with pytest.raises(InputError) as caught:
        parse_register_map({"points": [{"name": "a", "table": "holding", "address": "1", "data_type": "int16"}]})
    assert [(f.field, f.message) for f in caught.value.fields] == [
        ("points.0.address", "Input should be a valid integer")
    ]
    assert caught.value.message == "invalid register map — points.0.address: Input should be a valid integer"
    with pytest.raises(InputError) as caught:
        parse_register_map([1, 2])
    assert caught.value.fields[0].field == "map"

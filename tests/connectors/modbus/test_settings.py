"""Connector settings: what a good configuration binds, and every bad one refused at the field at fault."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from zhizao.connectors.base import PointBinding
from zhizao.connectors.modbus.driver import DRIVER
from zhizao.connectors.modbus.settings import ModbusSettings, parse_modbus_settings
from zhizao.errors import InputError
from zhizao.telemetry.kinds import Protocol

GOOD: dict[str, Any] = {
    "host": "10.0.4.17",
    "device_code": "L1-CNC-01",
    "register_map": {
        "points": [
            {"name": "spindle_speed", "table": "holding", "address": 100, "data_type": "float32"},
            {"name": "feed_override", "table": "holding", "address": 102, "data_type": "int16", "writable": True},
            {"name": "part_count", "table": "input", "address": 0, "data_type": "uint32"},
            {"name": "lamp", "table": "coil", "address": 0, "data_type": "bool", "writable": True},
            {"name": "door_open", "table": "discrete_input", "address": 7, "data_type": "bool"},
            {"name": "robot_speed", "table": "holding", "address": 200, "data_type": "float32"},
        ]
    },
    "targets": {"robot_speed": {"device_code": "L1-ROB-01", "signal": "speed"}, "lamp": {"signal": "stack_light"}},
}


def with_changes(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data.update(changes)
    return data


def problems(data: object) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        parse_modbus_settings(data)
    return {problem.field: problem.message for problem in caught.value.fields}


def test_defaults_and_driver_identity() -> None:
    settings = parse_modbus_settings(GOOD)
    assert (settings.port, settings.unit_id, settings.timeout_s, settings.retries) == (502, 1, 3.0, 1)
    assert settings.endpoint_label() == "10.0.4.17:502"
    assert ModbusSettings.model_validate(with_changes(host="fd00::17")).endpoint_label() == "[fd00::17]:502"
    assert DRIVER.protocol is Protocol.MODBUS
    assert DRIVER.settings_model is ModbusSettings


def test_bindings_use_the_connector_device_unless_a_target_says_otherwise() -> None:
    assert list(parse_modbus_settings(GOOD).bindings()) == [
        PointBinding("spindle_speed", "L1-CNC-01", "spindle_speed", writable=False),
        PointBinding("feed_override", "L1-CNC-01", "feed_override", writable=True),
        PointBinding("part_count", "L1-CNC-01", "part_count", writable=False),
        PointBinding("lamp", "L1-CNC-01", "stack_light", writable=True),
        PointBinding("door_open", "L1-CNC-01", "door_open", writable=False),
        PointBinding("robot_speed", "L1-ROB-01", "speed", writable=False),
    ]


def test_register_map_problems_are_reported_under_register_map() -> None:
    data = copy.deepcopy(GOOD)
    points = data["register_map"]["points"]
    points[1]["address"] = 101  # overlaps spindle_speed (100–101)
    found = problems(data)
    assert found == {"register_map.points.1.address": "overlaps points[0] 'spindle_speed' (holding 100–101)"}

    data = copy.deepcopy(GOOD)
    data["register_map"]["points"][0]["data_type"] = "float16"
    data["register_map"]["points"][2]["address"] = 65535  # a uint32 there runs past the last address
    found = problems(data)
    assert set(found) == {"register_map.points.0.data_type", "register_map.points.2.address"}
    assert "65535–65536 runs past the last address" in found["register_map.points.2.address"]

    assert set(problems(with_changes(register_map={"points": []}))) == {"register_map.points"}
    assert set(problems(with_changes(register_map=[1, 2]))) == {"register_map"}


def test_connection_fields_are_strict_and_bounded() -> None:
    found = problems(with_changes(port=0, unit_id=256, timeout_s="3", host="modbus://plc", retries=True))
    assert set(found) == {"port", "unit_id", "timeout_s", "host", "retries"}
    found = problems(with_changes(reconnect_min_s=10.0, reconnect_max_s=5.0))
    assert found == {"reconnect_max_s": "must not be below reconnect_min_s (10)"}
    assert set(problems(with_changes(extra_field=1))) == {"extra_field"}


def test_every_point_needs_a_device_and_a_signal_of_its_own() -> None:
    found = problems(with_changes(device_code=None))
    assert list(found) == ["device_code"]
    assert "'spindle_speed', 'feed_override', 'part_count', 'lamp', 'door_open' have no device" in found["device_code"]

    found = problems(with_changes(targets={"nope": {"signal": "x"}, "lamp": {"device_code": "bad code!"}}))
    assert set(found) == {"targets.lamp.device_code"}  # each target's own fields first
    found = problems(with_changes(targets={"nope": {"signal": "x"}}))
    assert found == {"targets.nope": "no point of this name in register_map"}

    found = problems(with_changes(targets={"door_open": {"signal": "spindle_speed"}}))
    assert found == {"register_map.points.4": "stored as L1-CNC-01/spindle_speed, as point 'spindle_speed' already is"}

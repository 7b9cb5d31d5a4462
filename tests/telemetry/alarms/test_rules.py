"""Alarm rule validation: strict types, field-level problems, and checks across a set of rules."""

from __future__ import annotations

from typing import Any

import pytest

from zhizao.errors import InputError
from zhizao.telemetry.alarms.engine import AlarmEngine
from zhizao.telemetry.alarms.rules import (
    LimitKind,
    Priority,
    Severity,
    StateEqualsRule,
    ThresholdRule,
    parse_rule,
    parse_rule_set,
)

BASE: dict[str, Any] = {"id": "press-7.temp.h", "signal_id": 12, "severity": "high"}
THRESHOLD: dict[str, Any] = BASE | {"kind": "threshold", "limit": "high", "setpoint": 80.0}


def problems(data: object) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        parse_rule(data)
    return {problem.field: problem.message for problem in caught.value.fields}


def test_a_valid_rule_of_each_kind() -> None:
    rules = parse_rule_set(
        [
            THRESHOLD | {"deadband": 2.0, "range_min": 0.0, "range_max": 200.0, "on_delay_s": 5, "off_delay_s": 10},
            BASE | {"id": "roc", "kind": "rate_of_change", "limit": 3.0, "per": "per_minute", "window_s": 60},
            BASE | {"id": "oos", "kind": "state_equals", "values": [1, "ERROR"], "equipment_id": 4},
            BASE | {"id": "stale", "kind": "stale", "stale_after_s": 30},
        ]
    )
    threshold, _, state, _ = rules
    assert isinstance(threshold, ThresholdRule)
    assert (threshold.limit, threshold.on_delay_s, threshold.severity.priority) == (LimitKind.HIGH, 5.0, Priority.HIGH)
    assert isinstance(state, StateEqualsRule)
    assert state.values == (1, "ERROR")
    assert parse_rule(threshold.model_dump(mode="json")) == threshold  # round trip through JSON-able data


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"setpoint": "80"}, "setpoint", "valid number"),  # strict: no text for numbers
        ({"signal_id": 0}, "signal_id", "greater than 0"),
        ({"id": "has space"}, "id", "pattern"),
        ({"severity": "urgent"}, "severity", "'critical', 'high', 'medium' or 'low'"),
        ({"limit": "higher"}, "limit", "'high_high'"),
        ({"deadband": -1.0}, "deadband", "greater than or equal to 0"),
        ({"setpoint": float("nan")}, "setpoint", "finite"),
        ({"on_delay_s": -1}, "on_delay_s", "greater than or equal to 0"),
        ({"off_delay_s": 3601}, "off_delay_s", "less than or equal to 3600"),
        ({"range_min": 0.0}, "range_max", "both ends"),
        ({"range_min": 10.0, "range_max": 10.0}, "range_max", "above range_min"),
        ({"range_min": 0.0, "range_max": 50.0}, "setpoint", "within the range 0 … 50"),
        ({"range_min": 0.0, "range_max": 100.0, "deadband": 100.0}, "deadband", "smaller than the span"),
        ({"colour": "red"}, "colour", "Extra inputs"),
        ({"kind": "sometimes"}, "kind", "does not match"),
    ],
)
def test_threshold_problems_name_the_field(change: dict[str, Any], field: str, message: str) -> None:
    found = problems(THRESHOLD | change)
    assert field in found, found
    assert message in found[field]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (BASE | {"kind": "rate_of_change", "limit": 0.0, "window_s": 10}, "limit", "greater than 0"),
        (BASE | {"kind": "rate_of_change", "limit": 1.0, "window_s": 0}, "window_s", "greater than 0"),
        (BASE | {"kind": "rate_of_change", "limit": 1.0, "window_s": 7200}, "window_s", "less than or equal"),
        (BASE | {"kind": "rate_of_change", "limit": 1.0, "window_s": 5, "per": "hour"}, "per", "per_second"),
        (BASE | {"kind": "state_equals", "values": []}, "values", "at least 1"),
        (BASE | {"kind": "state_equals", "values": [1, 1]}, "values", "repeat"),
        (BASE | {"kind": "state_equals", "values": [1.5]}, "values", "whole number, a boolean or text"),
        (BASE | {"kind": "stale", "stale_after_s": 0}, "stale_after_s", "greater than 0"),
        (BASE | {"kind": "stale", "stale_after_s": 30, "on_delay_s": 5}, "on_delay_s", "Extra inputs"),
    ],
)
def test_other_kinds_problems_name_the_field(data: dict[str, Any], field: str, message: str) -> None:
    found = problems(data)
    assert field in found, found
    assert message in found[field]


def test_severity_sets_the_isa_priority() -> None:
    assert [severity.priority for severity in Severity] == [
        Priority.URGENT,
        Priority.HIGH,
        Priority.MEDIUM,
        Priority.LOW,
    ]


def test_a_rule_set_checks_ids_and_the_order_of_limits() -> None:
    rules = [
        THRESHOLD | {"id": "hh", "limit": "high_high", "setpoint": 70.0},
        THRESHOLD | {"id": "h"},
        THRESHOLD | {"id": "h", "limit": "low", "setpoint": 20.0},
        THRESHOLD | {"id": "h2"},
        BASE | {"id": "x", "kind": "stale"},
    ]
    with pytest.raises(InputError) as caught:
        parse_rule_set(rules)
    assert {problem.field for problem in caught.value.fields} == {"[4].stale_after_s"}
    with pytest.raises(InputError) as caught:
        parse_rule_set(rules[:4])
    assert {(p.field, p.message) for p in caught.value.fields} == {
        ("[2].id", "the id 'h' is used by another rule"),
        ("[3].limit", "signal 12 already has a high rule"),
        ("[1].setpoint", "the high setpoint must be below the high_high setpoint (70)"),
    }


def test_limits_on_different_signals_are_independent() -> None:
    parse_rule_set([THRESHOLD, THRESHOLD | {"id": "other", "signal_id": 13, "limit": "low", "setpoint": 90.0}])


def test_the_engine_refuses_a_bad_rule_set() -> None:
    rule = parse_rule(THRESHOLD)
    with pytest.raises(InputError, match="not valid"):
        AlarmEngine([rule, rule])

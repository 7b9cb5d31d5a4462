"""The rules of writable signals and command values, table-driven."""

from __future__ import annotations

import pytest

from zhizao.errors import InputError
from zhizao.telemetry.commands.values import check_value, limits_problems, parse_form_value
from zhizao.telemetry.kinds import DataType, SignalKind

M, S, C, T = SignalKind.MEASUREMENT, SignalKind.STATE, SignalKind.COUNTER, SignalKind.TEXT
F, INT_, B, STR = DataType.FLOAT, DataType.INT, DataType.BOOL, DataType.STRING


@pytest.mark.parametrize(
    ("kind", "data_type", "low", "high", "writable", "fields"),
    [
        (M, F, 0, 10, True, []),
        (S, B, None, None, True, []),
        (S, INT_, 0, 5, True, []),
        (M, F, None, None, False, []),
        (M, F, 10, 10, False, ["body.range_max"]),
        (M, F, 10, 0, False, ["body.range_max"]),
        (M, B, 0, 1, False, ["body.range_min"]),
        (M, F, None, 10, True, ["body.writable"]),
        (C, INT_, 0, 10, True, ["body.writable"]),
        (T, STR, None, None, True, ["body.writable"]),
        (M, F, float("inf"), None, False, ["body.range_min"]),
    ],
)
def test_limits(
    kind: SignalKind, data_type: DataType, low: float | None, high: float | None, writable: bool, fields: list[str]
) -> None:
    problems = limits_problems(kind=kind, data_type=data_type, range_min=low, range_max=high, writable=writable)
    assert [p.field for p in problems] == fields


@pytest.mark.parametrize(
    ("data_type", "value", "expected"),
    [(F, 5, 5.0), (F, 0, 0.0), (F, 10.0, 10.0), (INT_, 3.0, 3), (INT_, 10, 10), (B, False, False)],
)
def test_values_taken(data_type: DataType, value: float | int | bool, expected: object) -> None:
    taken = check_value(value, data_type=data_type, range_min=0, range_max=10)
    assert taken == expected and type(taken) is type(expected)


@pytest.mark.parametrize(
    ("data_type", "value"),
    [(F, 10.0001), (F, -0.1), (F, float("nan")), (F, True), (INT_, 2.5), (B, 1), (STR, 1), (INT_, 11)],
)
def test_values_refused(data_type: DataType, value: float | int | bool) -> None:
    with pytest.raises(InputError) as caught:
        check_value(value, data_type=data_type, range_min=0, range_max=10)
    assert caught.value.fields[0].field == "body.value"


def test_a_numeric_point_without_range_takes_nothing() -> None:
    with pytest.raises(InputError):
        check_value(1.0, data_type=F, range_min=None, range_max=None)


def test_form_values() -> None:
    assert parse_form_value(" 12 ", INT_) == 12
    assert parse_form_value("12.5", F) == 12.5
    assert parse_form_value("on", B) is True
    with pytest.raises(InputError):
        parse_form_value("abc", F)
    with pytest.raises(InputError):
        parse_form_value("maybe", B)

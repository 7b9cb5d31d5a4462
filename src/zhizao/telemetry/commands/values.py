"""Which signals may be commanded and which values they take. Pure: no I/O.

Rules (also applied when a signal is configured, ``limits_problems``):

* only signals of kind ``measurement`` (set-points) or ``state`` (modes, overrides) with data type float, int or
  bool may be writable — counters and text never;
* a range (``range_min``/``range_max``) belongs to numeric signals only, and min < max;
* a writable numeric signal needs both ends of its range: nothing is sent to a machine without engineering limits;
* a command's value must be of the signal's type (bool for bool; a whole number for int; a finite number for
  float) and lie within the range, ends included.
"""

from __future__ import annotations

import math

from zhizao.errors import FieldProblem, InputError
from zhizao.telemetry.kinds import DataType, SignalKind

Value = float | int | bool

WRITABLE_KINDS = frozenset({SignalKind.MEASUREMENT, SignalKind.STATE})
WRITABLE_TYPES = frozenset({DataType.FLOAT, DataType.INT, DataType.BOOL})
NUMERIC_TYPES = frozenset({DataType.FLOAT, DataType.INT})


def limits_problems(
    *,
    kind: SignalKind,
    data_type: DataType,
    range_min: float | None,
    range_max: float | None,
    writable: bool,
    prefix: str = "body",
) -> list[FieldProblem]:
    """What is wrong with a signal's range and writability, each naming its field."""
    problems: list[FieldProblem] = []
    for name, end in (("range_min", range_min), ("range_max", range_max)):
        if end is not None and not math.isfinite(end):
            problems.append(FieldProblem(f"{prefix}.{name}", "must be a finite number"))
    has_range = range_min is not None or range_max is not None
    if has_range and data_type not in NUMERIC_TYPES:
        problems.append(FieldProblem(f"{prefix}.range_min", f"a {data_type.value} data point has no numeric range"))
    elif range_min is not None and range_max is not None and not range_min < range_max:
        problems.append(FieldProblem(f"{prefix}.range_max", "must be greater than range_min"))
    if writable:
        if kind not in WRITABLE_KINDS or data_type not in WRITABLE_TYPES:
            problems.append(
                FieldProblem(
                    f"{prefix}.writable",
                    "only measurement or state data points of type float, int or bool can be written",
                )
            )
        elif data_type in NUMERIC_TYPES and (range_min is None or range_max is None):
            problems.append(
                FieldProblem(f"{prefix}.writable", "a writable numeric data point needs range_min and range_max")
            )
    return problems


def _range_text(range_min: float | None, range_max: float | None, unit: str | None) -> str:
    low = "−∞" if range_min is None else f"{range_min:g}"
    high = "∞" if range_max is None else f"{range_max:g}"
    return f"[{low}, {high}]" + (f" {unit}" if unit else "")


def check_value(
    value: Value,
    *,
    data_type: DataType,
    range_min: float | None,
    range_max: float | None,
    unit: str | None = None,
    field: str = "body.value",
) -> Value:
    """The value as the signal takes it (a whole float becomes an int for an int signal); ``InputError`` on
    ``field`` naming the type or the range otherwise."""
    if data_type is DataType.BOOL:
        if not isinstance(value, bool):
            raise InputError.for_field(field, "this data point takes true or false")
        return value
    if isinstance(value, bool) or data_type not in NUMERIC_TYPES:
        raise InputError.for_field(field, f"this data point takes a {data_type.value} value")
    number: float | int = value
    if data_type is DataType.INT:
        if isinstance(value, float):
            if not value.is_integer():
                raise InputError.for_field(field, "this data point takes a whole number")
            number = int(value)
    elif not math.isfinite(value):
        raise InputError.for_field(field, "must be a finite number")
    else:
        number = float(value)
    if range_min is None or range_max is None:
        raise InputError.for_field(field, "the data point has no engineering range (range_min, range_max) set")
    if not range_min <= number <= range_max:
        raise InputError.for_field(field, f"{number:g} is outside the range {_range_text(range_min, range_max, unit)}")
    return number


def parse_form_value(text: str, data_type: DataType, field: str = "value") -> Value:
    """A value typed into a form, read as the signal's type (then judged by ``check_value``)."""
    raw = text.strip()
    if data_type is DataType.BOOL:
        lowered = raw.lower()
        if lowered in ("true", "1", "on", "yes"):
            return True
        if lowered in ("false", "0", "off", "no"):
            return False
        raise InputError.for_field(field, "choose true or false")
    try:
        number = float(raw)
    except ValueError:
        raise InputError.for_field(field, f"not a number: {raw[:40]!r}") from None
    if data_type is DataType.INT and number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def stored_as(value: float | None, data_type: DataType) -> Value | None:
    """A stored sample (numbers are stored as float) as the signal's type, for showing old values."""
    if value is None:
        return None
    if data_type is DataType.BOOL:
        return value != 0
    if data_type is DataType.INT and math.isfinite(value) and value.is_integer():
        return int(value)
    return value

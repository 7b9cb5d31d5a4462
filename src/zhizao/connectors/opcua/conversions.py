"""OPC UA values ↔ the platform's values. Pure: asyncua's data classes in, ``Reading``s and ``Variant``s out.

**Reading.** A data change carries a ``DataValue``: a ``Variant`` (the value and its built-in type), a status
code and two timestamps. Its value becomes a ``Value`` with a ``DataType`` hint — Boolean → bool; the integer
types (SByte … UInt64), StatusCode → int; Float, Double → float; String, LocalizedText (its text), NodeId,
QualifiedName, Guid, DateTime (ISO 8601) → string. Arrays, byte strings, structures have no signal form and are
not stored (the node is reported, not the whole connector). A mapped node's own ``data_type`` hint wins where the
value converts without loss (an Int32 node hinted ``float`` is stored as float, 3.0 hinted ``int`` as 3).

The two 40001 state machines may be mapped by their ``CurrentState`` (a LocalizedText: "Executing") or by its
``Number`` property (UInt32 StateNumber): either way the signal gets the integer code of
``zhizao.telemetry.machinery``.

The sample's time is the **source** timestamp (when the device sampled it) — the one that lines samples up
across servers; a server that sends none (Part 4 allows it) gets its **server** timestamp, and failing both the
time the notification was received. OPC UA's "no time" (1601-01-01, DateTime 0) counts as absent.

**Writing.** A value is sent as the node's own built-in type (Part 4: a Write of another type is refused with
BadTypeMismatch): ``variant_for`` converts and range-checks it, and refuses what the type cannot hold with an
``InputError`` on ``value`` — nothing is sent.
"""

from __future__ import annotations

import math
import struct
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

from asyncua import ua

from zhizao.errors import InputError
from zhizao.telemetry.ingest.decoding import DeviceRef, Reading, Value
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.machinery import MODE_SIGNAL, STATE_SIGNAL, MachineryItemState, OperationMode

VT = ua.VariantType
INTEGER_RANGES: dict[ua.VariantType, tuple[int, int]] = {
    VT.SByte: (-(2**7), 2**7 - 1),
    VT.Byte: (0, 2**8 - 1),
    VT.Int16: (-(2**15), 2**15 - 1),
    VT.UInt16: (0, 2**16 - 1),
    VT.Int32: (-(2**31), 2**31 - 1),
    VT.UInt32: (0, 2**32 - 1),
    VT.Int64: (-(2**63), 2**63 - 1),
    VT.UInt64: (0, 2**64 - 1),
}
FLOAT_TYPES = frozenset({VT.Float, VT.Double})
TEXT_TYPES = frozenset({VT.String, VT.LocalizedText, VT.NodeId, VT.QualifiedName, VT.Guid, VT.DateTime})
_FLOAT32_MAX = 3.4028234663852886e38
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OPC_NO_TIME_BEFORE = datetime(1601, 1, 2, tzinfo=UTC)  # DateTime 0 (1601-01-01) is "no time"

# The state names of the 40001-1 state machines (the BrowseNames of their states) → their StateNumber.
STATE_NAMES: dict[str, dict[str, int]] = {
    STATE_SIGNAL: {
        "NotAvailable": MachineryItemState.NOT_AVAILABLE,
        "OutOfService": MachineryItemState.OUT_OF_SERVICE,
        "NotExecuting": MachineryItemState.NOT_EXECUTING,
        "Executing": MachineryItemState.EXECUTING,
    },
    MODE_SIGNAL: {
        "None": OperationMode.NONE,
        "Maintenance": OperationMode.MAINTENANCE,
        "Setup": OperationMode.SETUP,
        "Processing": OperationMode.PROCESSING,
    },
}


class Unconvertible(ValueError):
    """A value with no signal form (an array, a byte string, a structure): the node is reported as bad."""


def data_type_of(variant_type: ua.VariantType) -> DataType | None:
    """The signal data type a built-in type is stored as; None when it has none."""
    if variant_type is VT.Boolean:
        return DataType.BOOL
    if variant_type in INTEGER_RANGES or variant_type is VT.StatusCode:
        return DataType.INT
    if variant_type in FLOAT_TYPES:
        return DataType.FLOAT
    if variant_type in TEXT_TYPES:
        return DataType.STRING
    return None


def to_value(value: Any, variant_type: ua.VariantType) -> tuple[Value, DataType]:
    """A variant's value as a platform value and its type; ``Unconvertible`` when it has no signal form."""
    if isinstance(value, list | tuple):
        raise Unconvertible(f"an array of {variant_type.name} is not stored (map one element's node instead)")
    data_type = data_type_of(variant_type)
    if data_type is None or value is None:
        raise Unconvertible(f"a {variant_type.name} value is not stored")
    if data_type is DataType.BOOL:
        return bool(value), data_type
    if data_type is DataType.INT:
        return int(value.value if isinstance(value, ua.StatusCode) else value), data_type
    if data_type is DataType.FLOAT:
        return float(value), data_type
    return _text(value), data_type


def _text(value: Any) -> str:
    if isinstance(value, ua.LocalizedText):
        return value.Text or ""
    if isinstance(value, ua.QualifiedName):
        return str(value.Name or "")
    if isinstance(value, ua.NodeId):
        return str(value.to_string())
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def state_code(signal: str, value: Value) -> int | None:
    """The 40001 code of a state signal's value: a number as is, a state's name (``Executing``) by the table;
    None when ``signal`` is no state machine's or the name is unknown."""
    names = STATE_NAMES.get(signal)
    if names is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return names.get(value.strip())
    return None


def apply_hint(value: Value, data_type: DataType, hint: DataType | None) -> tuple[Value, DataType]:
    """The value as the mapped node's ``data_type`` asks, when that loses nothing; else as it came."""
    if hint is None or hint is data_type:
        return value, data_type
    if hint is DataType.FLOAT and isinstance(value, int) and not isinstance(value, bool):
        return float(value), hint
    if hint is DataType.INT and isinstance(value, float) and value.is_integer():
        return int(value), hint
    if hint is DataType.INT and isinstance(value, bool):
        return int(value), hint
    if hint is DataType.STRING:
        return str(value), hint
    return value, data_type


def timestamp_us(source: datetime | None, server: datetime | None, received_us: int) -> int:
    """Epoch microseconds of the sample: source timestamp, else server timestamp, else receive time."""
    for candidate in (source, server):
        if candidate is None:
            continue
        aware = candidate if candidate.tzinfo else candidate.replace(tzinfo=UTC)  # asyncua's are UTC
        if aware < _OPC_NO_TIME_BEFORE:
            continue
        delta = aware - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return received_us


class Converted(NamedTuple):
    """A data change as a reading, or why it is not one (a bad status, an unconvertible value)."""

    reading: Reading | None
    problem: str | None


def to_reading(
    data_value: ua.DataValue,
    *,
    enterprise_id: int,
    device_code: str,
    signal: str,
    hint: DataType | None,
    received_us: int,
) -> Converted:
    status = data_value.StatusCode
    if status is not None and not status.is_good():
        return Converted(None, f"status {status.name}")
    variant = data_value.Value
    if variant is None or variant.Value is None:
        return Converted(None, "no value")
    try:
        value, data_type = to_value(variant.Value, variant.VariantType)
    except Unconvertible as exc:
        return Converted(None, str(exc))
    code = state_code(signal, value)
    if code is not None:
        value, data_type = code, DataType.INT
    elif signal in STATE_NAMES and isinstance(value, str):
        return Converted(None, f"{value!r} is not a state of OPC 40001 {signal}")
    value, data_type = apply_hint(value, data_type, hint)
    ts = timestamp_us(data_value.SourceTimestamp, data_value.ServerTimestamp, received_us)
    return Converted(Reading(DeviceRef(enterprise_id, device_code), signal, ts, value, data_type=data_type), None)


def variant_for(value: Value, variant_type: ua.VariantType) -> ua.Variant:
    """``value`` as a variant of the node's built-in type; ``InputError`` on ``value`` when it does not fit."""
    if variant_type is VT.Boolean:
        if not isinstance(value, bool):
            raise _refuse(f"the node holds a Boolean: send true or false, not {value!r}")
        return ua.Variant(value, variant_type)
    if variant_type in INTEGER_RANGES:
        low, high = INTEGER_RANGES[variant_type]
        if isinstance(value, bool | str):
            raise _refuse(f"the node holds an {variant_type.name}: send a whole number, not {value!r}")
        if isinstance(value, float):
            if not value.is_integer():
                raise _refuse(f"the node holds an {variant_type.name}: {value} is not a whole number")
            value = int(value)
        if not low <= value <= high:
            raise _refuse(f"the node holds an {variant_type.name} ({low} to {high}): {value} does not fit")
        return ua.Variant(value, variant_type)
    if variant_type in FLOAT_TYPES:
        if isinstance(value, bool | str):
            raise _refuse(f"the node holds a {variant_type.name}: send a number, not {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise _refuse("the value must be a finite number")
        if variant_type is VT.Float:
            if abs(number) > _FLOAT32_MAX:
                raise _refuse(f"the node holds a Float (single precision): {value} is out of its range")
            number = struct.unpack("<f", struct.pack("<f", number))[0]  # what the node will hold and read back
        return ua.Variant(number, variant_type)
    if variant_type is VT.String:
        if not isinstance(value, str):
            raise _refuse(f"the node holds a String: send text, not {value!r}")
        return ua.Variant(value, variant_type)
    if variant_type is VT.LocalizedText:
        if not isinstance(value, str):
            raise _refuse(f"the node holds a LocalizedText: send text, not {value!r}")
        return ua.Variant(ua.LocalizedText(value), variant_type)
    raise _refuse(f"the node holds a {variant_type.name}, which cannot be written from here")


def _refuse(message: str) -> InputError:
    return InputError.for_field("value", message)

"""The pure conversions: variants to values and types, 40001 state codes, timestamps, values to write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asyncua import ua

from zhizao.connectors.opcua.conversions import (
    Unconvertible,
    apply_hint,
    state_code,
    timestamp_us,
    to_reading,
    to_value,
    variant_for,
)
from zhizao.errors import InputError
from zhizao.telemetry.ingest.decoding import DeviceRef
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.machinery import MODE_SIGNAL, STATE_SIGNAL, MachineryItemState, OperationMode

VT = ua.VariantType
T0 = datetime(2024, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
T0_US = 1_714_550_400_123_456


@pytest.mark.parametrize(
    ("value", "variant_type", "expected"),
    [
        (True, VT.Boolean, (True, DataType.BOOL)),
        (-5, VT.SByte, (-5, DataType.INT)),
        (65535, VT.UInt16, (65535, DataType.INT)),
        (2**40, VT.Int64, (2**40, DataType.INT)),
        (7, VT.UInt32, (7, DataType.INT)),
        (1.5, VT.Float, (1.5, DataType.FLOAT)),
        (2.25, VT.Double, (2.25, DataType.FLOAT)),
        ("O1001", VT.String, ("O1001", DataType.STRING)),
        (ua.LocalizedText("Executing", "en"), VT.LocalizedText, ("Executing", DataType.STRING)),
        (ua.NodeId.from_string("ns=2;s=A"), VT.NodeId, ("ns=2;s=A", DataType.STRING)),
        (ua.StatusCode(ua.UInt32(0x80340000)), VT.StatusCode, (0x80340000, DataType.INT)),
    ],
)
def test_variants_become_values_with_their_type(value: object, variant_type: ua.VariantType, expected: object) -> None:
    assert to_value(value, variant_type) == expected


@pytest.mark.parametrize(("value", "variant_type"), [([1, 2], VT.Int32), (b"\x00", VT.ByteString), (None, VT.Double)])
def test_values_without_a_signal_form_are_refused(value: object, variant_type: ua.VariantType) -> None:
    with pytest.raises(Unconvertible):
        to_value(value, variant_type)


def test_state_codes_from_numbers_and_40001_state_names() -> None:
    assert state_code(STATE_SIGNAL, "Executing") == MachineryItemState.EXECUTING
    assert state_code(STATE_SIGNAL, "NotAvailable") == MachineryItemState.NOT_AVAILABLE
    assert state_code(STATE_SIGNAL, "OutOfService") == 1
    assert state_code(MODE_SIGNAL, "Setup") == OperationMode.SETUP
    assert state_code(MODE_SIGNAL, "None") == OperationMode.NONE
    assert state_code(STATE_SIGNAL, 2) == 2
    assert state_code(STATE_SIGNAL, 3.0) == 3
    assert state_code(STATE_SIGNAL, "Sleeping") is None
    assert state_code(STATE_SIGNAL, True) is None
    assert state_code("power_kw", "Executing") is None


def test_timestamps_prefer_source_then_server_then_receive_time() -> None:
    later = datetime(2024, 5, 1, 8, 0, 1, tzinfo=UTC)
    assert timestamp_us(T0, later, 5) == T0_US
    assert timestamp_us(None, T0, 5) == T0_US
    assert timestamp_us(None, None, 5) == 5
    opc_no_time = datetime(1601, 1, 1, tzinfo=UTC)
    assert timestamp_us(opc_no_time, T0, 5) == T0_US
    assert timestamp_us(T0.replace(tzinfo=None), None, 5) == T0_US  # naive means UTC


def test_hints_convert_only_without_loss() -> None:
    assert apply_hint(3, DataType.INT, DataType.FLOAT) == (3.0, DataType.FLOAT)
    assert apply_hint(3.0, DataType.FLOAT, DataType.INT) == (3, DataType.INT)
    assert apply_hint(3.5, DataType.FLOAT, DataType.INT) == (3.5, DataType.FLOAT)
    assert apply_hint(True, DataType.BOOL, DataType.STRING) == ("True", DataType.STRING)
    assert apply_hint(1.0, DataType.FLOAT, None) == (1.0, DataType.FLOAT)


def _data_value(variant: ua.Variant, status: int = 0) -> ua.DataValue:
    return ua.DataValue(
        variant,
        StatusCode=ua.StatusCode(ua.UInt32(status)),
        SourceTimestamp=ua.DateTime.fromtimestamp(T0.timestamp(), UTC),
    )


def test_a_current_state_name_arrives_as_its_code() -> None:
    converted = to_reading(
        _data_value(ua.Variant(ua.LocalizedText("Executing"), VT.LocalizedText)),
        enterprise_id=3,
        device_code="CNC-01",
        signal=STATE_SIGNAL,
        hint=None,
        received_us=1,
    )
    assert converted.problem is None and converted.reading is not None
    assert converted.reading.device == DeviceRef(3, "CNC-01")
    assert (converted.reading.value, converted.reading.data_type) == (3, DataType.INT)
    assert converted.reading.ts_us == T0_US


def test_bad_status_and_unknown_state_are_problems_not_readings() -> None:
    bad = to_reading(
        _data_value(ua.Variant(1.0, VT.Double), status=0x80340000),
        enterprise_id=1,
        device_code="D",
        signal="x",
        hint=None,
        received_us=1,
    )
    assert bad.reading is None and bad.problem == "status BadNodeIdUnknown"
    unknown = to_reading(
        _data_value(ua.Variant("Dancing", VT.String)),
        enterprise_id=1,
        device_code="D",
        signal=MODE_SIGNAL,
        hint=None,
        received_us=1,
    )
    assert unknown.reading is None and "not a state" in (unknown.problem or "")


@pytest.mark.parametrize(
    ("value", "variant_type", "expected"),
    [
        (True, VT.Boolean, True),
        (80, VT.Double, 80.0),
        (80.0, VT.Int32, 80),
        (255, VT.Byte, 255),
        (0.1, VT.Float, 0.10000000149011612),  # what a single-precision node holds, so the read-back matches
        ("O2001", VT.String, "O2001"),
    ],
)
def test_values_are_written_as_the_node_type(value: object, variant_type: ua.VariantType, expected: object) -> None:
    variant = variant_for(value, variant_type)  # type: ignore[arg-type]
    assert variant.VariantType is variant_type
    assert variant.Value == expected and type(variant.Value) is type(expected)


@pytest.mark.parametrize(
    ("value", "variant_type", "words"),
    [
        (256, VT.Byte, "0 to 255"),
        (-1, VT.UInt32, "does not fit"),
        (1.5, VT.Int16, "not a whole number"),
        (True, VT.Int32, "whole number"),
        (1, VT.Boolean, "true or false"),
        ("x", VT.Double, "send a number"),
        (float("nan"), VT.Double, "finite"),
        (1e39, VT.Float, "out of its range"),
        (5, VT.String, "send text"),
        (5, VT.ByteString, "cannot be written"),
    ],
)
def test_values_that_do_not_fit_are_refused_on_the_value_field(
    value: object, variant_type: ua.VariantType, words: str
) -> None:
    with pytest.raises(InputError) as caught:
        variant_for(value, variant_type)  # type: ignore[arg-type]
    assert [problem.field for problem in caught.value.fields] == ["value"]
    assert words in caught.value.message

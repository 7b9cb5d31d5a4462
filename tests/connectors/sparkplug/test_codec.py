from __future__ import annotations

from pathlib import Path

import pytest

from tests.connectors.sparkplug.make_fixtures import SCALARS, T0
from zhizao.connectors.sparkplug import sparkplug_b_pb2 as pb
from zhizao.connectors.sparkplug.codec import (
    HostState,
    Metric,
    Payload,
    SparkplugDataType,
    Value,
    bd_seq_of,
    decode,
    decode_state,
    encode,
    encode_state,
    interpret,
    is_rebirth_request,
)
from zhizao.connectors.sparkplug.errors import SparkplugRejected
from zhizao.telemetry.kinds import RejectReason

FIXTURES = Path(__file__).parent / "fixtures"
DT = SparkplugDataType


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(("name", "datatype", "value"), SCALARS, ids=[name for name, _, _ in SCALARS])
def test_nbirth_fixture_decodes_every_scalar_datatype(name: str, datatype: SparkplugDataType, value: Value) -> None:
    payload = decode(fixture("edge_nbirth.bin"))
    metric = payload.metric(name)
    assert metric is not None
    assert metric.datatype is datatype
    assert metric.value == value
    assert type(metric.value) is type(value)
    assert not metric.is_null


def test_nbirth_fixture_header_and_bdseq() -> None:
    payload = decode(fixture("edge_nbirth.bin"))
    assert (payload.timestamp, payload.seq) == (T0, 0)
    assert bd_seq_of(payload) == 7
    assert [m.alias for m in payload.metrics[2:]] == list(range(1, 15))


def test_data_by_alias_keeps_raw_values_until_interpreted() -> None:
    payload = decode(fixture("edge_ndata.bin"))
    assert payload.seq == 2
    assert [(m.name, m.alias, m.datatype) for m in payload.metrics] == [
        (None, 1, None),
        (None, 8, None),
        (None, 10, None),
        (None, 12, None),
    ]
    int8, uint64, double, text = (m.value for m in payload.metrics)
    assert int8 == 128  # −128 as it travels; the birth says Int8
    assert interpret(int8, DT.INT8) == -128
    assert interpret(uint64, DT.UINT64) == 2**64 - 1
    assert (double, text) == (-0.5, "IDLE")
    assert all(m.timestamp == T0 + 1_000 for m in payload.metrics)


def test_null_value_is_decoded_as_none_with_is_null() -> None:
    payload = decode(fixture("edge_ddata.bin"))
    speed, load = payload.metrics
    assert (speed.value, speed.is_null) == (1250.5, False)
    assert (load.value, load.is_null) == (None, True)


def test_raw_fixture_with_what_codec_does_not_map() -> None:
    payload = decode(fixture("raw_dbirth_complex.bin"))
    assert (payload.timestamp, payload.seq, payload.uuid, payload.body) == (T0 + 500, 1, "zhizao-fixture", b"opaque")
    by_name = {m.name: m for m in payload.metrics}
    for name, datatype in [("recipe", DT.DATASET), ("tool", DT.TEMPLATE), ("image", DT.BYTES)]:
        assert (by_name[name].datatype, by_name[name].value, by_name[name].is_null) == (datatype, None, False)
    assert (by_name["temperatures"].datatype, by_name["temperatures"].value) == (DT.FLOAT_ARRAY, None)
    assert (by_name["pressure"].value, by_name["pressure"].is_null) == (None, True)
    assert by_name["offset"].value == -1  # Int8 sign-extended to 32 bits, as Tahu's Java encoder writes it
    assert by_name["count"].value == 4_000_000_000  # UInt32 in long_value
    assert by_name["count"].timestamp == T0 + 400
    assert by_name["serial"].value == "SN-0042"
    assert (by_name["future"].datatype, by_name["future"].value) == (DT.UNKNOWN, None)


def test_ncmd_rebirth_and_ndeath_fixtures() -> None:
    assert is_rebirth_request(decode(fixture("edge_ncmd_rebirth.bin")))
    death = decode(fixture("edge_ndeath.bin"))
    assert (death.timestamp, death.seq, bd_seq_of(death)) == (None, None, 7)
    assert not is_rebirth_request(death)


def invalid_utf8_name() -> bytes:
    # Metric (field 2) holding name (field 1) = b"\xff\xfe".
    return b"\x12\x04\x0a\x02\xff\xfe"


@pytest.mark.parametrize(
    "data",
    [b"\x12\x05ab", b"\xff\xff\xff", b"garbage!", b"\x08", invalid_utf8_name(), b'{"online": true}'],
    ids=["truncated", "bad-varint", "text", "field-without-value", "invalid-utf8", "json"],
)
def test_malformed_bytes_are_rejected(data: bytes) -> None:
    with pytest.raises(SparkplugRejected) as caught:
        decode(data)
    assert caught.value.reason is RejectReason.MALFORMED_PROTOBUF


def test_empty_bytes_are_an_empty_payload() -> None:
    assert decode(b"") == Payload()


EXTREMES: list[tuple[SparkplugDataType, Value]] = [
    (DT.INT8, -128),
    (DT.INT8, 127),
    (DT.INT16, -32_768),
    (DT.INT16, 32_767),
    (DT.INT32, -(2**31)),
    (DT.INT32, 2**31 - 1),
    (DT.INT64, -(2**63)),
    (DT.INT64, 2**63 - 1),
    (DT.UINT8, 255),
    (DT.UINT16, 65_535),
    (DT.UINT32, 2**32 - 1),
    (DT.UINT64, 2**64 - 1),
    (DT.UINT64, 0),
    (DT.FLOAT, -0.125),
    (DT.DOUBLE, 1e300),
    (DT.BOOLEAN, False),
    (DT.STRING, ""),
    (DT.DATETIME, 0),
    (DT.TEXT, "多行\n文本"),
    (DT.UUID, "0f8fad5b-d9cb-469f-a165-70867728950e"),
]


@pytest.mark.parametrize(("datatype", "value"), EXTREMES)
def test_round_trip_at_the_edges_of_each_type(datatype: SparkplugDataType, value: Value) -> None:
    metric = Metric(name="m", alias=3, datatype=datatype, value=value, timestamp=T0)
    decoded = decode(encode(Payload(timestamp=T0, seq=255, metrics=(metric,))))
    assert decoded == Payload(timestamp=T0, seq=255, metrics=(metric,))


def test_signed_values_travel_as_twos_complement_at_their_width() -> None:
    data = encode(Payload(metrics=(Metric(name="m", datatype=DT.INT8, value=-1),)))
    message = pb.Payload()
    message.ParseFromString(data)
    assert message.metrics[0].int_value == 255  # as Tahu's Python encoder


def test_encode_without_datatype_uses_the_born_one_and_does_not_send_it() -> None:
    metric = Metric(alias=4, value=-2)
    decoded = decode(encode(Payload(metrics=(metric,)), born={4: DT.INT16}))
    assert decoded.metrics[0].datatype is None
    assert interpret(decoded.metrics[0].value, DT.INT16) == -2
    with pytest.raises(ValueError, match="none born"):
        encode(Payload(metrics=(metric,)))


@pytest.mark.parametrize(
    ("datatype", "value"),
    [(DT.INT8, 128), (DT.UINT8, -1), (DT.UINT32, 2**32), (DT.INT64, 2**63), (DT.BOOLEAN, 1), (DT.INT32, 1.5)],
)
def test_encode_refuses_values_that_do_not_fit(datatype: SparkplugDataType, value: Value) -> None:
    with pytest.raises(ValueError, match="metric m"):
        encode(Payload(metrics=(Metric(name="m", datatype=datatype, value=value),)))


def test_encode_refuses_non_scalar_types() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        encode(Payload(metrics=(Metric(name="m", datatype=DT.DATASET, value="x"),)))


def test_null_round_trip() -> None:
    metric = Metric(name="m", datatype=DT.DOUBLE, is_null=True)
    assert decode(encode(Payload(metrics=(metric,)))).metrics == (metric,)


@pytest.mark.parametrize(
    ("value", "datatype"),
    [("1", DT.INT32), (1, DT.DOUBLE), (True, DT.INT8), (1.0, DT.BOOLEAN), (2, DT.STRING)],
)
def test_interpret_rejects_values_of_the_wrong_type(value: Value, datatype: SparkplugDataType) -> None:
    with pytest.raises(SparkplugRejected) as caught:
        interpret(value, datatype)
    assert caught.value.reason is RejectReason.WRONG_TYPE


def test_interpret_is_idempotent_and_ignores_non_scalars() -> None:
    assert interpret(interpret(0xFFFF_FF80, DT.INT8), DT.INT8) == -128
    assert interpret(1.5, DT.DOUBLE) == interpret(interpret(1.5, DT.DOUBLE), DT.DOUBLE) == 1.5
    assert interpret("x", DT.TEMPLATE) is None
    assert interpret(None, DT.INT8) is None


def test_state_payload_round_trip() -> None:
    assert encode_state(True, T0) == b'{"online":true,"timestamp":1700000000000}'
    assert decode_state(encode_state(False, T0)) == HostState(online=False, timestamp=T0)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"online", RejectReason.MALFORMED_JSON),
        (b"\xff", RejectReason.MALFORMED_JSON),
        (b"[true, 1]", RejectReason.SCHEMA),
        (b'{"online": "yes", "timestamp": 1}', RejectReason.SCHEMA),
        (b'{"online": true}', RejectReason.SCHEMA),
        (b'{"online": true, "timestamp": true}', RejectReason.SCHEMA),
        (b'{"online": true, "timestamp": 1.5}', RejectReason.SCHEMA),
    ],
)
def test_bad_state_payloads(data: bytes, reason: RejectReason) -> None:
    with pytest.raises(SparkplugRejected) as caught:
        decode_state(data)
    assert caught.value.reason is reason

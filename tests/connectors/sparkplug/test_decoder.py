"""The Sparkplug ``Decoder``: edge-node messages → the platform's readings, rejections and rebirth requests."""

from __future__ import annotations

import pytest

from zhizao.connectors.sparkplug.codec import (
    Metric,
    Payload,
    Publish,
    SparkplugDataType,
    Value,
    decode,
    encode,
    is_rebirth_request,
)
from zhizao.connectors.sparkplug.decoder import TOPIC_FILTERS, SparkplugDecoder, data_type_of, enterprise_of
from zhizao.connectors.sparkplug.edge import EdgeNode
from zhizao.telemetry.ingest.decoding import DecodedMessage, Decoder, DeviceRef, OutboundMessage, Reading
from zhizao.telemetry.kinds import DataType, Protocol, RejectReason

DT = SparkplugDataType
T0 = 1_700_000_000_000  # ms
NOW_US = (T0 + 250) * 1000  # when the messages arrive
GROUP, NODE, DEVICE = "7", "L1", "CNC-01"
LINE = DeviceRef(7, NODE)
CNC = DeviceRef(7, DEVICE)
NCMD = f"spBv1.0/{GROUP}/NCMD/{NODE}"


def line_node(group: str = GROUP) -> EdgeNode:
    node = EdgeNode(group, NODE, bd_seq=3)
    node.add_metric("uptime_s", DT.INT64, 3_600)
    node.add_metric("spindle/speed_rpm", DT.DOUBLE, 8_000.5, device_id=DEVICE)
    node.add_metric("good_parts", DT.UINT32, 4_000_000_000, device_id=DEVICE)
    node.add_metric("coolant_on", DT.BOOLEAN, True, device_id=DEVICE)
    node.add_metric("program_name", DT.STRING, "O1001", device_id=DEVICE)
    node.add_metric("tool_changed_at", DT.DATETIME, T0 - 60_000, device_id=DEVICE)
    node.add_metric("load", DT.FLOAT, 0.5, device_id=DEVICE)
    node.add_metric("Motor Temp (°C)", DT.DOUBLE, None, device_id=DEVICE)  # born null: no reading
    return node


def deliver(decoder: SparkplugDecoder, message: Publish, at_us: int = NOW_US) -> DecodedMessage:
    return decoder.decode(message.topic, message.payload, at_us)


def born() -> tuple[SparkplugDecoder, EdgeNode]:
    decoder, node = SparkplugDecoder(), line_node()
    for message in node.births(T0):
        decoded = deliver(decoder, message)
        assert not decoded.rejections
        assert not decoded.commands_to_publish
    return decoder, node


def reasons(decoded: DecodedMessage) -> list[RejectReason]:
    return [rejection.reason for rejection in decoded.rejections]


def assert_rebirth_requested(decoded: DecodedMessage, at_ms: int = NOW_US // 1000) -> None:
    assert len(decoded.commands_to_publish) == 1
    command = decoded.commands_to_publish[0]
    assert (command.topic, command.qos, command.retain) == (NCMD, 0, False)
    payload = decode(command.payload)
    assert is_rebirth_request(payload)
    assert payload.timestamp == at_ms


def test_it_is_a_decoder_for_the_edge_node_topics() -> None:
    decoder: Decoder = SparkplugDecoder()
    assert decoder.source is Protocol.SPARKPLUG_B
    assert (
        list(decoder.topic_filters)
        == list(TOPIC_FILTERS)
        == [
            "spBv1.0/+/NBIRTH/+",
            "spBv1.0/+/NDATA/+",
            "spBv1.0/+/NDEATH/+",
            "spBv1.0/+/DBIRTH/+/+",
            "spBv1.0/+/DDATA/+/+",
            "spBv1.0/+/DDEATH/+/+",
        ]
    )
    assert SparkplugDecoder.shareable is False


def test_births_are_readings_of_the_node_and_of_its_devices() -> None:
    decoder, node = SparkplugDecoder(), line_node()
    nbirth, dbirth = node.births(T0)
    decoded = deliver(decoder, nbirth)
    # bdSeq and Node Control/Rebirth are protocol; the node's own metric is a reading of device "L1".
    assert decoded == DecodedMessage(
        readings=(Reading(LINE, "uptime_s", T0 * 1000, 3_600, None, DataType.INT),), enterprise_id=7
    )
    decoded = deliver(decoder, dbirth)
    ts = T0 * 1000
    assert not decoded.rejections
    assert decoded.enterprise_id == 7
    assert list(decoded.readings) == [
        Reading(CNC, "spindle/speed_rpm", ts, 8_000.5, None, DataType.FLOAT),
        Reading(CNC, "good_parts", ts, 4_000_000_000, None, DataType.INT),
        Reading(CNC, "coolant_on", ts, True, None, DataType.BOOL),
        Reading(CNC, "program_name", ts, "O1001", None, DataType.STRING),
        Reading(CNC, "tool_changed_at", ts, T0 - 60_000, None, DataType.INT),
        Reading(CNC, "load", ts, 0.5, None, DataType.FLOAT),
    ]


def test_data_by_alias_maps_to_the_born_names_types_and_microseconds() -> None:
    decoder, node = born()
    values: dict[str, Value] = {
        "spindle/speed_rpm": 8_100.25,
        "coolant_on": False,
        "program_name": "O2002",
        "Motor Temp (°C)": 41.5,
    }
    decoded = deliver(decoder, node.data(T0 + 1_000, values, device_id=DEVICE))
    ts = (T0 + 1_000) * 1000
    assert decoded == DecodedMessage(
        readings=(
            Reading(CNC, "spindle/speed_rpm", ts, 8_100.25, None, DataType.FLOAT),
            Reading(CNC, "coolant_on", ts, False, None, DataType.BOOL),
            Reading(CNC, "program_name", ts, "O2002", None, DataType.STRING),
            Reading(CNC, "Motor Temp (°C)", ts, 41.5, None, DataType.FLOAT),
        ),
        enterprise_id=7,
    )
    decoded = deliver(decoder, node.data(T0 + 2_000, {"uptime_s": 3_602}))
    assert list(decoded.readings) == [Reading(LINE, "uptime_s", (T0 + 2_000) * 1000, 3_602, None, DataType.INT)]


def test_nulls_and_transient_values_are_skipped_historical_ones_kept() -> None:
    decoder, _node = born()
    payload = Payload(
        timestamp=T0 + 1_000,
        seq=2,
        metrics=(
            Metric(name="load", value=None, is_null=True),
            Metric(name="spindle/speed_rpm", value=7_000.0, is_transient=True),
            Metric(name="good_parts", value=4_000_000_001, timestamp=T0 - 3_600_000, is_historical=True),
            Metric(name="program_name", value="O3003"),
        ),
    )
    born_types: dict[int | str, SparkplugDataType] = {
        "load": DT.FLOAT,
        "spindle/speed_rpm": DT.DOUBLE,
        "good_parts": DT.UINT32,
        "program_name": DT.STRING,
    }
    decoded = decoder.decode(f"spBv1.0/{GROUP}/DDATA/{NODE}/{DEVICE}", encode(payload, born=born_types), NOW_US)
    assert not decoded.rejections
    assert list(decoded.readings) == [
        Reading(CNC, "good_parts", (T0 - 3_600_000) * 1000, 4_000_000_001, None, DataType.INT),
        Reading(CNC, "program_name", (T0 + 1_000) * 1000, "O3003", None, DataType.STRING),
    ]


def test_a_sequence_gap_is_rejected_and_asks_for_a_rebirth() -> None:
    decoder, node = born()
    node.data(T0 + 1_000, {"uptime_s": 1})  # seq 2 is lost
    decoded = deliver(decoder, node.data(T0 + 2_000, {"uptime_s": 2}))
    assert not decoded.readings
    assert reasons(decoded) == [RejectReason.SEQUENCE_GAP]
    assert decoded.rejected_whole
    assert decoded.enterprise_id == 7
    assert_rebirth_requested(decoded)
    assert isinstance(decoded.commands_to_publish[0], OutboundMessage)

    # Everything is refused until the rebirth; then data flows again.
    later = deliver(decoder, node.data(T0 + 3_000, {"uptime_s": 3}, device_id=None))
    assert reasons(later) == [RejectReason.SEQUENCE_GAP]
    assert not later.commands_to_publish  # one request per rebirth interval
    for message in node.births(T0 + 4_000):
        assert not deliver(decoder, message).rejections
    after = deliver(decoder, node.data(T0 + 5_000, {"uptime_s": 5}))
    assert not after.rejections
    assert [r.value for r in after.readings] == [5]


def test_data_before_any_birth_is_not_born_and_asks_for_a_rebirth() -> None:
    decoder, node = SparkplugDecoder(), line_node()
    node.births(T0)  # published before the decoder (a worker) started
    decoded = deliver(decoder, node.data(T0 + 1_000, {"load": 0.75}, device_id=DEVICE))
    assert reasons(decoded) == [RejectReason.NOT_BORN]
    assert not decoded.readings
    assert_rebirth_requested(decoded)


def test_an_alias_not_born_is_rejected_alone() -> None:
    decoder, _node = born()
    payload = Payload(
        timestamp=T0 + 1_000,
        seq=2,
        metrics=(
            Metric(alias=99, datatype=DT.DOUBLE, value=1.0),
            Metric(name="load", datatype=DT.FLOAT, value=0.25),
            Metric(name="spindle/speed_rpm", datatype=DT.DOUBLE, value=float("nan")),
        ),
    )
    decoded = decoder.decode(f"spBv1.0/{GROUP}/DDATA/{NODE}/{DEVICE}", encode(payload), NOW_US)
    assert list(decoded.readings) == [Reading(CNC, "load", (T0 + 1_000) * 1000, 0.25, None, DataType.FLOAT)]
    assert reasons(decoded) == [RejectReason.ALIAS_NOT_BORN, RejectReason.NOT_FINITE]
    assert "spindle/speed_rpm" in decoded.rejections[1].detail
    assert not decoded.rejected_whole
    assert_rebirth_requested(decoded)


@pytest.mark.parametrize("group", ["plant-1", "0", "042", "-3", "2147483648", "１２"])
def test_a_group_id_that_is_not_an_enterprise_id_is_rejected_before_the_host(group: str) -> None:
    decoder, node = SparkplugDecoder(), line_node(group)
    for message in [*node.births(T0), node.data(T0 + 1_000, {"uptime_s": 1})]:
        decoded = deliver(decoder, message)
        assert reasons(decoded) == [RejectReason.BAD_TOPIC]
        assert "enterprise id" in decoded.rejections[0].detail
        assert decoded.rejected_whole
        assert decoded.enterprise_id is None
        assert not decoded.commands_to_publish  # no rebirth requests to groups that are not tenants
    assert not decoder.host.node_online(group, NODE)


def test_enterprise_ids() -> None:
    assert enterprise_of("1") == 1
    assert enterprise_of("2147483647") == 2**31 - 1
    assert enterprise_of("2147483648") is None
    assert enterprise_of("1e3") is None


def test_malformed_protobuf_is_rejected_whole() -> None:
    decoder, _node = born()
    decoded = decoder.decode(f"spBv1.0/{GROUP}/DDATA/{NODE}/{DEVICE}", b"\xff\xff\xff not protobuf", NOW_US)
    assert reasons(decoded) == [RejectReason.MALFORMED_PROTOBUF]
    assert not decoded.readings
    assert decoded.rejected_whole
    assert decoded.enterprise_id == 7


@pytest.mark.parametrize(
    "topic", ["spBv1.0/7/NFOO/L1", "spBv1.0/7/DDATA/L1", "spBv1.0/7/NDATA/L1/CNC-01", "spBv1.0/7", "other/7/NDATA/L1"]
)
def test_a_topic_that_is_not_sparkplug_is_bad(topic: str) -> None:
    decoded = SparkplugDecoder().decode(topic, b"", NOW_US)
    assert reasons(decoded) == [RejectReason.BAD_TOPIC]
    assert decoded.rejected_whole


def test_a_host_state_message_is_ignored() -> None:
    decoded = SparkplugDecoder().decode("spBv1.0/STATE/zhizao", b'{"online":false,"timestamp":1}', NOW_US)
    assert decoded == DecodedMessage()


def test_an_id_that_is_not_a_device_code_is_rejected_but_keeps_the_session() -> None:
    node = EdgeNode(GROUP, NODE)
    node.add_metric("x", DT.DOUBLE, 1.0, device_id="CNC 02")  # a space: not a device code
    node.add_metric("y", DT.DOUBLE, 2.0, device_id=DEVICE)
    decoder = SparkplugDecoder()
    nbirth, bad_birth, good_birth = node.births(T0)
    assert deliver(decoder, nbirth) == DecodedMessage(enterprise_id=7)
    decoded = deliver(decoder, bad_birth)
    assert reasons(decoded) == [RejectReason.BAD_TOPIC]
    assert "'CNC 02'" in decoded.rejections[0].detail
    assert not decoded.readings
    assert list(deliver(decoder, good_birth).readings) == [Reading(CNC, "y", T0 * 1000, 2.0, None, DataType.FLOAT)]
    assert reasons(deliver(decoder, node.data(T0 + 1, {"x": 3.0}, device_id="CNC 02"))) == [RejectReason.BAD_TOPIC]
    decoded = deliver(decoder, node.data(T0 + 2, {"y": 4.0}, device_id=DEVICE))  # the seq went on
    assert not decoded.rejections
    assert [r.value for r in decoded.readings] == [4.0]


def test_timestamps_outside_the_window_are_rejected_metric_by_metric() -> None:
    decoder, node = born()
    old = node.data(T0 - 3 * 86_400_000, {"load": 0.1}, device_id=DEVICE)
    decoded = deliver(decoder, old)
    assert reasons(decoded) == [RejectReason.TIMESTAMP_OUT_OF_RANGE]
    assert "'load'" in decoded.rejections[0].detail
    assert not decoded.commands_to_publish
    ahead = deliver(decoder, node.data(T0 + 600_000, {"load": 0.2}, device_id=DEVICE))
    assert reasons(ahead) == [RejectReason.TIMESTAMP_OUT_OF_RANGE]
    ok = deliver(decoder, node.data(T0 + 1_000, {"load": 0.3}, device_id=DEVICE))
    assert not ok.rejections


def test_a_signal_name_the_platform_cannot_take_is_rejected_alone() -> None:
    node = EdgeNode(GROUP, NODE)
    node.add_metric("a" * 201, DT.DOUBLE, 1.0, device_id=DEVICE)
    node.add_metric("ok", DT.DOUBLE, 2.0, device_id=DEVICE)
    decoder = SparkplugDecoder()
    nbirth, dbirth = node.births(T0)
    deliver(decoder, nbirth)
    decoded = deliver(decoder, dbirth)
    assert list(decoded.readings) == [Reading(CNC, "ok", T0 * 1000, 2.0, None, DataType.FLOAT)]
    assert reasons(decoded) == [RejectReason.SCHEMA]
    assert not decoded.rejected_whole


def test_data_types() -> None:
    assert data_type_of(DT.INT8) is data_type_of(DT.UINT64) is data_type_of(DT.DATETIME) is DataType.INT
    assert data_type_of(DT.FLOAT) is data_type_of(DT.DOUBLE) is DataType.FLOAT
    assert data_type_of(DT.BOOLEAN) is DataType.BOOL
    assert data_type_of(DT.STRING) is data_type_of(DT.TEXT) is data_type_of(DT.UUID) is DataType.STRING
    assert data_type_of(DT.DATASET) is None

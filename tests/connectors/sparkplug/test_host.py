from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.connectors.sparkplug.make_fixtures import DEVICE, GROUP, NODE, SCALARS, T0, press_node
from zhizao.connectors.sparkplug.codec import (
    Metric,
    Payload,
    Publish,
    SparkplugDataType,
    decode,
    decode_state,
    encode,
    is_rebirth_request,
)
from zhizao.connectors.sparkplug.edge import EdgeNode
from zhizao.connectors.sparkplug.host import (
    HostOutcome,
    MetricDefinition,
    Reading,
    Rejection,
    Source,
    SparkplugHost,
    StatusChange,
    state_payload,
)
from zhizao.telemetry.kinds import RejectReason

FIXTURES = Path(__file__).parent / "fixtures"
DT = SparkplugDataType
NODE_SOURCE = Source(GROUP, NODE)
DEVICE_SOURCE = Source(GROUP, NODE, DEVICE)
TOPIC = f"spBv1.0/{GROUP}/{{}}/{NODE}"
NCMD = f"spBv1.0/{GROUP}/NCMD/{NODE}"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def deliver(host: SparkplugHost, message: Publish, at: int = T0) -> HostOutcome:
    return host.handle(message.topic, message.payload, at)


def born(edge: EdgeNode | None = None) -> tuple[SparkplugHost, EdgeNode]:
    """A host that has seen the births of ``edge`` (the fixtures' press node by default)."""
    host = SparkplugHost("zhizao")
    edge = edge or press_node()
    for message in edge.births(T0):
        outcome = deliver(host, message)
        assert outcome.rejections == []
    return host, edge


def assert_rebirth_requested(outcome: HostOutcome, at: int = T0) -> None:
    assert len(outcome.commands) == 1
    command = outcome.commands[0]
    assert (command.topic, command.qos, command.retain) == (NCMD, 0, False)
    payload = decode(command.payload)
    assert is_rebirth_request(payload)
    assert payload.timestamp == at


def reasons(outcome: HostOutcome) -> list[RejectReason]:
    return [r.reason for r in outcome.rejections]


# ---------------------------------------------------------------- births and data from the fixtures


def test_nbirth_fixture_brings_the_node_online_with_definitions_and_readings() -> None:
    host = SparkplugHost("zhizao")
    outcome = host.handle(TOPIC.format("NBIRTH"), fixture("edge_nbirth.bin"), T0 + 50)
    assert outcome.rejections == []
    assert outcome.status_changes == [StatusChange(NODE_SOURCE, True, T0)]
    assert host.node_online(GROUP, NODE)
    # bdSeq and Node Control/Rebirth are protocol, not data.
    assert outcome.births == [
        MetricDefinition(NODE_SOURCE, name, datatype, alias)
        for alias, (name, datatype, _) in enumerate(SCALARS, start=1)
    ]
    assert outcome.readings == [Reading(NODE_SOURCE, name, T0, value, dt) for name, dt, value in SCALARS]
    assert outcome.commands == []


def test_aliases_resolve_to_born_names_and_types() -> None:
    host = SparkplugHost("zhizao")
    host.handle(TOPIC.format("NBIRTH"), fixture("edge_nbirth.bin"), T0)
    dbirth = host.handle(f"spBv1.0/{GROUP}/DBIRTH/{NODE}/{DEVICE}", fixture("edge_dbirth.bin"), T0)
    assert dbirth.status_changes == [StatusChange(DEVICE_SOURCE, True, T0)]
    assert [d.name for d in dbirth.births] == ["speed", "load", "running"]
    assert host.device_online(GROUP, NODE, DEVICE)

    ndata = host.handle(TOPIC.format("NDATA"), fixture("edge_ndata.bin"), T0 + 5_000)
    assert ndata.rejections == []
    at = T0 + 1_000
    assert ndata.readings == [
        Reading(NODE_SOURCE, "Int8", at, -128, DT.INT8),
        Reading(NODE_SOURCE, "UInt64", at, 2**64 - 1, DT.UINT64),
        Reading(NODE_SOURCE, "Double", at, -0.5, DT.DOUBLE),
        Reading(NODE_SOURCE, "String", at, "IDLE", DT.STRING),
    ]
    ddata = host.handle(f"spBv1.0/{GROUP}/DDATA/{NODE}/{DEVICE}", fixture("edge_ddata.bin"), T0 + 5_000)
    assert ddata.readings == [
        Reading(DEVICE_SOURCE, "speed", at, 1250.5, DT.DOUBLE),
        Reading(DEVICE_SOURCE, "load", at, None, DT.FLOAT),  # an explicit null
    ]
    ddeath = host.handle(f"spBv1.0/{GROUP}/DDEATH/{NODE}/{DEVICE}", fixture("edge_ddeath.bin"), T0 + 5_000)
    assert ddeath.rejections == []
    assert ddeath.status_changes == [StatusChange(DEVICE_SOURCE, False, T0 + 2_000)]
    assert not host.device_online(GROUP, NODE, DEVICE)
    assert host.node_online(GROUP, NODE)


def test_complex_birth_announces_everything_but_reads_only_scalars() -> None:
    host = SparkplugHost("zhizao")
    host.handle(TOPIC.format("NBIRTH"), fixture("edge_nbirth.bin"), T0)
    outcome = host.handle(f"spBv1.0/{GROUP}/DBIRTH/{NODE}/vision", fixture("raw_dbirth_complex.bin"), T0)
    vision = Source(GROUP, NODE, "vision")
    assert outcome.rejections == []
    assert [(d.name, d.datatype, d.alias) for d in outcome.births] == [
        ("recipe", DT.DATASET, 100),
        ("tool", DT.TEMPLATE, 101),
        ("image", DT.BYTES, 102),
        ("temperatures", DT.FLOAT_ARRAY, 103),
        ("pressure", DT.DOUBLE, 104),
        ("offset", DT.INT8, 105),
        ("count", DT.UINT32, 106),
        ("serial", DT.STRING, 107),
        ("future", DT.UNKNOWN, 108),
    ]
    assert outcome.readings == [
        Reading(vision, "pressure", T0 + 500, None, DT.DOUBLE),
        Reading(vision, "offset", T0 + 500, -1, DT.INT8),
        Reading(vision, "count", T0 + 400, 4_000_000_000, DT.UINT32),
        Reading(vision, "serial", T0 + 500, "SN-0042", DT.STRING),
    ]


# ---------------------------------------------------------------- sequence numbers


def test_seq_wraps_from_255_to_0() -> None:
    host, edge = born()
    seqs = []
    for i in range(300):
        message = edge.data(T0 + i, {"Double": float(i)})
        seqs.append(decode(message.payload).seq)
        outcome = deliver(host, message, T0 + i)
        assert outcome.rejections == [], i
        assert outcome.readings[0].value == float(i)
    assert seqs[253:256] == [255, 0, 1]  # births took 0 and 1


def test_seq_gap_rejects_requests_rebirth_and_ignores_data_until_nbirth() -> None:
    host, edge = born()
    edge.data(T0, {"Double": 1.0})  # lost
    gap = deliver(host, edge.data(T0 + 1, {"Double": 2.0}), T0 + 10)
    assert gap.rejections == [Rejection(RejectReason.SEQUENCE_GAP, "NDATA seq 3, expected 2")]
    assert gap.readings == []
    assert_rebirth_requested(gap, T0 + 10)

    # In order again, but the session is no longer trusted: rejected, and no second command this soon.
    later = deliver(host, edge.data(T0 + 2, {"Double": 3.0}), T0 + 20)
    assert reasons(later) == [RejectReason.SEQUENCE_GAP]
    assert (later.readings, later.commands) == ([], [])
    device = deliver(host, edge.data(T0 + 3, {"speed": 1.0}, device_id=DEVICE), T0 + 30)
    assert reasons(device) == [RejectReason.SEQUENCE_GAP]
    # After the interval, the request is repeated.
    assert_rebirth_requested(deliver(host, edge.data(T0 + 4, {"Double": 4.0}), T0 + 6_000), T0 + 6_000)

    # The edge node answers the command with its births; data flows again.
    births = edge.handle_command(gap.commands[0].topic, gap.commands[0].payload, T0 + 7_000)
    assert [m.topic.split("/")[2] for m in births] == ["NBIRTH", "DBIRTH"]
    outcomes = [deliver(host, m, T0 + 7_000) for m in births]
    assert all(o.rejections == [] for o in outcomes)
    # The device was online before the rebirth: offline at the NBIRTH, online again at its DBIRTH.
    assert outcomes[0].status_changes == [StatusChange(DEVICE_SOURCE, False, T0 + 7_000)]
    assert outcomes[1].status_changes == [StatusChange(DEVICE_SOURCE, True, T0 + 7_000)]
    after = deliver(host, edge.data(T0 + 8_000, {"Double": 5.0}), T0 + 8_000)
    assert (after.rejections, [r.value for r in after.readings]) == ([], [5.0])


def test_ndata_before_nbirth_is_not_born_and_requests_rebirth() -> None:
    host = SparkplugHost("zhizao")
    edge = press_node()
    outcome = deliver(host, edge.data(T0, {"Double": 1.0}))
    assert reasons(outcome) == [RejectReason.NOT_BORN]
    assert_rebirth_requested(outcome)
    assert not host.node_online(GROUP, NODE)


def test_ddata_before_dbirth_is_not_born_and_requests_rebirth() -> None:
    host, edge = born(EdgeNode(GROUP, NODE))
    edge.add_metric("speed", DT.DOUBLE, 1.0, device_id=DEVICE)  # a device the births did not include
    outcome = deliver(host, edge.data(T0, {"speed": 2.0}, device_id=DEVICE))
    assert outcome.rejections == [
        Rejection(RejectReason.NOT_BORN, f"DDATA from device {DEVICE!r} before its DBIRTH"),
    ]
    assert outcome.readings == []
    assert_rebirth_requested(outcome)
    # The message was in sequence: the node's session goes on.
    assert deliver(host, edge.data(T0, {}), T0 + 1).rejections == []


def test_alias_never_born_is_rejected_and_requests_rebirth_other_metrics_kept() -> None:
    host, _ = born()
    payload = Payload(
        timestamp=T0 + 1,
        seq=2,
        metrics=(Metric(alias=999, datatype=DT.DOUBLE, value=1.0), Metric(alias=10, value=2.5)),
    )
    outcome = host.handle(TOPIC.format("NDATA"), encode(payload, born={10: DT.DOUBLE}), T0 + 1)
    assert outcome.rejections == [Rejection(RejectReason.ALIAS_NOT_BORN, "alias 999 was not in the birth")]
    assert outcome.readings == [Reading(NODE_SOURCE, "Double", T0 + 1, 2.5, DT.DOUBLE)]
    assert_rebirth_requested(outcome, T0 + 1)


# ---------------------------------------------------------------- deaths


def test_ndeath_with_a_stale_bdseq_is_ignored() -> None:
    edge = press_node()
    old_will = edge.will()  # bdSeq 7: the will of a session that has since ended
    edge.reconnect()
    host, edge = born(edge)  # births with bdSeq 8
    outcome = deliver(host, old_will)
    assert outcome == HostOutcome()
    assert host.node_online(GROUP, NODE)
    assert host.device_online(GROUP, NODE, DEVICE)


def test_ndeath_with_matching_bdseq_takes_node_and_devices_offline() -> None:
    host, edge = born()
    outcome = host.handle(TOPIC.format("NDEATH"), fixture("edge_ndeath.bin"), T0 + 9_000)  # bdSeq 7, as born
    assert outcome.rejections == []
    assert outcome.status_changes == [
        StatusChange(DEVICE_SOURCE, False, T0 + 9_000),
        StatusChange(NODE_SOURCE, False, T0 + 9_000),
    ]
    assert not host.node_online(GROUP, NODE)
    assert not host.device_online(GROUP, NODE, DEVICE)
    after = deliver(host, edge.data(T0, {"Double": 1.0}), T0 + 9_001)
    assert reasons(after) == [RejectReason.NOT_BORN]
    assert_rebirth_requested(after, T0 + 9_001)


def test_ndeath_without_bdseq_is_a_schema_error() -> None:
    host, _ = born()
    outcome = host.handle(TOPIC.format("NDEATH"), encode(Payload()), T0)
    assert reasons(outcome) == [RejectReason.SCHEMA]
    assert host.node_online(GROUP, NODE)


def test_ddeath_then_ddata_is_not_born() -> None:
    host, edge = born()
    death = deliver(host, edge.device_death(DEVICE, T0 + 1))
    assert death.status_changes == [StatusChange(DEVICE_SOURCE, False, T0 + 1)]
    after = deliver(host, edge.data(T0 + 2, {"speed": 1.0}, device_id=DEVICE))
    assert reasons(after) == [RejectReason.NOT_BORN]
    assert_rebirth_requested(after)


def test_nbirth_without_bdseq_is_a_schema_error() -> None:
    host = SparkplugHost("zhizao")
    outcome = host.handle(TOPIC.format("NBIRTH"), encode(Payload(timestamp=T0, seq=0)), T0)
    assert reasons(outcome) == [RejectReason.SCHEMA]
    assert not host.node_online(GROUP, NODE)


# ---------------------------------------------------------------- metrics after the birth, types


def test_metric_new_after_birth_is_accepted_and_reported_once() -> None:
    host, edge = born()
    edge.add_metric("oil temperature", DT.FLOAT, None)
    first = deliver(host, edge.data(T0 + 1, {"oil temperature": 41.5}))
    assert first.rejections == []
    assert first.new_metrics == [MetricDefinition(NODE_SOURCE, "oil temperature", DT.FLOAT)]
    assert first.readings == [Reading(NODE_SOURCE, "oil temperature", T0 + 1, 41.5, DT.FLOAT)]
    second = deliver(host, edge.data(T0 + 2, {"oil temperature": 42.0}))
    assert (second.rejections, second.new_metrics) == ([], [])
    assert [r.value for r in second.readings] == [42.0]


def test_metric_new_after_birth_without_datatype_is_rejected() -> None:
    host, _ = born()
    payload = Payload(timestamp=T0, seq=2, metrics=(Metric(name="mystery", value=1),))
    outcome = host.handle(TOPIC.format("NDATA"), encode(payload, born={"mystery": DT.INT32}), T0)
    assert outcome.rejections == [
        Rejection(RejectReason.SCHEMA, "a metric not in the birth needs a datatype", "mystery"),
    ]


@pytest.mark.parametrize(
    ("metric", "reason"),
    [
        (Metric(alias=10, datatype=DT.FLOAT, value=1.0), RejectReason.WRONG_TYPE),  # born a Double
        (Metric(alias=12, datatype=DT.INT32, value=1), RejectReason.WRONG_TYPE),  # born a String
        (Metric(alias=10, datatype=DT.DOUBLE, value=math.nan), RejectReason.NOT_FINITE),
        (Metric(alias=9, datatype=DT.FLOAT, value=math.inf), RejectReason.NOT_FINITE),
        (Metric(datatype=DT.FLOAT, value=1.0), RejectReason.SCHEMA),  # neither name nor alias
    ],
)
def test_bad_metrics_are_rejected_alone(metric: Metric, reason: RejectReason) -> None:
    host, _ = born()
    good = Metric(alias=11, datatype=DT.BOOLEAN, value=False)
    outcome = host.handle(TOPIC.format("NDATA"), encode(Payload(timestamp=T0, seq=2, metrics=(metric, good))), T0)
    assert reasons(outcome) == [reason]
    assert [(r.metric, r.value) for r in outcome.readings] == [("Boolean", False)]
    assert outcome.commands == []


def test_edge_without_aliases_sends_names() -> None:
    edge = EdgeNode(GROUP, NODE, use_aliases=False)
    edge.add_metric("count", DT.UINT32, 0)
    host, edge = born(edge)
    outcome = deliver(host, edge.data(T0 + 1, {"count": 7}))
    assert outcome.readings == [Reading(NODE_SOURCE, "count", T0 + 1, 7, DT.UINT32)]


# ---------------------------------------------------------------- other messages


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("spBv1.0/plant-1/NDATA", b"", RejectReason.BAD_TOPIC),
        ("factory/press-3/data", b"{}", RejectReason.BAD_TOPIC),
        (TOPIC.format("NDATA"), b"\xff\xff\xff", RejectReason.MALFORMED_PROTOBUF),
        ("spBv1.0/STATE/zhizao", b"not json", RejectReason.MALFORMED_JSON),
    ],
)
def test_undecodable_messages_are_rejected_not_raised(topic: str, payload: bytes, reason: RejectReason) -> None:
    assert reasons(SparkplugHost("zhizao").handle(topic, payload, T0)) == [reason]


def test_commands_from_hosts_are_not_applied() -> None:
    host, _ = born()
    assert host.handle(NCMD, fixture("edge_ncmd_rebirth.bin"), T0) == HostOutcome()
    assert host.handle(f"spBv1.0/{GROUP}/DCMD/{NODE}/{DEVICE}", b"\xff", T0) == HostOutcome()


def test_state_birth_and_will_share_the_connect_timestamp() -> None:
    host = SparkplugHost("zhizao")
    will, birth = host.connect(T0)
    assert (will.topic, will.qos, will.retain) == ("spBv1.0/STATE/zhizao", 1, True)
    assert (birth.topic, birth.qos, birth.retain) == ("spBv1.0/STATE/zhizao", 1, True)
    assert will.payload == state_payload(False, T0) == b'{"online":false,"timestamp":1700000000000}'
    assert birth.payload == state_payload(True, T0)
    assert host.disconnect() == will
    assert host.disconnect() is None


def test_own_offline_state_is_answered_with_our_birth() -> None:
    host = SparkplugHost("zhizao")
    assert host.handle("spBv1.0/STATE/zhizao", state_payload(False, T0), T0) == HostOutcome()  # not connected
    _, birth = host.connect(T0 + 1)
    assert host.handle("spBv1.0/STATE/zhizao", state_payload(True, T0 + 1), T0 + 2) == HostOutcome()
    outcome = host.handle("spBv1.0/STATE/zhizao", state_payload(False, T0), T0 + 3)
    assert outcome.commands == [birth]
    assert decode_state(birth.payload).online


def test_other_hosts_state_is_ignored() -> None:
    host = SparkplugHost("zhizao")
    host.connect(T0)
    assert host.handle("spBv1.0/STATE/scada", state_payload(False, T0), T0) == HostOutcome()
    assert host.handle("spBv1.0/STATE/scada", b"garbage", T0) == HostOutcome()

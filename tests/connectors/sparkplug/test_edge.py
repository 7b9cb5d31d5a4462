from __future__ import annotations

import pytest

from tests.connectors.sparkplug.make_fixtures import DEVICE, GROUP, NODE, T0, press_node
from zhizao.connectors.sparkplug.codec import BDSEQ, REBIRTH, SparkplugDataType, bd_seq_of, decode, rebirth_request
from zhizao.connectors.sparkplug.edge import EdgeNode
from zhizao.connectors.sparkplug.errors import SparkplugRejected

DT = SparkplugDataType


def test_will_carries_the_sessions_bdseq_and_reconnect_advances_it() -> None:
    edge = EdgeNode(GROUP, NODE, bd_seq=255)
    will = edge.will()
    assert (will.topic, will.qos, will.retain) == (f"spBv1.0/{GROUP}/NDEATH/{NODE}", 1, False)
    assert bd_seq_of(decode(will.payload)) == 255
    edge.reconnect()
    assert edge.bd_seq == 0
    nbirth = edge.births(T0)[0]
    assert bd_seq_of(decode(nbirth.payload)) == 0


def test_births_announce_protocol_metrics_then_every_metric_with_alias_and_value() -> None:
    nbirth, dbirth = press_node().births(T0)
    assert nbirth.topic == f"spBv1.0/{GROUP}/NBIRTH/{NODE}"
    assert dbirth.topic == f"spBv1.0/{GROUP}/DBIRTH/{NODE}/{DEVICE}"
    node, device = decode(nbirth.payload), decode(dbirth.payload)
    assert (node.seq, device.seq) == (0, 1)
    assert [m.name for m in node.metrics[:2]] == [BDSEQ, REBIRTH]
    assert node.metrics[1].value is False
    assert [(m.name, m.alias, m.datatype, m.value) for m in device.metrics] == [
        ("speed", 15, DT.DOUBLE, 1200.0),
        ("load", 16, DT.FLOAT, 0.25),
        ("running", 17, DT.BOOLEAN, True),
    ]


def test_data_carries_aliases_only_and_remembers_values_for_the_next_birth() -> None:
    edge = press_node()
    edge.births(T0)
    ddata = decode(edge.data(T0 + 1, {"speed": 99.5}, device_id=DEVICE).payload)
    assert [(m.name, m.alias, m.datatype, m.value) for m in ddata.metrics] == [(None, 15, None, 99.5)]
    _, dbirth = edge.births(T0 + 2)
    assert decode(dbirth.payload).metrics[0].value == 99.5


def test_rebirth_command_re_emits_births_with_seq_from_zero() -> None:
    edge = press_node()
    edge.births(T0)
    edge.data(T0, {"Double": 1.0})
    ncmd = f"spBv1.0/{GROUP}/NCMD/{NODE}"
    births = edge.handle_command(ncmd, rebirth_request(T0 + 1), T0 + 1)
    assert [decode(m.payload).seq for m in births] == [0, 1]
    assert edge.next_seq == 2


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        (f"spBv1.0/{GROUP}/NCMD/other-node", rebirth_request(T0)),
        (f"spBv1.0/{GROUP}/DCMD/{NODE}/{DEVICE}", rebirth_request(T0)),
        (f"spBv1.0/{GROUP}/NCMD/{NODE}", b"\xff\xff"),
        ("spBv1.0/bad", rebirth_request(T0)),
    ],
)
def test_other_commands_produce_nothing(topic: str, payload: bytes) -> None:
    assert press_node().handle_command(topic, payload, T0) == []


def test_metrics_added_after_the_birth_are_sent_by_name_with_datatype() -> None:
    edge = press_node()
    edge.births(T0)
    edge.add_metric("cycle count", DT.UINT32, 0)
    metric = decode(edge.data(T0, {"cycle count": 5}).payload).metrics[0]
    assert (metric.name, metric.alias, metric.datatype, metric.value) == ("cycle count", None, DT.UINT32, 5)
    edge.births(T0 + 1)
    metric = decode(edge.data(T0 + 2, {"cycle count": 6}).payload).metrics[0]
    assert (metric.name, metric.datatype) == (None, None)


def test_misuse_is_refused() -> None:
    edge = press_node()
    with pytest.raises(ValueError, match="reserved"):
        edge.add_metric(BDSEQ, DT.UINT64, 0)
    with pytest.raises(ValueError, match="already defined"):
        edge.add_metric("Int8", DT.INT8, 0)
    with pytest.raises(ValueError, match="unknown metric"):
        edge.data(T0, {"nope": 1})
    with pytest.raises(ValueError, match="unknown device"):
        edge.data(T0, {}, device_id="nope")
    with pytest.raises(SparkplugRejected):
        EdgeNode("a/b", NODE)

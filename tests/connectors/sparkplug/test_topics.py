from __future__ import annotations

import pytest

from zhizao.connectors.sparkplug.errors import SparkplugRejected
from zhizao.connectors.sparkplug.topics import (
    EdgeTopic,
    MessageType,
    StateTopic,
    device_topic,
    node_topic,
    parse_topic,
    state_topic,
)
from zhizao.telemetry.kinds import RejectReason


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("spBv1.0/plant-1/NBIRTH/press-3", EdgeTopic("plant-1", MessageType.NBIRTH, "press-3")),
        ("spBv1.0/plant-1/NDEATH/press-3", EdgeTopic("plant-1", MessageType.NDEATH, "press-3")),
        ("spBv1.0/plant-1/NDATA/press-3", EdgeTopic("plant-1", MessageType.NDATA, "press-3")),
        ("spBv1.0/plant-1/NCMD/press-3", EdgeTopic("plant-1", MessageType.NCMD, "press-3")),
        ("spBv1.0/plant-1/DBIRTH/press-3/spindle", EdgeTopic("plant-1", MessageType.DBIRTH, "press-3", "spindle")),
        ("spBv1.0/plant-1/DDEATH/press-3/spindle", EdgeTopic("plant-1", MessageType.DDEATH, "press-3", "spindle")),
        ("spBv1.0/plant-1/DDATA/press-3/spindle", EdgeTopic("plant-1", MessageType.DDATA, "press-3", "spindle")),
        ("spBv1.0/plant-1/DCMD/press-3/spindle", EdgeTopic("plant-1", MessageType.DCMD, "press-3", "spindle")),
        ("spBv1.0/上海/NDATA/冲压机", EdgeTopic("上海", MessageType.NDATA, "冲压机")),
        ("spBv1.0/STATE/zhizao-host", StateTopic("zhizao-host")),
    ],
)
def test_parse_and_format_round_trip(topic: str, expected: EdgeTopic | StateTopic) -> None:
    assert parse_topic(topic) == expected
    assert str(expected) == topic


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "spBv1.0",
        "spAv1.0/plant-1/NDATA/press-3",  # Sparkplug A
        "spBv1.0/plant-1/NDATA",  # no edge node
        "spBv1.0/plant-1/NDATA/press-3/spindle",  # N… with a device
        "spBv1.0/plant-1/DDATA/press-3",  # D… without a device
        "spBv1.0/plant-1/DDATA/press-3/spindle/extra",
        "spBv1.0/plant-1/NFOO/press-3",
        "spBv1.0/plant-1/ndata/press-3",  # message types are upper case
        "spBv1.0//NDATA/press-3",  # empty group
        "spBv1.0/plant-1/NDATA/",  # empty edge node
        "spBv1.0/plant-1/DDATA/press-3/",  # empty device
        "spBv1.0/STATE",
        "spBv1.0/STATE/",
        "STATE/zhizao-host",  # the Sparkplug 2.2 form
        "spBv1.0/plant+1/NDATA/press-3",
        "spBv1.0/plant-1/NDATA/press#3",
    ],
)
def test_bad_topics_are_rejected_with_bad_topic(topic: str) -> None:
    with pytest.raises(SparkplugRejected) as caught:
        parse_topic(topic)
    assert caught.value.reason is RejectReason.BAD_TOPIC


def test_format_helpers() -> None:
    assert node_topic("g", MessageType.NCMD, "n") == "spBv1.0/g/NCMD/n"
    assert device_topic("g", MessageType.DCMD, "n", "d") == "spBv1.0/g/DCMD/n/d"
    assert state_topic("h") == "spBv1.0/STATE/h"


@pytest.mark.parametrize(
    ("group", "kind", "node", "device"),
    [
        ("g/1", MessageType.NDATA, "n", None),
        ("g", MessageType.NDATA, "", None),
        ("g", MessageType.NDATA, "n", "d"),
        ("g", MessageType.DDATA, "n", None),
        ("g", MessageType.DDATA, "n", "d+"),
    ],
)
def test_formatting_refuses_bad_ids(group: str, kind: MessageType, node: str, device: str | None) -> None:
    with pytest.raises(SparkplugRejected) as caught:
        EdgeTopic(group, kind, node, device)
    assert caught.value.reason is RejectReason.BAD_TOPIC

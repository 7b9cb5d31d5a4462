from __future__ import annotations

import pytest

from zhizao.connectors.mqtt_json import SUBSCRIPTION, data_topic, parse_topic
from zhizao.telemetry.ingest.decoding import DeviceRef
from zhizao.telemetry.ingest.pipeline import topic_matches


def test_round_trip() -> None:
    topic = data_topic(12, "Press_07-a")
    assert topic == "zhizao/v1/12/Press_07-a/data"
    assert parse_topic(topic) == DeviceRef(12, "Press_07-a")
    assert topic_matches(SUBSCRIPTION, topic)


@pytest.mark.parametrize(
    "topic",
    ["zhizao/v1/12/a b/data", "zhizao/v1/012/dev/data", "zhizao/v1/-1/dev/data", "zhizao/v1/12/dev/data/x", ""],
)
def test_not_data_topics(topic: str) -> None:
    assert parse_topic(topic) is None


def test_data_topic_refuses_what_parse_would() -> None:
    with pytest.raises(ValueError, match="not a device address"):
        data_topic(0, "dev")
    with pytest.raises(ValueError, match="not a device address"):
        data_topic(1, "a/b")


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        ("zhizao/v1/+/+/data", "zhizao/v1/1/d/data", True),
        ("zhizao/v1/+/+/data", "zhizao/v1/1/d/data/x", False),
        ("zhizao/v1/+/+/data", "zhizao/v1/1/data", False),
        ("spBv1.0/#", "spBv1.0/g/NDATA/e", True),
        ("spBv1.0/#", "spBv1.0", True),
        ("#", "$SYS/broker", False),
    ],
)
def test_topic_matching(topic_filter: str, topic: str, matches: bool) -> None:
    assert topic_matches(topic_filter, topic) is matches

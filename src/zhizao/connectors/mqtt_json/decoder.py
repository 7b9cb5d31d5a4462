"""The MQTT JSON ``Decoder``: topic + bytes → readings and rejections."""

from __future__ import annotations

from collections.abc import Sequence

from zhizao.connectors.mqtt_json.payload import decode_payload
from zhizao.connectors.mqtt_json.topics import SUBSCRIPTION, enterprise_hint, parse_topic
from zhizao.telemetry.ingest.decoding import DecodedMessage, Rejection
from zhizao.telemetry.kinds import Protocol, RejectReason


class MqttJsonDecoder:
    """Stateless; one instance serves every worker thread."""

    @property
    def source(self) -> Protocol:
        return Protocol.MQTT_JSON

    @property
    def topic_filters(self) -> Sequence[str]:
        return (SUBSCRIPTION,)

    @property
    def shareable(self) -> bool:
        return True  # messages are independent: any worker may take any of them

    def decode(self, topic: str, payload: bytes, received_at_us: int) -> DecodedMessage:
        device = parse_topic(topic)
        if device is None:
            detail = "topic is not zhizao/v1/{enterprise_id}/{device_code}/data"
            return DecodedMessage(
                rejections=[Rejection(RejectReason.BAD_TOPIC, detail)], enterprise_id=enterprise_hint(topic)
            )
        return decode_payload(device, payload, received_at_us)

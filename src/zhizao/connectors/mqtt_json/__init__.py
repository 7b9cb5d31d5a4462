"""MQTT JSON: zhizao's own plain-JSON device protocol. Pure modules, tested against fixture payloads.

Topic ``zhizao/v1/{enterprise_id}/{device_code}/data``; payload a JSON object, at most 256 KiB::

    {"samples": [{"signal": "spindle_load", "ts": 1732780800000, "value": 41.5},
                 {"signal": "program", "ts": "2024-11-28T08:00:00.250Z", "value": "O1001"}]}
    {"ts": 1732780800000, "values": {"spindle_load": 41.5, "door_open": false}}

Both forms may appear in one message (a sample without ``ts`` takes the message's ``ts``); ``ts`` is integer
milliseconds since the epoch or an RFC 3339 string with a zone. At most 10,000 samples a message.
"""

from zhizao.connectors.mqtt_json.decoder import MqttJsonDecoder
from zhizao.connectors.mqtt_json.payload import MAX_PAYLOAD_BYTES, MAX_SAMPLES, decode_payload
from zhizao.connectors.mqtt_json.topics import SUBSCRIPTION, data_topic, parse_topic

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "MAX_SAMPLES",
    "SUBSCRIPTION",
    "MqttJsonDecoder",
    "data_topic",
    "decode_payload",
    "parse_topic",
]

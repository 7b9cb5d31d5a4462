"""Commands over MQTT: the topics and payloads (pure), and the publisher the web app holds (``app.state``).

* ``mqtt_json`` devices: ``zhizao/v1/{enterprise_id}/{device_code}/cmd``, QoS 1, JSON
  ``{"id": command_id, "signal": name, "value": v, "ts": epoch_ms}``. Remote commands carry a number or a
  boolean and their integer command id; a shared booking's job dispatch (``zhizao.sharing.dispatch``) carries
  text (the job id) and a string id of its own, so that it never collides with a command's.
* ``sparkplug_b`` devices: ``spBv1.0/{enterprise_id}/NCMD/{edge_node_id}`` when the device is an edge node, else
  ``spBv1.0/{enterprise_id}/DCMD/{edge_node_id}/{device_code}``; one metric named as the signal (Double for float
  signals, Int64 for int, Boolean for bool, String for the job dispatch's text), encoded with the project's
  Sparkplug codec; QoS 1.
"""

from __future__ import annotations

import json
import threading
from typing import Protocol
from urllib.parse import unquote, urlsplit
from uuid import uuid4

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from zhizao.connectors.sparkplug.codec import Metric, Payload, SparkplugDataType, encode
from zhizao.connectors.sparkplug.topics import MessageType, device_topic, node_topic
from zhizao.errors import ConfigurationError, Unavailable
from zhizao.telemetry.devices import command_topic
from zhizao.telemetry.kinds import DataType

COMMAND_QOS = 1

_SPARKPLUG_TYPES = {
    DataType.FLOAT: SparkplugDataType.DOUBLE,
    DataType.INT: SparkplugDataType.INT64,
    DataType.BOOL: SparkplugDataType.BOOLEAN,
    DataType.STRING: SparkplugDataType.STRING,  # text is never a writable point: only a job dispatch sends it
}


def json_topic(enterprise_id: int, device_code: str) -> str:
    return command_topic(enterprise_id, device_code)


def json_payload(command_id: int | str, signal: str, value: float | int | bool | str, ts_ms: int) -> bytes:
    document = {"id": command_id, "signal": signal, "value": value, "ts": ts_ms}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def sparkplug_topic(enterprise_id: int, device_code: str, edge_node_id: str | None) -> str:
    if edge_node_id is None or edge_node_id == device_code:
        return node_topic(str(enterprise_id), MessageType.NCMD, device_code)
    return device_topic(str(enterprise_id), MessageType.DCMD, edge_node_id, device_code)


def sparkplug_payload(signal: str, data_type: DataType, value: float | int | bool | str, ts_ms: int) -> bytes:
    datatype = _SPARKPLUG_TYPES.get(data_type)
    if datatype is None:
        raise ValueError(f"a {data_type.value} signal cannot be commanded")
    if isinstance(value, str) != (datatype is SparkplugDataType.STRING):
        raise ValueError(f"a {data_type.value} signal cannot take {value!r}")
    if datatype is SparkplugDataType.DOUBLE:
        value = float(value)
    metric = Metric(name=signal, datatype=datatype, value=value, timestamp=ts_ms)
    return encode(Payload(timestamp=ts_ms, metrics=(metric,)))


class CommandPublisher(Protocol):
    """What the MQTT transport publishes through; returns once the broker acknowledged a QoS 1 publish."""

    def publish(self, topic: str, payload: bytes, *, qos: int, timeout_s: float) -> None: ...


class PahoCommandPublisher:
    """One MQTT connection (paho, its own network thread), opened on first use and reconnected when lost.

    Thread-safe: web requests publish from the thread pool. ``url``: ``mqtt://[user[:password]@]host[:port]``,
    ``mqtts://`` for TLS. The account must be allowed to publish to the command topics.
    """

    def __init__(self, url: str, *, client_id: str | None = None, connect_timeout_s: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ConfigurationError(f"not an MQTT broker URL (mqtt://host:port): {parts.scheme}://{parts.hostname}")
        self._host = parts.hostname
        self._port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self._label = f"{parts.scheme}://{self._host}:{self._port}"
        self._connect_timeout_s = connect_timeout_s
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or f"zhizao-commands-{uuid4().hex[:12]}"
        )
        if parts.username:
            self._client.username_pw_set(unquote(parts.username), unquote(parts.password or "") or None)
        if parts.scheme == "mqtts":
            self._client.tls_set()
        self._lock = threading.Lock()
        self._started = False

    @property
    def label(self) -> str:
        return self._label

    def _ensure_connected(self) -> None:
        with self._lock:
            if self._client.is_connected():
                return
            if not self._started:
                try:
                    self._client.connect(self._host, self._port, keepalive=30)
                except OSError as exc:
                    raise Unavailable(f"the MQTT broker {self._label} did not answer: {exc}") from exc
                self._client.loop_start()
                self._started = True
        # The network thread finishes the handshake (and reconnects on its own after a loss).
        waited = 0.0
        while not self._client.is_connected() and waited < self._connect_timeout_s:
            threading.Event().wait(0.05)
            waited += 0.05
        if not self._client.is_connected():
            raise Unavailable(f"the MQTT broker {self._label} did not accept the connection")

    def publish(self, topic: str, payload: bytes, *, qos: int, timeout_s: float) -> None:
        self._ensure_connected()
        info = self._client.publish(topic, payload, qos=qos)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise Unavailable(f"the MQTT broker {self._label} refused the publish ({paho.error_string(info.rc)})")
        try:
            info.wait_for_publish(timeout_s)
        except (RuntimeError, ValueError) as exc:
            raise Unavailable(f"publishing to {self._label} failed: {exc}") from exc
        if not info.is_published():
            raise Unavailable(f"the MQTT broker {self._label} did not acknowledge the command within {timeout_s:g} s")

    def close(self) -> None:
        with self._lock:
            if self._started:
                self._client.disconnect()
                self._client.loop_stop()
                self._started = False


def open_publisher(url: str, *, client_id: str | None = None) -> PahoCommandPublisher:
    """The publisher for ``app.state.command_publisher`` (it connects on first use)."""
    return PahoCommandPublisher(url, client_id=client_id)

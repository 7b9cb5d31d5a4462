"""The MQTT side of a worker: paho-mqtt with MQTT 5, QoS 1, a persistent session and manual acknowledgement.

aiomqtt (2.5) acknowledges every message as soon as it is read and drops messages when its queue is full, so it
cannot give at-least-once; paho-mqtt 2.x can (``manual_ack=True``, then ``Client.ack(mid, qos)``). paho's network
thread calls ``on_message``, which hands the message to the pipeline and waits while the pipeline is full: the
thread stops reading from the socket and the broker stops sending once ``ReceiveMaximum`` messages are unacked.

The session is persistent (``clean_start=False`` and a session expiry), and the client id stays the same across
reconnects and restarts, so what was delivered but not acknowledged is delivered again. An acknowledgement is only
sent on the connection that received the message: after a reconnect the broker redelivers instead, and the
replay is stored once thanks to the samples' primary key.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from zhizao.errors import ConfigurationError
from zhizao.telemetry.ingest.decoding import OutboundMessage
from zhizao.telemetry.ingest.metrics import IngestMetrics
from zhizao.telemetry.ingest.pipeline import InboundMessage
from zhizao.telemetry.timeutil import now_us

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883}


class MqttVersion(StrEnum):
    """MQTT 5 (shared subscriptions, session expiry, receive maximum) is the default; 3.1.1 serves brokers that
    speak nothing newer, such as the embedded amqtt broker of ``zhizao demo`` (persistent session by
    ``clean_session=False``; no shared subscriptions there)."""

    V5 = "5"
    V311 = "3.1.1"


@dataclass(frozen=True, slots=True)
class MqttEndpoint:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> MqttEndpoint:
        """``mqtt://[user[:password]@]host[:port]`` (``mqtts://`` for TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ConfigurationError(f"not an MQTT URL (mqtt://host:port or mqtts://…): {url!r}")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as exc:
            raise ConfigurationError(f"bad port in MQTT URL {url!r}") from exc
        return cls(
            host=parts.hostname,
            port=port,
            tls=parts.scheme in ("mqtts", "ssl"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def subscription_for(topic_filter: str, shared_group: str | None) -> str:
    """The filter to subscribe to: ``$share/{group}/{filter}`` when workers share the load (MQTT 5)."""
    if shared_group is None:
        return topic_filter
    if not shared_group or any(char in shared_group for char in "/+#"):
        raise ConfigurationError(f"a shared-subscription group has no '/', '+' or '#': {shared_group!r}")
    return f"$share/{shared_group}/{topic_filter}"


class MqttSource:
    def __init__(
        self,
        endpoint: MqttEndpoint,
        client_id: str,
        subscriptions: Sequence[str],
        sink: Callable[[InboundMessage], bool],
        *,
        metrics: IngestMetrics | None = None,
        session_expiry_s: int = 86_400,
        receive_maximum: int = 1_000,
        keepalive_s: int = 30,
        reconnect_min_s: int = 1,
        reconnect_max_s: int = 30,
        version: MqttVersion = MqttVersion.V5,
        will: OutboundMessage | None = None,
        births: Sequence[OutboundMessage] = (),
    ) -> None:
        """``will`` is registered with the broker; ``births`` are published after every (re)subscription (a
        Sparkplug primary host's STATE birth and will, for example)."""
        if not client_id:
            raise ConfigurationError("an ingest worker needs a stable client id (its session is kept by it)")
        self.endpoint = endpoint
        self.client_id = client_id
        self.subscriptions = list(subscriptions)  # see ``subscription_for``
        self._sink = sink
        self._metrics = metrics
        self._keepalive_s = keepalive_s
        self.version = version
        self._lock = threading.Lock()
        self._generation = 0
        self._connected = False
        self._subscribed = threading.Event()
        self._connect_properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        self._connect_properties.SessionExpiryInterval = session_expiry_s
        self._connect_properties.ReceiveMaximum = max(1, min(receive_maximum, 65_535))
        if version == MqttVersion.V5:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
            )
        else:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=client_id,
                protocol=mqtt.MQTTv311,
                clean_session=False,
                manual_ack=True,
            )
        client.reconnect_delay_set(reconnect_min_s, reconnect_max_s)
        if endpoint.username is not None:
            client.username_pw_set(endpoint.username, endpoint.password)
        if endpoint.tls:
            client.tls_set_context(ssl.create_default_context())
        if will is not None:
            client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
        self._births = list(births)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self._client = client
        if metrics is not None:
            metrics.identify(client_id, ", ".join(self.subscriptions))

    @property
    def connected(self) -> bool:
        return self._connected

    def start(self) -> None:
        """Connect in the background; paho's thread reconnects with backoff for as long as the source runs."""
        if self.version == MqttVersion.V5:
            self._client.connect_async(
                self.endpoint.host,
                self.endpoint.port,
                keepalive=self._keepalive_s,
                clean_start=False,
                properties=self._connect_properties,
            )
        else:
            self._client.connect_async(self.endpoint.host, self.endpoint.port, keepalive=self._keepalive_s)
        self._client.loop_start()

    def wait_subscribed(self, timeout: float) -> bool:
        return self._subscribed.wait(timeout)

    def stop(self, farewells: Sequence[OutboundMessage] = ()) -> None:
        """Disconnect, keeping the session (the broker keeps what is not acknowledged), and end paho's thread.
        Acknowledgements already queued, and ``farewells``, are sent before the DISCONNECT."""
        for message in farewells:
            if self._connected:
                self._client.publish(message.topic, message.payload, qos=message.qos, retain=message.retain)
        with self._lock:
            self._connected = False
        self._client.disconnect()
        self._client.loop_stop()
        if self._metrics is not None:
            self._metrics.connection(False)

    def publish(self, message: OutboundMessage) -> None:
        self._client.publish(message.topic, message.payload, qos=message.qos, retain=message.retain)

    # -- paho callbacks (its network thread) ---------------------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, flags: mqtt.ConnectFlags, reason: ReasonCode, _props: Any
    ) -> None:
        if reason.is_failure:
            logger.error("broker refused the connection of %s: %s", self.client_id, reason)
            return
        with self._lock:
            self._generation += 1
            self._connected = True
        logger.info(
            "connected to %s:%d as %s (session %s)",
            self.endpoint.host,
            self.endpoint.port,
            self.client_id,
            "resumed" if flags.session_present else "new",
        )
        if self._metrics is not None:
            self._metrics.connection(True)
        # Subscribing again on a resumed session is harmless and covers a session the broker lost.
        if self.version == MqttVersion.V5:
            client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in self.subscriptions])
        else:
            client.subscribe([(topic, 1) for topic in self.subscriptions])

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: list[ReasonCode], _props: Any
    ) -> None:
        failed = [str(reason) for reason in reasons if reason.is_failure]
        if failed:
            logger.error("broker refused the subscription %s: %s", self.subscriptions, ", ".join(failed))
            return
        for birth in self._births:
            self.publish(birth)
        self._subscribed.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any
    ) -> None:
        with self._lock:
            self._connected = False
        if self._metrics is not None:
            self._metrics.connection(False)
        if reason.value != 0:
            logger.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            try:
                topic = message.topic
            except UnicodeDecodeError:
                topic = message._topic.decode(errors="backslashreplace")
            inbound = InboundMessage(
                topic=topic,
                payload=bytes(message.payload),
                received_at_us=now_us(),
                ack=partial(self._ack, message.mid, message.qos, self._generation),
            )
            if not self._sink(inbound):
                logger.debug("pipeline closing: message %d left unacknowledged for redelivery", message.mid)
        except Exception:  # an exception here would end paho's network thread
            logger.exception("could not hand over a message of %s", message.topic)

    def _ack(self, mid: int, qos: int, generation: int) -> None:
        if qos == 0:
            return
        with self._lock:
            if generation != self._generation or not self._connected:
                return  # received on an earlier connection: the broker redelivers it, and that copy is acked
            result = self._client.ack(mid, qos)
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS:
            logger.debug("acknowledgement of %d not sent: %s", mid, result)

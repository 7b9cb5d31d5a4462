"""How a confirmed command reaches the equipment: one ``CommandTransport`` per kind of channel.

* ``ConnectorWrite`` — OPC UA and Modbus devices: the connector configuration that maps the signal, its driver's
  ``write`` and the read-back (a confirmed read-back is success).
* ``MqttCommand`` — ``mqtt_json`` and ``sparkplug_b`` devices: publish QoS 1; sent once the broker acknowledged;
  success once the new value shows in the stored telemetry within ``confirm_timeout_s``.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from zhizao.connectors.base import ConnectorSettings, PointBinding, WriteOutcome
from zhizao.connectors.drivers import DriverRegistry
from zhizao.errors import InputError, Unavailable
from zhizao.telemetry.commands import mqtt
from zhizao.telemetry.commands.models import CommandStatus
from zhizao.telemetry.commands.ratelimit import CommandPolicy
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.kinds import Protocol as SourceProtocol
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import now_us

Value = float | int | bool
T = TypeVar("T")

CONNECTOR_PROTOCOLS = frozenset({SourceProtocol.OPCUA, SourceProtocol.MODBUS})
MQTT_PROTOCOLS = frozenset({SourceProtocol.MQTT_JSON, SourceProtocol.SPARKPLUG_B})


@dataclass(frozen=True, slots=True)
class CommandTarget:
    command_id: int
    enterprise_id: int
    device_code: str
    protocol: SourceProtocol
    signal_id: int
    signal_name: str
    data_type: DataType
    value: Value
    sparkplug_edge: str | None = None


@dataclass(frozen=True, slots=True)
class Dispatch:
    """What became of a command: a final status, the value read back when there is one, and why."""

    status: CommandStatus
    read_back: Value | str | None = None
    detail: str | None = None
    old_value: Value | str | None = None  # read from the device just before writing, when the transport can


class CommandTransport(Protocol):
    def send(self, session: Session, target: CommandTarget) -> Dispatch:
        """Deliver the command. ``session`` has no open transaction (read what is needed, commit nothing). Raises
        ``Unavailable`` when the channel (broker, server) cannot be reached; every other outcome is a ``Dispatch``."""


# (settings, binding) of the connector that maps a signal, or None when none does.
Binding = tuple[ConnectorSettings, PointBinding]
BindingResolver = Callable[[Session, int, str, str], Binding | None]


def default_binding_resolver(session: Session, enterprise_id: int, device_code: str, signal: str) -> Binding | None:
    """Asks the connector configuration service (``zhizao.connectors.service.binding_for_signal``)."""
    try:
        service: Any = importlib.import_module("zhizao.connectors.service")
    except ImportError as exc:
        raise Unavailable(f"connector configuration is not available in this installation ({exc})") from exc
    found = service.binding_for_signal(session, enterprise_id, device_code, signal)
    if found is None:
        return None
    _record, settings, binding = found
    return settings, binding


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code (a thread of the web server's pool), or in a thread of
    its own when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="zhizao-command")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    result: T = box["value"]
    return result


class ConnectorWrite:
    def __init__(self, drivers: DriverRegistry, resolver: BindingResolver, timeout_s: float) -> None:
        self.drivers = drivers
        self.resolver = resolver
        self.timeout_s = timeout_s

    def binding(self, session: Session, target: CommandTarget) -> Binding:
        """The writable binding of the target; ``InputError`` on ``body.signal_id`` when there is none."""
        found = self.resolver(session, target.enterprise_id, target.device_code, target.signal_name)
        if found is None:
            raise InputError.for_field("body.signal_id", f"no connector maps {target.device_code}/{target.signal_name}")
        if not found[1].writable:
            raise InputError.for_field(
                "body.signal_id", f"the connector maps {target.signal_name} read-only; mark the point writable"
            )
        return found

    def send(self, session: Session, target: CommandTarget) -> Dispatch:
        settings, point = self.binding(session, target)
        driver = self.drivers.get(target.protocol, "body.signal_id")
        try:
            outcome: WriteOutcome = run_coroutine(
                lambda: driver.write(settings, point.key, target.value, self.timeout_s)
            )
        except InputError as exc:
            return Dispatch(CommandStatus.FAILED, detail=f"the device refused the value: {exc.message}")
        old = outcome.old_value
        if outcome.confirmed:
            return Dispatch(CommandStatus.SUCCEEDED, read_back=outcome.read_back, old_value=old)
        if outcome.read_back is None:
            unread = "written; the value could not be read back"
            return Dispatch(CommandStatus.UNCONFIRMED, detail=unread, old_value=old)
        detail = f"read back {outcome.read_back!r} after writing"
        return Dispatch(CommandStatus.FAILED, read_back=outcome.read_back, detail=detail, old_value=old)


def _same(stored: float, wanted: Value) -> bool:
    return abs(stored - float(wanted)) <= 1e-6 * max(1.0, abs(float(wanted)))


class MqttCommand:
    def __init__(
        self,
        publisher: mqtt.CommandPublisher | None,
        store: TelemetryStore,
        policy: CommandPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.publisher = publisher
        self.store = store
        self.policy = policy
        self.sleep = sleep

    def send(self, session: Session, target: CommandTarget) -> Dispatch:
        if self.publisher is None:
            raise Unavailable("no MQTT broker is configured for remote commands")
        before = self.store.latest([target.signal_id]).get(target.signal_id)
        sent_us = now_us()
        ts_ms = sent_us // 1000
        if target.protocol is SourceProtocol.SPARKPLUG_B:
            topic = mqtt.sparkplug_topic(target.enterprise_id, target.device_code, target.sparkplug_edge)
            payload = mqtt.sparkplug_payload(target.signal_name, target.data_type, target.value, ts_ms)
        else:
            topic = mqtt.json_topic(target.enterprise_id, target.device_code)
            payload = mqtt.json_payload(target.command_id, target.signal_name, target.value, ts_ms)
        self.publisher.publish(topic, payload, qos=mqtt.COMMAND_QOS, timeout_s=self.policy.publish_timeout_s)
        if self.policy.confirm_timeout_s <= 0:
            return Dispatch(CommandStatus.SENT, detail=f"published to {topic}")
        deadline = time.monotonic() + self.policy.confirm_timeout_s
        while True:
            point = self.store.latest([target.signal_id]).get(target.signal_id)
            if (
                point is not None
                and (before is None or point.ts_us > before.ts_us)
                and _same(point.value, target.value)
            ):
                return Dispatch(CommandStatus.SUCCEEDED, read_back=target.value, detail=f"published to {topic}")
            if time.monotonic() >= deadline:
                seen = "" if point is None else f"; latest stored value {point.value:g}"
                return Dispatch(
                    CommandStatus.UNCONFIRMED,
                    detail=f"published to {topic}; the new value was not seen within "
                    f"{self.policy.confirm_timeout_s:g} s{seen}",
                )
            self.sleep(self.policy.poll_interval_s)


@dataclass(frozen=True, slots=True)
class CommandEnvironment:
    """What the app provides to dispatch commands (``app.state``): built per request by ``api.environment``."""

    store: TelemetryStore
    policy: CommandPolicy
    publisher: mqtt.CommandPublisher | None
    drivers: DriverRegistry
    resolver: BindingResolver = default_binding_resolver

    def transport_for(self, protocol: SourceProtocol) -> CommandTransport | None:
        if protocol in CONNECTOR_PROTOCOLS:
            return ConnectorWrite(self.drivers, self.resolver, self.policy.write_timeout_s)
        if protocol in MQTT_PROTOCOLS:
            return MqttCommand(self.publisher, self.store, self.policy)
        return None

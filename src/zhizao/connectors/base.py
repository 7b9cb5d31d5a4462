"""The contract between the platform and a polling connector (OPC UA, Modbus): what a driver provides, what it is
given while it runs, and the values that cross. No I/O here.

A **driver** (one per protocol, ``connectors/<protocol>/driver.py`` exporting ``DRIVER``) knows its protocol's
configuration model and can

- ``run`` a connector until told to stop: connect, read or subscribe, hand readings to the sink, and on any
  failure report it, back off and reconnect; it never returns early and never raises for a device's fault;
- ``probe`` a configuration ("test connection"): connect once, check the mapped points, and say what it found;
- ``browse`` the device's address space (OPC UA; others raise ``NotSupported``);
- ``write`` one mapped point and read it back (remote commands).

A connector's configuration is a ``ConnectorSettings`` (a strict Pydantic model per protocol) that lists its
points, each bound to a device code and a signal name of the enterprise, as the MQTT protocols name them: the
readings arrive in the same form as from the simulator or a gateway, and go through the same ingest pipeline.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel

from zhizao.errors import ZhizaoError
from zhizao.telemetry.ingest.decoding import Reading, Value
from zhizao.telemetry.kinds import Protocol as SourceProtocol

MAX_BAD_POINTS_SHOWN = 100  # a status keeps at most this many bad points (with their reasons)
MAX_ERROR_CHARS = 1000


class NotSupported(ZhizaoError):
    """The protocol has no such operation (e.g. browsing a Modbus device)."""

    code = "not_supported"


class ConnectionState(StrEnum):
    STOPPED = "stopped"  # not running (disabled, or the platform is starting)
    CONNECTING = "connecting"
    CONNECTED = "connected"  # every mapped point is read
    DEGRADED = "degraded"  # connected, some points bad (listed in the status)
    DISCONNECTED = "disconnected"  # lost or refused; retrying with backoff (the last error says why)


@dataclass(frozen=True, slots=True)
class PointBinding:
    """One mapped point: the protocol's address of it (an OPC UA node id, a Modbus point name) and the signal
    its values are stored as."""

    key: str
    device_code: str
    signal: str
    writable: bool = False


class ConnectorSettings(BaseModel):
    """Base of every protocol's configuration model."""

    def bindings(self) -> Sequence[PointBinding]:
        raise NotImplementedError

    def endpoint_label(self) -> str:
        """Where it connects, for lists and logs, without secrets (``opc.tcp://host:4840``, ``host:502``)."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class BadPoint:
    key: str
    reason: str


@dataclass(slots=True)
class ConnectorStatus:
    """What a running connector reports; the runtime stores it so every web replica can show it."""

    state: ConnectionState = ConnectionState.STOPPED
    last_error: str | None = None
    last_error_at: datetime | None = None
    connected_since: datetime | None = None
    last_data_at: datetime | None = None
    points_ok: int = 0
    bad_points: list[BadPoint] = field(default_factory=list)
    reconnects: int = 0
    readings: int = 0


class StatusBoard:
    """The live status of one running connector. The driver calls its methods from its event loop; the runtime
    reads ``snapshot()`` from another thread, hence the lock."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._status = ConnectorStatus()

    def connecting(self) -> None:
        with self._lock:
            self._status.state = ConnectionState.CONNECTING

    def connected(self, points_ok: int, bad_points: Sequence[BadPoint] = ()) -> None:
        with self._lock:
            status = self._status
            if status.connected_since is None or status.state not in (
                ConnectionState.CONNECTED,
                ConnectionState.DEGRADED,
            ):
                status.connected_since = self._clock()
            status.points_ok = points_ok
            status.bad_points = list(bad_points)[:MAX_BAD_POINTS_SHOWN]
            status.state = ConnectionState.DEGRADED if bad_points else ConnectionState.CONNECTED

    def failed(self, error: BaseException | str) -> None:
        """The connection is lost or refused; the driver retries."""
        with self._lock:
            status = self._status
            status.state = ConnectionState.DISCONNECTED
            status.connected_since = None
            status.last_error = _describe(error)
            status.last_error_at = self._clock()
            status.reconnects += 1

    def warn(self, error: BaseException | str) -> None:
        """A failure that leaves the connection up (one read failed, one point went bad)."""
        with self._lock:
            self._status.last_error = _describe(error)
            self._status.last_error_at = self._clock()

    def received(self, count: int) -> None:
        with self._lock:
            self._status.readings += count
            self._status.last_data_at = self._clock()

    def stopped(self) -> None:
        with self._lock:
            self._status.state = ConnectionState.STOPPED
            self._status.connected_since = None

    def snapshot(self) -> ConnectorStatus:
        with self._lock:
            status = self._status
            return ConnectorStatus(
                state=status.state,
                last_error=status.last_error,
                last_error_at=status.last_error_at,
                connected_since=status.connected_since,
                last_data_at=status.last_data_at,
                points_ok=status.points_ok,
                bad_points=list(status.bad_points),
                reconnects=status.reconnects,
                readings=status.readings,
            )


def _describe(error: BaseException | str) -> str:
    if isinstance(error, str):
        text = error
    else:
        text = str(error) or type(error).__name__
        if isinstance(error, (OSError, TimeoutError, asyncio.TimeoutError)) and type(error).__name__ not in text:
            text = f"{type(error).__name__}: {text}"
    return text[:MAX_ERROR_CHARS]


# Hands readings to the ingest pipeline; returns once they are queued (it waits while the pipeline is full).
ReadingSink = Callable[[Sequence[Reading]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a running connector is given: its tenant, where readings go, where it reports, when to stop."""

    enterprise_id: int
    sink: ReadingSink
    status: StatusBoard
    stop: asyncio.Event


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The answer to "test connection": whether it connected, and what it found (server, points good and bad)."""

    ok: bool
    message: str
    details: Sequence[str] = ()
    bad_points: Sequence[BadPoint] = ()


@dataclass(frozen=True, slots=True)
class BrowseNode:
    """One node of a browsed address space (OPC UA)."""

    node_id: str
    browse_name: str
    display_name: str
    node_class: str  # Object, Variable, Method, …
    data_type: str | None = None
    has_children: bool = False
    writable: bool = False


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """A write that reached the device: the value before, the value asked for and the value read back after."""

    old_value: Value | None
    requested: Value
    read_back: Value | None

    @property
    def confirmed(self) -> bool:
        if self.read_back is None:
            return False
        if isinstance(self.requested, float) or isinstance(self.read_back, float):
            if isinstance(self.requested, str) or isinstance(self.read_back, str):
                return False
            return abs(float(self.read_back) - float(self.requested)) <= 1e-6 * max(1.0, abs(float(self.requested)))
        return self.read_back == self.requested


class Driver(Protocol):
    """A protocol's connector implementation. Errors: a bad configuration is an ``InputError`` naming the field;
    an unreachable or refusing device in ``probe`` is a ``ProbeResult`` with ``ok`` False, in ``browse`` and
    ``write`` an ``Unavailable``; a value the point cannot take is an ``InputError`` on ``value``."""

    @property
    def protocol(self) -> SourceProtocol: ...

    @property
    def settings_model(self) -> type[ConnectorSettings]: ...

    async def run(self, settings: ConnectorSettings, context: RunContext) -> None: ...

    async def probe(self, settings: ConnectorSettings, timeout_s: float) -> ProbeResult: ...

    async def browse(self, settings: ConnectorSettings, node_id: str | None, timeout_s: float) -> list[BrowseNode]: ...

    async def write(self, settings: ConnectorSettings, key: str, value: Value, timeout_s: float) -> WriteOutcome: ...

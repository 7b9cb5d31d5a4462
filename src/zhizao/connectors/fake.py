"""An in-memory connector driver whose behaviour tests control: the readings it produces, what "test connection"
and "browse" answer, failures. Its settings look like an OPC UA connector's (an endpoint, a password, a list of
nodes each bound to a device and a signal) so that pages and services are exercised as with the real thing.

Behaviour set per connector through its settings (survives restarts, as configuration does): ``fail`` makes
``run`` raise after connecting, ``bad_nodes`` are reported bad. Behaviour set on the driver object (tests):
``values`` per node id, ``reachable``, ``tree`` for browsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from zhizao.connectors.base import (
    BadPoint,
    BrowseNode,
    ConnectorSettings,
    NotSupported,
    PointBinding,
    ProbeResult,
    RunContext,
    WriteOutcome,
)
from zhizao.errors import InputError, Unavailable
from zhizao.telemetry.ingest.decoding import DeviceRef, Reading, Value
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.timeutil import now_us


class FakeNode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node_id: str = Field(min_length=1, max_length=200)
    device_code: str = Field(min_length=1, max_length=64)
    signal: str = Field(min_length=1, max_length=200)
    writable: bool = False


class FakeSettings(ConnectorSettings):
    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field("fake://plc", min_length=1, max_length=200, pattern=r"^fake://")
    username: str | None = None
    password: SecretStr | None = None
    interval_s: float = Field(0.05, gt=0, le=60)
    nodes: list[FakeNode] = Field(default_factory=list, max_length=1000)
    fail: str | None = None  # run raises RuntimeError(fail) once connected
    bad_nodes: list[str] = Field(default_factory=list)

    def bindings(self) -> Sequence[PointBinding]:
        return [PointBinding(n.node_id, n.device_code, n.signal, n.writable) for n in self.nodes]

    def endpoint_label(self) -> str:
        return self.endpoint


@dataclass
class FakeDriver:
    """Counts its runs per endpoint (``starts``) so tests see which connector was restarted."""

    protocol: Protocol = Protocol.OPCUA
    values: dict[str, Value] = field(default_factory=dict)  # node id → value (default: a counter)
    reachable: bool = True
    tree: dict[str | None, list[BrowseNode]] = field(default_factory=dict)
    starts: Counter[str] = field(default_factory=Counter)
    written: dict[str, Value] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)

    @property
    def settings_model(self) -> type[ConnectorSettings]:
        return FakeSettings

    @staticmethod
    def _settings(settings: ConnectorSettings) -> FakeSettings:
        if not isinstance(settings, FakeSettings):
            raise TypeError(f"the fake driver takes FakeSettings, not {type(settings).__name__}")
        return settings

    async def run(self, settings: ConnectorSettings, context: RunContext) -> None:
        config = self._settings(settings)
        self.starts[config.endpoint] += 1
        self.running.add(config.endpoint)
        try:
            counter = itertools.count()
            while not context.stop.is_set():
                context.status.connecting()
                if not self.reachable:
                    context.status.failed(ConnectionRefusedError(f"{config.endpoint} refused the connection"))
                else:
                    bad = [BadPoint(n, "BadNodeIdUnknown") for n in config.bad_nodes]
                    good = [node for node in config.nodes if node.node_id not in config.bad_nodes]
                    context.status.connected(len(good), bad)
                    if config.fail:
                        raise RuntimeError(config.fail)
                    step = next(counter)
                    readings = [
                        Reading(
                            DeviceRef(context.enterprise_id, node.device_code),
                            node.signal,
                            now_us(),
                            self.values.get(node.node_id, float(step)),
                        )
                        for node in good
                    ]
                    if readings:
                        await context.sink(readings)
                        context.status.received(len(readings))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(context.stop.wait(), config.interval_s)
        finally:
            self.running.discard(config.endpoint)

    async def probe(self, settings: ConnectorSettings, timeout_s: float) -> ProbeResult:
        config = self._settings(settings)
        if not self.reachable:
            return ProbeResult(False, f"could not connect to {config.endpoint}: connection refused")
        bad = [BadPoint(n, "BadNodeIdUnknown") for n in config.bad_nodes]
        return ProbeResult(
            not bad,
            f"connected to {config.endpoint}",
            details=[f"{len(config.nodes) - len(bad)} of {len(config.nodes)} nodes readable"],
            bad_points=bad,
        )

    async def browse(self, settings: ConnectorSettings, node_id: str | None, timeout_s: float) -> list[BrowseNode]:
        config = self._settings(settings)
        if not self.reachable:
            raise Unavailable(f"could not connect to {config.endpoint}: connection refused")
        if node_id is not None and node_id not in self.tree:
            raise InputError.for_field("query.node_id", f"no node {node_id!r}")
        return list(self.tree.get(node_id, []))

    async def write(self, settings: ConnectorSettings, key: str, value: Value, timeout_s: float) -> WriteOutcome:
        config = self._settings(settings)
        if not any(node.node_id == key and node.writable for node in config.nodes):
            raise InputError.for_field("body.key", f"{key!r} is not a writable node of this connector")
        old = self.written.get(key)
        self.written[key] = value
        return WriteOutcome(old, value, value)


@dataclass
class NotBrowsableDriver(FakeDriver):
    """The fake as a protocol without an address space (Modbus-like)."""

    protocol: Protocol = Protocol.MODBUS

    async def browse(self, settings: ConnectorSettings, node_id: str | None, timeout_s: float) -> list[BrowseNode]:
        raise NotSupported("this protocol has no address space to browse")

"""The virtual factory as an OPC UA server: machines as OPC 40001 / 40501-style objects, values in real time.

Each machine of a ``FactoryRun`` becomes an object ``Objects/Machines/<code>`` with

- ``Identification``: Manufacturer, Model, SerialNumber (40001-1 MachineIdentificationType's mandatory three);
- ``MachineryBuildingBlocks/MachineryItemState`` and ``…/MachineryOperationMode``: a ``CurrentState``
  (LocalizedText: "Executing") with its ``Number`` (UInt32 StateNumber, the codes of ``zhizao.telemetry.machinery``);
- ``Production/ActiveProgram/Name``, ``Production/ProductionJob/GoodParts`` and ``ScrapParts`` (40501-style);
- ``Monitoring/…``: every measurement the machine has (``Monitoring/Spindle/ActualSpeed``, ``Monitoring/power_kw``…)
  and two writable setpoints, ``Monitoring/MachineTool/FeedOverride`` and ``Monitoring/Spindle/Override`` (percent);
- ``Monitoring/job_id`` (CNC machines): the job the machine works for, a writable String. A client's write is the
  platform's job dispatch: the machine takes the job (``FactoryRun.assign_job``) and reports it from then on.

Node ids are ``ns=2;s=Machines.<code>.<dotted path>``, the scheme ``zhizao.connectors.opcua.machinery`` maps, and
``connector_settings_for`` gives the connector settings that read every one of them into the simulator's signal
names. Values come from stepping the run to the wall clock every ``step_interval_s``; each value is written with
its simulated sample time as source timestamp.

**Bulk mode** (for tests and ``zhizao bench opcua``): ``bulk_nodes`` Double variables ``ns=2;s=Bulk.v00000`` …
under ``Objects/Bulk``, every one changing ``bulk_rate_hz`` times a second.

Security: ``ServerSecurity`` (a certificate and key, e.g. from ``connectors.opcua.certificates``) offers
Basic256Sha256 Sign and SignAndEncrypt endpoints, and the unsecured one only if ``allow_none``; ``users`` (name →
password) turns anonymous access off.

    async with OpcUaMachineServer(port=free_port(), run=run, machines=["L1-CNC-01"]) as server:
        settings = connector_settings_for(server.url, ["L1-CNC-01"], run)

``python -m zhizao.simulator.opcua_server --port 4840 --bulk 5000 --rate 1`` serves bulk nodes from a process of
its own (the benchmark runs it so, to give the server its own core).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from asyncua import ua
from asyncua.common.callback import CallbackType
from asyncua.common.node import Node
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.internal_server import InternalServer
from asyncua.server.server import Server

from zhizao.connectors.opcua.machinery import (
    FEED_OVERRIDE_SIGNAL,
    SPINDLE_OVERRIDE_SIGNAL,
    MachineryNode,
    machine_prefix,
    path_for,
)
from zhizao.connectors.opcua.settings import MappedNode, OpcUaSettings
from zhizao.simulator.catalogue import JOB_SIGNAL, Value
from zhizao.simulator.model import FactoryRun
from zhizao.telemetry.kinds import DataType, EquipmentType
from zhizao.telemetry.machinery import MODE_SIGNAL, STATE_SIGNAL, MachineryItemState, OperationMode

NAMESPACE_URI = "urn:zhizao:simulator:machines"
NAMESPACE = 2  # the first namespace a fresh asyncua server registers
BULK_FOLDER = "Bulk"
BULK_GROUP = 100  # bulk variables per sub-folder
SETPOINTS = (
    MachineryNode("Monitoring.MachineTool.FeedOverride", FEED_OVERRIDE_SIGNAL, DataType.FLOAT, writable=True),
    MachineryNode("Monitoring.Spindle.Override", SPINDLE_OVERRIDE_SIGNAL, DataType.FLOAT, writable=True),
)
_VARIANT = {
    DataType.FLOAT: ua.VariantType.Double,
    DataType.INT: ua.VariantType.UInt32,  # StateNumber and the part counters are UInt32 in 40001 / 40501
    DataType.BOOL: ua.VariantType.Boolean,
    DataType.STRING: ua.VariantType.String,
}
_STATE_NAMES = {
    STATE_SIGNAL: {
        int(state): name
        for name, state in zip(
            ("NotAvailable", "OutOfService", "NotExecuting", "Executing"), MachineryItemState, strict=True
        )
    },
    MODE_SIGNAL: {
        int(mode): name
        for name, mode in zip(("None", "Maintenance", "Setup", "Processing"), OperationMode, strict=True)
    },
}
_MODELS = {
    EquipmentType.CNC_MACHINE_TOOL: "VMC-850 machining centre",
    EquipmentType.INDUSTRIAL_ROBOT: "RH-20 handling robot",
    EquipmentType.PACKAGING_MACHINE: "CT-24 cartoning machine",
}

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerSecurity:
    """The server's application certificate and key (PEM) and whether an unsecured endpoint is offered too."""

    certificate_pem: str
    private_key_pem: str
    allow_none: bool = False


class _Users:
    """asyncua's user manager: the configured names and passwords, nobody else (anonymous is switched off)."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = dict(users)

    def get_user(
        self, iserver: InternalServer, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        if username is not None and self._users.get(username) == password:
            return User(role=UserRole.User, name=username)
        return None


class _Everyone:
    """Anonymous clients may read and write (the simulator's setpoints are there to be written)."""

    def get_user(
        self, iserver: InternalServer, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        return User(role=UserRole.User, name=username)


class OpcUaMachineServer:
    """An asyncua server of simulated machines and/or bulk variables; ``async with`` starts and stops it."""

    def __init__(
        self,
        *,
        port: int,
        host: str = "127.0.0.1",
        run: FactoryRun | None = None,
        machines: Sequence[str] = (),
        bulk_nodes: int = 0,
        bulk_rate_hz: float = 1.0,
        security: ServerSecurity | None = None,
        users: Mapping[str, str] | None = None,
        step_interval_s: float = 1.0,
        path: str = "/zhizao/simulator",
    ) -> None:
        if machines and run is None:
            raise ValueError("machines need a FactoryRun to take their values from")
        known = {device.code for device in run.devices} if run is not None else set()
        unknown = [code for code in machines if code not in known]
        if unknown:
            raise ValueError(f"the run has no machine {', '.join(unknown)}")
        if bulk_nodes < 0 or bulk_rate_hz <= 0 or step_interval_s <= 0:
            raise ValueError("bulk_nodes must be 0 or more, bulk_rate_hz and step_interval_s positive")
        self.host, self.port, self.path = host, port, path
        self.run = run
        self.machines = tuple(machines)
        self.bulk_nodes = bulk_nodes
        self.bulk_rate_hz = bulk_rate_hz
        self.security = security
        self.users = dict(users) if users else None
        self.step_interval_s = step_interval_s
        self.bulk_ticks = 0  # how many times every bulk variable has been written
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        # Variables the server feeds, by their string identifier: node id and built-in type.
        self._fed: dict[str, tuple[ua.NodeId, ua.VariantType]] = {}
        self._job_nodes: dict[ua.NodeId, str] = {}  # each machine's writable job_id node → its code

    @property
    def url(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}{self.path}"

    @property
    def server(self) -> Server:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return self._server

    async def __aenter__(self) -> OpcUaMachineServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        server = Server(user_manager=_Users(self.users) if self.users else _Everyone())  # type: ignore[arg-type]
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name("zhizao virtual factory")
        await server.set_application_uri("urn:zhizao:simulator:server")
        server.set_identity_tokens([ua.UserNameIdentityToken] if self.users else [ua.AnonymousIdentityToken])
        if self.security is not None:
            await server.load_certificate(self.security.certificate_pem.encode(), format="pem")
            await server.load_private_key(self.security.private_key_pem.encode(), format="pem")
            policies = [
                ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
                ua.SecurityPolicyType.Basic256Sha256_Sign,
            ]
            server.set_security_policy(
                [ua.SecurityPolicyType.NoSecurity, *policies] if self.security.allow_none else policies
            )
        else:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        namespace = await server.register_namespace(NAMESPACE_URI)
        if namespace != NAMESPACE:
            raise RuntimeError(f"expected namespace index {NAMESPACE}, got {namespace}")
        self._server = server
        if self.machines:
            await self._build_machines(server)
        if self.bulk_nodes:
            await self._build_bulk(server)
        if self._job_nodes:
            server.subscribe_server_callback(CallbackType.PostWrite, self._on_client_write)
        await server.start()
        if self.machines:
            self._tasks.append(asyncio.create_task(self._step_machines(), name="opcua-sim-machines"))
        if self.bulk_nodes:
            self._tasks.append(asyncio.create_task(self._tick_bulk(), name="opcua-sim-bulk"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._server is not None:
            await self._server.stop()
            self._server = None

    # -- address space ---------------------------------------------------------------------------------------

    async def _child(self, parent: Node, node_id: str, name: str, *, folder: bool = False) -> Node:
        ident = string_node_id(node_id)
        if folder:
            return await parent.add_folder(ident, ua.QualifiedName(name, NAMESPACE))
        return await parent.add_object(ident, ua.QualifiedName(name, NAMESPACE))

    async def _variable(self, parent: Node, node_id: str, name: str, value: Any, vtype: ua.VariantType) -> Node:
        if vtype is ua.VariantType.LocalizedText:
            value = ua.LocalizedText(str(value))
        ident = string_node_id(node_id)
        node = await parent.add_variable(ident, ua.QualifiedName(name, NAMESPACE), value, vtype)
        self._fed[node_id] = (ident, vtype)
        return node

    async def _path(self, root: Node, base: str, path: str, objects: dict[str, Node]) -> tuple[Node, str]:
        """The object holding ``path``'s last element (made on the way), and that element's name."""
        parts = path.split(".")
        parent = root
        for depth in range(1, len(parts)):
            key = ".".join(parts[:depth])
            if key not in objects:
                objects[key] = await self._child(parent, f"{base}.{key}", parts[depth - 1])
            parent = objects[key]
        return parent, parts[-1]

    async def _build_machines(self, server: Server) -> None:
        assert self.run is not None
        folder = await self._child(server.nodes.objects, "Machines", "Machines", folder=True)
        devices = {device.code: device for device in self.run.devices}
        for code in self.machines:
            device = devices[code]
            base = machine_prefix(code)
            machine = await self._child(folder, base, code)
            objects: dict[str, Node] = {}
            identification = await self._child(machine, f"{base}.Identification", "Identification")
            for name, value in (
                ("Manufacturer", "zhizao virtual factory"),
                ("Model", _MODELS.get(device.equipment_type, device.equipment_type.value)),
                ("SerialNumber", f"SIM-{code}"),
            ):
                await self._variable(
                    identification, f"{base}.Identification.{name}", name, value, ua.VariantType.String
                )
            snapshot = self.run.snapshot(code)
            for spec in device.signals:
                node = path_for(spec.name, spec.data_type)
                initial = snapshot.get(spec.name, _zero(spec.data_type))
                if spec.name in _STATE_NAMES:
                    # 40001: the state machine's CurrentState (the state's name) with its Number as a property.
                    state_path = node.path.rsplit(".", 1)[0]
                    machine_object, _ = await self._path(machine, base, state_path, objects)
                    name = _STATE_NAMES[spec.name].get(int(initial), "")
                    current = await self._variable(
                        machine_object, f"{base}.{state_path}", "CurrentState", name, ua.VariantType.LocalizedText
                    )
                    ident = string_node_id(f"{base}.{node.path}")
                    await current.add_property(ident, ua.QualifiedName("Number", 0), initial, ua.VariantType.UInt32)
                    self._fed[f"{base}.{node.path}"] = (ident, ua.VariantType.UInt32)
                    continue
                parent, name = await self._path(machine, base, node.path, objects)
                variable = await self._variable(parent, f"{base}.{node.path}", name, initial, _VARIANT[spec.data_type])
                if spec.name == JOB_SIGNAL:
                    await variable.set_writable()
                    self._job_nodes[variable.nodeid] = code
            if device.equipment_type is EquipmentType.CNC_MACHINE_TOOL:
                for setpoint in SETPOINTS:
                    parent, name = await self._path(machine, base, setpoint.path, objects)
                    variable = await self._variable(
                        parent, f"{base}.{setpoint.path}", name, 100.0, ua.VariantType.Double
                    )
                    await variable.set_writable()

    async def _build_bulk(self, server: Server) -> None:
        # asyncua checks a new reference against all of its parent's (quadratic in children): groups of
        # BULK_GROUP keep 5,000 variables to a second of start-up. The node ids do not name the groups.
        folder = await self._child(server.nodes.objects, BULK_FOLDER, BULK_FOLDER, folder=True)
        group = folder
        for index in range(self.bulk_nodes):
            if index % BULK_GROUP == 0:
                name = f"g{index // BULK_GROUP:03d}"
                group = await self._child(folder, f"{BULK_FOLDER}.{name}", name, folder=True)
            name = bulk_name(index)
            await self._variable(group, f"{BULK_FOLDER}.{name}", name, float(index), ua.VariantType.Double)

    # -- values --------------------------------------------------------------------------------------------------

    def _on_client_write(self, event: Any, _dispatcher: Any) -> None:
        """After a client's write: a good write of a job_id node assigns the job to its machine."""
        for item, status in zip(event.request_params.NodesToWrite, event.response_params or (), strict=False):
            code = self._job_nodes.get(item.NodeId)
            if code is None or not status.is_good() or self.run is None:
                continue
            value = item.Value.Value.Value if item.Value is not None and item.Value.Value is not None else None
            if isinstance(value, str):
                self.run.assign_job(code, value)

    async def write(self, node_id: str, value: Value, ts_ms: int | None = None) -> None:
        """Set a fed variable's value (as its own type), stamped ``ts_ms`` (default now) as source time."""
        ident, vtype = self._fed[node_id]
        if vtype is ua.VariantType.LocalizedText:
            value = ua.LocalizedText(str(value))  # type: ignore[assignment]
        stamp = ua.DateTime.fromtimestamp((ts_ms if ts_ms is not None else time.time() * 1000) / 1000, UTC)
        data = ua.DataValue(ua.Variant(value, vtype), SourceTimestamp=stamp, ServerTimestamp=ua.DateTime.now(UTC))
        await self.server.write_attribute_value(ident, data)

    async def _step_machines(self) -> None:
        assert self.run is not None
        wanted = set(self.machines)
        while True:
            readings = self.run.step(max(self.run.now_ms, int(time.time() * 1000)))
            latest: dict[tuple[str, str], tuple[int, Value]] = {}
            for reading in readings:
                if reading.device_code in wanted:
                    latest[(reading.device_code, reading.signal)] = (reading.ts_ms, reading.value)
            for (code, signal), (ts_ms, value) in latest.items():
                path = path_for(signal).path
                await self.write(f"{machine_prefix(code)}.{path}", value, ts_ms)
                if signal in _STATE_NAMES:  # the state's name follows its number
                    state_id = f"{machine_prefix(code)}.{path.rsplit('.', 1)[0]}"
                    await self.write(state_id, _STATE_NAMES[signal].get(int(value), ""), ts_ms)
            await asyncio.sleep(self.step_interval_s)

    async def _tick_bulk(self) -> None:
        period = 1.0 / self.bulk_rate_hz
        next_at = time.monotonic()
        ids = [self._fed[f"{BULK_FOLDER}.{bulk_name(i)}"][0] for i in range(self.bulk_nodes)]
        while True:
            self.bulk_ticks += 1
            now = ua.DateTime.now(UTC)
            for index, node_id in enumerate(ids):
                value = ua.Variant(float(self.bulk_ticks * 1000 + index % 1000), ua.VariantType.Double)
                await self.server.write_attribute_value(node_id, ua.DataValue(value, SourceTimestamp=now))
            next_at += period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


def string_node_id(identifier: str) -> ua.NodeId:
    return ua.NodeId.from_string(f"ns={NAMESPACE};s={identifier}")


def bulk_name(index: int) -> str:
    return f"v{index:05d}"


def bulk_node_id(index: int) -> str:
    return f"ns={NAMESPACE};s={BULK_FOLDER}.{bulk_name(index)}"


def _zero(data_type: DataType) -> Value:
    zeros: dict[DataType, Value] = {DataType.FLOAT: 0.0, DataType.INT: 0, DataType.BOOL: False, DataType.STRING: ""}
    return zeros[data_type]


def machine_nodes(run: FactoryRun, machines: Iterable[str]) -> list[MappedNode]:
    """Every node the server feeds for ``machines``, mapped to the machine's device code and signal names (the
    overrides and the job id of CNC machines writable)."""
    devices = {device.code: device for device in run.devices}
    nodes: list[MappedNode] = []
    for code in machines:
        device = devices[code]
        for spec in device.signals:
            node = path_for(spec.name, spec.data_type)
            nodes.append(_mapped(code, node.path, spec.name, spec.data_type, writable=spec.name == JOB_SIGNAL))
        if device.equipment_type is EquipmentType.CNC_MACHINE_TOOL:
            nodes.extend(_mapped(code, s.path, s.signal, s.data_type, writable=True) for s in SETPOINTS)
    return nodes


def _mapped(code: str, path: str, signal: str, data_type: DataType, *, writable: bool) -> MappedNode:
    node_id = f"ns={NAMESPACE};s={machine_prefix(code)}.{path}"
    return MappedNode(node_id=node_id, device_code=code, signal=signal, writable=writable, data_type=data_type)


def connector_settings_for(server_url: str, machines: Sequence[str], run: FactoryRun, **extra: Any) -> OpcUaSettings:
    """OPC UA connector settings that read every node the server feeds for ``machines`` into the machines' device
    codes and the simulator's signal names; ``extra`` are further settings (security, intervals)."""
    return OpcUaSettings.model_validate({"endpoint_url": server_url, "nodes": machine_nodes(run, machines), **extra})


def bulk_settings_for(server_url: str, nodes: int, *, device_code: str = "opcua-bulk", **extra: Any) -> OpcUaSettings:
    """Settings that read ``nodes`` bulk variables as signals ``v00000`` … of one device."""
    mapped = [
        MappedNode(node_id=bulk_node_id(i), device_code=device_code, signal=bulk_name(i), data_type=DataType.FLOAT)
        for i in range(nodes)
    ]
    return OpcUaSettings.model_validate({"endpoint_url": server_url, "nodes": mapped, **extra})


async def _serve(port: int, host: str, bulk: int, rate_hz: float) -> None:
    async with OpcUaMachineServer(port=port, host=host, bulk_nodes=bulk, bulk_rate_hz=rate_hz) as server:
        sys.stdout.write(f"ready {server.url}\n")
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):
            import signal

            loop.add_signal_handler(signal.SIGTERM, stop.set)
            loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve bulk OPC UA variables changing at a fixed rate.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bulk", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=1.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve(args.port, args.host, args.bulk, args.rate))


if __name__ == "__main__":
    main()

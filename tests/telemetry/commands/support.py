"""A plant with writable data points, callers of each kind, consents and in-memory fakes for the transports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Account, World, bearer
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.connectors.base import (
    BrowseNode,
    ConnectorSettings,
    PointBinding,
    ProbeResult,
    RunContext,
    WriteOutcome,
)
from zhizao.connectors.drivers import DriverRegistry
from zhizao.errors import InputError, Unavailable
from zhizao.telemetry import devices
from zhizao.telemetry.commands.ratelimit import CommandPolicy
from zhizao.telemetry.commands.transports import Binding
from zhizao.telemetry.ingest.decoding import Value
from zhizao.telemetry.kinds import DataType, Protocol, SignalKind
from zhizao.telemetry.schemas import DeviceCreate, SignalCreate
from zhizao.telemetry.store.base import Batch, Point

QUIET = CommandPolicy(confirm_timeout_s=0, per_equipment_per_minute=50, per_user_per_minute=50)


def admin_principal(world: World) -> Principal:
    admin = world.user(Role.ADMIN)
    return Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)


@dataclass(frozen=True)
class CommandPlant:
    plant: Plant
    setpoint_id: int  # float, 0 … 12000 rpm, writable
    switch_id: int  # bool, writable
    count_id: int  # int, 0 … 100, writable
    owner: Account


def command_plant(world: World, protocol: Protocol = Protocol.MQTT_JSON) -> CommandPlant:
    plant = build_plant(world)
    actor = admin_principal(world)
    with world.database.session() as session:
        device_id = plant.device_id
        if protocol is not Protocol.MQTT_JSON:
            device_id = devices.create_device(
                session,
                actor,
                DeviceCreate(
                    enterprise_id=plant.enterprise_id,
                    equipment_id=plant.equipment_id,
                    code="PLC-01",
                    name="PLC",
                    protocol=protocol,
                ),
            ).id
        setpoint = devices.create_signal(
            session,
            actor,
            SignalCreate(
                device_id=device_id,
                name="spindle_setpoint_rpm",
                unit="rpm",
                range_min=0,
                range_max=12000,
                writable=True,
            ),
        )
        switch = devices.create_signal(
            session,
            actor,
            SignalCreate(
                device_id=device_id, name="coolant_on", kind=SignalKind.STATE, data_type=DataType.BOOL, writable=True
            ),
        )
        count = devices.create_signal(
            session,
            actor,
            SignalCreate(
                device_id=device_id,
                name="batch_size",
                data_type=DataType.INT,
                range_min=0,
                range_max=100,
                writable=True,
            ),
        )
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    return CommandPlant(plant, setpoint.id, switch.id, count.id, owner)


def platform_user(world: World) -> Account:
    return world.user(Role.PLATFORM, world.organisation(OrganisationKind.PLATFORM))


def grant(
    client: TestClient,
    owner: Account,
    grantee: Account,
    equipment_id: int | None = None,
    expires_at: datetime | None = None,
) -> int:
    body: dict[str, object] = {"grantee_id": grantee.organisation_id, "equipment_id": equipment_id}
    if expires_at is not None:
        body["expires_at"] = expires_at.isoformat()
    response = client.post("/api/consents", json=body, headers=bearer(client, owner))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def store_sample(app: FastAPI, signal_id: int, ts_us: int, value: float) -> None:
    app.state.telemetry_store.prepare(ts_us)
    app.state.telemetry_store.write(Batch(points=[Point(signal_id, ts_us, value)]))


@dataclass
class RecordingPublisher:
    """Publishes nothing; remembers what it was asked to (or fails like an unreachable broker)."""

    fail: bool = False
    sent: list[tuple[str, bytes, int]] = field(default_factory=list)

    def publish(self, topic: str, payload: bytes, *, qos: int, timeout_s: float) -> None:
        if self.fail:
            raise Unavailable("the MQTT broker mqtt://127.0.0.1:1 did not answer")
        self.sent.append((topic, payload, qos))


@dataclass
class FakeDriver:
    """An in-memory OPC UA / Modbus driver: points by key; ``behaviour`` picks the write's outcome."""

    protocol: Protocol = Protocol.OPCUA
    behaviour: str = "ok"  # ok | mismatch | no_read_back | refuse | unreachable
    values: dict[str, Value] = field(default_factory=dict)
    writes: list[tuple[str, Value]] = field(default_factory=list)

    @property
    def settings_model(self) -> type[ConnectorSettings]:
        return ConnectorSettings

    async def run(self, settings: ConnectorSettings, context: RunContext) -> None:
        raise NotImplementedError

    async def probe(self, settings: ConnectorSettings, timeout_s: float) -> ProbeResult:
        raise NotImplementedError

    async def browse(self, settings: ConnectorSettings, node_id: str | None, timeout_s: float) -> list[BrowseNode]:
        raise NotImplementedError

    async def write(self, settings: ConnectorSettings, key: str, value: Value, timeout_s: float) -> WriteOutcome:
        if self.behaviour == "unreachable":
            raise Unavailable("opc.tcp://plc:4840 did not answer")
        if self.behaviour == "refuse":
            raise InputError.for_field("value", "Bad_OutOfRange")
        old = self.values.get(key)
        self.writes.append((key, value))
        self.values[key] = value
        read_back: Value | None = value
        if self.behaviour == "mismatch":
            read_back = 1.0
        elif self.behaviour == "no_read_back":
            read_back = None
        return WriteOutcome(old_value=old, requested=value, read_back=read_back)


def fake_connectors(app: FastAPI, driver: FakeDriver, writable: Sequence[str] = ("spindle_setpoint_rpm",)) -> None:
    def resolve(session: object, enterprise_id: int, device_code: str, signal: str) -> Binding | None:
        if signal in ("spindle_setpoint_rpm", "coolant_on", "batch_size"):
            return ConnectorSettings(), PointBinding(f"ns=2;s={signal}", device_code, signal, signal in writable)
        return None

    app.state.connector_drivers = DriverRegistry({driver.protocol: driver})
    app.state.connector_bindings = resolve

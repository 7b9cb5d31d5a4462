"""The registry on both database backends: lookups, auto-registration, refusals, races, last-seen."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.telemetry.ingest.support import IngestWorld
from zhizao.db.engine import Database, create_database
from zhizao.settings import Settings
from zhizao.telemetry.ingest.decoding import DeviceRef
from zhizao.telemetry.kinds import DataType, Protocol, RejectReason, SignalKind
from zhizao.telemetry.models import Device, Signal
from zhizao.telemetry.registry import KnownDevice, KnownSignal, Refused, Registry, infer_type


def test_known_device_and_signals(database: Database, ingest_world: IngestWorld) -> None:
    enterprise = ingest_world.enterprise()
    device_id = ingest_world.device(enterprise, "press-1")
    signal_id = ingest_world.signal(device_id, "force")
    registry = Registry(database)
    device = registry.device(DeviceRef(enterprise, "press-1"), Protocol.MQTT_JSON)
    assert isinstance(device, KnownDevice)
    assert device.id == device_id
    found = registry.signals(device, {"force": 1.0, "unknown": 2.0})
    assert found["force"] == KnownSignal(signal_id, device_id, "force", SignalKind.MEASUREMENT, DataType.FLOAT)
    assert found["unknown"] == Refused(RejectReason.UNKNOWN_SIGNAL, "no signal 'unknown' on this device")


def test_refusals(database: Database, ingest_world: IngestWorld) -> None:
    enterprise = ingest_world.enterprise()
    ingest_world.device(enterprise, "off", active=False)
    other_kind = ingest_world.world.organisation(name="not-an-enterprise", kind=_integrator())
    registry = Registry(database)

    def reason(enterprise_id: int, code: str) -> RejectReason | None:
        found = registry.device(DeviceRef(enterprise_id, code), Protocol.MQTT_JSON)
        return found.reason if isinstance(found, Refused) else None

    assert reason(enterprise, "nobody") == RejectReason.UNKNOWN_DEVICE
    assert reason(enterprise, "off") == RejectReason.DEVICE_DISABLED
    assert reason(999_999, "nobody") == RejectReason.UNKNOWN_TENANT
    assert reason(other_kind, "nobody") == RejectReason.UNKNOWN_TENANT
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 1  # nothing registered


def _integrator():  # type: ignore[no-untyped-def]
    from zhizao.accounts.roles import OrganisationKind

    return OrganisationKind.INTEGRATOR


def test_auto_registration_infers_kind_and_type(database: Database, ingest_world: IngestWorld) -> None:
    enterprise = ingest_world.enterprise(auto_register=True)
    registry = Registry(database)
    device = registry.device(DeviceRef(enterprise, "gw-9"), Protocol.HTTP)
    assert isinstance(device, KnownDevice)
    found = registry.signals(device, {"b": True, "i": 3, "f": 2.5, "s": "O1001"})
    with database.session() as session:
        row = session.get_one(Device, device.id)
        assert (row.code, row.name, row.protocol, row.is_active) == ("gw-9", "gw-9", Protocol.HTTP, True)
        signals = {s.name: (s.kind, s.data_type, s.auto_registered) for s in session.scalars(select(Signal))}
    assert signals == {
        "b": (SignalKind.MEASUREMENT, DataType.BOOL, True),
        "i": (SignalKind.MEASUREMENT, DataType.INT, True),
        "f": (SignalKind.MEASUREMENT, DataType.FLOAT, True),
        "s": (SignalKind.TEXT, DataType.STRING, True),
    }
    assert all(isinstance(signal, KnownSignal) for signal in found.values())
    assert found["s"].is_text  # type: ignore[union-attr]


def test_infer_type() -> None:
    assert infer_type(False) == (SignalKind.MEASUREMENT, DataType.BOOL)
    assert infer_type(0) == (SignalKind.MEASUREMENT, DataType.INT)
    assert infer_type(0.0) == (SignalKind.MEASUREMENT, DataType.FLOAT)
    assert infer_type("") == (SignalKind.TEXT, DataType.STRING)


def test_answers_are_cached_and_expire(database: Database, ingest_world: IngestWorld) -> None:
    enterprise = ingest_world.enterprise()
    now = [0.0]
    registry = Registry(database, ttl_s=60, negative_ttl_s=5, clock=lambda: now[0])
    ref = DeviceRef(enterprise, "later")
    assert isinstance(registry.device(ref, Protocol.MQTT_JSON), Refused)
    device_id = ingest_world.device(enterprise, "later")
    assert isinstance(registry.device(ref, Protocol.MQTT_JSON), Refused)  # the miss is remembered …
    now[0] = 6.0
    device = registry.device(ref, Protocol.MQTT_JSON)  # … briefly
    assert isinstance(device, KnownDevice) and device.id == device_id
    with database.session() as session, session.begin():
        session.get_one(Device, device_id).is_active = False
    assert isinstance(registry.device(ref, Protocol.MQTT_JSON), KnownDevice)  # cached for ttl_s
    now[0] = 70.0
    assert registry.device(ref, Protocol.MQTT_JSON) == Refused(
        RejectReason.DEVICE_DISABLED, "device 'later' is disabled"
    )


def test_two_workers_register_the_same_signal_once(
    database: Database, ingest_world: IngestWorld, settings: Settings
) -> None:
    enterprise = ingest_world.enterprise(auto_register=True)
    databases = [
        create_database(settings, url=database.engine.url.render_as_string(hide_password=False)) for _ in range(4)
    ]
    registries = [Registry(db) for db in databases]
    barrier = threading.Barrier(len(registries))
    results: list[tuple[KnownDevice | Refused, dict[str, KnownSignal | Refused]]] = []
    errors: list[BaseException] = []

    def register(registry: Registry) -> None:
        try:
            barrier.wait()
            device = registry.device(DeviceRef(enterprise, "shared"), Protocol.MQTT_JSON)
            assert isinstance(device, KnownDevice)
            results.append((device, registry.signals(device, {f"s{i}": float(i) for i in range(20)})))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(registry,)) for registry in registries]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for db in databases:
            db.dispose()
    assert errors == []
    assert len({device.id for device, _ in results}) == 1  # type: ignore[union-attr]
    assert len({tuple(sorted((n, s.id) for n, s in found.items())) for _, found in results}) == 1  # type: ignore[union-attr]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Device)) == 1
        assert session.scalar(select(func.count()).select_from(Signal)) == 20


def test_last_seen_is_written_at_most_once_a_minute(database: Database, ingest_world: IngestWorld) -> None:
    enterprise = ingest_world.enterprise()
    device_id = ingest_world.device(enterprise, "d")
    now = [100.0]
    registry = Registry(database, clock=lambda: now[0])
    first = datetime(2024, 11, 28, 8, 0, tzinfo=UTC)

    def last_seen() -> datetime | None:
        with database.session() as session:
            return session.get_one(Device, device_id).last_seen_at

    registry.touch({device_id}, first)
    assert last_seen() == first
    now[0] = 159.0
    registry.touch({device_id}, first + timedelta(seconds=59))
    assert last_seen() == first
    now[0] = 160.0
    registry.touch({device_id}, first + timedelta(seconds=60))
    assert last_seen() == first + timedelta(seconds=60)


@pytest.mark.parametrize("value", [1.5, "text"])
def test_the_first_value_decides_a_new_signals_type(
    database: Database, ingest_world: IngestWorld, value: float | str
) -> None:
    enterprise = ingest_world.enterprise(auto_register=True)
    registry = Registry(database)
    device = registry.device(DeviceRef(enterprise, "d"), Protocol.MQTT_JSON)
    assert isinstance(device, KnownDevice)
    signal = registry.signals(device, {"x": value})["x"]
    assert isinstance(signal, KnownSignal)
    assert signal.is_text is isinstance(value, str)

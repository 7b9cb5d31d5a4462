"""The demo's connected cell: seeded with its connectors, alarm rules and consent, and read live over OPC UA and Modbus
TCP by the demo's own servers and connector runtime, into the store."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from zhizao.accounts import demo as accounts_demo
from zhizao.bench.infra import free_port
from zhizao.connectors.base import ConnectionState
from zhizao.connectors.models import ConnectorRecord, ConnectorStatusRecord
from zhizao.db.engine import Database
from zhizao.demo import connected
from zhizao.runtime import DemoOptions, cell_servers, run_connectors
from zhizao.settings import Settings
from zhizao.simulator import seed as factory_demo
from zhizao.telemetry.alarms.models import AlarmRuleRow
from zhizao.telemetry.commands.models import ConsentScope, EquipmentConsent
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.machinery import STATE_SIGNAL
from zhizao.telemetry.models import Device, Equipment, Signal
from zhizao.telemetry.store.factory import open_store


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # the connector runtime's own suite covers PostgreSQL


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> DemoOptions:
    options = DemoOptions(opcua_port=free_port(), modbus_port=free_port())
    monkeypatch.setattr(connected, "OPCUA_PORT", options.opcua_port)
    monkeypatch.setattr(connected, "MODBUS_PORT", options.modbus_port)
    return options


def test_the_cell_is_seeded_with_connectors_rules_and_a_consent(
    database: Database, settings: Settings, ports: DemoOptions
) -> None:
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    connected.seed(database, settings)
    enterprise_id = factory_demo.demo_enterprise_id(database)
    with database.session() as session:
        connectors = session.scalars(select(ConnectorRecord).where(ConnectorRecord.enterprise_id == enterprise_id))
        assert {record.protocol for record in connectors} == {Protocol.OPCUA, Protocol.MODBUS}
        protocols = dict(
            session.execute(
                select(Device.code, Device.protocol).where(
                    Device.code.in_([connected.OPCUA_MACHINE, connected.MODBUS_MACHINE])
                )
            ).all()
        )
        assert protocols == {connected.OPCUA_MACHINE: Protocol.OPCUA, connected.MODBUS_MACHINE: Protocol.MODBUS}
        writable = session.scalars(select(Signal).where(Signal.writable.is_(True))).all()
        assert {s.name for s in writable} == {"feed_override_pct", "spindle_override_pct"}
        assert all((s.range_min, s.range_max) == connected.OVERRIDE_RANGE for s in writable)
        rules = session.scalars(select(AlarmRuleRow).where(AlarmRuleRow.enterprise_id == enterprise_id)).all()
        assert len(rules) == 14 and all(rule.enabled for rule in rules)
        consents = session.scalars(select(EquipmentConsent)).all()
        opcua_machine = session.scalar(select(Equipment.id).where(Equipment.code == connected.OPCUA_MACHINE))
        assert {c.scope for c in consents} == {ConsentScope.REMOTE_COMMAND, ConsentScope.REMOTE_MAINTENANCE}
        assert all(c.enterprise_id == enterprise_id and c.equipment_id == opcua_machine for c in consents)


def test_the_demo_reads_the_cell_over_opcua_and_modbus(
    database: Database, settings: Settings, ports: DemoOptions
) -> None:
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    connected.seed(database, settings)
    with database.session() as session:
        state_signals = dict(
            session.execute(
                select(Device.code, Signal.id)
                .join(Signal, Signal.device_id == Device.id)
                .where(Signal.name == STATE_SIGNAL, Device.protocol.in_([Protocol.OPCUA, Protocol.MODBUS]))
            ).all()
        )
    assert set(state_signals) == {connected.OPCUA_MACHINE, connected.MODBUS_MACHINE}
    store = open_store(database)

    async def scenario() -> dict[int, float]:
        stop = asyncio.Event()
        async with cell_servers(ports):
            connectors = asyncio.create_task(run_connectors(database, stop))
            deadline = time.monotonic() + 30
            latest: dict[int, float] = {}
            while time.monotonic() < deadline and len(latest) < 2:
                await asyncio.sleep(0.5)
                latest = {s: p.value for s, p in store.latest(list(state_signals.values())).items()}
            stop.set()
            await connectors
        return latest

    try:
        latest = asyncio.run(scenario())
    finally:
        store.close()
    # Both machines' OPC 40001 states arrived, as the integer codes the MQTT lines send.
    assert set(latest) == set(state_signals.values())
    assert all(value in (0, 1, 2, 3) for value in latest.values())
    with database.session() as session:
        statuses = session.scalars(select(ConnectorStatusRecord)).all()
        assert len(statuses) == 2 and all(status.readings > 0 for status in statuses)
        assert all(status.state is not ConnectionState.DISCONNECTED or status.last_error for status in statuses)

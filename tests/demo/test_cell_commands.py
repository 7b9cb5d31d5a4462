"""Remote commands through the real connectors: the demo cell's feed overrides written over OPC UA (asyncua server)
and Modbus TCP (pymodbus server), confirmed by reading them back, and audited with old → new value and result."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from zhizao.accounts import demo as accounts_demo
from zhizao.accounts.models import AuditEntry
from zhizao.bench.infra import free_port
from zhizao.db.engine import Database
from zhizao.demo import connected
from zhizao.runtime import DemoOptions, cell_servers
from zhizao.settings import Settings
from zhizao.simulator import seed as factory_demo
from zhizao.telemetry.models import Device, Signal


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # the command service's own suite covers PostgreSQL


@contextmanager
def serving(options: DemoOptions) -> Iterator[None]:
    """The demo cell's OPC UA and Modbus servers on an event loop of their own, while the test client calls."""
    ready, done = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    async def serve() -> None:
        async with cell_servers(options):
            ready.set()
            await asyncio.to_thread(done.wait)

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:  # reported by the test, not lost in the thread
            failure.append(error)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30) and not failure, failure
    try:
        yield
    finally:
        done.set()
        thread.join(30)


def _signal(database: Database, device_code: str, name: str) -> int:
    with database.session() as session:
        found = session.scalar(
            select(Signal.id)
            .join(Device, Signal.device_id == Device.id)
            .where(Device.code == device_code, Signal.name == name)
        )
    assert found is not None
    return found


@pytest.mark.parametrize("machine", [connected.OPCUA_MACHINE, connected.MODBUS_MACHINE])
def test_a_feed_override_is_written_read_back_and_audited(
    database: Database, settings: Settings, client: TestClient, monkeypatch: pytest.MonkeyPatch, machine: str
) -> None:
    options = DemoOptions(opcua_port=free_port(), modbus_port=free_port())
    monkeypatch.setattr(connected, "OPCUA_PORT", options.opcua_port)
    monkeypatch.setattr(connected, "MODBUS_PORT", options.modbus_port)
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    connected.seed(database, settings)
    signal_id = _signal(database, machine, "feed_override_pct")
    login = {"username": "enterprise", "password": "zhizao-enterprise-demo"}
    token = client.post("/api/auth/token", data=login).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    refused = client.post("/api/commands", json={"signal_id": signal_id, "value": 151}, headers=headers)
    assert refused.status_code == 422 and "outside the range" in refused.json()["error"]["fields"][0]["message"]
    with serving(options):
        prepared = client.post("/api/commands", json={"signal_id": signal_id, "value": 120}, headers=headers)
        assert prepared.status_code == 201, prepared.text
        confirmed = client.post(f"/api/commands/{prepared.json()['id']}/confirm", headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    result = confirmed.json()
    assert result["status"] == "succeeded", result
    assert result["read_back"] == 120
    with database.session() as session:
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "equipment_command").order_by(AuditEntry.id)
        ).all()
    assert [entry.action for entry in audit] == ["command.request", "command.confirm", "command.result"]
    outcome = audit[-1]
    assert outcome.actor_name == "enterprise" and outcome.after is not None
    assert outcome.after["value"] == 120 and outcome.after["status"] == "succeeded"
    assert outcome.before == {"value": 100}  # the override the machine had, read from it before the write

"""The connector runtime with the fake driver: readings reach the store through the ingest pipeline, a changed
connector is restarted alone, a disabled one stops, a failing one is reported and retried without stopping the
others, the status is written; on PostgreSQL two runtimes share the connectors through advisory locks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import World
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.connectors import service
from zhizao.connectors.base import ConnectionState
from zhizao.connectors.drivers import DriverRegistry
from zhizao.connectors.fake import FakeDriver
from zhizao.connectors.models import ConnectorStatusRecord
from zhizao.connectors.runtime import ConnectorRuntime
from zhizao.connectors.schemas import ConnectorCreate, ConnectorUpdate
from zhizao.db.engine import Database
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.store.factory import open_store

FAST = {"reload_s": 0.1, "status_s": 0.1, "backoff_s": (0.05, 0.2)}


def _admin(world: World) -> Principal:
    account = world.user(Role.ADMIN)
    return Principal(account.user_id, account.username, account.username, Role.ADMIN, None)


def _settings(endpoint: str, **extra: Any) -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "interval_s": 0.05,
        "nodes": [{"node_id": "ns=2;s=Speed", "device_code": "L1-CNC-01", "signal": "spindle_speed_rpm"}],
        **extra,
    }


class Setup:
    def __init__(self, world: World, database: Database) -> None:
        self.database = database
        self.plant: Plant = build_plant(world)
        self.admin = _admin(world)
        self.fake = FakeDriver()
        self.drivers = DriverRegistry({Protocol.OPCUA: self.fake})
        self.store = open_store(database)

    def connector(self, name: str, **extra: Any) -> int:
        data = ConnectorCreate(
            enterprise_id=self.plant.enterprise_id,
            name=name,
            protocol=Protocol.OPCUA,
            settings=_settings(f"fake://{name}", **extra),
        )
        with self.database.session() as session:
            return service.create_connector(session, self.admin, self.drivers, data).id

    def update(self, connector_id: int, data: ConnectorUpdate) -> None:
        with self.database.session() as session:
            service.update_connector(session, self.admin, self.drivers, connector_id, data)

    def disable(self, connector_id: int) -> None:
        with self.database.session() as session:
            service.set_enabled(session, self.admin, connector_id, False)

    def status(self, connector_id: int) -> ConnectorStatusRecord | None:
        with self.database.session() as session:
            return session.get(ConnectorStatusRecord, connector_id)

    def runtime(self, **options: Any) -> ConnectorRuntime:
        return ConnectorRuntime(self.database, self.store, self.drivers, **{**FAST, **options})


@pytest.fixture
def setup(world: World, database: Database) -> Setup:
    return Setup(world, database)


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await asyncio.to_thread(condition):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def running(runtime: ConnectorRuntime, scenario: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.run(stop))
        try:
            await scenario()
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    asyncio.run(main())


def test_readings_are_stored_and_the_status_reported(setup: Setup) -> None:
    connector_id = setup.connector("a")
    runtime = setup.runtime(name="test-runtime")
    signal_id = setup.plant.signal_id

    async def scenario() -> None:
        await until(lambda: signal_id in setup.store.latest([signal_id]))
        await until(lambda: (s := setup.status(connector_id)) is not None and s.readings > 0)

    running(runtime, scenario)
    status = setup.status(connector_id)
    assert status is not None and status.state == ConnectionState.STOPPED  # written when the runtime stopped
    assert status.revision == 1 and status.runtime == "test-runtime" and status.points_ok == 1
    assert status.last_data_at is not None
    assert setup.store.latest([signal_id])[signal_id].value >= 0


def test_a_change_restarts_only_that_connector_and_disabling_stops_it(setup: Setup) -> None:
    first, second = setup.connector("a"), setup.connector("b")
    runtime = setup.runtime()

    async def scenario() -> None:
        await until(lambda: setup.fake.running == {"fake://a", "fake://b"})
        await until(lambda: (s := setup.status(first)) is not None and s.state == ConnectionState.CONNECTED)
        setup.update(first, ConnectorUpdate(settings=_settings("fake://a", interval_s=0.02)))
        await until(lambda: runtime.running.get(first) == 2 and "fake://a" in setup.fake.running, 5)
        assert setup.fake.starts == {"fake://a": 2, "fake://b": 1}
        setup.disable(second)
        await until(lambda: "fake://b" not in setup.fake.running and second not in runtime.running, 5)
        await until(lambda: (s := setup.status(second)) is not None and s.state == ConnectionState.STOPPED)
        assert setup.fake.starts == {"fake://a": 2, "fake://b": 1}
        third = setup.connector("c")
        await until(lambda: third in runtime.running and "fake://c" in setup.fake.running, 5)

    running(runtime, scenario)
    assert setup.fake.running == set()


def test_a_failing_driver_is_reported_and_retried_without_stopping_the_others(setup: Setup) -> None:
    failing, healthy = setup.connector("bad", fail="PLC exploded"), setup.connector("good")
    runtime = setup.runtime()
    signal_id = setup.plant.signal_id

    async def scenario() -> None:
        await until(lambda: setup.fake.starts["fake://bad"] >= 3)
        await until(
            lambda: (
                (s := setup.status(failing)) is not None
                and s.state == ConnectionState.DISCONNECTED
                and s.last_error == "PLC exploded"
                and s.reconnects >= 1
            )
        )
        assert "fake://good" in setup.fake.running and setup.fake.starts["fake://good"] == 1
        await until(lambda: (s := setup.status(healthy)) is not None and s.state == ConnectionState.CONNECTED)
        await until(lambda: signal_id in setup.store.latest([signal_id]))
        # Repaired through the configuration: it runs again.
        setup.update(failing, ConnectorUpdate(settings=_settings("fake://bad")))
        await until(lambda: (s := setup.status(failing)) is not None and s.state == ConnectionState.CONNECTED)

    running(runtime, scenario)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_runtimes_share_the_connectors_on_postgresql(setup: Setup) -> None:
    ids = [setup.connector(name) for name in ("a", "b", "c", "d")]
    first, second = setup.runtime(name="one"), setup.runtime(name="two")

    async def main() -> None:
        stop_first, stop_second = asyncio.Event(), asyncio.Event()
        tasks = [asyncio.create_task(first.run(stop_first)), asyncio.create_task(second.run(stop_second))]
        try:
            await until(lambda: set(first.running) | set(second.running) == set(ids))
            await asyncio.sleep(0.5)  # several reloads: nothing moves, nothing runs twice
            assert not set(first.running) & set(second.running)
            assert setup.fake.starts == {f"fake://{name}": 1 for name in "abcd"}
            stop_first.set()
            await asyncio.wait_for(tasks[0], 30)
            await until(lambda: set(second.running) == set(ids), 5)
            assert all(setup.fake.starts[f"fake://{name}"] <= 2 for name in "abcd")
            await until(lambda: all((s := setup.status(i)) is not None and s.runtime == "two" for i in ids))
        finally:
            stop_first.set()
            stop_second.set()
            await asyncio.wait_for(asyncio.gather(*tasks), 30)

    asyncio.run(main())

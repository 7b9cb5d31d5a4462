"""The real drivers end to end: a connector created through the API against the simulator's OPC UA and Modbus
servers, run by the connector runtime, and its samples found in the telemetry store."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role
from zhizao.bench.infra import free_port
from zhizao.connectors.drivers import default_drivers
from zhizao.connectors.modbus.registers import parse_register_map
from zhizao.connectors.runtime import ConnectorRuntime
from zhizao.db.engine import Database
from zhizao.simulator.modbus_server import RegisterServer
from zhizao.simulator.opcua_server import OpcUaMachineServer, bulk_node_id
from zhizao.telemetry.store.factory import open_store


async def _run_until_stored(database: Database, signal_id: int, *, timeout_s: float = 20.0) -> float:
    store = open_store(database)
    runtime = ConnectorRuntime(database, store, default_drivers(), reload_s=0.2, status_s=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            latest = await asyncio.to_thread(store.latest, [signal_id])
            if signal_id in latest:
                return latest[signal_id].value
            assert asyncio.get_running_loop().time() < deadline, "no sample stored"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def _create(client: TestClient, headers: dict[str, str], protocol: str, settings: dict[str, Any]) -> None:
    created = client.post(
        "/api/connectors", json={"name": protocol, "protocol": protocol, "settings": settings}, headers=headers
    )
    assert created.status_code == 201, created.text
    probe = client.post(f"/api/connectors/{created.json()['id']}/test", headers=headers)
    assert probe.status_code == 200 and probe.json()["ok"], probe.text


def test_opcua_connector_stores_the_simulators_values(
    app: FastAPI, client: TestClient, world: World, database: Database
) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    port = free_port()

    async def scenario() -> float:
        async with OpcUaMachineServer(port=port, bulk_nodes=1, bulk_rate_hz=10.0) as server:
            node = {"node_id": bulk_node_id(0), "device_code": "L1-CNC-01", "signal": "spindle_speed_rpm"}
            settings = {"endpoint_url": server.url, "publishing_interval_ms": 100, "sampling_interval_ms": 50,
                        "nodes": [node]}  # fmt: skip
            await asyncio.to_thread(_create, client, headers, "opcua", settings)
            return await _run_until_stored(database, plant.signal_id)

    assert isinstance(asyncio.run(scenario()), float)


def test_modbus_connector_stores_the_simulators_values(
    app: FastAPI, client: TestClient, world: World, database: Database
) -> None:
    plant = build_plant(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    port = free_port()
    register_map = {
        "groups": [{"name": "default", "interval_ms": 100}],
        "points": [{"name": "spindle_speed_rpm", "table": "holding", "address": 0, "data_type": "uint16"}],
    }

    async def scenario() -> float:
        async with RegisterServer(parse_register_map(register_map), port=port) as server:
            server.set_value("spindle_speed_rpm", 1234)
            settings = {"host": "127.0.0.1", "port": port, "device_code": "L1-CNC-01", "register_map": register_map,
                        "timeout_s": 0.5}  # fmt: skip
            await asyncio.to_thread(_create, client, headers, "modbus", settings)
            return await _run_until_stored(database, plant.signal_id)

    assert asyncio.run(scenario()) == 1234.0

"""Job dispatch end to end, with simulated machines: the owner's start reaches a CNC machine of the virtual factory
through a real broker (MQTT JSON) or a real OPC UA server, the machine reports the booking's job id, and metering's
``reported_windows`` finds the job's window in what it reported; complete clears it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

import aiomqtt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World
from tests.sharing.dispatch_support import act, dispatch_audit, startable_booking
from tests.telemetry.commands.support import admin_principal
from tests.telemetry.ingest.support import broker_url, free_port
from zhizao.sharing.meter_entries import reported_windows
from zhizao.simulator import FactoryRun, LineSpec, MachineSpec
from zhizao.simulator.commands import applier
from zhizao.simulator.model import FactorySpec
from zhizao.simulator.mqtt_json import MqttJsonPublisher, parse_broker_url, run_realtime
from zhizao.simulator.opcua_server import OpcUaMachineServer, connector_settings_for
from zhizao.telemetry import devices
from zhizao.telemetry.commands.mqtt import PahoCommandPublisher, open_publisher
from zhizao.telemetry.commands.transports import Binding
from zhizao.telemetry.kinds import DataType, EquipmentType, Protocol, SignalKind
from zhizao.telemetry.models import Device
from zhizao.telemetry.schemas import DeviceCreate, SignalCreate
from zhizao.telemetry.store.base import Batch, TextPoint
from zhizao.telemetry.store.paging import all_raw_text
from zhizao.telemetry.timeutil import to_us

SECOND_US = 1_000_000


__all__ = ["broker_url"]


def cnc_run(code: str) -> FactoryRun:
    machines = (MachineSpec(code=code, name=code, equipment_type=EquipmentType.CNC_MACHINE_TOOL),)
    return FactoryRun(
        FactorySpec(lines=(LineSpec(code="L", name="L", machines=machines),)),
        seed=8,
        start_ms=int(time.time() * 1000),
    )


class Background:
    """An event loop in a thread of its own running one coroutine (a simulated machine) until stopped."""

    def __init__(self, main: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
        self.loop = asyncio.new_event_loop()
        self.stop = asyncio.Event()
        self.future = asyncio.run_coroutine_threadsafe(self._run(main), self.loop)
        self.thread = threading.Thread(target=self.loop.run_forever, name="simulated-machine", daemon=True)
        self.thread.start()

    async def _run(self, main: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> None:
        await main(self.stop)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        try:
            self.future.result(timeout=15)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=15)
            self.loop.close()


def wait_for(check: Callable[[], bool], what: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _job_signal(world: World, device_id: int) -> int:
    with world.database.session() as session:
        signal = devices.create_signal(
            session,
            admin_principal(world),
            SignalCreate(device_id=device_id, name="job_id", kind=SignalKind.TEXT, data_type=DataType.STRING),
        )
    return signal.id


def test_a_simulated_mqtt_json_machine_reports_the_job_between_start_and_complete(
    app: FastAPI, client: TestClient, world: World, broker_url: str
) -> None:
    offer, booking_id = startable_booking(client, world)
    enterprise_id = offer.owner.organisation_id
    assert enterprise_id is not None
    publisher: PahoCommandPublisher = open_publisher(broker_url)
    app.state.command_publisher = publisher
    run = cnc_run("L1-CNC-01")
    reported: list[tuple[int, str]] = []  # (ts_ms, job id) as the machine published them

    async def machine(stop: asyncio.Event) -> None:
        broker = parse_broker_url(broker_url)
        async with aiomqtt.Client(broker.host, broker.port, identifier=f"ingest-{uuid.uuid4().hex[:8]}") as ingest:
            await ingest.subscribe(f"zhizao/v1/{enterprise_id}/L1-CNC-01/data", qos=1)

            async def receive() -> None:
                async for message in ingest.messages:
                    assert isinstance(message.payload, bytes)
                    for sample in json.loads(message.payload)["samples"]:
                        if sample["signal"] == "job_id":
                            reported.append((sample["ts"], sample["value"]))

            receiving = asyncio.create_task(receive())
            async with MqttJsonPublisher(broker_url, enterprise_id=enterprise_id, on_command=applier(run)) as sim:
                clock = lambda: int(time.time() * 1000)  # noqa: E731
                realtime = asyncio.create_task(run_realtime(run, sim, speed=1, tick_s=0.1, clock=clock))
                await stop.wait()
                realtime.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await realtime
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiving

    background = Background(machine)
    try:
        wait_for(lambda: bool(reported), "the machine's first heartbeat")  # it listens for commands by now
        started = act(client, offer, booking_id, "start")
        job = f"SH-{booking_id}"
        assert started["job_dispatch"] == f"{job}: sent to zhizao/v1/{enterprise_id}/L1-CNC-01/cmd"
        wait_for(lambda: any(value == job for _, value in reported), "the machine to report the job id")
        time.sleep(0.3)  # the job runs a moment
        completed = act(client, offer, booking_id, "complete")
        wait_for(lambda: reported[-1][1] == "" and any(v == job for _, v in reported), "the job id cleared")
    finally:
        background.close()
        publisher.close()
    assert run.snapshot("L1-CNC-01")["job_id"] == ""
    assert [row.detail for row in dispatch_audit(world, booking_id)] == [
        f"sent to zhizao/v1/{enterprise_id}/L1-CNC-01/cmd"
    ] * 2

    # What ingest would store, read as metering reads it: the job's window on the machine.
    signal_id = _job_signal(world, _mqtt_device(world, enterprise_id))
    store = app.state.telemetry_store
    store.prepare(reported[0][0] * 1000)
    store.write(Batch(texts=[TextPoint(signal_id, ts_ms * 1000, value) for ts_ms, value in reported]))
    start_us = to_us(datetime.fromisoformat(started["started_at"]))
    end_us = to_us(datetime.fromisoformat(completed["completed_at"]))
    readings = all_raw_text(store, signal_id, start_us - 60 * SECOND_US, end_us + 60 * SECOND_US)
    (window,) = reported_windows(readings, job, end_us + 60 * SECOND_US)
    # Reported within a step (0.1 s) of the command, and stepped at most a tick before it arrived.
    assert start_us - SECOND_US <= window.start_us <= start_us + 2 * SECOND_US
    assert end_us - SECOND_US <= window.end_us <= end_us + 2 * SECOND_US


def _mqtt_device(world: World, enterprise_id: int) -> int:
    with world.database.session() as session:
        device_id = session.scalar(
            select(Device.id).where(Device.enterprise_id == enterprise_id, Device.code == "L1-CNC-01")
        )
    assert device_id is not None
    return device_id


@pytest.mark.slow  # an asyncua server takes some 4 s to start
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the dispatch's database side is tested on both above
def test_a_simulated_opcua_machine_gets_its_job_node_written(app: FastAPI, client: TestClient, world: World) -> None:
    offer, booking_id = startable_booking(client, world)
    enterprise_id = offer.owner.organisation_id
    assert enterprise_id is not None
    code = "OPC-CNC"
    with world.database.session() as session:
        device = devices.create_device(
            session,
            admin_principal(world),
            DeviceCreate(
                enterprise_id=enterprise_id,
                equipment_id=offer.equipment_id,
                code=code,
                name=code,
                protocol=Protocol.OPCUA,
            ),
        )
    _job_signal(world, device.id)  # it reports job_id: the dispatch goes to it
    run = cnc_run(code)
    port = free_port()
    ready = threading.Event()

    async def machine(stop: asyncio.Event) -> None:
        async with OpcUaMachineServer(port=port, run=run, machines=[code], step_interval_s=0.1):
            ready.set()
            await stop.wait()

    background = Background(machine)
    try:
        assert ready.wait(15), "the OPC UA server did not start"
        settings = connector_settings_for(f"opc.tcp://127.0.0.1:{port}/zhizao/simulator", [code], run)

        def resolve(session: object, enterprise: int, device_code: str, signal: str) -> Binding | None:
            found = [b for b in settings.bindings() if (b.device_code, b.signal) == (device_code, signal)]
            return (settings, found[0]) if found else None

        app.state.connector_bindings = resolve  # the real OPC UA driver writes
        started = act(client, offer, booking_id, "start")
        node = f"ns=2;s=Machines.{code}.Monitoring.job_id"
        assert started["job_dispatch"] == f"SH-{booking_id}: written to {node} and read back"
        assert run.snapshot(code)["job_id"] == f"SH-{booking_id}"
        completed = act(client, offer, booking_id, "complete")
        assert completed["job_dispatch"] == f"cleared: written to {node} and read back"
        assert run.snapshot(code)["job_id"] == ""
    finally:
        background.close()

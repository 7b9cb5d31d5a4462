"""Job dispatch: the payloads (pure), and on both backends what start and complete send to the booked machine over
each channel — MQTT JSON, Sparkplug B, a connector — or why they could not, stored on the booking and audited."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.sharing.dispatch_support import act, dispatch_audit, startable_booking
from tests.sharing.test_api import _login
from tests.telemetry.commands.support import FakeDriver, RecordingPublisher, admin_principal
from zhizao.connectors.base import ConnectorSettings, PointBinding
from zhizao.connectors.drivers import DriverRegistry
from zhizao.connectors.sparkplug.codec import SparkplugDataType, decode
from zhizao.sharing.dispatch import NO_CHANNEL, job_value, message_id
from zhizao.sharing.models import Booking, BookingStatus
from zhizao.telemetry import devices
from zhizao.telemetry.commands.mqtt import json_payload, sparkplug_payload
from zhizao.telemetry.commands.transports import Binding
from zhizao.telemetry.kinds import DataType, Protocol, SignalKind
from zhizao.telemetry.schemas import DeviceCreate, SignalCreate

# -- pure ------------------------------------------------------------------------------------------------------------


def test_json_payload_carries_text_and_keeps_the_numeric_contract() -> None:
    assert json_payload(7, "spindle_setpoint_rpm", 4500.0, 1) == (
        b'{"id":7,"signal":"spindle_setpoint_rpm","value":4500.0,"ts":1}'
    )
    assert (
        json_payload("SH-5/start", "job_id", "SH-5", 2)
        == b'{"id":"SH-5/start","signal":"job_id","value":"SH-5","ts":2}'
    )
    assert json.loads(json_payload("SH-5/complete", "job_id", "", 3))["value"] == ""


def test_sparkplug_payload_carries_a_string_metric_and_refuses_mixed_types() -> None:
    metric = decode(sparkplug_payload("job_id", DataType.STRING, "SH-5", 1_000)).metrics[0]
    assert (metric.name, metric.datatype, metric.value, metric.timestamp) == (
        "job_id",
        SparkplugDataType.STRING,
        "SH-5",
        1_000,
    )
    for data_type, value in ((DataType.STRING, 1.0), (DataType.FLOAT, "SH-5")):
        with pytest.raises(ValueError, match="cannot take"):
            sparkplug_payload("job_id", data_type, value, 1)


def test_what_each_status_sends() -> None:
    booking = Booking(id=5, job_id="SH-5", status=BookingStatus.ACTIVE)
    assert (job_value(booking), message_id(booking)) == ("SH-5", "SH-5/start")
    booking.status = BookingStatus.COMPLETED
    assert (job_value(booking), message_id(booking)) == ("", "SH-5/complete")
    for status in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.REJECTED):
        booking.status = status
        assert job_value(booking) is None


# -- services and handlers, both backends -----------------------------------------------------------------------------


def test_start_sends_the_job_id_and_complete_clears_it_over_mqtt_json(
    app: FastAPI, client: TestClient, world: World
) -> None:
    offer, booking_id = startable_booking(client, world)
    publisher = RecordingPublisher()
    app.state.command_publisher = publisher
    started = act(client, offer, booking_id, "start")
    topic = f"zhizao/v1/{offer.owner.organisation_id}/L1-CNC-01/cmd"
    assert started["status"] == "active" and started["job_sent_at"] is not None
    assert started["job_dispatch"] == f"SH-{booking_id}: sent to {topic}"
    completed = act(client, offer, booking_id, "complete")
    assert completed["job_dispatch"] == f"cleared: sent to {topic}"
    assert [(sent_topic, qos) for sent_topic, _, qos in publisher.sent] == [(topic, 1), (topic, 1)]
    documents = [json.loads(payload) for _, payload, _ in publisher.sent]
    assert [(d["id"], d["signal"], d["value"]) for d in documents] == [
        (f"SH-{booking_id}/start", "job_id", f"SH-{booking_id}"),
        (f"SH-{booking_id}/complete", "job_id", ""),
    ]
    audit = dispatch_audit(world, booking_id)
    assert [(row.after or {}).get("job_id") for row in audit] == [f"SH-{booking_id}", ""]
    assert all(
        (row.after or {})["sent"] is True and row.organisation_id == offer.owner.organisation_id for row in audit
    )
    assert audit[0].actor_id == offer.owner.user_id and (audit[0].after or {})["device"] == "L1-CNC-01"


def test_without_a_command_channel_the_start_succeeds_and_says_not_sent(client: TestClient, world: World) -> None:
    offer, booking_id = startable_booking(client, world)  # the test app has no command publisher
    started = act(client, offer, booking_id, "start")
    assert started["status"] == "active"
    assert started["job_dispatch"] == f"SH-{booking_id}: {NO_CHANNEL}" and started["job_sent_at"] is None
    (row,) = dispatch_audit(world, booking_id)
    assert (row.after or {})["sent"] is False and row.detail == NO_CHANNEL


def test_an_unreachable_broker_is_an_outcome_not_an_error(app: FastAPI, client: TestClient, world: World) -> None:
    offer, booking_id = startable_booking(client, world)
    app.state.command_publisher = RecordingPublisher(fail=True)
    started = act(client, offer, booking_id, "start")
    assert started["status"] == "active" and started["job_sent_at"] is None
    assert "not sent: the MQTT broker" in started["job_dispatch"]


def _data_source(world: World, equipment_id: int, enterprise_id: int, code: str, protocol: Protocol) -> None:
    """Another data source of the equipment that reports job_id (so the dispatch goes to it)."""
    with world.database.session() as session:
        device = devices.create_device(
            session,
            admin_principal(world),
            DeviceCreate(
                enterprise_id=enterprise_id, equipment_id=equipment_id, code=code, name=code, protocol=protocol
            ),
        )
        devices.create_signal(
            session,
            admin_principal(world),
            SignalCreate(device_id=device.id, name="job_id", kind=SignalKind.TEXT, data_type=DataType.STRING),
        )


def test_a_sparkplug_machine_gets_an_ncmd_with_a_string_metric(app: FastAPI, client: TestClient, world: World) -> None:
    offer, booking_id = startable_booking(client, world)
    enterprise_id = offer.owner.organisation_id
    assert enterprise_id is not None
    _data_source(world, offer.equipment_id, enterprise_id, "PLC-01", Protocol.SPARKPLUG_B)
    publisher = RecordingPublisher()
    app.state.command_publisher = publisher
    started = act(client, offer, booking_id, "start")
    topic = f"spBv1.0/{enterprise_id}/NCMD/PLC-01"
    assert started["job_dispatch"] == f"SH-{booking_id}: sent to {topic}"
    (sent_topic, payload, _qos) = publisher.sent[0]
    metric = decode(payload).metrics[0]
    assert sent_topic == topic
    assert (metric.name, metric.datatype, metric.value) == ("job_id", SparkplugDataType.STRING, f"SH-{booking_id}")


def _connector(app: FastAPI, driver: FakeDriver, writable: bool | None) -> None:
    """Connector bindings that map job_id (writable or read-only), or map nothing (``writable`` None)."""

    def resolve(session: object, enterprise_id: int, device_code: str, signal: str) -> Binding | None:
        if writable is None or signal != "job_id":
            return None
        return ConnectorSettings(), PointBinding(
            f"ns=2;s=Machines.{device_code}.Monitoring.job_id", device_code, signal, writable
        )

    app.state.connector_drivers = DriverRegistry({driver.protocol: driver})
    app.state.connector_bindings = resolve


def test_an_opcua_machine_gets_its_mapped_job_node_written(app: FastAPI, client: TestClient, world: World) -> None:
    offer, booking_id = startable_booking(client, world)
    assert offer.owner.organisation_id is not None
    _data_source(world, offer.equipment_id, offer.owner.organisation_id, "OPC-01", Protocol.OPCUA)
    driver = FakeDriver()
    _connector(app, driver, writable=True)
    started = act(client, offer, booking_id, "start")
    node = "ns=2;s=Machines.OPC-01.Monitoring.job_id"
    assert started["job_dispatch"] == f"SH-{booking_id}: written to {node} and read back"
    assert started["job_sent_at"] is not None
    act(client, offer, booking_id, "complete")
    assert driver.writes == [(node, f"SH-{booking_id}"), (node, "")]


def test_a_machine_without_a_writable_job_point_cannot_receive_it(
    app: FastAPI, client: TestClient, world: World
) -> None:
    offer, booking_id = startable_booking(client, world)
    assert offer.owner.organisation_id is not None
    _data_source(world, offer.equipment_id, offer.owner.organisation_id, "MB-01", Protocol.MODBUS)
    driver = FakeDriver(protocol=Protocol.MODBUS)
    _connector(app, driver, writable=False)
    started = act(client, offer, booking_id, "start")
    assert (
        started["job_dispatch"]
        == f"SH-{booking_id}: not sent: the machine cannot receive it (job_id is mapped read-only)"
    )
    _connector(app, driver, writable=None)
    completed = act(client, offer, booking_id, "complete")
    assert completed["job_dispatch"] == "cleared: not sent: the machine cannot receive it (no connector maps job_id)"
    assert driver.writes == [] and completed["job_sent_at"] is None


def test_the_owners_page_starts_and_completes_with_the_dispatch(app: FastAPI, client: TestClient, world: World) -> None:
    offer, booking_id = startable_booking(client, world)
    publisher = RecordingPublisher()
    app.state.command_publisher = publisher
    csrf = _login(client, offer.owner, "/sharing/bookings/owner")
    for action in ("start", "complete"):
        done = client.post(
            f"/sharing/bookings/{booking_id}/action",
            data={"action": action, "back": "owner", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    assert [json.loads(payload)["value"] for _, payload, _ in publisher.sent] == [f"SH-{booking_id}", ""]
    assert len(dispatch_audit(world, booking_id)) == 2

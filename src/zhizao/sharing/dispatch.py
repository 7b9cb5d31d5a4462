"""Job dispatch: the booking's job id goes to the leased machine when the owner starts the job, and is cleared
(an empty text) when they complete it, so that the machine itself reports whose job it runs (the text signal
``job_id``) and metering attributes its data to the lessee (``meter_entries.reported_windows``).

It uses the remote-command channels (``zhizao.telemetry.commands``) without their two-step confirmation: this is
the owner acting on its own machine, as part of an action it has just taken. The channel follows the data source:

* ``mqtt_json``: ``zhizao/v1/{enterprise_id}/{device_code}/cmd``, ``{"id": "SH-12/start", "signal": "job_id",
  "value": "SH-12", "ts": epoch_ms}`` (QoS 1; the id is text, so it never collides with a command's number);
* ``sparkplug_b``: an NCMD or DCMD (as commands are routed) with one String metric ``job_id``;
* ``opcua`` / ``modbus``: the connector writes the point it maps as ``job_id`` if that point is writable (Modbus
  points take no text, so a Modbus machine cannot receive it); otherwise the machine cannot receive a job id.

Sent means handed over (acknowledged by the broker, or written by the connector): whether the machine took it shows
in its telemetry, which is what metering reads. Nothing here fails the owner's action: every outcome, "not sent"
included, is stored on the booking (``job_sent_at``, ``job_dispatch``) and in the audit log
(``share_booking.job_sent``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError, Unavailable
from zhizao.sharing.meters import JOB_SIGNAL
from zhizao.sharing.models import Booking, BookingStatus
from zhizao.telemetry.commands import mqtt
from zhizao.telemetry.commands.models import SparkplugEdge
from zhizao.telemetry.commands.transports import CONNECTOR_PROTOCOLS, Binding, CommandEnvironment, run_coroutine
from zhizao.telemetry.kinds import DataType, Protocol
from zhizao.telemetry.models import Device, Signal
from zhizao.telemetry.timeutil import now_us

log = logging.getLogger(__name__)

AUDIT_ACTION = "share_booking.job_sent"
NO_CHANNEL = "not sent: no command channel"
DISPATCH_TEXT_MAX = 300  # Booking.job_dispatch's length
# Which of an equipment's data sources gets the job id when none reports job_id yet: those that can take text first.
_PREFERENCE = (Protocol.MQTT_JSON, Protocol.SPARKPLUG_B, Protocol.OPCUA, Protocol.MODBUS, Protocol.HTTP)


@dataclass(frozen=True, slots=True)
class JobTarget:
    """The data source that receives the job id, and how (a connector binding, a Sparkplug edge node)."""

    enterprise_id: int
    device_code: str
    protocol: Protocol
    sparkplug_edge: str | None = None
    binding: Binding | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    sent: bool
    text: str  # short, stored on the booking and shown to the owner


def job_value(booking: Booking) -> str | None:
    """What the machine should report for this booking now: the job id while it runs, "" once it is completed;
    None when there is nothing to send (any other status)."""
    if booking.status is BookingStatus.ACTIVE and booking.job_id:
        return booking.job_id
    if booking.status is BookingStatus.COMPLETED:
        return ""
    return None


def message_id(booking: Booking) -> str:
    """The id of the dispatch message: the job id and the step, so that a device deduplicating by id keeps both."""
    step = "start" if booking.status is BookingStatus.ACTIVE else "complete"
    return f"{booking.job_id or f'booking-{booking.id}'}/{step}"


def find_target(session: Session, env: CommandEnvironment, equipment_id: int) -> JobTarget | None:
    """The equipment's data source that reports ``job_id`` (the lowest signal id, the one metering reads), else its
    active data source most able to take text; None when no active data source is connected to it."""
    reporting = session.scalar(
        select(Device)
        .join(Signal, Signal.device_id == Device.id)
        .where(Signal.equipment_id == equipment_id, Signal.name == JOB_SIGNAL, Device.is_active.is_(True))
        .order_by(Signal.id)
        .limit(1)
    )
    if reporting is None:
        connected = session.scalars(
            select(Device).where(Device.equipment_id == equipment_id, Device.is_active.is_(True))
        ).all()
        ranked = sorted(connected, key=lambda device: (_PREFERENCE.index(device.protocol), device.id))
        reporting = ranked[0] if ranked else None
    if reporting is None:
        return None
    device = reporting
    edge = session.get(SparkplugEdge, device.id) if device.protocol is Protocol.SPARKPLUG_B else None
    binding = None
    if device.protocol in CONNECTOR_PROTOCOLS:
        try:
            binding = env.resolver(session, device.enterprise_id, device.code, JOB_SIGNAL)
        except Unavailable:  # no connector configuration in this installation: nothing maps the point
            log.warning("connector bindings unavailable: %s cannot receive job ids", device.code)
    return JobTarget(device.enterprise_id, device.code, device.protocol, edge.edge_node_id if edge else None, binding)


def deliver(env: CommandEnvironment, target: JobTarget, value: str, message: str) -> Outcome:
    """Hand the job id (or "", to clear it) to the target's channel. Raises nothing for a channel that is missing
    or down: that is an outcome too."""
    if target.protocol in (Protocol.MQTT_JSON, Protocol.SPARKPLUG_B):
        return _publish(env, target, value, message)
    if target.protocol in CONNECTOR_PROTOCOLS:
        return _write(env, target, value)
    return Outcome(False, f"not sent: a {target.protocol.value} data source cannot receive a job id")


def _publish(env: CommandEnvironment, target: JobTarget, value: str, message: str) -> Outcome:
    if env.publisher is None:
        return Outcome(False, NO_CHANNEL)
    ts_ms = now_us() // 1000
    if target.protocol is Protocol.SPARKPLUG_B:
        topic = mqtt.sparkplug_topic(target.enterprise_id, target.device_code, target.sparkplug_edge)
        payload = mqtt.sparkplug_payload(JOB_SIGNAL, DataType.STRING, value, ts_ms)
    else:
        topic = mqtt.json_topic(target.enterprise_id, target.device_code)
        payload = mqtt.json_payload(message, JOB_SIGNAL, value, ts_ms)
    try:
        env.publisher.publish(topic, payload, qos=mqtt.COMMAND_QOS, timeout_s=env.policy.publish_timeout_s)
    except Unavailable as exc:
        return Outcome(False, f"not sent: {exc.message}")
    return Outcome(True, f"sent to {topic}")


def _write(env: CommandEnvironment, target: JobTarget, value: str) -> Outcome:
    if target.binding is None:
        return Outcome(False, f"not sent: the machine cannot receive it (no connector maps {JOB_SIGNAL})")
    settings, point = target.binding
    if not point.writable:
        return Outcome(False, f"not sent: the machine cannot receive it ({JOB_SIGNAL} is mapped read-only)")
    try:
        driver = env.drivers.get(target.protocol, JOB_SIGNAL)
        written = run_coroutine(lambda: driver.write(settings, point.key, value, env.policy.write_timeout_s))
    except InputError as exc:
        return Outcome(False, f"not sent: the machine cannot receive it ({exc.message})")
    except Unavailable as exc:
        return Outcome(False, f"not sent: {exc.message}")
    if written.confirmed:
        return Outcome(True, f"written to {point.key} and read back")
    if written.read_back is None:
        return Outcome(True, f"written to {point.key}; not read back")
    return Outcome(False, f"written to {point.key} but read back {written.read_back!r}")


def dispatch_job(
    session: Session, actor: Principal, booking_id: int, env: CommandEnvironment, now: datetime | None = None
) -> Booking:
    """After the owner's start or complete has committed: send the job id (or clear it), then store the outcome on
    the booking and audit it. The booking as it is afterwards; unchanged when its status asks for nothing."""
    session.rollback()  # start from a clean slate whatever the caller read
    with session.begin():
        booking = session.get(Booking, booking_id, populate_existing=True)
        assert booking is not None, "dispatch_job runs after a committed transition of this booking"
        value = job_value(booking)
        if value is None:
            return booking
        message = message_id(booking)
        target = find_target(session, env, booking.equipment_id)
    if target is None:
        outcome = Outcome(False, "not sent: no data source is connected to the equipment")
    else:
        try:
            outcome = deliver(env, target, value, message)
        except Exception as exc:  # a failed dispatch is the outcome, never a failure of the owner's action
            log.exception("dispatching job %s of booking %s failed", value or "(clear)", booking_id)
            outcome = Outcome(False, f"not sent: {type(exc).__name__}")
    session.rollback()  # whatever the resolver or driver read
    with session.begin():
        booking = session.get(Booking, booking_id, populate_existing=True)
        assert booking is not None
        if outcome.sent:
            booking.job_sent_at = now or datetime.now(UTC)
        booking.job_dispatch = ((f"{value}: " if value else "cleared: ") + outcome.text)[:DISPATCH_TEXT_MAX]
        audit.record(
            session, actor, action=AUDIT_ACTION, entity_type="share_booking", entity_id=booking.id,
            organisation_id=booking.owner_id, detail=outcome.text,
            after={
                "job_id": value, "sent": outcome.sent, "outcome": outcome.text, "status": booking.status.value,
                "device": target.device_code if target else None,
                "channel": target.protocol.value if target else None,
            },
        )  # fmt: skip
    return booking

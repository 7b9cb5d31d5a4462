"""What the virtual factory does with the commands the platform sends its machines. Pure: no I/O.

An MQTT JSON device receives commands on ``{prefix}/{enterprise_id}/{device_code}/cmd`` as
``{"id": …, "signal": name, "value": v, "ts": epoch_ms}`` (docs/commands.md). The simulated machines honour one:

* ``job_id`` (text), the job dispatch of capacity sharing: the machine reports the job id at once and on every
  heartbeat, and runs for the job while it is assigned; ``""`` clears it (``FactoryRun.assign_job``).

Numeric set-points are received and ignored: the machine model has none (its catalogue has no writable signal; the
OPC UA server's override nodes are served, not modelled), so there is nothing they could change.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from zhizao.simulator.catalogue import JOB_SIGNAL
from zhizao.simulator.model import FactoryRun
from zhizao.simulator.payload import DEFAULT_TOPIC_PREFIX

log = logging.getLogger(__name__)
COMMAND_LEVEL = "cmd"


@dataclass(frozen=True, slots=True)
class DeviceCommand:
    device_code: str
    signal: str
    value: object
    id: object = None  # the platform's id of the message (logs only)


CommandSink = Callable[[DeviceCommand], None]


def command_topic(enterprise_id: int | str, device_code: str, *, prefix: str = DEFAULT_TOPIC_PREFIX) -> str:
    """Where the platform publishes commands to a device (``device_code`` "+": every device's)."""
    return f"{prefix}/{enterprise_id}/{device_code}/{COMMAND_LEVEL}"


def parse_command(
    topic: str, payload: bytes, *, enterprise_id: int | str, prefix: str = DEFAULT_TOPIC_PREFIX
) -> DeviceCommand | None:
    """The command in a message on a command topic of this enterprise; None (logged) for anything else."""
    head = f"{prefix}/{enterprise_id}/"
    code = topic[len(head) : -len(COMMAND_LEVEL) - 1] if topic.startswith(head) else ""
    if not code or "/" in code or not topic.endswith(f"/{COMMAND_LEVEL}"):
        log.warning("ignoring a message on %s: not a command topic of enterprise %s", topic, enterprise_id)
        return None
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        log.warning("ignoring a command to %s: not JSON", code)
        return None
    if not isinstance(document, dict) or not isinstance(document.get("signal"), str) or "value" not in document:
        log.warning("ignoring a command to %s: no signal and value", code)
        return None
    return DeviceCommand(code, document["signal"], document["value"], document.get("id"))


def apply_command(run: FactoryRun, command: DeviceCommand) -> bool:
    """Apply a command to the run; whether it changed anything (False, logged: unknown machine, or a signal the
    machine model does not take)."""
    codes = {device.code: device for device in run.devices}
    device = codes.get(command.device_code)
    if device is None:
        log.info("command to %s ignored: not a machine of this run", command.device_code)
        return False
    takes_job = any(spec.name == JOB_SIGNAL for spec in device.signals)
    if command.signal == JOB_SIGNAL and takes_job and isinstance(command.value, str):
        run.assign_job(command.device_code, command.value)
        log.info("%s: job %r assigned (%s)", command.device_code, command.value, command.id)
        return True
    log.info("command %s to %s ignored: the machine model has no %s to set", command.id, device.code, command.signal)
    return False


def applier(run: FactoryRun) -> CommandSink:
    """A sink for ``MqttJsonPublisher(on_command=…)`` that applies each command to ``run`` (in the publisher's event
    loop, between steps, so a command takes effect at the run's next step)."""

    def apply(command: DeviceCommand) -> None:
        apply_command(run, command)

    return apply

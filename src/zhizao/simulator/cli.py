"""``zhizao simulate``: run the virtual factory and publish it as MQTT JSON or as Sparkplug B.

Registered by the root CLI as ``app.add_typer(simulate_app, name="simulate")``. A mistake in the options is
one line ``error: <option>: <reason>`` on stderr and exit code 2; a broker that cannot be reached or refuses
us is one line and exit code 1.

Time: the run starts at ``--start`` (default: now − ``--history-hours``). The history is published as fast as
the broker takes it (or at ``--rate``); then the run follows the wall clock at ``--speed`` for ``--duration``
seconds (default: until Ctrl-C), never ahead of it — so ``--start`` in the past with ``--speed 60`` replays
the past at 60× until it reaches the present, then carries on in real time. ``--upgrade-at`` makes the
machines run as a conventional plant until then and as a smart factory after (see :mod:`zhizao.simulator.upgrade`).

Protocol: ``--protocol mqtt_json`` (default) publishes ``{topic-prefix}/{enterprise-id}/{machine}/data``, QoS 1;
``--protocol sparkplug`` publishes Sparkplug B with group ``{enterprise-id}``, one edge node per line and each
machine a device of it (see :mod:`zhizao.simulator.sparkplug`), births and data at QoS 1 so that the history
loses nothing. ``--device-tokens`` and ``--topic-prefix`` are MQTT JSON's only. MQTT JSON machines also listen for
the platform's commands (``…/{machine}/cmd``) and honour the job dispatch of capacity sharing (``job_id``, see
:mod:`zhizao.simulator.commands`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import aiomqtt
import typer
from rich.console import Console
from rich.progress import Progress
from rich.text import Text

from zhizao.simulator.commands import applier
from zhizao.simulator.model import FactoryRun, default_factory
from zhizao.simulator.mqtt_json import (
    MqttJsonPublisher,
    MqttVersion,
    PublishStats,
    parse_broker_url,
    publish_history,
    run_realtime,
)
from zhizao.simulator.payload import DEFAULT_TOPIC_PREFIX
from zhizao.simulator.sparkplug import SparkplugPublisher
from zhizao.simulator.sparkplug import publish_history as publish_sparkplug_history
from zhizao.simulator.sparkplug import run_realtime as run_sparkplug_realtime

HOUR_MS = 3_600_000
PROTOCOLS = ("mqtt_json", "sparkplug")
SPARKPLUG_QOS = 1  # the specification's QoS 0 could lose part of a fast history backfill

Publisher = MqttJsonPublisher | SparkplugPublisher

simulate_app = typer.Typer(help="Virtual factory: publish simulated machine data over MQTT.")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _UsageError(Exception):
    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


def _error(option: str, message: str) -> None:
    err.print(Text("error: ", style="red") + Text(f"{option}: {message}" if option else message))


@dataclass(frozen=True)
class _Plan:
    start_ms: int
    history_until_ms: int
    duration_s: float | None
    catch_up: bool  # the history ends "now": publish what the wall clock gained meanwhile before real time


def _plan(now_ms: int, *, history_hours: float, start: str | None, duration: float | None, tz: str) -> _Plan:
    if history_hours < 0:
        raise _UsageError("history-hours", "must not be negative")
    if duration is not None and duration < 0:
        raise _UsageError("duration", "must not be negative")
    history_ms = int(history_hours * HOUR_MS)
    start_ms = (now_ms - history_ms) // 1000 * 1000 if start is None else _instant_ms("start", start, tz)
    return _Plan(start_ms, start_ms + history_ms, duration, catch_up=start is None and history_ms > 0)


def _instant_ms(option: str, text: str, tz: str) -> int:
    """An ISO date and time (in the factory's time zone unless it says otherwise), to the second, as epoch ms."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _UsageError(option, f"not an ISO date and time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return int(moment.timestamp() * 1000) // 1000 * 1000


def _now_ms() -> int:
    return int(time.time() * 1000)


def _device_tokens(path: Path | None, devices: list[str]) -> dict[str, str] | None:
    if path is None:
        return None
    try:
        tokens = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _UsageError("device-tokens", f"cannot read {path}: {exc}") from None
    if not isinstance(tokens, dict) or not all(isinstance(v, str) for v in tokens.values()):
        raise _UsageError("device-tokens", 'expected a JSON object {"<device code>": "<token>", ...}')
    missing = [code for code in devices if code not in tokens]
    if missing:
        raise _UsageError("device-tokens", f"no token for {', '.join(missing)}")
    return {code: tokens[code] for code in devices}


@simulate_app.callback(invoke_without_command=True)
def simulate(
    enterprise_id: Annotated[int | None, typer.Option(help="Enterprise (organisation) id in the topics.")] = None,
    broker: Annotated[str, typer.Option(help="mqtt://host:port or mqtts://host:port.")] = "mqtt://127.0.0.1:1883",
    seed: Annotated[int, typer.Option(help="Same seed, same factory, same data.")] = 1,
    lines: Annotated[int, typer.Option(help="Production lines (3 CNC, 2 robots, 1 packer each).")] = 2,
    speed: Annotated[
        float, typer.Option(help="Simulated seconds per wall second after the history, up to the wall clock.")
    ] = 1.0,
    history_hours: Annotated[
        float, typer.Option(help="Hours of history to publish first, fast (the platform takes up to 48).")
    ] = 0.0,
    start: Annotated[str | None, typer.Option(help="Start of the history (ISO); default now − history.")] = None,
    duration: Annotated[
        float | None, typer.Option(help="Wall seconds of real time after the history; 0: none; default: until Ctrl-C.")
    ] = None,
    rate: Annotated[float | None, typer.Option(help="Target points/s for the history; default: flat out.")] = None,
    username: Annotated[str | None, typer.Option(help="MQTT user name.")] = None,
    password: Annotated[str | None, typer.Option(help="MQTT password (device or gateway token).")] = None,
    client_id: Annotated[str | None, typer.Option(help="MQTT client id; default random.")] = None,
    device_tokens: Annotated[
        Path | None,
        typer.Option(help="JSON file {code: token}: one connection per device as <enterprise-id>/<code>."),
    ] = None,
    mqtt_version: Annotated[str, typer.Option(help="MQTT protocol version: 3.1.1 or 5.")] = "3.1.1",
    batch_size: Annotated[int, typer.Option(help="Samples per message.")] = 100,
    topic_prefix: Annotated[str, typer.Option(help="Topic prefix (MQTT JSON).")] = DEFAULT_TOPIC_PREFIX,
    protocol: Annotated[
        str, typer.Option(help="mqtt_json, or sparkplug: Sparkplug B, one edge node per line, group = enterprise id.")
    ] = "mqtt_json",
    upgrade_at: Annotated[
        str | None,
        typer.Option(help="Smart-factory upgrade (ISO): run conventionally before it; default: smart throughout."),
    ] = None,
) -> None:
    """Simulate a factory (deterministic from --seed) and publish its data as MQTT JSON or Sparkplug B, QoS 1."""
    try:
        if protocol not in PROTOCOLS:
            raise _UsageError("protocol", "must be mqtt_json or sparkplug")
        if enterprise_id is None:
            raise _UsageError("enterprise-id", "required: the enterprise the data belongs to")
        if enterprise_id < 1:
            raise _UsageError("enterprise-id", "must be a positive id")
        if not 1 <= lines <= 99:
            raise _UsageError("lines", "must be between 1 and 99")
        if not 0 < speed <= 100_000:
            raise _UsageError("speed", "must be above 0 and at most 100000")
        if not 1 <= batch_size <= 10_000:
            raise _UsageError("batch-size", "must be between 1 and 10000")
        if rate is not None and rate <= 0:
            raise _UsageError("rate", "must be positive")
        if not topic_prefix or any(c in topic_prefix for c in "+#") or topic_prefix.endswith("/"):
            raise _UsageError("topic-prefix", "must be non-empty, without + or #, not ending in /")
        if protocol == "sparkplug":
            if device_tokens is not None:
                raise _UsageError("device-tokens", "only with --protocol mqtt_json")
            if topic_prefix != DEFAULT_TOPIC_PREFIX:
                raise _UsageError("topic-prefix", "only with --protocol mqtt_json (Sparkplug topics are spBv1.0/…)")
        try:
            version = MqttVersion(mqtt_version)
        except ValueError:
            raise _UsageError("mqtt-version", "must be 5 or 3.1.1") from None
        try:
            broker_url = parse_broker_url(broker)
        except ValueError as exc:
            raise _UsageError("broker", str(exc)) from None
        spec = default_factory(lines)
        if upgrade_at is not None:
            upgrade_at_ms = _instant_ms("upgrade-at", upgrade_at, spec.calendar.timezone)
            spec = default_factory(lines, upgrade_at_ms=upgrade_at_ms)
        tokens = _device_tokens(device_tokens, [machine.code for machine in spec.machines])
        plan = _plan(
            _now_ms(),
            history_hours=history_hours,
            start=start,
            duration=duration,
            tz=spec.calendar.timezone,
        )
    except _UsageError as exc:
        _error(exc.option, str(exc))
        raise typer.Exit(2) from exc

    run = FactoryRun(spec, seed=seed, start_ms=plan.start_ms)
    signals = sum(len(device.signals) for device in run.devices)
    publisher: Publisher
    if protocol == "sparkplug":
        publisher = SparkplugPublisher(
            broker_url,
            enterprise_id=enterprise_id,
            devices=run.devices,
            client_id=client_id,
            username=username,
            password=password,
            version=version,
            batch_size=batch_size,
            qos=SPARKPLUG_QOS,
        )
    else:
        publisher = MqttJsonPublisher(
            broker_url,
            enterprise_id=enterprise_id,
            client_id=client_id,
            username=username,
            password=password,
            device_tokens=tokens,
            version=version,
            batch_size=batch_size,
            topic_prefix=topic_prefix,
            on_command=applier(run),
        )
    out.print(f"simulating {len(run.devices)} devices, {signals} signals, seed {seed}, to {broker_url}", markup=False)
    try:
        asyncio.run(_publish(run, publisher, plan, speed=speed, rate=rate))
    except KeyboardInterrupt:
        out.print("stopped", markup=False)
    except (aiomqtt.MqttError, OSError) as exc:
        _error("broker", f"{broker_url}: {exc}")
        raise typer.Exit(1) from exc
    _summary(publisher.stats, len(run.devices), signals)


async def _history(
    run: FactoryRun,
    publisher: Publisher,
    *,
    until_ms: int,
    rate: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    if isinstance(publisher, SparkplugPublisher):
        await publish_sparkplug_history(run, publisher, until_ms=until_ms, rate=rate, progress=progress)
    else:
        await publish_history(run, publisher, until_ms=until_ms, rate=rate, progress=progress)


async def _realtime(run: FactoryRun, publisher: Publisher, *, speed: float, duration_s: float | None) -> None:
    if isinstance(publisher, SparkplugPublisher):
        await run_sparkplug_realtime(run, publisher, speed=speed, duration_s=duration_s, clock=_now_ms)
    else:
        await run_realtime(run, publisher, speed=speed, duration_s=duration_s, clock=_now_ms)


async def _publish(run: FactoryRun, publisher: Publisher, plan: _Plan, *, speed: float, rate: float | None) -> None:
    async with publisher:
        if plan.history_until_ms > run.now_ms:
            total = plan.history_until_ms - run.now_ms
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("history", total=total)
                await _history(
                    run,
                    publisher,
                    until_ms=plan.history_until_ms,
                    rate=rate,
                    progress=lambda now: progress.update(task, completed=total - (plan.history_until_ms - now)),
                )
        if plan.catch_up and plan.duration_s != 0:
            await _history(run, publisher, until_ms=max(run.now_ms, _now_ms()))
        if plan.duration_s != 0:
            await _realtime(run, publisher, speed=speed, duration_s=plan.duration_s)


def _summary(stats: PublishStats, devices: int, signals: int) -> None:
    out.print(
        f"devices {devices}, signals {signals}, messages {stats.messages}, points {stats.points}, "
        f"{stats.elapsed_s:.1f} s, {stats.points_per_s:,.0f} points/s",
        markup=False,
    )

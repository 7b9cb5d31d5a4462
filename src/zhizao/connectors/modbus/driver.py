"""The Modbus TCP driver: ``DRIVER`` runs, probes and writes to a device configured by ``ModbusSettings``.

- ``run`` polls until stopped (``poller``).
- ``probe`` connects once and sends every read of every group's plan once: the points read, with a sample value
  each, and the points the device refused or that did not decode, each with the reason. An unreachable device is
  ``ok=False`` with the reason ("could not reach 127.0.0.1:5020: connection refused"), within ``timeout_s``.
- ``browse`` is not supported: a Modbus device has no address space to walk, only the addresses its manual lists.
- ``write`` checks the point and the value first (nothing is sent for a point that is not writable or a value it
  cannot hold), reads the old value, writes (function 06 or 16 for registers, 05 for a coil) and reads it back.
"""

from __future__ import annotations

import asyncio

from zhizao.connectors.base import (
    BadPoint,
    BrowseNode,
    ConnectorSettings,
    Driver,
    NotSupported,
    ProbeResult,
    RunContext,
    WriteOutcome,
)
from zhizao.connectors.modbus.client import DeviceException, LinkError, ModbusLink
from zhizao.connectors.modbus.codec import encode_point
from zhizao.connectors.modbus.errors import ModbusResponseError
from zhizao.connectors.modbus.plan import decode_response, plan_map, plan_reads
from zhizao.connectors.modbus.poller import run_connector
from zhizao.connectors.modbus.registers import Point
from zhizao.connectors.modbus.settings import ModbusSettings
from zhizao.errors import InputError, Unavailable
from zhizao.telemetry.ingest.decoding import Value
from zhizao.telemetry.kinds import Protocol

MAX_SAMPLES_SHOWN = 50  # probe details list at most this many sample values


class ModbusDriver:
    @property
    def protocol(self) -> Protocol:
        return Protocol.MODBUS

    @property
    def settings_model(self) -> type[ConnectorSettings]:
        return ModbusSettings

    async def run(self, settings: ConnectorSettings, context: RunContext) -> None:
        await run_connector(_modbus(settings), context)

    async def probe(self, settings: ConnectorSettings, timeout_s: float) -> ProbeResult:
        config = _modbus(settings)
        label = config.endpoint_label()
        samples: list[str] = []
        bad: list[BadPoint] = []
        link = ModbusLink(config, timeout_s=timeout_s)
        try:
            async with asyncio.timeout(timeout_s):
                await link.open()
                for plan in plan_map(config.register_map):
                    for read in plan.reads:
                        try:
                            values = decode_response(read, await link.read(read))
                        except (DeviceException, ModbusResponseError) as exc:
                            bad.extend(BadPoint(slot.point.name, str(exc)) for slot in read.slots)
                            continue
                        samples.extend(_sample(point, value) for point, value in values)
        except LinkError as exc:
            return ProbeResult(False, str(exc))
        except TimeoutError:
            return ProbeResult(False, f"no answer from {label} within {timeout_s:g} s")
        finally:
            link.close()
        total = len(config.register_map.points)
        message = f"connected to {label} (unit {config.unit_id}): {total - len(bad)} of {total} points read"
        if bad:
            message += f", {len(bad)} not ({bad[0].key}: {bad[0].reason})"
        shown = samples[:MAX_SAMPLES_SHOWN]
        if len(samples) > len(shown):
            shown.append(f"… and {len(samples) - len(shown)} more")
        return ProbeResult(True, message, tuple(shown), tuple(bad))

    async def browse(self, settings: ConnectorSettings, node_id: str | None, timeout_s: float) -> list[BrowseNode]:
        raise NotSupported("a Modbus device cannot be browsed: its register map comes from the device's manual")

    async def write(self, settings: ConnectorSettings, key: str, value: Value, timeout_s: float) -> WriteOutcome:
        config = _modbus(settings)
        point = config.register_map.point(key)
        if point is None:
            raise InputError.for_field("key", f"no point {key!r} in the register map")
        if not point.table.writable:
            raise InputError.for_field("key", f"{key!r} cannot be written: {point.table.label} are read-only")
        if not point.writable:
            raise InputError.for_field("key", f"{key!r} cannot be written: it is not marked writable in the map")
        if isinstance(value, str):
            raise InputError.for_field("value", f"{key}: a Modbus point takes a number or true/false, not text")
        raw = encode_point(point, value)  # ModbusValueError (an InputError on ``value``) before anything is sent
        label = config.endpoint_label()
        link = ModbusLink(config, timeout_s=timeout_s)
        try:
            async with asyncio.timeout(timeout_s):
                await link.open()
                old = await _read_point(link, point)
                try:
                    await link.write(point, raw)
                except DeviceException as exc:
                    raise Unavailable(f"{label} refused the write of {key}: {exc}") from exc
                read_back = await _read_point(link, point)
        except LinkError as exc:
            raise Unavailable(f"writing {key}: {exc}") from exc
        except TimeoutError as exc:
            raise Unavailable(f"writing {key}: no answer from {label} within {timeout_s:g} s") from exc
        finally:
            link.close()
        return WriteOutcome(old, value, read_back)


async def _read_point(link: ModbusLink, point: Point) -> Value | None:
    """The point's value, or None if the device refuses to show it (some write-only setpoints do)."""
    (read,) = plan_reads([point])
    try:
        ((_, value),) = decode_response(read, await link.read(read))
    except (DeviceException, ModbusResponseError):
        return None
    return value


def _sample(point: Point, value: Value) -> str:
    unit = f" {point.unit}" if point.unit else ""
    return f"{point.name} = {value!r}{unit} ({point.span()}, {point.data_type.value})"


def _modbus(settings: ConnectorSettings) -> ModbusSettings:
    if not isinstance(settings, ModbusSettings):
        raise TypeError(f"the Modbus driver takes ModbusSettings, not {type(settings).__name__}")
    return settings


DRIVER: Driver = ModbusDriver()

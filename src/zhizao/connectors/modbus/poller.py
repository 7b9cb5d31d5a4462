"""The running connector: one poller per polling group on one shared connection, reconnecting when it is lost.

**Schedule.** Each group polls at its own ``interval_ms`` on a fixed grid from the moment the connection came
up: poll *k* is due at start + *k* × interval, whatever the previous poll took, so intervals do not drift by the
time each poll takes. A poll that overruns its slot (a slow device, a full pipeline) makes the next due slot the
first one still ahead; the missed slots are skipped, not made up in a burst that would hammer a device that is
already slow.

**A poll** sends the group's planned reads (``plan.plan_map``: contiguous points merged into as few requests as
the protocol allows), decodes each response (``plan.decode_response``), stamps every value with the time the
poll began, and hands the poll's readings to the sink at once. A read the device refuses with a Modbus
exception (02 illegal data address, say) marks that read's points bad with the exception's name; a response that
cannot be decoded marks its points bad with why; the other reads of the poll are delivered. The connection is
shared: pymodbus sends one request at a time on it, so groups interleave rather than race.

**Connection loss** (refused, no answer within the timeout and retries, closed by the device) is reported with
``status.failed``; every poller stops, the connection is dropped, and after a backoff (``reconnect_min_s``
doubling up to ``reconnect_max_s``, each wait jittered into its upper half so that many connectors restarted
together do not reconnect in step) a new connection is opened and polling resumes on a fresh grid. The backoff
starts over once a poll succeeds on the new connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Coroutine, Sequence
from typing import Any

from zhizao.connectors.base import BadPoint, RunContext
from zhizao.connectors.modbus.client import DeviceException, LinkError, ModbusLink
from zhizao.connectors.modbus.errors import ModbusResponseError
from zhizao.connectors.modbus.plan import GroupPlan, decode_response, plan_map
from zhizao.connectors.modbus.registers import Point, ValueKind
from zhizao.connectors.modbus.settings import ModbusSettings
from zhizao.telemetry.ingest.decoding import DeviceRef, Reading
from zhizao.telemetry.kinds import DataType

DATA_TYPES = {ValueKind.BOOL: DataType.BOOL, ValueKind.INT: DataType.INT, ValueKind.FLOAT: DataType.FLOAT}


class Schedule:
    """Due times of a periodic task on a fixed grid (``monotonic`` seconds): ``start``, ``start`` + interval, …"""

    def __init__(self, interval_s: float, start: float) -> None:
        self.interval_s = interval_s
        self.due = start
        self.skipped = 0

    def advance(self, now: float) -> float:
        """The next due time after the slot just served: the next slot on the grid, or the first one after
        ``now`` when the poll overran (the slots in between are skipped and counted)."""
        self.due += self.interval_s
        if self.due <= now:
            missed = math.floor((now - self.due) / self.interval_s) + 1
            self.skipped += missed
            self.due += missed * self.interval_s
        return self.due


class Backoff:
    """Waits between connection attempts: ``low`` doubling to ``high``, each jittered into [½, 1] of its value."""

    def __init__(self, low: float, high: float, rng: random.Random | None = None) -> None:
        self.low, self.high = low, high
        self.attempt = 0
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret

    def next(self) -> float:
        delay = min(self.high, self.low * 2.0**self.attempt)
        self.attempt = min(self.attempt + 1, 60)
        return delay * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0


class PointHealth:
    """Which points the last poll of their group read, and why the others failed, for ``status.connected``."""

    def __init__(self) -> None:
        self.good: set[str] = set()
        self.bad: dict[str, str] = {}

    def update(self, good: Sequence[Point], bad: Sequence[BadPoint]) -> list[BadPoint]:
        """Record a poll; the points that went bad (or bad for another reason) with it."""
        for point in good:
            self.good.add(point.name)
            self.bad.pop(point.name, None)
        fresh = [failure for failure in bad if self.bad.get(failure.key) != failure.reason]
        for failure in bad:
            self.good.discard(failure.key)
            self.bad[failure.key] = failure.reason
        return fresh

    def bad_points(self) -> list[BadPoint]:
        return [BadPoint(key, reason) for key, reason in sorted(self.bad.items())]


async def poll_once(
    link: ModbusLink, plan: GroupPlan, settings: ModbusSettings, enterprise_id: int
) -> tuple[list[Reading], list[Point], list[BadPoint]]:
    """One poll of a group: its readings, stamped with the poll's start, the points read and the points not.
    ``LinkError`` when the connection fails; a refused or undecodable read only marks its points bad."""
    ts_us = time.time_ns() // 1000
    readings: list[Reading] = []
    good: list[Point] = []
    bad: list[BadPoint] = []
    for read in plan.reads:
        try:
            values = decode_response(read, await link.read(read))
        except (DeviceException, ModbusResponseError) as exc:
            bad.extend(BadPoint(slot.point.name, str(exc)) for slot in read.slots)
            continue
        for point, value in values:
            device_code, signal = settings.target(point)
            readings.append(
                Reading(
                    DeviceRef(enterprise_id, device_code),
                    signal,
                    ts_us,
                    value,
                    data_type=DATA_TYPES[point.value_kind],
                )
            )
            good.append(point)
    return readings, good, bad


async def run_connector(settings: ModbusSettings, context: RunContext) -> None:
    """Poll ``settings``'s device until ``context.stop`` is set; never raises for the device's faults."""
    plans = [plan for plan in plan_map(settings.register_map) if plan.reads]
    backoff = Backoff(settings.reconnect_min_s, settings.reconnect_max_s)
    try:
        while not context.stop.is_set():
            context.status.connecting()
            link = ModbusLink(settings)
            try:
                await _until_stopped(link.open(), context.stop)
                if not context.stop.is_set():
                    await _poll_until_lost(link, plans, settings, context, backoff)
            except LinkError as exc:
                context.status.failed(str(exc))
            finally:
                link.close()
            if not context.stop.is_set():
                await _sleep_unless_stopped(backoff.next(), context.stop)
    finally:
        context.status.stopped()


async def _poll_until_lost(
    link: ModbusLink, plans: Sequence[GroupPlan], settings: ModbusSettings, context: RunContext, backoff: Backoff
) -> None:
    """Run every group's poller until ``stop`` (returns) or the connection fails (``LinkError``)."""
    health = PointHealth()
    start = time.monotonic()
    pollers = [
        asyncio.create_task(_poll_group(link, plan, settings, context, health, backoff, start), name=plan.group.name)
        for plan in plans
    ]
    stopper = asyncio.create_task(context.stop.wait())
    try:
        done, _ = await asyncio.wait([*pollers, stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (*pollers, stopper):
            task.cancel()
        await asyncio.gather(*pollers, stopper, return_exceptions=True)
    for task in done:
        if task is not stopper:
            task.result()  # a poller only ends by raising: LinkError (or a bug, which should surface)


async def _poll_group(
    link: ModbusLink,
    plan: GroupPlan,
    settings: ModbusSettings,
    context: RunContext,
    health: PointHealth,
    backoff: Backoff,
    start: float,
) -> None:
    schedule = Schedule(plan.group.interval_ms / 1000, start)
    while True:
        readings, good, bad = await poll_once(link, plan, settings, context.enterprise_id)
        backoff.reset()
        fresh = health.update(good, bad)
        context.status.connected(len(health.good), health.bad_points())
        if fresh:  # said once when a point goes bad, not at every poll
            names = ", ".join(repr(failure.key) for failure in fresh[:5]) + (" …" if len(fresh) > 5 else "")
            context.status.warn(f"{names} of group {plan.group.name!r} not read: {fresh[0].reason}")
        if readings:
            await context.sink(readings)
            context.status.received(len(readings))
        delay = schedule.advance(time.monotonic()) - time.monotonic()
        await asyncio.sleep(max(0.0, delay))


async def _until_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    """Await ``work`` unless ``stop`` is set first (``work`` is then cancelled); its exception propagates."""
    task = asyncio.create_task(work)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        task.cancel()
        stopper.cancel()
        await asyncio.gather(task, stopper, return_exceptions=True)
    if not task.cancelled():
        task.result()


async def _sleep_unless_stopped(seconds: float, stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)

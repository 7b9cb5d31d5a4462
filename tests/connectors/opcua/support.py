"""What the OPC UA tests share: a sink that records what it is handed, and waiting for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from zhizao.connectors.base import RunContext, StatusBoard
from zhizao.telemetry.ingest.decoding import Reading

ENTERPRISE = 7


class Sink:
    """The connector's sink: every call and its readings, in order."""

    def __init__(self) -> None:
        self.calls: list[list[Reading]] = []

    async def __call__(self, readings: Sequence[Reading]) -> None:
        self.calls.append(list(readings))

    @property
    def readings(self) -> list[Reading]:
        return [reading for call in self.calls for reading in call]

    def signals(self) -> set[str]:
        return {reading.signal for reading in self.readings}


def context(sink: Sink) -> RunContext:
    return RunContext(ENTERPRISE, sink, StatusBoard(), asyncio.Event())


async def until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)

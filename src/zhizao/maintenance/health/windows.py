"""Which windows show the machine at work, from its OPC 40001 state and mode signals. Pure.

A baseline describes the machine while it executes in production mode, and live windows are compared with it only
then: idle, switched-off and changing windows would otherwise read as anomalies. A state (mode) signal carries
its value on change and on a heartbeat, so the value at a window's start is the last sample at or before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zhizao.telemetry.machinery import MachineryItemState, OperationMode

CHECK_MODES = frozenset({OperationMode.MAINTENANCE, OperationMode.SETUP})


@dataclass(frozen=True, slots=True)
class WindowState:
    last: int | None  # the value at the window's end; None: no sample before it
    steady: int | None  # the value held through the whole window; None: it changed, or was unknown at the start


def state_in_window(points: Sequence[tuple[int, float]], start_us: int, end_us: int) -> WindowState:
    """``points``: (ts_us, value) of one state signal, oldest first, some before ``start_us`` (a look-back)."""
    at_start: int | None = None
    inside: set[int] = set()
    last: int | None = None
    for ts, value in points:
        if ts >= end_us:
            break
        code = int(value)
        last = code
        if ts <= start_us:
            at_start = code
        else:
            inside.add(code)
    steady = at_start if at_start is not None and inside <= {at_start} else None
    return WindowState(last, steady)


def at_work(state: WindowState | None, mode: WindowState | None) -> bool:
    """Executing throughout and not in maintenance or setup mode (None: the equipment has no such signal)."""
    if state is not None and state.steady != MachineryItemState.EXECUTING:
        return False
    return mode is None or (mode.steady is not None and mode.steady not in CHECK_MODES)


def working_windows(
    state: Sequence[tuple[int, float]] | None,
    mode: Sequence[tuple[int, float]] | None,
    starts: Sequence[int],
    window_us: int,
) -> list[bool]:
    """For each window start (ascending), whether the machine was at work through that window."""
    result = []
    cursors = {"state": 0, "mode": 0}
    held: dict[str, int | None] = {"state": None, "mode": None}

    def window(name: str, points: Sequence[tuple[int, float]], start: int) -> WindowState:
        i = cursors[name]
        while i < len(points) and points[i][0] <= start:  # advance to the value at the window's start
            held[name] = int(points[i][1])
            i += 1
        cursors[name] = i
        inside = set()
        j = i
        while j < len(points) and points[j][0] < start + window_us:
            inside.add(int(points[j][1]))
            j += 1
        at_start = held[name]
        steady = at_start if at_start is not None and inside <= {at_start} else None
        return WindowState(None, steady)

    for start in starts:
        s = window("state", state, start) if state is not None else None
        m = window("mode", mode, start) if mode is not None else None
        result.append(at_work(s, m))
    return result

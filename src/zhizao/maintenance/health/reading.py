"""Window features read through telemetry's query interface: per-window means of signals (served from the
per-minute roll-ups), and the machine's state and mode around a window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.errors import InputError
from zhizao.maintenance.health.windows import WindowState, state_in_window
from zhizao.telemetry.machinery import MODE_SIGNAL, STATE_SIGNAL
from zhizao.telemetry.models import Signal
from zhizao.telemetry.store.base import Aggregate, TelemetryStore
from zhizao.telemetry.store.paging import all_raw
from zhizao.telemetry.timeutil import to_us

WINDOW_S = 60  # a whole minute, so that window means come from the per-minute roll-ups
WINDOW_US = WINDOW_S * 1_000_000
STATE_LOOKBACK_US = 10 * 60 * 1_000_000  # state signals repeat at least every heartbeat (1 min by default)


def moment_us(moment: datetime, field: str) -> int:
    """A time a caller sent, in µs: with a time-zone offset, and within what a datetime can hold in UTC."""
    if moment.tzinfo is None:
        raise InputError.for_field(field, "include a time-zone offset, e.g. 2026-11-28T08:00:00+08:00")
    try:
        return to_us(moment)
    except OverflowError as exc:
        raise InputError.for_field(field, "out of range") from exc


@dataclass(frozen=True, slots=True)
class StateSignals:
    state_id: int | None
    mode_id: int | None


def state_signals(session: Session, equipment_id: int) -> StateSignals:
    rows = session.execute(
        select(Signal.name, Signal.id)
        .where(Signal.equipment_id == equipment_id, Signal.name.in_((STATE_SIGNAL, MODE_SIGNAL)))
        .order_by(Signal.id.desc())
    )
    by_name: dict[str, int] = {str(name): int(signal_id) for name, signal_id in rows}
    return StateSignals(by_name.get(STATE_SIGNAL), by_name.get(MODE_SIGNAL))


def window_means(
    store: TelemetryStore, signal_map: Mapping[str, int], start_us: int, end_us: int
) -> dict[int, dict[str, float]]:
    """Window start → {signal name: mean} over [start, end) in ``WINDOW_S`` windows (only windows with data)."""
    series = store.downsample(list(signal_map.values()), start_us, end_us, WINDOW_US, Aggregate.AVG)
    names = {signal_id: name for name, signal_id in signal_map.items()}
    windows: dict[int, dict[str, float]] = {}
    for signal_id, buckets in series.items():
        for bucket in buckets:
            windows.setdefault(bucket.bucket_us, {})[names[signal_id]] = bucket.value
    return windows


def machine_state(
    store: TelemetryStore, signals: StateSignals, start_us: int, end_us: int
) -> tuple[WindowState | None, WindowState | None]:
    """The state and mode over [start, end) (None: the equipment has no such signal)."""

    def read(signal_id: int | None) -> WindowState | None:
        if signal_id is None:
            return None
        return state_in_window(all_raw(store, signal_id, start_us - STATE_LOOKBACK_US, end_us), start_us, end_us)

    return read(signals.state_id), read(signals.mode_id)


def values_of(window: Mapping[str, float], names: Sequence[str]) -> dict[str, float | None]:
    return {name: window.get(name) for name in names}

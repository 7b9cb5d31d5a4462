"""The alarm-flood metric against hand-computed 10-minute windows."""

from __future__ import annotations

import pytest

from tests.telemetry.alarms.support import S, threshold
from zhizao.errors import InputError
from zhizao.telemetry.alarms.engine import AlarmEngine
from zhizao.telemetry.alarms.flood import AlarmLoad, flood_summary
from zhizao.telemetry.alarms.state import Acknowledge

MIN = 60 * S
T0 = 1_700_000_000 * S  # any start: windows are counted from it


def at(minutes: float) -> int:
    return T0 + round(minutes * MIN)


def test_hand_computed_windows() -> None:
    # Area "A" over one hour (6 windows): 12 alarms in 00–10 (a flood), 1 in 10–20, 11 in 20–30 (a flood),
    # 10 in 30–40 (exactly the threshold: no flood), none after. 34 alarms in 6 windows: 5.67 per 10 min.
    activations = (
        [("A", at(0.5 * i)) for i in range(12)]
        + [("A", at(10))]  # on the boundary: the later window
        + [("A", at(20 + 0.5 * i)) for i in range(11)]
        + [("A", at(30 + i)) for i in range(10)]
        + [("B", at(59.99)), ("A", at(60)), ("A", at(-0.01))]  # at the end and before the start: left out
    )
    summary = flood_summary(activations, start_us=T0, end_us=at(60), keys=["C"])
    a = summary["A"]
    assert a.counts == (12, 1, 11, 10, 0, 0)
    assert (a.windows, a.activations, a.max_per_window, a.flood_windows) == (6, 34, 12, 2)
    assert a.flood_share == pytest.approx(2 / 6)
    assert a.average_per_window == pytest.approx(34 / 6)
    assert a.load is AlarmLoad.OVERLOADED
    b = summary["B"]
    assert (b.counts, b.flood_windows, b.load) == ((0, 0, 0, 0, 0, 1), 0, AlarmLoad.ACCEPTABLE)
    c = summary["C"]
    assert (c.activations, c.max_per_window, c.flood_share) == (0, 0, 0.0)


@pytest.mark.parametrize(
    ("count", "load"),
    [(6, AlarmLoad.ACCEPTABLE), (7, AlarmLoad.MANAGEABLE), (12, AlarmLoad.MANAGEABLE), (13, AlarmLoad.OVERLOADED)],
)
def test_load_against_the_isa_benchmark(count: int, load: AlarmLoad) -> None:
    # 6 windows: ≤ 1 per 10 min is acceptable (≤ 6), ≤ 2 manageable (≤ 12).
    summary = flood_summary([(1, at(i * 60 / count)) for i in range(count)], start_us=T0, end_us=at(60))
    assert summary[1].load is load


def test_other_windows_and_thresholds() -> None:
    activations = [("line-1", at(m)) for m in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)]  # 10 in the first 10 minutes
    summary = flood_summary(activations, start_us=T0, end_us=at(60), window_s=300, flood_threshold=4)["line-1"]
    assert summary.counts == (5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert summary.flood_windows == 2
    assert summary.average_per_10_min == pytest.approx(10 / 6)


@pytest.mark.parametrize(
    ("end_us", "window_s", "flood_threshold", "field"),
    [
        (T0, 600, 10, "end_us"),
        (at(15), 600, 10, "end_us"),  # not a whole number of windows
        (at(10), 0, 10, "window_s"),
        (at(10), 600, -1, "flood_threshold"),
    ],
)
def test_bad_periods_are_refused(end_us: int, window_s: int, flood_threshold: int, field: str) -> None:
    with pytest.raises(InputError) as caught:
        flood_summary([], start_us=T0, end_us=end_us, window_s=window_s, flood_threshold=flood_threshold)
    assert [problem.field for problem in caught.value.fields] == [field]


def test_from_engine_transitions() -> None:
    """The flood count takes activations only, not clears or acknowledgements."""
    engine = AlarmEngine([threshold()])
    transitions = []
    for index in range(80):  # a sample every 15 s for 20 minutes, alternating: an activation every 30 s
        transitions += engine.sample(1, index * 15 * S, 150.0 if index % 2 else 50.0)
        if index % 2:
            transitions.append(engine.act("temp.h", index * 15 * S + 1, Acknowledge(user="op")))
    assert len(transitions) == 119  # 40 activations, 40 acknowledgements, 39 clears (the last is still active)
    activations = [("area-3", t.ts_us) for t in transitions if t.is_activation]
    summary = flood_summary(activations, start_us=0, end_us=20 * MIN)["area-3"]
    assert summary.counts == (20, 20)
    assert (summary.flood_windows, summary.flood_share) == (2, 1.0)

"""Rate-of-change, state-equals and stale-data rules in the engine."""

from __future__ import annotations

import pytest

from tests.telemetry.alarms.support import S, rate, series, stale, state_equals, steps, tick
from zhizao.telemetry.alarms.engine import AlarmEngine
from zhizao.telemetry.alarms.state import Acknowledge
from zhizao.telemetry.machinery import MachineryItemState

ACTIVE, CLEARED, NORMAL = "active_unacked", "cleared_unacked", "normal"
ON, OFF = "condition_true", "condition_false"

# Rate over a 5 s window, limit 1 per second unless the case says otherwise.
RATE_CASES = [
    pytest.param({}, [(0, 10.0), (1, 10.5), (2, 11.0)], [], id="0.5/s: below the limit"),
    pytest.param({}, [(0, 10.0), (1, 12.0), (2, 14.0)], [(1, ON, ACTIVE)], id="2/s: above"),
    pytest.param({}, [(0, 10.0), (1, 8.0)], [(1, ON, ACTIVE)], id="falling counts for either direction"),
    pytest.param({"direction": "rising"}, [(0, 10.0), (1, 8.0)], [], id="falling ignored by a rising rule"),
    pytest.param({"direction": "falling"}, [(0, 10.0), (1, 8.0)], [(1, ON, ACTIVE)], id="falling rule"),
    pytest.param({}, [(0, 10.0), (1, 11.0)], [], id="exactly the limit is not above it"),
    # A step of 3 at t=1 is 3/s; by t=4 the window [−1, 4] still starts at t=0: 3/4 s = 0.75/s → clears.
    pytest.param({}, [(0, 10.0), (1, 13.0), (4, 13.0)], [(1, ON, ACTIVE), (4, OFF, CLEARED)], id="averaged"),
    # Old samples leave the window: at t=8 the window [3, 8] starts at the t=4 sample, after the rise.
    pytest.param(
        {},
        [(0, 0.0), (2, 0.0), (4, 10.0), (6, 10.0), (8, 10.0)],
        [(4, ON, ACTIVE), (8, OFF, CLEARED)],
        id="window slides",
    ),
    pytest.param({}, [(0, 0.0), (10, 100.0)], [], id="samples further apart than the window: no rate"),
    pytest.param(
        {"limit": 30.0, "per": "per_minute"}, [(0, 0.0), (2, 1.2)], [(2, ON, ACTIVE)], id="36/min above 30/min"
    ),
    pytest.param({"limit": 30.0, "per": "per_minute"}, [(0, 0.0), (2, 0.8)], [], id="24/min below 30/min"),
]


@pytest.mark.parametrize(("fields", "points", "expected"), RATE_CASES)
def test_rate_of_change(
    fields: dict[str, object], points: list[tuple[float, float]], expected: list[tuple[float, str, str]]
) -> None:
    engine = AlarmEngine([rate(**fields)])
    assert steps(engine.feed(series(*points))) == expected


def test_rate_of_change_skips_bad_quality_and_honours_delays() -> None:
    engine = AlarmEngine([rate(on_delay_s=2.0)])
    transitions = engine.feed(series((0, 0.0), (1, None), (2, 4.0), (3, 8.0), (4, 12.0), (5, "x")))
    assert steps(transitions) == [(4, ON, ACTIVE)]
    state = engine.rule_state("temp.roc")
    assert state.bad_quality_samples == 2
    assert [ts // S for ts, _ in state.window] == [0, 2, 3, 4]


STATE_CASES = [
    pytest.param(
        (MachineryItemState.OUT_OF_SERVICE,),
        [3, 1, 1, 2],
        [(1, ON, ACTIVE), (3, OFF, CLEARED)],
        id="MachineryItemState OutOfService",
    ),
    pytest.param((1,), [3.0, 1.0], [(1, ON, ACTIVE)], id="a stored float 1.0 matches the code 1"),
    pytest.param(
        ("ERROR", "FAULT"), ["RUN", "FAULT", "ERROR", "RUN"], [(1, ON, ACTIVE), (3, OFF, CLEARED)], id="text states"
    ),
    pytest.param(("1",), [1, "1"], [(1, ON, ACTIVE)], id="text never equals a number"),
    pytest.param((True,), [False, True], [(1, ON, ACTIVE)], id="a boolean flag"),
]


@pytest.mark.parametrize(("values", "points", "expected"), STATE_CASES)
def test_state_equals(
    values: tuple[int | str | bool, ...], points: list[int | float | str], expected: list[tuple[float, str, str]]
) -> None:
    engine = AlarmEngine([state_equals(values=values)])
    assert steps(engine.feed(series(*enumerate(points)))) == expected


def test_state_equals_with_on_delay_and_bad_quality() -> None:
    engine = AlarmEngine([state_equals(on_delay_s=10.0)])
    assert engine.feed([*series((0, 1), (5, None)), tick(60)]) == []  # bad quality stopped the delay
    assert steps(engine.feed([*series((61, 1)), tick(71)])) == [(71, ON, ACTIVE)]
    assert engine.rule_state("state.oos").bad_quality_samples == 1


def test_stale_data_is_noticed_on_ticks_and_cleared_by_a_sample() -> None:
    engine = AlarmEngine([stale(stale_after_s=10.0)])
    assert engine.feed([tick(0), tick(5), tick(10)]) == []  # armed at the first tick; exactly 10 s is not stale
    assert steps(engine.tick(round(10 * S) + 1)) == [(10.000001, ON, ACTIVE)]
    assert engine.feed([tick(15), tick(100)]) == []  # stays active: no second alarm
    assert steps(engine.feed(series((101, 5.0)))) == [(101, OFF, CLEARED)]
    assert engine.act("temp.stale", 102 * S, Acknowledge(user="op")).to_state.value == NORMAL
    assert engine.feed([tick(111)]) == []
    assert steps(engine.feed([tick(112)])) == [(111.000001, ON, ACTIVE)]


def test_stale_data_found_late_is_reported_when_it_happened() -> None:
    engine = AlarmEngine([stale(stale_after_s=10.0)])
    transitions = engine.feed(series((0, 1.0), (3, 1.0), (30, 1.0)))  # no tick in between: the gap still counts
    assert steps(transitions) == [(13.000001, ON, ACTIVE), (30, OFF, CLEARED)]


def test_any_sample_is_data_for_a_stale_rule() -> None:
    engine = AlarmEngine([stale(stale_after_s=10.0)])
    assert engine.feed([*series((0, None), (9, "text"), (18, float("nan"))), tick(28)]) == []

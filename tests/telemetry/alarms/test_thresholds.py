"""Threshold rules in the engine: limits, deadband, on/off delays, bad quality."""

from __future__ import annotations

import math

import pytest

from tests.telemetry.alarms.support import S, series, steps, threshold, tick
from zhizao.telemetry.alarms.engine import AlarmEngine
from zhizao.telemetry.alarms.rules import Priority, Severity
from zhizao.telemetry.alarms.state import SampleValue

ACTIVE, CLEARED = "active_unacked", "cleared_unacked"
ON, OFF = "condition_true", "condition_false"

# (limit, setpoint, deadband, values at t = 0, 1, 2, …, expected (t, event, state))
CASES = [
    pytest.param("high", 100.0, 0.0, [99.9, 100.0, 99.99], [(1, ON, ACTIVE), (2, OFF, CLEARED)], id="high at setpoint"),
    pytest.param("low", 10.0, 0.0, [10.1, 10.0, 10.01], [(1, ON, ACTIVE), (2, OFF, CLEARED)], id="low at setpoint"),
    pytest.param("high_high", 120.0, 0.0, [119.0, 125.0], [(1, ON, ACTIVE)], id="high-high"),
    pytest.param("low_low", 0.0, 0.0, [1.0, -0.5, 3.0], [(1, ON, ACTIVE), (2, OFF, CLEARED)], id="low-low"),
    # Oscillating within the deadband: one activation, one clear once the value is back past setpoint − deadband.
    pytest.param(
        "high",
        100.0,
        2.0,
        [99.0, 100.5, 99.0, 101.0, 98.5, 100.0, 98.01, 98.0, 97.9],
        [(1, ON, ACTIVE), (8, OFF, CLEARED)],
        id="high oscillating within the deadband",
    ),
    pytest.param(
        "low",
        10.0,
        1.0,
        [12.0, 9.5, 10.8, 9.9, 10.9, 11.0, 11.01],
        [(1, ON, ACTIVE), (6, OFF, CLEARED)],
        id="low oscillating within the deadband",
    ),
    # Without a deadband the same oscillation chatters.
    pytest.param(
        "high",
        100.0,
        0.0,
        [99.0, 100.5, 99.0, 101.0],
        [(1, ON, ACTIVE), (2, OFF, CLEARED), (3, ON, ACTIVE)],
        id="no deadband chatters",
    ),
]


@pytest.mark.parametrize(("limit", "setpoint", "deadband", "values", "expected"), CASES)
def test_limits_and_deadband(
    limit: str, setpoint: float, deadband: float, values: list[float], expected: list[tuple[float, str, str]]
) -> None:
    engine = AlarmEngine([threshold(limit=limit, setpoint=setpoint, deadband=deadband)])
    assert steps(engine.feed(series(*enumerate(values)))) == expected


def test_four_limits_on_one_signal_with_their_own_severities() -> None:
    rules = [
        threshold(id="hh", limit="high_high", setpoint=120.0, severity="critical"),
        threshold(id="h", limit="high", setpoint=100.0, severity="medium"),
        threshold(id="l", limit="low", setpoint=10.0, severity="medium"),
        threshold(id="ll", limit="low_low", setpoint=0.0, severity="critical"),
    ]
    transitions = AlarmEngine(rules).feed(series((0, 50.0), (1, 110.0), (2, 130.0), (3, 5.0), (4, -1.0)))
    activated = [(t.ts_us // S, t.rule_id, t.severity, t.priority) for t in transitions if t.is_activation]
    assert activated == [
        (1, "h", Severity.MEDIUM, Priority.MEDIUM),
        (2, "hh", Severity.CRITICAL, Priority.URGENT),
        (3, "l", Severity.MEDIUM, Priority.MEDIUM),
        (4, "ll", Severity.CRITICAL, Priority.URGENT),
    ]


def test_a_transition_carries_the_value_and_the_message() -> None:
    (first,) = AlarmEngine([threshold(equipment_id=7)]).feed(series((0, 101.5)))
    assert (first.rule_id, first.signal_id, first.equipment_id, first.value) == ("temp.h", 1, 7, 101.5)
    assert first.message == "high: at or above 100"
    (own,) = AlarmEngine([threshold(message="Spindle too hot")]).feed(series((0, 101.5)))
    assert own.message == "Spindle too hot"


# On-delay 5 s: (samples, final tick, expected)
ON_DELAY_CASES = [
    pytest.param([(0, 101.0), (4, 99.0)], 20, [], id="spike shorter than the delay: no alarm"),
    pytest.param(
        [(0, 101.0), (4.999, 102.0), (5.5, 99.0)],
        20,
        [(5, ON, ACTIVE), (5.5, OFF, CLEARED)],
        id="held through the delay: active at the deadline",
    ),
    pytest.param([(0, 101.0)], 5, [(5, ON, ACTIVE)], id="a tick at the deadline activates without a sample"),
    pytest.param([(0, 101.0)], 4.9, [], id="a tick before the deadline does not"),
    pytest.param(
        [(0, 101.0), (5, 50.0)], 5, [(5, ON, ACTIVE), (5, OFF, CLEARED)], id="held exactly the delay: activates"
    ),
    pytest.param(
        [(0, 101.0), (3, 99.0), (4, 101.0), (8, 99.0)], 20, [], id="the delay restarts after each interruption"
    ),
]


@pytest.mark.parametrize(("points", "until", "expected"), ON_DELAY_CASES)
def test_on_delay(points: list[tuple[float, float]], until: float, expected: list[tuple[float, str, str]]) -> None:
    engine = AlarmEngine([threshold(on_delay_s=5.0)])
    assert steps([*engine.feed(series(*points)), *engine.tick(round(until * S))]) == expected


OFF_DELAY_CASES = [
    pytest.param([(0, 101.0), (1, 90.0), (3, 101.0)], 20, [(0, ON, ACTIVE)], id="short dip: stays active"),
    pytest.param([(0, 101.0), (1, 90.0)], 20, [(0, ON, ACTIVE), (6, OFF, CLEARED)], id="clear for the delay: clears"),
    pytest.param([(0, 101.0), (1, 90.0), (5, 99.5)], 5.9, [(0, ON, ACTIVE)], id="clear, but not yet for long enough"),
    # With a deadband the off-delay starts only once the value is back past it.
    pytest.param([(0, 101.0), (1, 99.0), (2, 97.0)], 20, [(0, ON, ACTIVE), (7, OFF, CLEARED)], id="deadband first"),
]


@pytest.mark.parametrize(("points", "until", "expected"), OFF_DELAY_CASES)
def test_off_delay(points: list[tuple[float, float]], until: float, expected: list[tuple[float, str, str]]) -> None:
    engine = AlarmEngine([threshold(off_delay_s=5.0, deadband=2.0)])
    assert steps([*engine.feed(series(*points)), *engine.tick(round(until * S))]) == expected


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf, "n/a"])
def test_bad_quality_never_activates(bad: SampleValue) -> None:
    engine = AlarmEngine([threshold()])
    assert engine.feed(series((0, 50.0), (1, bad), (2, bad))) == []
    state = engine.rule_state("temp.h")
    assert (state.bad_quality_samples, state.last_value) == (2, 50.0)


def test_bad_quality_stops_a_pending_on_delay() -> None:
    engine = AlarmEngine([threshold(on_delay_s=5.0)])
    assert engine.feed([*series((0, 101.0), (2, None)), tick(30)]) == []


def test_bad_quality_holds_an_active_alarm() -> None:
    engine = AlarmEngine([threshold(off_delay_s=5.0)])
    transitions = engine.feed([*series((0, 101.0), (1, None), (2, math.nan)), tick(30)])
    assert steps(transitions) == [(0, ON, ACTIVE)]
    assert steps(engine.feed(series((31, 50.0), (40, 50.0)))) == [(36, OFF, CLEARED)]


def test_bad_quality_during_an_off_delay_lets_it_run_out() -> None:
    engine = AlarmEngine([threshold(off_delay_s=5.0)])
    transitions = engine.feed([*series((0, 101.0), (1, 50.0), (2, None)), tick(30)])
    assert steps(transitions) == [(0, ON, ACTIVE), (6, OFF, CLEARED)]
    assert transitions[-1].value == 50.0

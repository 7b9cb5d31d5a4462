"""Builders for alarm tests: rules with sensible defaults, samples in seconds, transitions as short tuples."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zhizao.telemetry.alarms.rules import RateOfChangeRule, StaleRule, StateEqualsRule, ThresholdRule
from zhizao.telemetry.alarms.state import AlarmTransition, Sample, SampleValue, Tick

S = 1_000_000  # microseconds per second
SIGNAL = 1


def threshold(**fields: Any) -> ThresholdRule:
    values: dict[str, Any] = {"id": "temp.h", "signal_id": SIGNAL, "severity": "high", "limit": "high"}
    values["setpoint"] = 100.0
    return ThresholdRule.model_validate(values | fields)


def rate(**fields: Any) -> RateOfChangeRule:
    values: dict[str, Any] = {"id": "temp.roc", "signal_id": SIGNAL, "severity": "medium", "limit": 1.0}
    values["window_s"] = 5.0
    return RateOfChangeRule.model_validate(values | fields)


def state_equals(**fields: Any) -> StateEqualsRule:
    values: dict[str, Any] = {"id": "state.oos", "signal_id": SIGNAL, "severity": "high", "values": (1,)}
    return StateEqualsRule.model_validate(values | fields)


def stale(**fields: Any) -> StaleRule:
    values: dict[str, Any] = {"id": "temp.stale", "signal_id": SIGNAL, "severity": "low", "stale_after_s": 10.0}
    return StaleRule.model_validate(values | fields)


def series(*points: tuple[float, SampleValue], signal_id: int = SIGNAL) -> list[Sample]:
    """Samples from (seconds, value) pairs."""
    return [Sample(signal_id, round(seconds * S), value) for seconds, value in points]


def tick(seconds: float) -> Tick:
    return Tick(round(seconds * S))


def steps(transitions: Iterable[AlarmTransition]) -> list[tuple[float, str, str]]:
    """Transitions as (seconds, event, new state): easy to compare with a hand-written expectation."""
    return [(t.ts_us / S, t.event.value, t.to_state.value) for t in transitions]

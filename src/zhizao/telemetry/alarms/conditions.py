"""The raw condition of a rule from one sample: the deadband and the rate window applied, no delays. Pure.

``evaluate`` returns the new raw condition, or ``None`` when the sample is bad quality for the rule: ``None``,
NaN, ±inf, or text for a numeric rule (threshold, rate of change). The engine decides what bad quality does.
"""

from __future__ import annotations

import math

from zhizao.telemetry.alarms.rules import (
    LimitKind,
    RateOfChangeRule,
    StaleRule,
    StateEqualsRule,
    ThresholdRule,
)
from zhizao.telemetry.alarms.state import US_PER_S, RuleState, SampleValue

# A rate-of-change window keeps at most this many samples; beyond, the oldest go (the span it covers shrinks).
MAX_WINDOW_SAMPLES = 10_000

_LIMIT_WORDS = {
    LimitKind.HIGH_HIGH: "high-high: at or above",
    LimitKind.HIGH: "high: at or above",
    LimitKind.LOW: "low: at or below",
    LimitKind.LOW_LOW: "low-low: at or below",
}


def numeric(value: SampleValue) -> float | None:
    """The value as a finite number (booleans as 0/1), or None when it is not one."""
    if isinstance(value, bool | int):
        return float(value)
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def is_good(value: SampleValue) -> bool:
    """Not bad quality for a state rule: text, or a finite number."""
    return isinstance(value, str) or numeric(value) is not None


def evaluate(
    rule: ThresholdRule | RateOfChangeRule | StateEqualsRule, rule_state: RuleState, ts_us: int, value: SampleValue
) -> bool | None:
    """The raw condition after a good sample at ``ts_us``; None if the sample is bad quality for ``rule``."""
    if isinstance(rule, StateEqualsRule):
        return value in rule.values if is_good(value) else None
    number = numeric(value)
    if number is None:
        return None
    if isinstance(rule, ThresholdRule):
        # Hysteresis: once reached, the condition holds until the value is back past the deadband.
        return not rule.cleared(number) if rule_state.raw else rule.reached(number)
    return _rate_exceeded(rule, rule_state, ts_us, number)


def _rate_exceeded(rule: RateOfChangeRule, rule_state: RuleState, ts_us: int, value: float) -> bool:
    """Δvalue/Δt between the oldest sample still inside the window and this one; False with no older sample."""
    window = rule_state.window
    window.append((ts_us, value))
    start = ts_us - round(rule.window_s * US_PER_S)
    drop = 0
    while drop < len(window) and window[drop][0] < start:
        drop += 1
    drop = max(drop, len(window) - MAX_WINDOW_SAMPLES)
    if drop:
        del window[:drop]
    first_ts, first_value = window[0]
    if first_ts == ts_us:
        return False
    return rule.exceeded((value - first_value) / ((ts_us - first_ts) / US_PER_S))


def describe(rule: ThresholdRule | RateOfChangeRule | StateEqualsRule | StaleRule) -> str:
    """The rule's own message, or a plain description of its condition."""
    if rule.message is not None:
        return rule.message
    if isinstance(rule, ThresholdRule):
        return f"{_LIMIT_WORDS[rule.limit]} {rule.setpoint:g}"
    if isinstance(rule, RateOfChangeRule):
        unit = "s" if rule.per.seconds == 1 else "min"
        return f"rate of change ({rule.direction.value}) above {rule.limit:g}/{unit} over {rule.window_s:g} s"
    if isinstance(rule, StateEqualsRule):
        return "state is " + " or ".join(str(value) for value in rule.values)
    return f"no data for {rule.stale_after_s:g} s"

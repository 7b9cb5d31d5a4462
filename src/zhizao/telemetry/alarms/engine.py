"""The alarm engine: rules + samples and ticks in time order → ISA-18.2 lifecycle transitions. Pure: no I/O, no
wall clock; time comes with every input, so the same inputs always give the same transitions.

Per rule the engine keeps a ``RuleState`` (``engine.state``, serialisable: store it, build a new engine on it,
and it goes on exactly where the old one stopped).

Time and order (at-least-once ingest replays messages, and devices' clocks lag the stream):

- Each rule has a clock: the latest time it evaluated, from a sample or a ``Tick``. A sample at exactly the time
  of the rule's last sample is a **duplicate** (the store keeps one sample per (signal, ts)): ignored, counted in
  ``duplicate_samples``. A sample older than the clock is **late** (out of order, or replayed after newer data):
  ignored, counted in ``late_samples``. Neither can raise an alarm twice.
- Ticks are watermarks: tick with "now minus the lateness you accept", not with the wall clock, or device samples
  that are a little behind will be late.
- Delays, stale data and shelf expiry are deadlines. Whatever advances a rule's clock (a tick or a sample) first
  fires every deadline up to that time, each at its own time, then applies the sample. So the transitions do not
  depend on where the ticks fall, and a stream fed in one go or in chunks gives the same transitions.
- A condition that holds exactly as long as the on-delay activates (the deadline fires before the sample at the
  same time); a delay of 0 acts at once.

Bad quality (``None``, NaN, ±inf, text for a numeric rule) is counted in ``bad_quality_samples`` and never moves an
alarm towards active: it cancels a pending on-delay, and holds an active alarm (a failed sensor does not clear
it). Its value is not kept as the rule's ``last_value``. For a stale rule every sample, good or bad, is data.

Operator actions (``act``) carry their own time (recorded on the transition, the start of a shelf's duration)
and apply to the condition as the stream has reached it; they do not move the rule's clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from zhizao.errors import InputError, NotFound
from zhizao.telemetry.alarms import conditions
from zhizao.telemetry.alarms.lifecycle import AlarmState, LifecycleEvent, next_state
from zhizao.telemetry.alarms.rules import AlarmRule, StaleRule, rule_set_problems
from zhizao.telemetry.alarms.state import (
    ACTION_EVENT,
    US_PER_S,
    AlarmTransition,
    EngineState,
    OperatorAction,
    RuleState,
    Sample,
    SampleValue,
    Shelve,
    Tick,
    action_text,
)


class AlarmEngine:
    """Evaluates ``rules`` on a stream of samples and ticks; ``state`` continues a stored engine."""

    def __init__(self, rules: Sequence[AlarmRule], state: EngineState | None = None) -> None:
        problems = rule_set_problems(rules)
        if problems:
            raise InputError("the alarm rules are not valid", fields=problems)
        self._rules: dict[str, AlarmRule] = {rule.id: rule for rule in rules}
        self._by_signal: dict[int, list[AlarmRule]] = defaultdict(list)
        for rule in rules:
            self._by_signal[rule.signal_id].append(rule)
        self._messages = {rule.id: conditions.describe(rule) for rule in rules}
        # A copy of the stored state: its rules that no longer exist are dropped, new rules start normal. A rule
        # changed under the same id keeps its state (drop it from the stored state to start the rule afresh).
        known = state.model_copy(deep=True).rules if state is not None else {}
        self._state = EngineState(rules={rule.id: known.get(rule.id, RuleState()) for rule in rules})

    @property
    def state(self) -> EngineState:
        """The live state of every rule (a model: ``model_dump_json()`` to store it)."""
        return self._state

    def rule_state(self, rule_id: str) -> RuleState:
        self._rule(rule_id)
        return self._state.rules[rule_id]

    def feed(self, items: Iterable[Sample | Tick]) -> list[AlarmTransition]:
        """Samples and ticks in stream order; the transitions they cause, in order."""
        out: list[AlarmTransition] = []
        for item in items:
            if isinstance(item, Tick):
                out += self.tick(item.ts_us)
            else:
                out += self.sample(item.signal_id, item.ts_us, item.value)
        return out

    def sample(self, signal_id: int, ts_us: int, value: SampleValue) -> list[AlarmTransition]:
        """One sample; a signal without rules is ignored."""
        out: list[AlarmTransition] = []
        for rule in self._by_signal.get(signal_id, ()):
            self._on_sample(rule, self._state.rules[rule.id], ts_us, value, out)
        return out

    def tick(self, ts_us: int) -> list[AlarmTransition]:
        """The stream's clock reached ``ts_us``: fire every delay, stale-data and shelf deadline up to it."""
        out: list[AlarmTransition] = []
        for rule in self._rules.values():
            self._advance(rule, self._state.rules[rule.id], ts_us, out)
        return out

    def act(self, rule_id: str, ts_us: int, action: OperatorAction) -> AlarmTransition:
        """An operator's action at ``ts_us``. NotFound for an unknown rule; TransitionRefused (409) when the
        alarm's state does not allow it (e.g. acknowledging a normal alarm)."""
        rule = self._rule(rule_id)
        rule_state = self._state.rules[rule_id]
        event = ACTION_EVENT[type(action)]
        target = next_state(rule_state.state, event, condition_active=rule_state.active)
        if isinstance(action, Shelve):
            rule_state.shelved_until_us = ts_us + round(action.duration_s * US_PER_S)
        elif rule_state.state is AlarmState.SHELVED:
            rule_state.shelved_until_us = None  # unshelved, or taken out of service: the shelf is gone
        return self._move(rule, rule_state, event, target, ts_us, user=action.user, comment=action_text(action))

    def _rule(self, rule_id: str) -> AlarmRule:
        rule = self._rules.get(rule_id)
        if rule is None:
            raise NotFound(f"no alarm rule {rule_id!r}")
        return rule

    def _on_sample(
        self, rule: AlarmRule, rule_state: RuleState, ts_us: int, value: SampleValue, out: list[AlarmTransition]
    ) -> None:
        if ts_us == rule_state.last_sample_us:
            rule_state.duplicate_samples += 1
            return
        if rule_state.clock_us is not None and ts_us < rule_state.clock_us:
            rule_state.late_samples += 1
            return
        self._advance(rule, rule_state, ts_us, out)
        rule_state.last_sample_us = ts_us
        if isinstance(rule, StaleRule):
            rule_state.last_seen_us = ts_us
            self._set_raw(rule_state, False, ts_us)
        else:
            raw = conditions.evaluate(rule, rule_state, ts_us, value)
            if raw is None:
                rule_state.bad_quality_samples += 1
                # Bad quality never moves towards active: a pending on-delay stops, an active alarm holds.
                raw = False if rule_state.raw and not rule_state.active else rule_state.raw
            else:
                rule_state.last_value = value
            self._set_raw(rule_state, raw, ts_us)
        self._advance(rule, rule_state, ts_us, out)  # a delay of 0 acts at once

    @staticmethod
    def _set_raw(rule_state: RuleState, raw: bool, ts_us: int) -> None:
        if raw != rule_state.raw:
            rule_state.raw = raw
            rule_state.raw_since_us = ts_us

    def _advance(self, rule: AlarmRule, rule_state: RuleState, ts_us: int, out: list[AlarmTransition]) -> None:
        """Fire every deadline up to ``ts_us`` in time order, then move the rule's clock to it."""
        if rule_state.clock_us is None:
            rule_state.clock_us = ts_us
            if isinstance(rule, StaleRule):
                rule_state.last_seen_us = ts_us  # stale data is measured from when the engine first saw the rule
        while True:
            condition_at = self._condition_deadline(rule, rule_state)
            shelf_at = rule_state.shelved_until_us if rule_state.state is AlarmState.SHELVED else None
            if condition_at is not None and condition_at <= ts_us and (shelf_at is None or condition_at <= shelf_at):
                self._fire_condition(rule, rule_state, max(condition_at, rule_state.clock_us), out)
            elif shelf_at is not None and shelf_at <= ts_us:
                at = max(shelf_at, rule_state.clock_us)
                rule_state.clock_us = at
                rule_state.shelved_until_us = None
                target = next_state(
                    AlarmState.SHELVED, LifecycleEvent.SHELF_EXPIRED, condition_active=rule_state.active
                )
                out.append(self._move(rule, rule_state, LifecycleEvent.SHELF_EXPIRED, target, at))
            else:
                break
        rule_state.clock_us = max(rule_state.clock_us, ts_us)

    @staticmethod
    def _condition_deadline(rule: AlarmRule, rule_state: RuleState) -> int | None:
        """When the condition changes next without a sample: a running delay expiring (stale rules have none:
        they follow their condition at once), or a stale rule's data going stale."""
        if rule_state.raw != rule_state.active:
            assert rule_state.raw_since_us is not None
            if isinstance(rule, StaleRule):
                return rule_state.raw_since_us
            delay_s = rule.on_delay_s if rule_state.raw else rule.off_delay_s
            return rule_state.raw_since_us + round(delay_s * US_PER_S)
        if isinstance(rule, StaleRule) and not rule_state.raw:
            seen = rule_state.last_seen_us if rule_state.last_seen_us is not None else rule_state.clock_us
            assert seen is not None
            # Stale once *more* than stale_after_s passed: a sample exactly on time does not flicker the alarm.
            return seen + round(rule.stale_after_s * US_PER_S) + 1
        return None

    def _fire_condition(self, rule: AlarmRule, rule_state: RuleState, at: int, out: list[AlarmTransition]) -> None:
        rule_state.clock_us = at
        if rule_state.raw == rule_state.active:  # a stale rule's data went stale; the loop activates it next
            self._set_raw(rule_state, True, at)
            return
        rule_state.active = rule_state.raw
        event = LifecycleEvent.CONDITION_TRUE if rule_state.active else LifecycleEvent.CONDITION_FALSE
        target = next_state(rule_state.state, event, condition_active=rule_state.active)
        out.append(self._move(rule, rule_state, event, target, at))

    def _move(
        self,
        rule: AlarmRule,
        rule_state: RuleState,
        event: LifecycleEvent,
        target: AlarmState,
        ts_us: int,
        *,
        user: str | None = None,
        comment: str | None = None,
    ) -> AlarmTransition:
        transition = AlarmTransition(
            rule_id=rule.id,
            signal_id=rule.signal_id,
            equipment_id=rule.equipment_id,
            event=event,
            from_state=rule_state.state,
            to_state=target,
            ts_us=ts_us,
            value=rule_state.last_value,
            severity=rule.severity,
            priority=rule.severity.priority,
            message=self._messages[rule.id],
            user=user,
            comment=comment,
            shelved_until_us=rule_state.shelved_until_us if target is AlarmState.SHELVED else None,
        )
        rule_state.state = target
        return transition

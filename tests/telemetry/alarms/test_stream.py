"""The engine on a stream: duplicates and late samples, and properties that hold for any stream (Hypothesis)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.telemetry.alarms.support import S, rate, series, stale, state_equals, steps, threshold, tick
from zhizao.telemetry.alarms.engine import AlarmEngine
from zhizao.telemetry.alarms.lifecycle import AlarmState
from zhizao.telemetry.alarms.rules import AlarmRule
from zhizao.telemetry.alarms.state import AlarmTransition, EngineState, RuleState, Sample, Tick

RULES: list[AlarmRule] = [
    threshold(id="h", deadband=2.0, on_delay_s=2.0, off_delay_s=3.0),
    threshold(id="ll", limit="low_low", setpoint=0.0, severity="critical"),
    rate(id="roc", limit=5.0, window_s=4.0),
    stale(id="stale", stale_after_s=6.0),
    state_equals(id="oos", signal_id=2, values=(1, "ERROR")),
]


def test_a_replayed_batch_raises_no_second_alarm() -> None:
    engine = AlarmEngine([threshold()])
    batch = series((0, 50.0), (1, 101.0), (2, 102.0))
    assert steps(engine.feed(batch)) == [(1, "condition_true", "active_unacked")]
    assert engine.feed(batch) == []  # at-least-once: the same message again
    state = engine.rule_state("temp.h")
    assert (state.duplicate_samples, state.late_samples) == (1, 2)  # t=2 is the last sample; t=0, t=1 are older


def test_out_of_order_samples_are_ignored_and_counted() -> None:
    engine = AlarmEngine([threshold()])
    assert steps(engine.feed(series((0, 50.0), (5, 50.0), (3, 150.0), (6, 101.0)))) == [
        (6, "condition_true", "active_unacked")
    ]
    assert engine.rule_state("temp.h").late_samples == 1


def test_a_tick_is_a_watermark() -> None:
    engine = AlarmEngine([threshold()])
    assert engine.feed([tick(10), *series((9.5, 150.0))]) == []  # older than the watermark: late
    assert steps(engine.feed(series((10, 150.0)))) == [(10, "condition_true", "active_unacked")]  # at it: in time
    assert engine.rule_state("temp.h").late_samples == 1


def test_a_signal_without_rules_is_ignored() -> None:
    engine = AlarmEngine([threshold()])
    assert engine.feed(series((0, 1e9), signal_id=99)) == []


def test_the_state_survives_a_json_round_trip() -> None:
    engine = AlarmEngine(RULES)
    engine.feed([*series((0, 50.0), (1, 103.0), (1.5, 110.0)), Sample(2, S, "ERROR")])
    stored = engine.state.model_dump_json()
    restored = AlarmEngine(RULES, EngineState.model_validate_json(stored))
    assert restored.state == engine.state
    rest: list[Sample | Tick] = [*series((2, 111.0), (3, 80.0)), tick(20)]
    assert restored.feed(rest) == engine.feed(rest)


def test_a_stored_state_drops_removed_rules_and_starts_new_ones_normal() -> None:
    old = EngineState(rules={"gone": RuleState(state=AlarmState.ACTIVE_UNACKED), "h": RuleState(raw=True)})
    engine = AlarmEngine(RULES[:2], old)
    assert set(engine.state.rules) == {"h", "ll"}
    assert engine.rule_state("h").raw
    assert engine.rule_state("ll") == RuleState()


# Streams: sample times strictly increasing per signal except for deliberate replays, values from a small set so
# that conditions change often; ticks in between.
VALUES = st.sampled_from([None, math.nan, "ERROR", 1, -5.0, 0.0, 50.0, 97.0, 99.0, 100.0, 101.0, 130.0])


@st.composite
def streams(draw: st.DrawFn) -> list[Sample | Tick]:
    items: list[Sample | Tick] = []
    now = 0
    for _ in range(draw(st.integers(1, 60))):
        now += draw(st.integers(0, 4_000_000))
        if draw(st.integers(0, 5)) == 0:
            items.append(Tick(now))
        else:
            items.append(Sample(draw(st.sampled_from([1, 2])), now, draw(VALUES)))
    return items


def run(items: list[Sample | Tick], *, end_us: int) -> list[AlarmTransition]:
    engine = AlarmEngine(RULES)
    return [*engine.feed(items), *engine.tick(end_us)]


def per_rule(transitions: list[AlarmTransition]) -> dict[str, list[AlarmTransition]]:
    grouped: dict[str, list[AlarmTransition]] = {}
    for transition in transitions:
        grouped.setdefault(transition.rule_id, []).append(transition)
    return grouped


def end_of(items: list[Sample | Tick]) -> int:
    return items[-1].ts_us + 60 * S


@settings(max_examples=25, deadline=None)
@given(streams())
def test_the_same_stream_gives_the_same_transitions(items: list[Sample | Tick]) -> None:
    assert run(items, end_us=end_of(items)) == run(items, end_us=end_of(items))


@settings(max_examples=25, deadline=None)
@given(streams(), st.lists(st.integers(0, 60), max_size=4))
def test_chunks_with_a_stored_state_in_between_give_the_same_transitions(
    items: list[Sample | Tick], cuts: list[int]
) -> None:
    whole = run(items, end_us=end_of(items))
    chunked: list[AlarmTransition] = []
    state: EngineState | None = None
    start = 0
    for cut in [*sorted(cut for cut in cuts if cut < len(items)), len(items)]:
        engine = AlarmEngine(RULES, state)
        chunked += engine.feed(items[start:cut])
        state = EngineState.model_validate_json(engine.state.model_dump_json())
        start = cut
    chunked += AlarmEngine(RULES, state).tick(end_of(items))
    assert chunked == whole


@settings(max_examples=25, deadline=None)
@given(streams())
def test_ticks_do_not_change_the_transitions(items: list[Sample | Tick]) -> None:
    """Ticks only make deadlines fire sooner in processing; each fires at its own time either way. (The stale
    rule needs no tick either: a gap is found when the next sample comes.) Both runs start at the same time: a
    stale rule measures from when the engine first sees it. Compared per rule: a tick may fire one rule's deadline
    before another rule's transition at a later time, which without it comes out after."""
    start = Tick(items[0].ts_us)
    samples_only: list[Sample | Tick] = [start, *(item for item in items if isinstance(item, Sample))]
    assert per_rule(run(samples_only, end_us=end_of(items))) == per_rule(run([start, *items], end_us=end_of(items)))


@settings(max_examples=25, deadline=None)
@given(streams(), st.data())
def test_redelivered_samples_change_nothing(items: list[Sample | Tick], data: st.DataObject) -> None:
    engine = AlarmEngine(RULES)
    engine.feed(items)
    seen = [item for item in items if isinstance(item, Sample)]
    replay = data.draw(st.lists(st.sampled_from(seen), max_size=20)) if seen else []
    before = engine.state.model_copy(deep=True)
    assert engine.feed(replay) == []
    ignored = sum(r.late_samples + r.duplicate_samples for r in engine.state.rules.values())
    assert ignored >= len(replay)
    for rule_id, rule_state in engine.state.rules.items():
        assert rule_state.state == before.rules[rule_id].state


@settings(max_examples=25, deadline=None)
@given(streams())
def test_each_alarm_alternates_between_activation_and_return(items: list[Sample | Tick]) -> None:
    """No double alarms: per rule, the condition events alternate true, false, true, …, and never go back in time."""
    last: dict[str, AlarmTransition] = {}
    for transition in run(items, end_us=end_of(items)):
        previous = last.get(transition.rule_id)
        if previous is not None:
            assert transition.event != previous.event
            assert transition.ts_us >= previous.ts_us
        else:
            assert transition.event.value == "condition_true"
        last[transition.rule_id] = transition

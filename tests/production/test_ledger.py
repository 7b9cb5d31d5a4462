"""The state ledger derived from samples: holding, staleness, optional mode and program, arrival order, errors."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhizao.errors import InputError
from zhizao.production.ledger import Span, StateSample, TextSample, derive_spans, merge_adjacent
from zhizao.telemetry.machinery import MachineryItemState as State
from zhizao.telemetry.machinery import OperationMode as Mode

S = 1_000_000  # one second in µs


def test_a_value_holds_until_the_next_sample_and_goes_stale() -> None:
    states = [StateSample(0, State.EXECUTING), StateSample(100 * S, State.NOT_EXECUTING), StateSample(500 * S, 3)]
    modes = [StateSample(0, Mode.PROCESSING)]
    spans = derive_spans(states, modes, 0, 800 * S, stale_after_us=200 * S)
    assert spans == [
        Span(0, 100 * S, State.EXECUTING, Mode.PROCESSING),
        Span(100 * S, 200 * S, State.NOT_EXECUTING, Mode.PROCESSING),
        Span(200 * S, 300 * S, State.NOT_EXECUTING, Mode.NONE),  # the mode is stale after 200 s, the state at 300 s
        Span(500 * S, 700 * S, State.EXECUTING, Mode.NONE),
    ]


def test_the_state_at_the_start_comes_from_a_sample_before_it() -> None:
    spans = derive_spans([StateSample(-50 * S, State.OUT_OF_SERVICE)], [], 0, 100 * S, stale_after_us=120 * S)
    assert spans == [Span(0, 70 * S, State.OUT_OF_SERVICE)]


def test_spans_split_where_the_program_changes_and_merge_where_nothing_does() -> None:
    states = [StateSample(0, 3), StateSample(10 * S, 3), StateSample(20 * S, 3)]
    programs = [TextSample(0, "O100"), TextSample(15 * S, "O200"), (18 * S, "O200")]
    spans = derive_spans(states, [StateSample(0, 3)], 0, 30 * S, stale_after_us=60 * S, programs=programs)
    assert spans == [
        Span(0, 15 * S, State.EXECUTING, Mode.PROCESSING, "O100"),
        Span(15 * S, 30 * S, State.EXECUTING, Mode.PROCESSING, "O200"),
    ]


def test_merge_adjacent_joins_touching_equal_spans_only() -> None:
    spans = [
        Span(0, 10, State.EXECUTING),
        Span(10, 20, State.EXECUTING),
        Span(25, 30, State.EXECUTING),
        Span(30, 40, State.NOT_EXECUTING),
    ]
    assert merge_adjacent(spans) == [
        Span(0, 20, State.EXECUTING),
        Span(25, 30, State.EXECUTING),
        Span(30, 40, State.NOT_EXECUTING),
    ]


@pytest.mark.parametrize(
    ("states", "modes", "field"),
    [
        ([StateSample(0, 3), StateSample(5, 9)], [], "states[1]"),
        ([StateSample(0, 3)], [StateSample(0, -1)], "modes[0]"),
    ],
)
def test_unknown_codes_name_the_sample(states: list[StateSample], modes: list[StateSample], field: str) -> None:
    with pytest.raises(InputError) as raised:
        derive_spans(states, modes, 0, 10, stale_after_us=10)
    assert raised.value.fields[0].field == field


def test_a_bad_period_or_staleness_is_refused() -> None:
    with pytest.raises(InputError):
        derive_spans([], [], 10, 10, stale_after_us=5)
    with pytest.raises(InputError):
        derive_spans([], [], 0, 10, stale_after_us=0)


samples = st.lists(st.tuples(st.integers(0, 1_000), st.integers(0, 3)), min_size=1, max_size=40).map(
    lambda pairs: [StateSample(ts * S, code) for ts, code in pairs]
)


@settings(max_examples=200, deadline=None)
@given(samples, samples, st.lists(st.tuples(st.integers(0, 1_000), st.sampled_from(["A", "B", None]))), st.randoms())
def test_the_ledger_does_not_depend_on_arrival_order(
    states: list[StateSample],
    modes: list[StateSample],
    programs: list[tuple[int, str | None]],
    shuffler: random.Random,
) -> None:
    """Late data is more samples: any arrival order, duplicates (replays) included, gives the same ledger."""
    programs = [(ts * S, text) for ts, text in programs]
    expected = derive_spans(states, modes, 100 * S, 900 * S, stale_after_us=60 * S, programs=programs)
    late_states, late_modes, late_programs = states + states[:3], modes[::-1], programs[:]
    for batch in (late_states, late_modes, late_programs):
        shuffler.shuffle(batch)
    again = derive_spans(late_states, late_modes, 100 * S, 900 * S, stale_after_us=60 * S, programs=late_programs)
    assert again == expected
    assert all(before.end_us <= after.start_us for before, after in itertools.pairwise(again))
    assert merge_adjacent(again) == again  # derived spans are already maximal

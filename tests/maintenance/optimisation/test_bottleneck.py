"""The active-period method on hand-made ledgers, with every share computed by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from zhizao.errors import InputError
from zhizao.maintenance.optimisation.bottleneck import (
    BottleneckKind,
    Period,
    Segment,
    active_periods,
    detect,
    is_active,
    momentary,
    time_in_buckets,
)
from zhizao.telemetry.machinery import MachineryItemState as S
from zhizao.telemetry.machinery import OperationMode as M

# Three machines over [0, 100) (minutes, say):
#   M1 active [0, 30) [40, 60) [85, 100)    period lengths 30, 20, 15
#   M2 active [20, 70)                      length 50
#   M3 active [0, 10) [65, 95)              lengths 10, 30
# Longest active period at each instant: [0, 20) M1 (30 > 10), [20, 70) M2 (50 beats 30, 20, 30),
# [70, 95) M3 (30 > 15), [95, 100) M1.
# Shifting = overlap of consecutive bottlenecks' periods: M1→M2 [20, 30), M2→M3 [65, 70), M3→M1 [85, 95).
#   M1: bottleneck [0, 20) + [95, 100) = 25, shifting [20, 30) + [85, 95) = 20, sole 25
#   M2: bottleneck [20, 70) = 50, shifting [20, 30) + [65, 70) = 15, sole [30, 65) = 35
#   M3: bottleneck [70, 95) = 25, shifting [65, 70) + [85, 95) = 15, sole [70, 85) = 15
THREE = {
    1: [Period(0, 30), Period(40, 60), Period(85, 100)],
    2: [Period(20, 70)],
    3: [Period(0, 10), Period(65, 95)],
}


def test_three_machines_by_hand() -> None:
    found = detect(THREE, 0, 100)
    shares = {row.machine: (row.sole_us, row.shifting_us, row.momentary_us, row.active_us) for row in found.machines}
    assert shares == {1: (25, 20, 25, 65), 2: (35, 15, 50, 50), 3: (15, 15, 25, 40)}
    assert found.share_of(2).sole_share == Fraction(35, 100)
    assert found.share_of(3).shifting_share == Fraction(15, 100)
    assert found.ranking == [2, 1, 3]  # sole + shifting: 50, 45, 30
    assert found.primary == 2
    assert found.no_bottleneck_us == 0
    assert [(s.start_us, s.end_us, s.machine) for s in found.stretches] == [
        (0, 20, 1),
        (20, 70, 2),
        (70, 95, 3),
        (95, 100, 1),
    ]
    shifting = sorted((s.start_us, s.end_us, s.machine) for s in found.segments if s.kind is BottleneckKind.SHIFTING)
    assert shifting == [(20, 30, 1), (20, 30, 2), (65, 70, 2), (65, 70, 3), (85, 95, 1), (85, 95, 3)]


def test_result_does_not_depend_on_machine_order() -> None:
    reordered = {3: THREE[3], 1: THREE[1], 2: THREE[2]}
    assert detect(reordered, 0, 100).ranking == detect(THREE, 0, 100).ranking


def test_time_with_no_active_machine_has_no_bottleneck() -> None:
    found = detect({1: [Period(0, 40)], 2: [Period(60, 70)]}, 0, 100)
    assert found.no_bottleneck_us == 50
    assert (found.share_of(1).sole_us, found.share_of(2).sole_us) == (40, 10)
    assert all(s.kind is BottleneckKind.SOLE for s in found.segments)  # apart: no overlap, no shift


def test_periods_keep_their_length_beyond_the_window() -> None:
    # Inside [50, 100) M1's period looks 10 long, but it began at 0: 60 long, so it beats M2's 30.
    found = momentary({1: [Period(0, 60)], 2: [Period(40, 70)]}, 50, 100)
    assert [(s.start_us, s.end_us, s.machine) for s in found] == [(50, 60, 1), (60, 70, 2)]


def test_ties_go_to_the_period_that_began_first_then_the_lower_id() -> None:
    assert momentary({1: [Period(5, 15)], 2: [Period(0, 10)]}, 0, 20)[0].machine == 2
    assert [s.machine for s in momentary({2: [Period(0, 10)], 1: [Period(0, 10)]}, 0, 10)] == [1]


@pytest.mark.parametrize(
    ("state", "mode", "active"),
    [
        (S.EXECUTING, M.PROCESSING, True),
        (S.EXECUTING, M.SETUP, True),
        (S.OUT_OF_SERVICE, M.NONE, True),
        (S.NOT_EXECUTING, M.MAINTENANCE, True),
        (S.NOT_AVAILABLE, M.MAINTENANCE, True),
        (S.NOT_EXECUTING, M.PROCESSING, False),
        (S.NOT_AVAILABLE, M.NONE, False),
    ],
)
def test_what_counts_as_active(state: S, mode: M, active: bool) -> None:
    assert is_active(state, mode) is active


def test_touching_active_intervals_are_one_period() -> None:
    intervals = [
        (30, 40, S.EXECUTING, M.PROCESSING),
        (0, 10, S.EXECUTING, M.SETUP),
        (10, 30, S.EXECUTING, M.PROCESSING),
        (40, 50, S.NOT_EXECUTING, M.NONE),
        (50, 55, S.OUT_OF_SERVICE, M.NONE),
    ]
    assert active_periods(intervals) == [Period(0, 40), Period(50, 55)]


def test_bad_input_is_an_error() -> None:
    with pytest.raises(InputError):
        detect({1: [Period(0, 10)]}, 10, 10)
    with pytest.raises(InputError):
        detect({1: [Period(0, 10), Period(10, 20)]}, 0, 20)  # touching periods are one period
    with pytest.raises(InputError):
        active_periods([(10, 10, S.EXECUTING, M.NONE)])


def test_time_per_bucket() -> None:
    segments = [Segment(0, 30, 1, BottleneckKind.SOLE), Segment(20, 30, 2, BottleneckKind.SHIFTING)]
    assert time_in_buckets(segments, [0, 25, 50]) == {
        (0, 1, BottleneckKind.SOLE): 25,
        (1, 1, BottleneckKind.SOLE): 5,
        (0, 2, BottleneckKind.SHIFTING): 5,
        (1, 2, BottleneckKind.SHIFTING): 5,
    }

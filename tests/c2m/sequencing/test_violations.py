"""The violation count on sequences worked out by hand: per option, per full window of q cars, the cars beyond p."""

from __future__ import annotations

import pytest

from zhizao.c2m.sequencing.instance import Instance, parse_instance
from zhizao.c2m.sequencing.violations import WindowViolation, check_sequence, count_violations
from zhizao.errors import InputError

# One option, 1/3, six cars of which two need it (class 0); class 1 needs nothing.
ENDS = parse_instance("6 1 2\n1\n3\n0 2 1\n1 4 0\n", name="ends")


def test_two_options_each_with_one_window_one_car_over(two_options: Instance) -> None:
    # option 1 (1/2): 1 1 0 1 0 → the window of cars 1–2 has 2; option 2 (2/3): 1 1 1 0 0 → cars 1–3 have 3.
    check = check_sequence(two_options, [2, 2, 1, 0, 3])
    assert check.violations == 2
    assert check.windows == (
        WindowViolation(option=0, start=0, cars=2, excess=1),
        WindowViolation(option=1, start=0, cars=3, excess=1),
    )
    assert check.for_option(1) == (WindowViolation(option=1, start=0, cars=3, excess=1),)


def test_moving_one_car_leaves_one_violation_and_a_good_order_none(two_options: Instance) -> None:
    assert count_violations(two_options, [2, 0, 1, 2, 3]) == 1  # option 1: 1 1 0 1 0; option 2: 1 0 1 1 0 fits
    assert count_violations(two_options, [2, 3, 2, 1, 0]) == 0  # option 1: 1 0 1 0 1; option 2: 1 0 1 1 0


def test_a_window_two_cars_over_counts_two(crowded: Instance) -> None:
    # 1/3 with A A A B A: windows AAA (3, two over), AAB (2, one over), ABA (2, one over) → 4, in 3 windows.
    check = check_sequence(crowded, [0, 0, 0, 1, 0])
    assert (check.violations, check.violated_windows) == (4, 3)
    assert [w.excess for w in check.windows] == [2, 1, 1]
    assert count_violations(crowded, [0, 0, 1, 0, 0]) == 3


def test_partial_windows_at_the_ends_are_not_counted() -> None:
    # A A B B B B: only the full window of cars 1–3 is over (the partial windows "A" and "A A" are not windows).
    assert count_violations(ENDS, [0, 0, 1, 1, 1, 1]) == 1
    assert count_violations(ENDS, [1, 1, 1, 1, 0, 0]) == 1
    assert count_violations(ENDS, [0, 1, 1, 0, 1, 1]) == 0


def test_a_window_longer_than_the_sequence_never_counts() -> None:
    short = parse_instance("2 1 1\n1\n3\n0 2 1\n")
    assert count_violations(short, [0, 0]) == 0


@pytest.mark.parametrize(
    ("sequence", "words"),
    [
        ([2, 2, 1, 0], "4 cars, but the instance has 5"),
        ([2, 2, 1, 0, 7], "unknown class indices: 7"),
        ([2, 2, 2, 0, 3], "class 1: 0 instead of 1; class 2: 3 instead of 2"),
    ],
)
def test_a_sequence_must_build_exactly_the_demanded_cars(
    two_options: Instance, sequence: list[int], words: str
) -> None:
    with pytest.raises(InputError) as caught:
        check_sequence(two_options, sequence)
    assert caught.value.fields[0].field == "sequence"
    assert words in caught.value.fields[0].message

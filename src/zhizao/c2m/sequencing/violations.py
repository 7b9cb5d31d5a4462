"""How many violations a sequence has, counted as the CSPLib best-known results count them.

The count (the "upper over-assignment" of the literature): for each option with rule p/q and each window of q
consecutive cars that lies wholly inside the sequence (positions i … i+q-1 for i = 0 … n-q), the number of cars in
the window needing the option beyond p, ``max(0, cars - p)``; summed over windows and options. Partial windows at the
two ends are not counted: each is contained in a full window, so a sequence with no violation under this count
satisfies every p/q rule everywhere. The figures CSPLib quotes (Gottlieb, Puchta & Solnon 2003; e.g. 19/71 at 2,
6/76 at 6) are counted this way by the INCOP local search of Neveu & Trombettoni, which is given exactly those values
as lower bounds, and by Hexaly's car-sequencing example (docs/c2m-sequencing.md). A window with one car too many
counts 1, with two too many 2; the number of *violated windows* is reported alongside (``violated_windows``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from zhizao.c2m.sequencing.instance import Instance
from zhizao.errors import InputError


@dataclass(frozen=True, slots=True)
class WindowViolation:
    """One window over capacity: the option (0-based), its first position (0-based), the cars in it needing the
    option, and the excess over p."""

    option: int
    start: int
    cars: int
    excess: int


@dataclass(frozen=True, slots=True)
class SequenceCheck:
    violations: int
    windows: tuple[WindowViolation, ...]

    @property
    def violated_windows(self) -> int:
        return len(self.windows)

    def for_option(self, option: int) -> tuple[WindowViolation, ...]:
        return tuple(window for window in self.windows if window.option == option)


def option_matrix(instance: Instance, positions: Sequence[int]) -> list[list[int]]:
    """Per option, 1 where the car at each position needs it; ``positions`` are classes by position in the file."""
    return [[int(instance.classes[c].options[option]) for c in positions] for option in range(instance.n_options)]


def window_violations(instance: Instance, positions: Sequence[int]) -> list[WindowViolation]:
    """Every full window over capacity, for a sequence of class positions (0 … n_classes-1, file order)."""
    found: list[WindowViolation] = []
    for option, row in enumerate(option_matrix(instance, positions)):
        rule = instance.rules[option]
        if rule.q > len(row):
            continue
        cars = sum(row[: rule.q])
        for start in range(len(row) - rule.q + 1):
            if start:
                cars += row[start + rule.q - 1] - row[start - 1]
            if cars > rule.p:
                found.append(WindowViolation(option=option, start=start, cars=cars, excess=cars - rule.p))
    return found


def count_positions(instance: Instance, positions: Sequence[int]) -> int:
    """The violation count of a sequence of class positions (no validation: the solver's inner use)."""
    return sum(window.excess for window in window_violations(instance, positions))


def positions_of(instance: Instance, sequence: Sequence[int]) -> list[int]:
    """Class positions from class indices as the file names them, checking that the sequence builds exactly the
    demanded cars."""
    position_by_index = {car_class.index: position for position, car_class in enumerate(instance.classes)}
    unknown = sorted({index for index in sequence if index not in position_by_index})
    if unknown:
        raise InputError.for_field("sequence", f"unknown class indices: {', '.join(map(str, unknown))}")
    if len(sequence) != instance.n_cars:
        raise InputError.for_field("sequence", f"{len(sequence)} cars, but the instance has {instance.n_cars}")
    built = Counter(sequence)
    wrong = [
        f"class {car_class.index}: {built[car_class.index]} instead of {car_class.count}"
        for car_class in instance.classes
        if built[car_class.index] != car_class.count
    ]
    if wrong:
        raise InputError.for_field("sequence", "wrong number of cars per class: " + "; ".join(wrong))
    return [position_by_index[index] for index in sequence]


def check_sequence(instance: Instance, sequence: Sequence[int]) -> SequenceCheck:
    """The violations of a sequence of class indices (as the file numbers the classes), window by window."""
    windows = tuple(window_violations(instance, positions_of(instance, sequence)))
    return SequenceCheck(violations=sum(window.excess for window in windows), windows=windows)


def count_violations(instance: Instance, sequence: Sequence[int]) -> int:
    return check_sequence(instance, sequence).violations

"""Produced quantities: count increments, cumulative counter readings turned into increments, PRU tables. Pure."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from zhizao.errors import InputError


class CountRecord(NamedTuple):
    """Units counted at ``ts_us`` (an increment): good, scrap and rework of one product. PQ = good + scrap +
    rework (ISO 22400-2: produced quantity = good quantity + scrap quantity + rework quantity)."""

    ts_us: int
    product_code: str
    good: int
    scrap: int = 0
    rework: int = 0


class CounterReading(NamedTuple):
    """A reading of a machine's cumulative counters. ``reset``: the counters were reset to zero since the
    previous reading, so this reading's totals are all counted since then."""

    ts_us: int
    product_code: str
    good: int
    scrap: int = 0
    rework: int = 0
    reset: bool = False


def counter_increments(readings: Sequence[CounterReading], *, field: str = "counters") -> list[CountRecord]:
    """The increments between consecutive readings (in time order, whatever order they came in); the first
    reading is the baseline. An increment belongs to the product of the later reading. A counter that goes
    backwards without ``reset`` is an error naming the reading, never a negative count."""
    for index, reading in enumerate(readings):
        if min(reading.good, reading.scrap, reading.rework) < 0:
            raise InputError.for_field(f"{field}[{index}]", "a counter reading must not be negative")
    order = sorted(range(len(readings)), key=lambda index: readings[index].ts_us)
    increments: list[CountRecord] = []
    for before, after in itertools.pairwise(order):
        previous, current = readings[before], readings[after]
        totals = (current.good, current.scrap, current.rework)
        if current.ts_us == previous.ts_us and totals != (previous.good, previous.scrap, previous.rework):
            raise InputError.for_field(f"{field}[{after}]", f"two different readings at the same time as {before}")
        if current.reset:
            good, scrap, rework = totals
        else:
            good, scrap, rework = (now - then for now, then in zip(totals, _totals(previous), strict=True))
            for name, delta in (("good", good), ("scrap", scrap), ("rework", rework)):
                if delta < 0:
                    raise InputError.for_field(
                        f"{field}[{after}]",
                        f"the {name} counter went backwards from {getattr(previous, name)} to "
                        f"{getattr(current, name)} (flag the reading as a reset if the counter was reset)",
                    )
        if good or scrap or rework:
            increments.append(CountRecord(current.ts_us, current.product_code, good, scrap, rework))
    return increments


def _totals(reading: CounterReading) -> tuple[int, int, int]:
    return reading.good, reading.scrap, reading.rework


def check_counts(counts: Sequence[CountRecord], *, field: str = "counts") -> None:
    for index, record in enumerate(counts):
        if min(record.good, record.scrap, record.rework) < 0:
            raise InputError.for_field(f"{field}[{index}]", "counts must not be negative")


def pru_table(pru_us: Mapping[str, int], *, field: str = "products") -> dict[str, int]:
    """Planned run time per unit by product, checked: a PRU must be a positive whole number of microseconds
    (a zero PRU would make every unit free and effectiveness zero: a wrong number, so an error)."""
    for code, value in pru_us.items():
        if value <= 0:
            raise InputError.for_field(f"{field}.{code}", f"the planned run time per unit of {code} must be positive")
    return dict(pru_us)

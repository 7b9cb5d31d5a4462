"""The throughput a line gains by relieving its bottleneck, estimated from active ratios. Pure.

Active ratio a = active time / analysed time (``bottleneck``'s definition of active). In a serial line every
machine handles the same units, so at throughput TH machine j is active a_j of the time and its active time per
unit is a_j / TH. The bottleneck b runs at the highest active ratio the line's variability allows (a_b < 1: even
the bottleneck starves or blocks at times). Relieve it — shorter cycles, fewer breakdowns, faster setups — and the
line speeds up until the next most active machine n reaches that same active ratio and becomes the bottleneck:

    TH' = TH · a_b / a_n        gain = a_b / a_n − 1        gained units = good units · (a_b / a_n − 1)

``good units`` are the bottleneck's own good units in the window (in a serial line in steady state, what the line
makes). It is an upper bound of what relieving the bottleneck alone can give: it assumes the other machines keep
their active time per unit and that buffers let the new bottleneck reach a_b. When the next machine is at least as
active as the bottleneck (a_n ≥ a_b), relieving the bottleneck alone gains nothing measurable: the gain is 0 and
the result says so (``clear`` False).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from zhizao.errors import InputError

FORMULA = "gain = a_b / a_n − 1; gained units = good units of the bottleneck · gain"


@dataclass(frozen=True, slots=True)
class ThroughputGain:
    bottleneck: int
    next_machine: int
    bottleneck_active_ratio: Fraction
    next_active_ratio: Fraction
    gain_ratio: Fraction  # relative throughput gain, 0 when not clear
    good_units: int | None  # the bottleneck's good units in the window (None: not counted)
    gained_units: Fraction | None
    clear: bool  # the bottleneck is strictly more active than every other machine
    formula: str = FORMULA


def gain(bottleneck: int, active_ratios: Mapping[int, Fraction], good_units: int | None) -> ThroughputGain | None:
    """The estimate, or None when there is no other machine to compare with (a line of one machine)."""
    if bottleneck not in active_ratios:
        raise InputError.for_field("bottleneck", f"machine {bottleneck} has no active ratio")
    for machine, ratio in active_ratios.items():
        if not 0 <= ratio <= 1:
            raise InputError.for_field(f"active_ratios.{machine}", "an active ratio lies between 0 and 1")
    others = sorted(((ratio, machine) for machine, ratio in active_ratios.items() if machine != bottleneck),
                    key=lambda row: (-row[0], row[1]))  # fmt: skip
    if not others:
        return None
    next_ratio, next_machine = others[0]
    a_b = active_ratios[bottleneck]
    clear = a_b > next_ratio
    # a_n = 0 with a_b > 0: every other machine was idle the whole time; the ratio is unbounded, so no estimate.
    ratio = a_b / next_ratio - 1 if clear and next_ratio > 0 else Fraction(0)
    clear = clear and next_ratio > 0
    if good_units is not None and good_units < 0:
        raise InputError.for_field("good_units", "must not be negative")
    gained = None if good_units is None else good_units * ratio
    return ThroughputGain(bottleneck, next_machine, a_b, next_ratio, ratio, good_units, gained, clear)

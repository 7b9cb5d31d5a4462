"""Energy per good unit and idle energy waste of one machine, from its ``energy_kwh`` counter and its ledger. Pure.

The meter is read as increments per bucket (``production.sources.counter_increments``: the last reading of a
bucket minus the last one before it; a reset counts from zero). A bucket's kWh is split over the ledger conditions
in that bucket in proportion to their time in it; the share of a bucket with no ledger interval is ``unknown``.
With one-minute buckets a state change is placed to within a minute.

Uses (OPC 40001 state, mode):

==========  ======================================================================
producing   Executing, not in mode Setup or Maintenance
setup       Executing in mode Setup
idle        NotExecuting (waiting, starved, blocked), not in mode Maintenance
standby     NotAvailable (switched off or energy saving), not in mode Maintenance
down        OutOfService, or any state in mode Maintenance
unknown     no ledger interval
==========  ======================================================================

Idle waste = idle + standby kWh: energy drawn while nothing is made and nothing is repaired. Energy per good unit
= all kWh / good units (None with no good unit, never a division by zero); its producing-only counterpart
divides the producing kWh. Cost = waste × tariff (CNY per kWh), Decimal rounded to the fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from zhizao.errors import InputError
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

US_PER_HOUR = 3_600_000_000
FEN = Decimal("0.01")
MICRO = 1_000_000  # energy is summed in micro-kWh


class EnergyUse(StrEnum):
    PRODUCING = "producing"
    SETUP = "setup"
    IDLE = "idle"
    STANDBY = "standby"
    DOWN = "down"
    UNKNOWN = "unknown"


WASTE = (EnergyUse.IDLE, EnergyUse.STANDBY)


def use_of(state: int, mode: int) -> EnergyUse:
    if mode == OperationMode.MAINTENANCE or state == MachineryItemState.OUT_OF_SERVICE:
        return EnergyUse.DOWN
    if state == MachineryItemState.EXECUTING:
        return EnergyUse.SETUP if mode == OperationMode.SETUP else EnergyUse.PRODUCING
    if state == MachineryItemState.NOT_EXECUTING:
        return EnergyUse.IDLE
    if state == MachineryItemState.NOT_AVAILABLE:
        return EnergyUse.STANDBY
    raise InputError.for_field("intervals", f"unknown MachineryItemState code {state}")


@dataclass(frozen=True, slots=True)
class EnergyFigures:
    kwh: dict[EnergyUse, Fraction]  # every use, zero included
    time_us: dict[EnergyUse, int]  # time in each use inside the window (unknown: no ledger)
    good_units: int | None
    tariff_cny_per_kwh: Decimal

    @property
    def total_kwh(self) -> Fraction:
        return sum(self.kwh.values(), Fraction(0))

    @property
    def waste_kwh(self) -> Fraction:
        return sum((self.kwh[use] for use in WASTE), Fraction(0))

    @property
    def waste_cny(self) -> Decimal:
        exact = Decimal(self.waste_kwh.numerator) / Decimal(self.waste_kwh.denominator) * self.tariff_cny_per_kwh
        return exact.quantize(FEN, rounding=ROUND_HALF_UP)

    @property
    def kwh_per_good_unit(self) -> Fraction | None:
        return self.total_kwh / self.good_units if self.good_units else None

    @property
    def producing_kwh_per_good_unit(self) -> Fraction | None:
        return self.kwh[EnergyUse.PRODUCING] / self.good_units if self.good_units else None

    def mean_kw(self, use: EnergyUse) -> Fraction | None:
        """Mean power drawn in a use (kW), None when the machine spent no time in it."""
        time = self.time_us[use]
        return self.kwh[use] * US_PER_HOUR / time if time else None

    @property
    def waste_share(self) -> Fraction | None:
        total = self.total_kwh
        return self.waste_kwh / total if total else None


def _pieces(
    intervals: Sequence[tuple[int, int, int, int]], start_us: int, end_us: int
) -> list[tuple[int, int, EnergyUse]]:
    """The window covered by uses, in time order, gaps filled with UNKNOWN."""
    clipped = sorted(
        (max(start, start_us), min(end, end_us), use_of(state, mode))
        for start, end, state, mode in intervals
        if min(end, end_us) > max(start, start_us)
    )
    pieces: list[tuple[int, int, EnergyUse]] = []
    cursor = start_us
    for index, (start, end, use) in enumerate(clipped):
        if start < cursor:
            raise InputError.for_field(f"intervals[{index}]", "ledger intervals must not overlap")
        if start > cursor:
            pieces.append((cursor, start, EnergyUse.UNKNOWN))
        pieces.append((start, end, use))
        cursor = end
    if cursor < end_us:
        pieces.append((cursor, end_us, EnergyUse.UNKNOWN))
    return pieces


def figures(
    intervals: Sequence[tuple[int, int, int, int]],
    increments: Sequence[tuple[int, float]],
    step_us: int,
    start_us: int,
    end_us: int,
    *,
    good_units: int | None,
    tariff_cny_per_kwh: Decimal,
) -> EnergyFigures:
    """Split the energy of [start_us, end_us) over uses; ``intervals`` are (start_us, end_us, state, mode),
    ``increments`` (bucket start µs, kWh) of buckets of ``step_us``."""
    if end_us <= start_us:
        raise InputError.for_field("period", "the period ends before it starts")
    if step_us <= 0:
        raise InputError.for_field("step_us", "must be positive")
    if tariff_cny_per_kwh < 0:
        raise InputError.for_field("query.tariff", "a tariff must not be negative")
    pieces = _pieces(intervals, start_us, end_us)
    time_us = dict.fromkeys(EnergyUse, 0)
    for start, end, use in pieces:
        time_us[use] += end - start
    # Exact sums in micro-kWh (a meter's decimals are far coarser): a bucket inside one use adds an integer, and
    # only the few buckets cut by a state change need a fraction, which keeps a month of minutes fast.
    whole = dict.fromkeys(EnergyUse, 0)
    split = dict.fromkeys(EnergyUse, Fraction(0))
    index = 0
    for position, (bucket_us, value) in enumerate(sorted(increments)):
        if value < 0:
            raise InputError.for_field(f"increments[{position}]", "an energy increment must not be negative")
        low, high = max(bucket_us, start_us), min(bucket_us + step_us, end_us)
        if high <= low:
            continue
        micro = round(value * MICRO)
        while index < len(pieces) and pieces[index][1] <= low:
            index += 1
        if pieces[index][1] >= high:
            whole[pieces[index][2]] += micro
            continue
        scan = index
        while scan < len(pieces) and pieces[scan][0] < high:
            start, end, use = pieces[scan]
            split[use] += Fraction(micro * (min(end, high) - max(start, low)), high - low)
            scan += 1
    kwh = {use: (whole[use] + split[use]) / MICRO for use in EnergyUse}
    return EnergyFigures(kwh, time_us, good_units, tariff_cny_per_kwh)

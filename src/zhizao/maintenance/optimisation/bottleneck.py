"""Shifting bottleneck detection by the active-period method (Roser, Nakano & Tanaka, 2002). Pure.

A machine is *active* while it works on something the line waits for: producing, setting up, being repaired
(OPC 40001 Executing in any mode, OutOfService, or any state in mode Maintenance). It is *inactive* while it waits
(NotExecuting: starved, blocked, idle) or is switched off (NotAvailable). Time without ledger data is inactive: it
is reported as missing coverage, never guessed. Touching active intervals (producing → setup → producing) form one
uninterrupted *active period*.

At every instant the *momentary bottleneck* is the machine whose active period containing that instant is the
longest (ties: the period that began first, then the lower machine id, so the result does not depend on input
order). Where the momentary bottleneck passes from machine A to machine B, the overlap of A's and B's active
periods is a *shifting* period: both are shifting bottlenecks during it. The rest of a machine's time as
momentary bottleneck is *sole* bottleneck time. Shares are of the whole analysed window; shifting time counts for
both machines involved, so the shares over all machines may add up to more than 100 %. The primary bottleneck
has the largest sole + shifting share.

Periods cut by the window's edges keep their full length when the caller passes them whole (the service loads the
ledger with a margin), so a period's rank does not depend on where the window starts; only time inside the
window is counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

from zhizao.errors import InputError
from zhizao.telemetry.machinery import MachineryItemState, OperationMode


class Period(NamedTuple):
    """[start_us, end_us): an uninterrupted active period of one machine."""

    start_us: int
    end_us: int

    @property
    def length_us(self) -> int:
        return self.end_us - self.start_us


class BottleneckKind(StrEnum):
    SOLE = "sole"
    SHIFTING = "shifting"


def is_active(state: int, mode: int) -> bool:
    """Whether a ledger condition is active in the sense of the method (see the module docstring)."""
    if mode == OperationMode.MAINTENANCE:
        return True
    return state in (MachineryItemState.EXECUTING, MachineryItemState.OUT_OF_SERVICE)


def active_periods(intervals: Iterable[tuple[int, int, int, int]]) -> list[Period]:
    """The active periods of one machine from its ledger intervals (start_us, end_us, state, mode), any order."""
    ordered = sorted((start, end) for start, end, state, mode in intervals if is_active(state, mode))
    periods: list[Period] = []
    for start, end in ordered:
        if end <= start:
            raise InputError.for_field("intervals", f"an interval must end after it starts ({start}, {end})")
        if periods and start <= periods[-1].end_us:
            # Touching (or, from a corrupt ledger, overlapping) active intervals are one period.
            periods[-1] = Period(periods[-1].start_us, max(end, periods[-1].end_us))
        else:
            periods.append(Period(start, end))
    return periods


class Stretch(NamedTuple):
    """[start_us, end_us) during which ``machine`` was the momentary bottleneck with its active period ``period``."""

    start_us: int
    end_us: int
    machine: int
    period: Period


class Segment(NamedTuple):
    """[start_us, end_us) during which ``machine`` was a sole or a shifting bottleneck."""

    start_us: int
    end_us: int
    machine: int
    kind: BottleneckKind


@dataclass(frozen=True, slots=True)
class MachineShare:
    machine: int
    active_us: int  # inside the window
    periods: int  # active periods touching the window
    longest_period_us: int
    momentary_us: int  # time as momentary bottleneck
    sole_us: int
    shifting_us: int
    window_us: int

    @property
    def sole_share(self) -> Fraction:
        return Fraction(self.sole_us, self.window_us)

    @property
    def shifting_share(self) -> Fraction:
        return Fraction(self.shifting_us, self.window_us)

    @property
    def active_ratio(self) -> Fraction:
        return Fraction(self.active_us, self.window_us)


@dataclass(frozen=True, slots=True)
class Bottlenecks:
    start_us: int
    end_us: int
    machines: list[MachineShare]  # in the order of the machine ids given
    stretches: list[Stretch]
    segments: list[Segment]  # sole and shifting time, per machine, in time order
    no_bottleneck_us: int  # time when no machine was active
    ranking: list[int] = field(default_factory=list)  # machines by sole + shifting time, largest first

    @property
    def primary(self) -> int | None:
        return self.ranking[0] if self.ranking else None

    def share_of(self, machine: int) -> MachineShare:
        return next(row for row in self.machines if row.machine == machine)


def _check(periods: Mapping[int, Sequence[Period]], start_us: int, end_us: int) -> None:
    if end_us <= start_us:
        raise InputError.for_field("period", "the period ends before it starts")
    for machine, rows in periods.items():
        for index, (before, after) in enumerate(itertools.pairwise(rows)):
            if after.start_us <= before.end_us:
                raise InputError.for_field(
                    f"periods.{machine}[{index + 1}]", "active periods must be in time order, apart, not touching"
                )


def momentary(periods: Mapping[int, Sequence[Period]], start_us: int, end_us: int) -> list[Stretch]:
    """The momentary bottleneck over [start_us, end_us): maximal stretches of one active period being the longest."""
    _check(periods, start_us, end_us)
    machines = sorted(periods)
    edges = {start_us, end_us}
    for rows in periods.values():
        for period in rows:
            edges.update(edge for edge in period if start_us < edge < end_us)
    ordered = sorted(edges)
    cursor = dict.fromkeys(machines, 0)
    stretches: list[Stretch] = []
    for low, high in itertools.pairwise(ordered):
        best: tuple[int, int, int] | None = None  # (−length, start, machine): the smallest wins
        best_period: Period | None = None
        for machine in machines:
            rows = periods[machine]
            index = cursor[machine]
            while index < len(rows) and rows[index].end_us <= low:
                index += 1
            cursor[machine] = index
            if index < len(rows) and rows[index].start_us <= low:
                key = (-rows[index].length_us, rows[index].start_us, machine)
                if best is None or key < best:
                    best, best_period = key, rows[index]
        if best is None or best_period is None:
            continue
        machine = best[2]
        last = stretches[-1] if stretches else None
        if last is not None and last.end_us == low and last.machine == machine and last.period == best_period:
            stretches[-1] = last._replace(end_us=high)
        else:
            stretches.append(Stretch(low, high, machine, best_period))
    return stretches


def _union(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _minus(intervals: Sequence[tuple[int, int]], holes: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``intervals`` without ``holes`` (both unions: sorted, apart)."""
    result: list[tuple[int, int]] = []
    for start, end in intervals:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def _length(intervals: Iterable[tuple[int, int]]) -> int:
    return sum(end - start for start, end in intervals)


def detect(periods: Mapping[int, Sequence[Period]], start_us: int, end_us: int) -> Bottlenecks:
    """Sole and shifting bottleneck time of every machine over [start_us, end_us)."""
    stretches = momentary(periods, start_us, end_us)
    shifting: dict[int, list[tuple[int, int]]] = {machine: [] for machine in periods}
    for before, after in itertools.pairwise(stretches):
        if before.machine == after.machine:
            continue
        low = max(before.period.start_us, after.period.start_us, start_us)
        high = min(before.period.end_us, after.period.end_us, end_us)
        if low < high:
            shifting[before.machine].append((low, high))
            shifting[after.machine].append((low, high))
    segments: list[Segment] = []
    shares: list[MachineShare] = []
    window = end_us - start_us
    for machine, rows in periods.items():
        own = _union((s.start_us, s.end_us) for s in stretches if s.machine == machine)
        shift = _union(shifting[machine])
        sole = _minus(own, shift)
        segments += [Segment(a, b, machine, BottleneckKind.SOLE) for a, b in sole]
        segments += [Segment(a, b, machine, BottleneckKind.SHIFTING) for a, b in shift]
        inside = [(max(p.start_us, start_us), min(p.end_us, end_us)) for p in rows]
        inside = [(a, b) for a, b in inside if a < b]
        shares.append(
            MachineShare(
                machine=machine,
                active_us=_length(inside),
                periods=len(inside),
                longest_period_us=max((p.length_us for p in rows if p.end_us > start_us and p.start_us < end_us),
                                      default=0),
                momentary_us=_length(own),
                sole_us=_length(sole),
                shifting_us=_length(shift),
                window_us=window,
            )
        )  # fmt: skip
    segments.sort(key=lambda s: (s.start_us, s.machine, s.kind))
    ranking = [
        row.machine
        for row in sorted(shares, key=lambda r: (-(r.sole_us + r.shifting_us), r.machine))
        if row.sole_us + row.shifting_us > 0
    ]
    covered = _length(_union((s.start_us, s.end_us) for s in stretches))
    return Bottlenecks(start_us, end_us, shares, stretches, segments, window - covered, ranking)


def time_in_buckets(segments: Iterable[Segment], edges: Sequence[int]) -> dict[tuple[int, int, BottleneckKind], int]:
    """Sole and shifting time per (bucket index, machine, kind), buckets [edges[i], edges[i+1]) (a chart per day)."""
    found: dict[tuple[int, int, BottleneckKind], int] = {}
    for segment in segments:
        for index, (low, high) in enumerate(itertools.pairwise(edges)):
            overlap = min(high, segment.end_us) - max(low, segment.start_us)
            if overlap > 0:
                key = (index, segment.machine, segment.kind)
                found[key] = found.get(key, 0) + overlap
    return found

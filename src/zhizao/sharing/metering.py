"""Billable machine time from the state ledger. Pure: no I/O.

All times are integer microseconds since the Unix epoch (UTC) and every interval is half-open ``[start_us, end_us)``,
as in :mod:`zhizao.production.ledger`, so two intervals that touch share no instant and durations simply add.

Billable time T_bill is the part of the ledger where the machine is ``EXECUTING`` in ``PROCESSING`` mode, while one of
the lessee's job windows is open, minus every interval the owner is obliged for (faults, maintenance, the owner's own
downtime). The result names the intervals it counted, because every invoice line must name its meter intervals.

Owner downtime for SLA credits is measured differently: it is the part of the job windows covered by owner
exclusions, whatever the machine's state, since a broken machine is not ``EXECUTING`` and would otherwise never show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from zhizao.errors import InputError
from zhizao.production.ledger import Span
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

__all__ = [
    "ExclusionReason",
    "Interval",
    "Metered",
    "OwnerExclusion",
    "billable",
    "duration_us",
    "intersect",
    "setups",
    "split_at",
    "subtract",
    "union",
]


class Interval(NamedTuple):
    """``[start_us, end_us)``, integer microseconds UTC."""

    start_us: int
    end_us: int

    @property
    def duration_us(self) -> int:
        return self.end_us - self.start_us


class ExclusionReason(StrEnum):
    """Why the owner, not the lessee, answers for an interval."""

    FAULT = "fault"
    MAINTENANCE = "maintenance"
    OWNER_DOWNTIME = "owner_downtime"  # e.g. power cut, operator the owner failed to provide


class OwnerExclusion(NamedTuple):
    start_us: int
    end_us: int
    reason: ExclusionReason


@dataclass(frozen=True, slots=True)
class Metered:
    """What :func:`billable` found. ``intervals`` are the counted intervals, merged and in time order;
    ``billable_us`` is their total. ``owner_downtime`` is job-window time covered by owner exclusions (the base of SLA
    credits); ``excluded_processing`` is processing time that was inside a job window but not billed."""

    billable_us: int
    intervals: tuple[Interval, ...]
    owner_downtime_us: int
    owner_downtime: tuple[Interval, ...]
    excluded_processing: tuple[Interval, ...]


def _checked(items: Iterable[tuple[int, int]], field: str) -> list[Interval]:
    out = []
    for index, (start_us, end_us) in enumerate(items):
        if not (isinstance(start_us, int) and isinstance(end_us, int)):
            raise InputError.for_field(f"{field}[{index}]", "interval bounds must be integer microseconds")
        if end_us < start_us:
            raise InputError.for_field(f"{field}[{index}]", f"interval ends ({end_us}) before it starts ({start_us})")
        out.append(Interval(start_us, end_us))
    return out


def union(intervals: Iterable[tuple[int, int]]) -> list[Interval]:
    """The union as sorted, disjoint, non-touching intervals (touching ones are merged; empty ones dropped)."""
    out: list[Interval] = []
    for start_us, end_us in sorted(i for i in _checked(intervals, "intervals") if i.end_us > i.start_us):
        if out and start_us <= out[-1].end_us:
            out[-1] = Interval(out[-1].start_us, max(out[-1].end_us, end_us))
        else:
            out.append(Interval(start_us, end_us))
    return out


def intersect(a: Iterable[tuple[int, int]], b: Iterable[tuple[int, int]]) -> list[Interval]:
    """The intersection of two interval sets, as the union of pairwise overlaps."""
    left, right = union(a), union(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start_us, end_us = max(left[i].start_us, right[j].start_us), min(left[i].end_us, right[j].end_us)
        if start_us < end_us:
            out.append(Interval(start_us, end_us))
        if left[i].end_us < right[j].end_us:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Iterable[tuple[int, int]], b: Iterable[tuple[int, int]]) -> list[Interval]:
    """``a`` minus ``b``."""
    out: list[Interval] = []
    cuts = union(b)
    for piece in union(a):
        cursor = piece.start_us
        for cut in cuts:
            if cut.end_us <= cursor or cut.start_us >= piece.end_us:
                continue
            if cut.start_us > cursor:
                out.append(Interval(cursor, cut.start_us))
            cursor = max(cursor, cut.end_us)
        if cursor < piece.end_us:
            out.append(Interval(cursor, piece.end_us))
    return out


def split_at(intervals: Iterable[tuple[int, int]], cuts_us: Iterable[int]) -> list[Interval]:
    """The intervals cut at each instant in ``cuts_us`` (e.g. tariff changes), so no piece straddles a cut."""
    points = sorted(set(cuts_us))
    out: list[Interval] = []
    for start_us, end_us in union(intervals):
        cursor = start_us
        for point in points:
            if cursor < point < end_us:
                out.append(Interval(cursor, point))
                cursor = point
        out.append(Interval(cursor, end_us))
    return out


def duration_us(intervals: Iterable[tuple[int, int]]) -> int:
    return sum(i.duration_us for i in union(intervals))


def _checked_spans(spans: Sequence[Span]) -> list[Span]:
    ordered = sorted(spans, key=lambda s: s.start_us)
    for index, span in enumerate(ordered):
        if span.end_us < span.start_us:
            raise InputError.for_field(f"intervals[{index}]", f"span ends before it starts at {span.start_us}")
        # The ledger guarantees non-overlapping spans; overlapping input means two ledgers were mixed and
        # time would be billed twice.
        if index and span.start_us < ordered[index - 1].end_us:
            raise InputError.for_field(
                f"intervals[{index}]", f"state spans overlap at {span.start_us}: the ledger must not overlap"
            )
    return ordered


def _runs(spans: Sequence[Span], state: MachineryItemState, mode: OperationMode) -> list[Interval]:
    return union((s.start_us, s.end_us) for s in _checked_spans(spans) if s.state == state and s.mode == mode)


def billable(
    intervals: Sequence[Span],
    job_windows: Sequence[tuple[int, int]],
    owner_exclusions: Sequence[OwnerExclusion],
) -> Metered:
    """T_bill = |Executing∧Processing ∩ ∪ job_windows − ∪ owner_exclusions|, with the intervals counted.

    ``intervals`` are state-ledger spans (:class:`zhizao.production.ledger.Span`); they must not overlap.
    Job windows and exclusions may overlap one another; they are merged first.
    """
    jobs = union(_checked(job_windows, "job_windows"))
    exclusions = union(_checked(((e.start_us, e.end_us) for e in owner_exclusions), "owner_exclusions"))
    processing = intersect(_runs(intervals, MachineryItemState.EXECUTING, OperationMode.PROCESSING), jobs)
    counted = subtract(processing, exclusions)
    downtime = intersect(jobs, exclusions)
    return Metered(
        billable_us=sum(i.duration_us for i in counted),
        intervals=tuple(counted),
        owner_downtime_us=sum(i.duration_us for i in downtime),
        owner_downtime=tuple(downtime),
        excluded_processing=tuple(intersect(processing, exclusions)),
    )


def setups(
    intervals: Sequence[Span],
    job_windows: Sequence[tuple[int, int]],
    owner_exclusions: Sequence[OwnerExclusion] = (),
) -> tuple[Interval, ...]:
    """The setups the lessee is charged for: maximal runs of Executing∧Setup inside a job window, outside owner
    exclusions. N_setup is their count; a setup split by a job-window edge or an exclusion counts once per piece,
    because each piece is a separate changeover the lessee started."""
    jobs = union(_checked(job_windows, "job_windows"))
    exclusions = union(_checked(((e.start_us, e.end_us) for e in owner_exclusions), "owner_exclusions"))
    runs = subtract(intersect(_runs(intervals, MachineryItemState.EXECUTING, OperationMode.SETUP), jobs), exclusions)
    return tuple(runs)

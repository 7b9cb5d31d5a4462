"""The meter entries of one job over one stretch of time, from the machine's data. Pure: no I/O.

A job is metered in stretches ``[from_us, until_us)`` as its machine data arrives; each stretch is cut at the ends of
invoice months and at tariff changes into pieces, and every record lies inside one piece, so invoicing prices each
record whole, by one tariff version, in one month. Record ids are derived from the booking and the piece, so metering
the same stretch twice is refused by the log instead of billing it twice.

- Job windows: the job's actual window (start → completion), narrowed to the times the machine itself reported the
  job's id when it has a job signal (the id sent to it at the start): machine data, not the calendar, attributes time.
- Owner exclusions from the ledger: ``OUT_OF_SERVICE`` is a fault, ``MAINTENANCE`` mode is maintenance.
- Setups are counted in the piece where they start, from runs computed over the whole job so far, so a setup that
  spans a cut is counted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from zhizao.production.ledger import Span
from zhizao.sharing.metering import (
    ExclusionReason,
    Interval,
    OwnerExclusion,
    billable,
    intersect,
    setups,
    split_at,
    subtract,
    union,
)
from zhizao.sharing.meterlog import MeterEntry, MeterKind
from zhizao.sharing.tariffs import IncidentKind, Tariff
from zhizao.sharing.wear import ComponentSpec, WearSignals, WearStatus, assess_wear
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

__all__ = ["Incident", "JobStretch", "job_entries", "owner_exclusions", "reported_windows"]


@dataclass(frozen=True, slots=True)
class Incident:
    ref: str  # unique per machine, e.g. the alarm event id
    at_us: int
    kind: IncidentKind


@dataclass(frozen=True, slots=True)
class JobStretch:
    booking_id: int
    machine_id: str
    job_started_us: int  # the job's actual start (setups are counted from here)
    from_us: int  # metered up to here already
    until_us: int  # meter up to here
    spans: Sequence[Span]  # the ledger over [job_started_us, until_us)
    reported: Sequence[Interval] | None  # when the machine reported this job's id; None: no job signal
    cuts_us: Sequence[int]  # month ends and tariff changes
    tariffs: Sequence[Tariff]
    wear_specs: Sequence[ComponentSpec]
    wear_signals: WearSignals
    incidents: Sequence[Incident] = ()


def reported_windows(readings: Sequence[tuple[int, str]], job_id: str, until_us: int) -> list[Interval]:
    """Intervals during which the machine's job signal held ``job_id`` (each reading holds until the next)."""
    out: list[Interval] = []
    for index, (at_us, text) in enumerate(readings):
        end_us = readings[index + 1][0] if index + 1 < len(readings) else until_us
        if text == job_id and end_us > at_us:
            out.append(Interval(at_us, min(end_us, until_us)))
    return union(out)


def owner_exclusions(spans: Sequence[Span]) -> list[OwnerExclusion]:
    out: list[OwnerExclusion] = []
    for span in spans:
        if span.state == MachineryItemState.OUT_OF_SERVICE:
            out.append(OwnerExclusion(span.start_us, span.end_us, ExclusionReason.FAULT))
        elif span.mode == OperationMode.MAINTENANCE:
            out.append(OwnerExclusion(span.start_us, span.end_us, ExclusionReason.MAINTENANCE))
    return out


def _entry(
    stretch: JobStretch, kind: MeterKind, key: str, piece: Interval, quantity: Decimal, **extra: object
) -> MeterEntry:
    return MeterEntry(
        record_id=f"B{stretch.booking_id}-{kind.value}-{key}",
        machine_id=stretch.machine_id,
        booking_id=str(stretch.booking_id),
        kind=kind,
        start_us=piece.start_us,
        end_us=piece.end_us,
        quantity=quantity,
        **extra,  # type: ignore[arg-type]
    )


def _piece_entries(
    stretch: JobStretch, piece: Interval, jobs: list[Interval], exclusions: list[OwnerExclusion]
) -> list[MeterEntry]:
    window = intersect(jobs, [piece])
    metered = billable(stretch.spans, window, exclusions)
    entries: list[MeterEntry] = []
    key = str(piece.start_us)
    if metered.billable_us:
        entries.append(
            _entry(stretch, MeterKind.USAGE, key, piece, Decimal(metered.billable_us), intervals=metered.intervals)
        )
    if metered.owner_downtime_us:
        entries.append(
            _entry(
                stretch,
                MeterKind.OWNER_DOWNTIME,
                key,
                piece,
                Decimal(metered.owner_downtime_us),
                intervals=metered.owner_downtime,
            )
        )
    if metered.billable_us:
        wear = assess_wear(stretch.wear_specs, stretch.wear_signals, metered.intervals)
        if wear.status is WearStatus.TIME_ONLY:
            entries.append(
                _entry(
                    stretch,
                    MeterKind.WEAR_NOT_METERED,
                    key,
                    piece,
                    Decimal(0),
                    note=f"billed by time only: {wear.reason}",
                )
            )
        for component in wear.components:
            entries.append(
                _entry(
                    stretch, MeterKind.WEAR, f"{component.component_id}-{key}", piece, component.damage,
                    intervals=metered.intervals, component=component.component_id,
                )
            )  # fmt: skip
    return entries


def job_entries(stretch: JobStretch) -> list[MeterEntry]:
    """Meter entries of ``stretch``: usage, owner downtime, wear (or why wear is not metered), setups, incidents."""
    if stretch.until_us <= stretch.from_us:
        return []
    job = [Interval(stretch.job_started_us, stretch.until_us)]
    jobs = job if stretch.reported is None else intersect(job, stretch.reported)
    exclusions = owner_exclusions(stretch.spans)
    entries: list[MeterEntry] = []
    for piece in split_at([(stretch.from_us, stretch.until_us)], stretch.cuts_us):
        entries += _piece_entries(stretch, piece, jobs, exclusions)
    for run in setups(stretch.spans, jobs, exclusions):
        if stretch.from_us <= run.start_us < stretch.until_us:
            entries.append(_entry(stretch, MeterKind.SETUP, str(run.start_us), run, Decimal(1), intervals=(run,)))
    counted = subtract_exclusions(jobs, exclusions)
    for incident in stretch.incidents:
        if stretch.from_us <= incident.at_us < stretch.until_us and any(
            i.start_us <= incident.at_us < i.end_us for i in counted
        ):
            point = Interval(incident.at_us, incident.at_us)
            entries.append(
                _entry(
                    stretch, MeterKind.INCIDENT, incident.ref, point, Decimal(1),
                    component=incident.kind.value, event_us=incident.at_us,
                )
            )  # fmt: skip
    return sorted(entries, key=lambda entry: (entry.start_us, entry.record_id))


def subtract_exclusions(jobs: Sequence[Interval], exclusions: Sequence[OwnerExclusion]) -> list[Interval]:
    """The job windows outside owner exclusions: incidents there are the lessee's."""
    return subtract(jobs, [(e.start_us, e.end_us) for e in exclusions])

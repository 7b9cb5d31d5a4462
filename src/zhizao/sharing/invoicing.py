"""Invoice lines from meter records and tariff versions. Pure: no I/O.

One line per (kind, tariff version, component, unit rate): its quantity is the exact sum of its records' quantities,
its amount ``fen(quantity × unit_rate)`` rounded once, ROUND_HALF_UP to the fen; each line names its meter record ids,
its meter intervals and the tariff version, so a lessee can recompute every line by hand. The invoice total is the
sum of the lines. Time-based quantities (usage, owner downtime, booked windows) are kept exactly in microseconds
(``basis_us``); the hours shown are rounded to 6 places for reading only and the amount is computed from ``basis_us``.

Which tariff version prices a record: time (usage, owner downtime) is split at tariff changes and each piece priced by
the version in force over it, so a change mid-month gives two lines; a wear record must lie inside one version (meter
wear per tariff segment, :func:`zhizao.sharing.metering.split_at`); setups and incidents by their start; cancellations
and no-shows by the booked start.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from zhizao.errors import InputError
from zhizao.sharing.metering import Interval, split_at, union
from zhizao.sharing.meterlog import MeterKind, MeterRecord, verify
from zhizao.sharing.tariffs import (
    US_PER_HOUR,
    IncidentKind,
    Tariff,
    cancellation_share,
    fen,
    in_force,
)

__all__ = ["Invoice", "InvoiceLine", "LineKind", "invoice_lines", "issue", "recompute", "total"]

_HOURS_SHOWN = Decimal("0.000001")


class LineKind(StrEnum):
    TIME = "time"
    WEAR = "wear"
    WEAR_NOT_METERED = "wear_not_metered"
    SETUP = "setup"
    INCIDENT = "incident"
    SLA_CREDIT = "sla_credit"
    CANCELLATION = "cancellation"
    NO_SHOW = "no_show"


_ORDER = list(LineKind)
_UNITS = {
    LineKind.TIME: "h",
    LineKind.WEAR: "damage",
    LineKind.WEAR_NOT_METERED: "damage",
    LineKind.SETUP: "setup",
    LineKind.INCIDENT: "incident",
    LineKind.SLA_CREDIT: "h",
    LineKind.CANCELLATION: "h",
    LineKind.NO_SHOW: "h",
}
_TIME_BASED = {LineKind.TIME, LineKind.SLA_CREDIT, LineKind.CANCELLATION, LineKind.NO_SHOW}


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """``amount = fen(quantity_exact × unit_rate)``; for time-based lines quantity_exact = basis_us / 3.6e9 h."""

    kind: LineKind
    tariff_id: str
    tariff_version: int
    component: str | None
    quantity: Decimal  # in ``unit``; hours rounded to 6 places for time-based lines
    unit: str
    unit_rate: Decimal  # CNY per unit; negative for credits
    amount: Decimal  # CNY, to the fen
    record_ids: tuple[str, ...]
    intervals: tuple[Interval, ...]
    basis_us: int | None = None  # exact µs behind a time-based quantity
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    lines: tuple[InvoiceLine, ...]
    total: Decimal
    head_seq: int  # the log this invoice was computed from ends at this record …
    head_hash: str  # … with this hash; storage checks the log still reaches it


@dataclass(slots=True)
class _Group:
    tariff: Tariff
    quantity: Fraction
    record_ids: list[str]
    intervals: list[Interval]
    notes: list[str]


def _bad(record: MeterRecord, message: str) -> InputError:
    return InputError.for_field(f"records[{record.seq}]", f"meter record {record.record_id}: {message}")


def _changes(tariffs: Sequence[Tariff]) -> list[int]:
    return [t.valid_from_us for t in tariffs]


def _count(record: MeterRecord) -> Fraction:
    quantity = record.entry.quantity
    if quantity != quantity.to_integral_value():
        raise _bad(record, f"a count must be a whole number, not {quantity}")
    return Fraction(quantity)


def _priced(
    record: MeterRecord, tariffs: Sequence[Tariff]
) -> Iterable[tuple[LineKind, Tariff, str | None, Decimal, Fraction, tuple[Interval, ...]]]:
    """(kind, tariff, component, unit rate, exact quantity, intervals) for each piece of one record."""
    entry = record.entry
    kind = entry.kind
    if kind in {MeterKind.USAGE, MeterKind.OWNER_DOWNTIME}:
        if entry.quantity != sum(i.duration_us for i in union(entry.intervals)):
            raise _bad(record, "its quantity is not the total of its intervals")
        for piece in split_at(entry.intervals, _changes(tariffs)):
            tariff = in_force(tariffs, piece.start_us)
            if kind is MeterKind.USAGE:
                yield LineKind.TIME, tariff, None, tariff.hourly_rate, Fraction(piece.duration_us), (piece,)
            else:
                yield LineKind.SLA_CREDIT, tariff, None, -tariff.sla_credit_rate, Fraction(piece.duration_us), (piece,)
        return
    tariff = in_force(tariffs, entry.start_us)
    intervals = tuple(entry.intervals)
    if kind is MeterKind.WEAR:
        if entry.end_us > entry.start_us and in_force(tariffs, entry.end_us - 1) != tariff:
            raise _bad(record, "a wear record must not cross a tariff change; meter wear per tariff segment")
        if entry.component is None or entry.component not in tariff.wear_rates:
            raise _bad(record, f"tariff {tariff.tariff_id} v{tariff.version} has no wear rate for {entry.component}")
        yield (
            LineKind.WEAR,
            tariff,
            entry.component,
            tariff.wear_rates[entry.component],
            Fraction(entry.quantity),
            intervals,
        )
    elif kind is MeterKind.WEAR_NOT_METERED:
        yield LineKind.WEAR_NOT_METERED, tariff, None, Decimal(0), Fraction(0), intervals
    elif kind is MeterKind.SETUP:
        yield LineKind.SETUP, tariff, None, tariff.setup_rate, _count(record), intervals
    elif kind is MeterKind.INCIDENT:
        try:
            incident = IncidentKind(entry.component or "")
        except ValueError:
            raise _bad(record, f"unknown incident kind {entry.component!r}") from None
        if incident not in tariff.incident_rates:
            raise _bad(record, f"tariff {tariff.tariff_id} v{tariff.version} has no rate for {incident} incidents")
        yield LineKind.INCIDENT, tariff, str(incident), tariff.incident_rates[incident], _count(record), intervals
    else:
        booked_us = entry.end_us - entry.start_us
        if entry.quantity != booked_us:
            raise _bad(record, "its quantity is not the length of the booked window")
        window = (Interval(entry.start_us, entry.end_us),)
        if kind is MeterKind.NO_SHOW:
            yield LineKind.NO_SHOW, tariff, None, tariff.hourly_rate * tariff.no_show_share, Fraction(booked_us), window
        else:
            if entry.event_us is None:
                raise _bad(record, "a cancellation names when it was made (event_us)")
            share = cancellation_share(tariff, entry.start_us - entry.event_us)
            yield LineKind.CANCELLATION, tariff, None, tariff.hourly_rate * share, Fraction(booked_us), window


def invoice_lines(records: Sequence[MeterRecord], tariffs: Sequence[Tariff]) -> list[InvoiceLine]:
    """The invoice lines of ``records`` (already verified) priced by ``tariffs`` (the versions of one tariff)."""
    groups: dict[tuple[LineKind, str, int, str | None, Decimal], _Group] = {}
    for record in records:
        for kind, tariff, component, rate, quantity, intervals in _priced(record, tariffs):
            key = (kind, tariff.tariff_id, tariff.version, component, rate)
            group = groups.setdefault(key, _Group(tariff, Fraction(0), [], [], []))
            group.quantity += quantity
            if record.record_id not in group.record_ids:
                group.record_ids.append(record.record_id)
            group.intervals.extend(intervals)
            if record.entry.note and record.entry.note not in group.notes:
                group.notes.append(record.entry.note)
    lines = []
    for (kind, tariff_id, version, component, rate), group in groups.items():
        time_based = kind in _TIME_BASED
        exact = group.quantity / US_PER_HOUR if time_based else group.quantity
        shown = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(_HOURS_SHOWN, ROUND_HALF_UP)
        lines.append(
            InvoiceLine(
                kind=kind,
                tariff_id=tariff_id,
                tariff_version=version,
                component=component,
                quantity=shown if time_based else Decimal(exact.numerator) / Decimal(exact.denominator),
                unit=_UNITS[kind],
                unit_rate=rate,
                amount=fen(exact * Fraction(rate)),
                record_ids=tuple(group.record_ids),
                intervals=tuple(sorted(group.intervals)),
                basis_us=int(group.quantity) if time_based else None,
                note="; ".join(group.notes) or None,
            )
        )
    lines.sort(key=lambda line: (line.tariff_version, _ORDER.index(line.kind), line.component or "", line.unit_rate))
    return lines


def total(lines: Iterable[InvoiceLine]) -> Decimal:
    return sum((line.amount for line in lines), Decimal("0.00"))


def recompute(
    log: Sequence[MeterRecord], tariffs: Sequence[Tariff], record_ids: Collection[str] | None = None
) -> list[InvoiceLine]:
    """Verify the whole log, then price its records (only those in ``record_ids`` when given): equal to the issued
    invoice's lines unless the log or a tariff version was altered."""
    verdict = verify(log)
    if not verdict.ok:
        raise InputError.for_field(f"records[{verdict.first_bad_index}]", verdict.reason or "the meter log is broken")
    if record_ids is not None:
        unknown = set(record_ids) - {record.record_id for record in log}
        if unknown:
            raise InputError.for_field("record_ids", f"not in the meter log: {', '.join(sorted(unknown))}")
    chosen = [record for record in log if record_ids is None or record.record_id in record_ids]
    return invoice_lines(chosen, tariffs)


def issue(log: Sequence[MeterRecord], tariffs: Sequence[Tariff], record_ids: Collection[str] | None = None) -> Invoice:
    """An invoice over the verified ``log`` (or the records named), with the log head it was computed from."""
    if not log:
        raise InputError.for_field("records", "nothing was metered: there is nothing to invoice")
    lines = tuple(recompute(log, tariffs, record_ids))
    return Invoice(lines, total(lines), log[-1].seq, log[-1].hash)

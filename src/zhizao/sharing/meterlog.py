"""The meter log: append-only, SHA-256 hash-chained meter records. Pure: no I/O.

A record's hash covers its canonical serialisation, which includes its sequence number and the previous record's
hash, so altering, inserting, removing or reordering any record breaks the chain at that record and every later one;
:func:`verify` names the first bad one. Removing records from the *end* leaves a valid shorter chain: an issued
invoice therefore stores the head (sequence number and hash) of the log it was computed from, and storage checks the
log still reaches it.

Canonical serialisation: UTF-8 JSON of the record's fields (``hash`` excluded), keys sorted, no whitespace,
non-ASCII kept as is; Decimals as plain strings of their normalised value (``1.50`` → ``"1.5"``, ``1E+2`` → ``"100"``),
so a database that changes a number's scale does not change the hash; intervals as ``[[start_us, end_us], …]``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from zhizao.errors import InputError
from zhizao.sharing.metering import Interval

__all__ = [
    "GENESIS_HASH",
    "MeterEntry",
    "MeterKind",
    "MeterRecord",
    "Verification",
    "append",
    "canonical",
    "chain",
    "decimal_text",
    "link",
    "verify",
]

GENESIS_HASH = "0" * 64


class MeterKind(StrEnum):
    """What a record measures, and the unit of its ``quantity``."""

    USAGE = "usage"  # billable time; quantity = µs, the sum of ``intervals``
    WEAR = "wear"  # consumed damage ΔD of ``component`` over ``intervals``
    WEAR_NOT_METERED = "wear_not_metered"  # wear could not be metered; quantity 0, ``note`` says why
    SETUP = "setup"  # quantity = number of setups, one interval each
    INCIDENT = "incident"  # quantity = number of incidents of kind ``component`` (an IncidentKind)
    OWNER_DOWNTIME = "owner_downtime"  # µs of owner downtime in job windows (SLA credit base)
    CANCELLATION = "cancellation"  # booked window [start_us, end_us) cancelled at ``event_us``; quantity = booked µs
    NO_SHOW = "no_show"  # booked window [start_us, end_us) the lessee never used; quantity = booked µs


@dataclass(frozen=True, slots=True)
class MeterEntry:
    """The content of a meter record, before it is chained. ``start_us``/``end_us`` bound the metered period (for
    a point event start == end); ``intervals`` are the meter intervals it counted."""

    record_id: str
    machine_id: str
    booking_id: str
    kind: MeterKind
    start_us: int
    end_us: int
    quantity: Decimal
    intervals: tuple[Interval, ...] = ()
    component: str | None = None
    event_us: int | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class MeterRecord:
    entry: MeterEntry
    seq: int
    prev_hash: str
    hash: str = field(compare=True)

    @property
    def record_id(self) -> str:
        return self.entry.record_id


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    first_bad_index: int | None = None
    first_bad_record_id: str | None = None
    reason: str | None = None


def decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise InputError.for_field("quantity", f"{value} is not a finite number")
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def canonical(entry: MeterEntry, seq: int, prev_hash: str) -> bytes:
    """The bytes the record's hash covers."""
    body = {
        "booking_id": entry.booking_id,
        "component": entry.component,
        "end_us": entry.end_us,
        "event_us": entry.event_us,
        "intervals": [[i.start_us, i.end_us] for i in entry.intervals],
        "kind": str(entry.kind),
        "machine_id": entry.machine_id,
        "note": entry.note,
        "prev_hash": prev_hash,
        "quantity": decimal_text(entry.quantity),
        "record_id": entry.record_id,
        "seq": seq,
        "start_us": entry.start_us,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(entry: MeterEntry, seq: int, prev_hash: str) -> str:
    return hashlib.sha256(canonical(entry, seq, prev_hash)).hexdigest()


def _check(entry: MeterEntry) -> None:
    if entry.end_us < entry.start_us:
        raise InputError.for_field("end_us", "the metered period ends before it starts")
    if entry.quantity < 0:
        raise InputError.for_field("quantity", "a meter quantity is never negative")
    for index, interval in enumerate(entry.intervals):
        if not entry.start_us <= interval.start_us <= interval.end_us <= entry.end_us:
            raise InputError.for_field(f"intervals[{index}]", "a meter interval lies outside the metered period")


def link(entry: MeterEntry, seq: int, prev_hash: str) -> MeterRecord:
    """The record that puts ``entry`` at ``seq`` after a record hashed ``prev_hash`` (storage that keeps the log
    appends this way and leaves record-id uniqueness to its own constraint)."""
    _check(entry)
    return MeterRecord(entry, seq, prev_hash, _digest(entry, seq, prev_hash))


def append(log: Sequence[MeterRecord], entry: MeterEntry) -> MeterRecord:
    """The record that appends ``entry`` to ``log`` (which is assumed verified)."""
    if any(record.record_id == entry.record_id for record in log):
        raise InputError.for_field("record_id", f"meter record {entry.record_id} is already in the log")
    return link(entry, len(log), log[-1].hash if log else GENESIS_HASH)


def chain(entries: Sequence[MeterEntry]) -> list[MeterRecord]:
    """A fresh log of ``entries`` in order."""
    log: list[MeterRecord] = []
    for entry in entries:
        log.append(append(log, entry))
    return log


def verify(records: Sequence[MeterRecord]) -> Verification:
    """Whether ``records`` are an intact chain from the genesis; if not, the first bad record and why."""
    expected_prev = GENESIS_HASH
    seen: set[str] = set()
    for index, record in enumerate(records):
        problem = None
        if record.seq != index:
            problem = f"sequence number {record.seq} where {index} was expected (record removed or reordered)"
        elif record.prev_hash != expected_prev:
            problem = "its previous-hash does not match the record before it"
        elif record.record_id in seen:
            problem = "its record id appears twice"
        else:
            try:
                if _digest(record.entry, record.seq, record.prev_hash) != record.hash:
                    problem = "its content does not match its hash (altered)"
            except InputError as error:
                problem = f"its content cannot be serialised: {error.message}"
        if problem:
            return Verification(False, index, record.record_id, f"meter record {record.record_id}: {problem}")
        seen.add(record.record_id)
        expected_prev = record.hash
    return Verification(True)

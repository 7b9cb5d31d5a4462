"""The hash-chained meter log: verification names the first altered record."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from zhizao.sharing.metering import Interval
from zhizao.sharing.meterlog import GENESIS_HASH, MeterEntry, MeterKind, MeterRecord, canonical, chain, verify

H = 3_600_000_000


def entry(index: int, quantity: Decimal = Decimal(H)) -> MeterEntry:
    start = index * 2 * H
    return MeterEntry(
        record_id=f"r{index}",
        machine_id="m1",
        booking_id="b1",
        kind=MeterKind.USAGE,
        start_us=start,
        end_us=start + H,
        quantity=quantity,
        intervals=(Interval(start, start + H),),
        note="铣削",
    )


def test_an_intact_chain_verifies_and_links_to_the_genesis() -> None:
    log = chain([entry(i) for i in range(3)])
    assert verify(log).ok
    assert log[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in log[1:]] == [r.hash for r in log[:-1]]


def test_canonical_form_is_sorted_compact_json_with_normalised_decimals() -> None:
    text = canonical(entry(0, Decimal("3600000000.00")), 0, GENESIS_HASH).decode()
    assert text.startswith('{"booking_id":"b1","component":null,"end_us":3600000000,')
    assert '"quantity":"3600000000"' in text
    assert '"note":"铣削"' in text
    assert canonical(entry(0, Decimal("1.50")), 0, "x") == canonical(entry(0, Decimal("1.5")), 0, "x")


def test_an_altered_record_is_named() -> None:
    log = chain([entry(i) for i in range(4)])
    log[2] = dataclasses.replace(log[2], entry=dataclasses.replace(log[2].entry, quantity=Decimal(H - 1)))
    result = verify(log)
    assert (result.ok, result.first_bad_index, result.first_bad_record_id) == (False, 2, "r2")
    assert result.reason == "meter record r2: its content does not match its hash (altered)"


def test_removed_and_reordered_records_are_detected() -> None:
    log = chain([entry(i) for i in range(4)])
    assert verify([log[0], log[2], log[3]]).first_bad_index == 1
    assert verify([log[1], log[0], log[2], log[3]]).first_bad_index == 0


def test_a_rehashed_record_breaks_the_link_to_the_next() -> None:
    log = chain([entry(i) for i in range(3)])
    forged = chain([entry(0), dataclasses.replace(entry(1), quantity=Decimal(1))])[1]
    result = verify([log[0], forged, log[2]])
    assert result.first_bad_index == 2


_FIELDS = st.sampled_from(["quantity", "start_us", "note", "intervals", "record_id", "booking_id", "kind", "seq"])


def _alter(record: MeterRecord, field: str) -> MeterRecord:
    e = record.entry
    table: dict[str, dict[str, object]] = {
        "quantity": {"quantity": e.quantity + 1},
        "start_us": {"start_us": e.start_us - 1},
        "note": {"note": (e.note or "") + "x"},
        "intervals": {"intervals": (*e.intervals, Interval(e.end_us, e.end_us))},
        "record_id": {"record_id": e.record_id + "'"},
        "booking_id": {"booking_id": "b2"},
        "kind": {"kind": MeterKind.SETUP},
    }
    changes = table.get(field, {})
    if field == "seq":
        return dataclasses.replace(record, seq=record.seq + 1)
    return dataclasses.replace(record, entry=dataclasses.replace(e, **changes))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 8), data=st.data(), field=_FIELDS)
def test_any_altered_record_is_detected_at_that_record(size: int, data: st.DataObject, field: str) -> None:
    log = chain([entry(i) for i in range(size)])
    index = data.draw(st.integers(0, size - 1))
    log[index] = _alter(log[index], field)
    assert verify(log).first_bad_index == index

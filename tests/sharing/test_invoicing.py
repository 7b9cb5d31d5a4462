"""Invoices from the meter log: the hand-computed billing reference cases and the recompute properties."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sharing.test_metering import FAULT, JOB, LEDGER, MIN, T0
from tests.sharing.test_tariffs import DAY, MARCH, V1, V2, tariff_data
from zhizao.errors import InputError
from zhizao.sharing.invoicing import LineKind, invoice_lines, issue, recompute, total
from zhizao.sharing.metering import Interval, billable, setups
from zhizao.sharing.meterlog import MeterEntry, MeterKind, chain
from zhizao.sharing.tariffs import Tariff, fen, segments, validate_tariff
from zhizao.sharing.wear import BearingKind, SpindleSegment, SpindleSpec, WearSignals, assess_wear

H = 3_600_000_000
TARIFFS = [V1, V2]
SPINDLE = SpindleSpec(
    component_id="spindle", bearing=BearingKind.BALL, speed_ref_rpm=10_000.0, load_ref=1.0, l10h_ref=20_000.0
)


def _entry(
    record_id: str, kind: MeterKind, start: int, end: int, quantity: int | Decimal, **more: object
) -> MeterEntry:
    return MeterEntry(record_id, "vmc-1", more.pop("booking", "b1"), kind, start, end, Decimal(quantity), **more)  # type: ignore[arg-type]


def worked_example() -> list[MeterEntry]:
    """Job 2024-03-04 08:00-12:00 UTC: a 20 min setup, heavy cutting 08:20-09:00, a fault 09:00-09:30 (owner),
    light cutting 09:30-12:00, one overload alarm."""
    metered = billable(LEDGER, JOB, FAULT)
    segments_ = [
        SpindleSegment(T0 + 8 * H + 20 * MIN, T0 + 9 * H, 8_000.0, 1.0),
        SpindleSegment(T0 + 9 * H + 30 * MIN, T0 + 12 * H, 8_000.0, 0.5),
    ]
    wear = assess_wear([SPINDLE], WearSignals(spindle=segments_), metered.intervals)
    start, end = JOB[0]
    changeovers = setups(LEDGER, JOB, FAULT)
    return [
        _entry("u1", MeterKind.USAGE, start, end, metered.billable_us, intervals=metered.intervals),
        _entry("s1", MeterKind.SETUP, start, end, len(changeovers), intervals=changeovers),
        _entry(
            "w1",
            MeterKind.WEAR,
            start,
            end,
            wear.components[0].damage,
            intervals=metered.intervals,
            component="spindle",
        ),
        _entry("i1", MeterKind.INCIDENT, T0 + 10 * H, T0 + 10 * H, 1, component="overload"),
        _entry("d1", MeterKind.OWNER_DOWNTIME, start, end, metered.owner_downtime_us, intervals=metered.owner_downtime),
    ]


def _lines(entries: list[MeterEntry]) -> list[tuple[LineKind, int, str | None, Decimal, Decimal, Decimal]]:
    return [
        (line.kind, line.tariff_version, line.component, line.quantity, line.unit_rate, line.amount)
        for line in recompute(chain(entries), TARIFFS)
    ]


def test_worked_example_job_across_a_fault_with_a_setup_wear_and_an_alarm() -> None:
    assert _lines(worked_example()) == [
        (LineKind.TIME, 1, None, Decimal("3.166667"), Decimal("120.00"), Decimal("380.00")),  # 190 min
        # ΔD = (2/3 h·0.8·1³ + 2.5 h·0.8·0.5³)/20000 h = 0.000039167 → × 90000 CNY = 3.52503
        (LineKind.WEAR, 1, "spindle", Decimal("0.000039167"), Decimal("90000"), Decimal("3.53")),
        (LineKind.SETUP, 1, None, Decimal(1), Decimal("50.00"), Decimal("50.00")),
        (LineKind.INCIDENT, 1, "overload", Decimal(1), Decimal("200"), Decimal("200.00")),
        (LineKind.SLA_CREDIT, 1, None, Decimal("0.500000"), Decimal("-150"), Decimal("-75.00")),  # fault 30 min
    ]
    invoice = issue(chain(worked_example()), TARIFFS)
    assert invoice.total == Decimal("558.53")
    time_line = invoice.lines[0]
    assert time_line.record_ids == ("u1",)
    assert time_line.basis_us == 190 * MIN
    assert time_line.intervals == (
        Interval(T0 + 8 * H + 20 * MIN, T0 + 9 * H),
        Interval(T0 + 9 * H + 30 * MIN, T0 + 12 * H),
    )


def test_a_tariff_change_mid_month_gives_two_lines() -> None:
    change = MARCH + 14 * DAY  # v2 (132 CNY/h) from 2024-03-15 00:00
    usage = _entry(
        "u", MeterKind.USAGE, change - H, change + 2 * H, 3 * H, intervals=(Interval(change - H, change + 2 * H),)
    )
    lines = recompute(chain([usage]), TARIFFS)
    assert [(line.tariff_version, line.basis_us, line.amount, line.record_ids) for line in lines] == [
        (1, H, Decimal("120.00"), ("u",)),
        (2, 2 * H, Decimal("264.00"), ("u",)),
    ]


def test_heavy_and_light_cutting_for_the_same_time_cost_the_same_time_and_different_wear() -> None:
    window = (T0, T0 + 2 * H)
    charges = []
    for load in (1.0, 0.5):
        wear = assess_wear([SPINDLE], WearSignals(spindle=[SpindleSegment(*window, 8_000.0, load)]), [window])
        entries = [
            _entry("u", MeterKind.USAGE, *window, 2 * H, intervals=(Interval(*window),)),
            _entry("w", MeterKind.WEAR, *window, wear.components[0].damage, component="spindle"),
        ]
        charges.append([line.amount for line in recompute(chain(entries), TARIFFS)])
    # time 2 h · 120; wear 8e-5 · 90000 = 7.20 heavy, 1e-5 · 90000 = 0.90 light
    assert charges == [[Decimal("240.00"), Decimal("7.20")], [Decimal("240.00"), Decimal("0.90")]]


def test_cancellation_and_no_show() -> None:
    booked = (MARCH + 20 * DAY + 8 * H, MARCH + 20 * DAY + 12 * H)  # 4 h under v2, 132 CNY/h
    entries = [
        _entry("c", MeterKind.CANCELLATION, *booked, 4 * H, event_us=booked[0] - 30 * H, booking="b3"),
        _entry("n", MeterKind.NO_SHOW, booked[0] + DAY, booked[1] + DAY, 4 * H, booking="b4"),
    ]
    lines = recompute(chain(entries), TARIFFS)
    assert [(line.kind, line.unit_rate, line.amount) for line in lines] == [
        (LineKind.CANCELLATION, Decimal("33.0000"), Decimal("132.00")),  # 25 %: 30 h notice
        (LineKind.NO_SHOW, Decimal("66.000"), Decimal("264.00")),  # 50 % of the booked window
    ]


def test_a_machine_billed_by_time_only_says_so_on_the_invoice() -> None:
    wear = assess_wear([SPINDLE], WearSignals(), [JOB[0]])
    entries = [_entry("x", MeterKind.WEAR_NOT_METERED, *JOB[0], 0, note=wear.reason)]
    (line,) = recompute(chain(entries), TARIFFS)
    assert (line.kind, line.amount, line.note) == (
        LineKind.WEAR_NOT_METERED,
        Decimal("0.00"),
        "spindle: no spindle speed/load signals",
    )


def test_a_tariff_change_never_alters_an_issued_invoice() -> None:
    log = chain(worked_example())
    issued = issue(log, TARIFFS)
    v3 = validate_tariff(tariff_data(version=3, valid_from_us=MARCH + 31 * DAY, hourly_rate=Decimal(999)))
    assert recompute(log, [*TARIFFS, v3]) == list(issued.lines)


def test_inconsistent_or_tampered_records_are_refused() -> None:
    log = chain(worked_example())
    log[3] = dataclasses.replace(log[3], entry=dataclasses.replace(log[3].entry, quantity=Decimal(0)))
    with pytest.raises(InputError) as error:
        recompute(log, TARIFFS)
    assert error.value.fields[0].field == "records[3]"
    lying = _entry("u", MeterKind.USAGE, 0, 10, 7, intervals=(Interval(0, 10),))
    with pytest.raises(InputError, match="not the total of its intervals"):
        invoice_lines(chain([lying]), TARIFFS)
    unpriced = _entry("w", MeterKind.WEAR, T0, T0 + H, Decimal("0.1"), component="gearbox")
    with pytest.raises(InputError, match="no wear rate for gearbox"):
        recompute(chain([unpriced]), TARIFFS)


# Property: Σ lines == the fee by the formula, evaluated per tariff segment by a separate route.


def _oracle(entries: list[MeterEntry], tariffs: list[Tariff]) -> Decimal:
    fee = Decimal(0)
    for tariff, start, end in segments(tariffs, MARCH, MARCH + 31 * DAY):

        def clipped(kind: MeterKind, start: int = start, end: int = end) -> int:
            return sum(
                max(0, min(i.end_us, end) - max(i.start_us, start))
                for e in entries
                if e.kind is kind
                for i in e.intervals
            )

        def summed(kind: MeterKind, component: str | None, start: int = start, end: int = end) -> Fraction:
            return sum(
                (
                    Fraction(e.quantity)
                    for e in entries
                    if e.kind is kind and e.component == component and start <= e.start_us < end
                ),
                Fraction(0),
            )

        fee += fen(Fraction(tariff.hourly_rate) * Fraction(clipped(MeterKind.USAGE), H))
        fee += fen(-Fraction(tariff.sla_credit_rate) * Fraction(clipped(MeterKind.OWNER_DOWNTIME), H))
        fee += fen(Fraction(tariff.setup_rate) * summed(MeterKind.SETUP, None))
        for component, rate in tariff.wear_rates.items():
            fee += fen(Fraction(rate) * summed(MeterKind.WEAR, component))
        for incident, rate in tariff.incident_rates.items():
            fee += fen(Fraction(rate) * summed(MeterKind.INCIDENT, str(incident)))
    return fee


_MONEY = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def _month(draw: st.DrawFn) -> tuple[list[MeterEntry], list[Tariff]]:
    versions = []
    for number, day in enumerate(sorted(draw(st.sets(st.integers(1, 30), max_size=2))), start=2):
        versions.append((number, MARCH + day * DAY - draw(st.integers(0, H))))
    tariffs = [
        validate_tariff(
            tariff_data(
                version=v,
                valid_from_us=f,
                hourly_rate=draw(_MONEY),
                setup_rate=draw(_MONEY),
                sla_credit_rate=draw(_MONEY),
                wear_rates={"spindle": draw(_MONEY)},
            )
        )
        for v, f in [(1, MARCH), *versions]
    ]
    entries = []
    for n in range(draw(st.integers(1, 12))):
        start = MARCH + draw(st.integers(0, 30 * DAY))
        end = min(start + draw(st.integers(0, 2 * DAY)), MARCH + 31 * DAY)  # a month's records end with it
        kind = draw(
            st.sampled_from(
                [MeterKind.USAGE, MeterKind.OWNER_DOWNTIME, MeterKind.SETUP, MeterKind.WEAR, MeterKind.INCIDENT]
            )
        )
        if kind in {MeterKind.USAGE, MeterKind.OWNER_DOWNTIME}:
            entries.append(_entry(f"r{n}", kind, start, end, end - start, intervals=(Interval(start, end),)))
        elif kind is MeterKind.WEAR:
            damage = draw(st.decimals(min_value=0, max_value=1, places=9))
            entries.append(_entry(f"r{n}", kind, start, start, damage, component="spindle"))
        else:
            component = None if kind is MeterKind.SETUP else draw(st.sampled_from(["crash", "overload"]))
            entries.append(_entry(f"r{n}", kind, start, start, draw(st.integers(0, 5)), component=component))
    return entries, tariffs


@settings(max_examples=150, deadline=None)
@given(_month())
def test_the_lines_add_up_to_the_recomputed_fee(month: tuple[list[MeterEntry], list[Tariff]]) -> None:
    entries, tariffs = month
    log = chain(entries)
    lines = recompute(log, tariffs)
    assert total(lines) == _oracle(entries, tariffs)
    assert issue(log, tariffs).lines == tuple(lines)
    assert all(line.record_ids and line.amount == line.amount.quantize(Decimal("0.01")) for line in lines)

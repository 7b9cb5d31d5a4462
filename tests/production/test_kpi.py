"""KPIs, the loss waterfall, the Pareto and counter increments, on hand-made Totals and records."""

from __future__ import annotations

import math

import pytest

from zhizao.errors import InputError
from zhizao.production.counts import CounterReading, CountRecord, counter_increments, pru_table
from zhizao.production.kpi import KpiFlag, kpis
from zhizao.production.losses import ParetoRow, pareto, waterfall
from zhizao.production.totals import Totals

S = 1_000_000
SHIFT = Totals(
    calendar_us=86_400 * S,
    pot_us=28_800 * S,
    pdot_us=1_800 * S,
    apt_us=20_000 * S,
    aust_us=1_000 * S,
    adet_us=3_000 * S,
    micro_us=200 * S,
    adot_us=3_000 * S,
    pq=600,
    gq=570,
    sq=20,
    rq=10,
    pru_pq_us=600 * 30 * S,
    pru_gq_us=570 * 30 * S,
    failures=2,
)


def test_every_kpi_of_a_shift() -> None:
    figures = kpis(SHIFT)
    assert figures.availability == 20_000 / 27_000
    assert figures.effectiveness == 18_000 / 20_000
    assert figures.quality_ratio == 570 / 600
    assert figures.oee == figures.oee_cross_check == 17_100 / 27_000
    assert figures.oee_cross_check_difference == 0
    assert figures.nee == pytest.approx(20_000 / 24_000 * 0.9 * 0.95)  # UE = APT/AUBT, AUBT = 20000+1000+3000
    assert figures.teep == 17_100 / 86_400
    assert figures.setup_rate == 1_000 / 21_000
    assert figures.technical_efficiency == 20_000 / 23_000
    assert figures.utilisation_efficiency == 20_000 / 24_000
    assert figures.allocation_efficiency == 24_000 / 27_000
    assert figures.throughput_rate_per_hour == 600 / 7.5
    assert figures.mtbf_s == 10_000 and figures.mttr_s == 1_500
    assert figures.scrap_ratio == 20 / 600 and figures.rework_ratio == 10 / 600
    assert figures.flags == []


def test_undefined_ratios_are_none_never_zero_or_nan() -> None:
    figures = kpis(Totals(calendar_us=86_400 * S))
    values = figures.as_dict()
    assert values.pop("flags") == []
    assert all(value is None for value in values.values()), values
    assert not any(isinstance(value, float) and math.isnan(value) for value in values.values())


def test_flags() -> None:
    fast = kpis(Totals(pot_us=100 * S, apt_us=100 * S, pq=12, gq=12, pru_pq_us=111 * S, pru_gq_us=111 * S))
    assert KpiFlag.EFFECTIVENESS_ABOVE_110 in fast.flags
    exactly = kpis(Totals(pot_us=100 * S, apt_us=100 * S, pq=11, gq=11, pru_pq_us=110 * S, pru_gq_us=110 * S))
    assert KpiFlag.EFFECTIVENESS_ABOVE_110 not in exactly.flags and exactly.effectiveness == 1.1
    gaps = kpis(Totals(pot_us=100 * S, apt_us=50 * S, unknown_us=50 * S))
    assert gaps.flags == [KpiFlag.INCOMPLETE_DATA, KpiFlag.NO_PRODUCTION]
    unknown = kpis(Totals(pot_us=100 * S, apt_us=100 * S, pq=5, gq=5, unknown_pru_pq=5))
    assert unknown.flags == [KpiFlag.PRODUCTS_WITHOUT_PRU]
    assert unknown.effectiveness is None and unknown.oee is None and unknown.availability == 1


def test_mixed_products_report_the_difference_of_the_two_oee_formulas() -> None:
    mixed = Totals(pot_us=100 * S, apt_us=100 * S, pq=20, gq=15, pru_pq_us=80 * S, pru_gq_us=65 * S)
    figures = kpis(mixed)
    assert figures.oee == pytest.approx(0.8 * 0.75)
    assert figures.oee_cross_check == 0.65
    assert figures.oee_cross_check_difference == pytest.approx(0.6 - 0.65)


def test_the_waterfall_closes_from_pbt_to_fully_productive_time() -> None:
    gappy = Totals(**(vars_of(SHIFT) | {"unknown_us": 500 * S, "adet_us": 2_500 * S}))
    steps = waterfall(gappy)
    remaining = steps.pbt_us - steps.breakdown_loss_us - steps.setup_loss_us - steps.minor_stop_loss_us
    assert remaining - steps.unknown_us == steps.apt_us
    assert steps.speed_loss_us is not None and steps.quality_loss_us is not None
    assert steps.apt_us - steps.speed_loss_us - steps.quality_loss_us == steps.fully_productive_us == 17_100 * S


def vars_of(totals: Totals) -> dict[str, int]:
    return {name: getattr(totals, name) for name in totals.__dataclass_fields__}


def test_pareto_sorts_by_time_and_accumulates_shares() -> None:
    rows = pareto([("jam", 30), ("tool", 50), ("jam", 30), ("idle", 0), ("air", 40)])
    assert rows == [
        ParetoRow("jam", 60, 60 / 150, 60 / 150),
        ParetoRow("tool", 50, 50 / 150, 110 / 150),
        ParetoRow("air", 40, 40 / 150, 1.0),
    ]
    with pytest.raises(InputError) as raised:
        pareto([("jam", 1), ("tool", -1)])
    assert raised.value.fields[0].field == "downtime[1]"


def test_counter_readings_become_increments_whatever_their_order() -> None:
    readings = [
        CounterReading(30, "B", 130, 2),
        CounterReading(10, "A", 100, 1),
        CounterReading(20, "A", 120, 1),
        CounterReading(40, "B", 5, 0, reset=True),
    ]
    assert counter_increments(readings) == [
        CountRecord(20, "A", 20, 0, 0),
        CountRecord(30, "B", 10, 1, 0),
        CountRecord(40, "B", 5, 0, 0),
    ]


def test_a_counter_going_backwards_names_the_reading() -> None:
    with pytest.raises(InputError) as raised:
        counter_increments([CounterReading(10, "A", 100, 5), CounterReading(20, "A", 101, 4)])
    assert raised.value.fields[0].field == "counters[1]"
    assert "scrap counter went backwards from 5 to 4" in raised.value.fields[0].message


def test_a_pru_of_zero_names_the_product() -> None:
    with pytest.raises(InputError) as raised:
        pru_table({"A": 30 * S, "B": 0})
    assert raised.value.fields[0].field == "products.B"

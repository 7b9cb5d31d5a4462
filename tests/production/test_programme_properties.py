"""Properties of the programme KPIs that must hold for any input, checked with generated windows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from zhizao.production.programme import Kpi, Verdict, verify
from zhizao.production.programme_inputs import CostCategory, CostLine, Coverage, ProductOutput, WindowInputs

BASELINE = (date(2023, 1, 1), date(2023, 3, 31))
EVALUATION = (date(2024, 1, 1), date(2024, 3, 31))

references = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)
products = st.lists(
    st.tuples(st.integers(1, 10**6), st.integers(0, 10**4), st.integers(0, 10**4), references),
    min_size=1,
    max_size=4,
)
hours = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(10**6), places=1)
money = st.decimals(min_value=Decimal(1), max_value=Decimal(10**9), places=2)
indices = st.decimals(min_value=Decimal(50), max_value=Decimal(200), places=1)
factors = st.integers(2, 1000)
# Exact fractions of large counts take a few milliseconds; on a busy CI machine that can pass hypothesis's 200 ms
# per-example deadline, which would fail the test for the machine's load rather than for the property.
relaxed = settings(deadline=None)


def window(
    dates: tuple[date, date],
    counts: list[tuple[int, int, int, Decimal]],
    labour: Decimal,
    cost: Decimal,
    index: Decimal,
    factor: int = 1,
) -> WindowInputs:
    """A window with every volume, hour and cost multiplied by ``factor``; reference values and prices unchanged."""
    return WindowInputs(
        start=dates[0],
        end=dates[1],
        products=tuple(
            ProductOutput(
                product=f"P{number}",
                good=good * factor,
                scrap=scrap * factor,
                rework=rework * factor,
                reference_value=reference,
            )
            for number, (good, scrap, rework, reference) in enumerate(counts)
        ),
        labour_hours=labour * factor,
        costs=(CostLine(category=CostCategory.MATERIALS, amount=cost * factor, price_index=index),),
        energy_kwh=labour * 3 * factor,
        coverage=Coverage(telemetry_days=90, equipment_reporting=1, equipment_total=1),
    )


@relaxed
@given(products, hours, money, indices, factors)
def test_scaling_volumes_and_hours_together_leaves_productivity_unchanged(
    counts: list[tuple[int, int, int, Decimal]], labour: Decimal, cost: Decimal, index: Decimal, factor: int
) -> None:
    # The same factory running k times as long (or k identical lines): k times the output in k times the hours.
    result = verify(
        window(BASELINE, counts, labour, cost, index), window(EVALUATION, counts, labour, cost, index, factor)
    )
    for kpi in (Kpi.PRODUCTIVITY, Kpi.OPERATING_COST, Kpi.DEFECT_RATE, Kpi.ENERGY_KWH_PER_UNIT):
        outcome = result.kpi(kpi)
        assert outcome.baseline == outcome.evaluation, kpi
        # A defect-free baseline has no relative change; every other KPI here has a positive baseline.
        assert outcome.change == 0 or (kpi is Kpi.DEFECT_RATE and outcome.baseline == 0), kpi
    assert result.kpi(Kpi.PRODUCTIVITY).verdict is Verdict.DOES_NOT_MEET


@relaxed
@given(products, products, hours, hours, money, money, indices, factors)
def test_scaling_both_windows_leaves_every_change_unchanged(
    before: list[tuple[int, int, int, Decimal]],
    after: list[tuple[int, int, int, Decimal]],
    labour_before: Decimal,
    labour_after: Decimal,
    cost_before: Decimal,
    cost_after: Decimal,
    index: Decimal,
    factor: int,
) -> None:
    plain = verify(
        window(BASELINE, before, labour_before, cost_before, Decimal(100)),
        window(EVALUATION, after, labour_after, cost_after, index),
    )
    scaled = verify(
        window(BASELINE, before, labour_before, cost_before, Decimal(100), factor),
        window(EVALUATION, after, labour_after, cost_after, index, factor),
    )
    for kpi in (Kpi.PRODUCTIVITY, Kpi.OPERATING_COST, Kpi.ENERGY_KWH_PER_UNIT, Kpi.ENERGY_TCE_PER_UNIT):
        assert scaled.kpi(kpi).change == plain.kpi(kpi).change, kpi
        assert scaled.kpi(kpi).verdict is plain.kpi(kpi).verdict, kpi
    assert scaled.kpi(Kpi.PRODUCTIVITY).evaluation == plain.kpi(Kpi.PRODUCTIVITY).evaluation

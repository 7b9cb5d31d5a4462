"""Hand-computed programme-KPI cases: each test writes out the arithmetic it expects."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from zhizao.production.programme import (
    DEFAULT,
    FORMULA_VERSION,
    Kpi,
    ReasonCode,
    Verdict,
    Verification,
    VerificationRules,
    verify,
)
from zhizao.production.programme_figures import to_fen
from zhizao.production.programme_inputs import CostCategory, CostLine, Coverage, Delivery, ProductOutput, WindowInputs

BASELINE = (date(2023, 1, 1), date(2023, 3, 31))  # 31 + 28 + 31 = 90 days
EVALUATION = (date(2024, 4, 1), date(2024, 6, 30))  # 30 + 31 + 30 = 91 days

Product = tuple[str, int, int, int, str]  # code, good, scrap, rework, reference value


def window(
    dates: tuple[date, date],
    *,
    products: tuple[Product, ...] = (("A", 1000, 0, 0, "1"),),
    hours: str | None = "1000",
    costs: tuple[tuple[str, str, str], ...] = (("materials", "100000", "100"),),
    kwh: str | None = "10000",
    order_days: tuple[int, ...] = (),
    telemetry_days: int | None = None,
    equipment: tuple[int, int] = (10, 10),
) -> WindowInputs:
    start, end = dates
    return WindowInputs(
        start=start,
        end=end,
        products=tuple(
            ProductOutput(product=code, good=good, scrap=scrap, rework=rework, reference_value=Decimal(reference))
            for code, good, scrap, rework, reference in products
        ),
        labour_hours=None if hours is None else Decimal(hours),
        costs=tuple(
            CostLine(category=CostCategory(category), amount=Decimal(amount), price_index=Decimal(index))
            for category, amount, index in costs
        ),
        energy_kwh=None if kwh is None else Decimal(kwh),
        deliveries=tuple(
            Delivery(
                order_id=f"SO-{number}",
                product="A",
                quantity=1,
                order_date=end - timedelta(days=days),
                delivery_date=end,
            )
            for number, days in enumerate(order_days)
        ),
        coverage=Coverage(
            telemetry_days=(end - start).days + 1 if telemetry_days is None else telemetry_days,
            equipment_reporting=equipment[0],
            equipment_total=equipment[1],
        ),
    )


def reason_codes(result: Verification, kpi: Kpi) -> set[ReasonCode]:
    return {reason.code for reason in result.kpi(kpi).reasons}


def test_productivity_up_25_percent_meets_the_target() -> None:
    # Baseline: 1000 good units of A (reference 1 h) in 1000 labour hours → 1000 EU / 1000 h = 1.0 EU/h.
    # Evaluation: 1250 good units in 1000 h → 1.25 EU/h. Δ = (1.25 − 1.0) / 1.0 = +0.25 ≥ +0.20.
    result = verify(window(BASELINE), window(EVALUATION, products=(("A", 1250, 0, 0, "1"),)))
    productivity = result.kpi(Kpi.PRODUCTIVITY)
    assert (productivity.baseline, productivity.evaluation) == (Decimal(1), Decimal("1.25"))
    assert productivity.change == Decimal("0.25")
    assert productivity.verdict is Verdict.MEETS
    assert productivity.reasons == ()
    assert result.formula_version == FORMULA_VERSION


@pytest.mark.parametrize(
    ("good", "verdict"),
    [
        (1199, Verdict.DOES_NOT_MEET),  # 1199 / 1000 h = 1.199 EU/h: Δ = +0.199, short of +0.20
        (1200, Verdict.MEETS),  # 1.2 EU/h: Δ = +0.20 exactly, which is "at least +20 %"
    ],
)
def test_productivity_target_boundary(good: int, verdict: Verdict) -> None:
    result = verify(window(BASELINE), window(EVALUATION, products=(("A", good, 0, 0, "1"),)))
    productivity = result.kpi(Kpi.PRODUCTIVITY)
    assert productivity.change == (Decimal(good) - 1000) / 1000
    assert productivity.verdict is verdict


@pytest.mark.parametrize(
    ("evaluation_cost", "change", "verdict"),
    [
        ("80000", Decimal("-0.2"), Verdict.MEETS),  # 80 000 / 1000 EU = 80 vs 100 CNY/EU: Δ = −0.20 exactly
        ("80010", Decimal("-0.1999"), Verdict.DOES_NOT_MEET),  # 80.01 CNY/EU: Δ = −0.1999
    ],
)
def test_operating_cost_target_boundary(evaluation_cost: str, change: Decimal, verdict: Verdict) -> None:
    # Baseline: 100 000 CNY at index 100 over 1000 EU = 100 CNY per equivalent unit.
    result = verify(window(BASELINE), window(EVALUATION, costs=(("materials", evaluation_cost, "100"),)))
    cost = result.kpi(Kpi.OPERATING_COST)
    assert cost.baseline == Decimal(100)
    assert cost.change == change
    assert cost.verdict is verdict


def test_cost_boundary_is_exact_even_when_unit_costs_do_not_terminate() -> None:
    # 100 000 CNY / 3000 EU = 33.33… and 80 000 / 3000 = 26.66…: rounded decimals would put Δ a hair off −0.20;
    # exact fractions give (80 000 − 100 000) / 100 000 = −0.2, which meets "at most −20 %".
    result = verify(
        window(BASELINE, products=(("A", 3000, 0, 0, "1"),), hours="3000"),
        window(EVALUATION, products=(("A", 3000, 0, 0, "1"),), hours="3000", costs=(("materials", "80000", "100"),)),
    )
    cost = result.kpi(Kpi.OPERATING_COST)
    assert cost.baseline == Decimal("33.33333333333333333333333333")
    assert cost.change == Decimal("-0.2")
    assert cost.verdict is Verdict.MEETS


def test_a_shift_to_a_longer_product_does_not_read_as_a_productivity_loss() -> None:
    # Baseline: A 600 units (1 h each), B 200 units (2 h each) in 1000 h. Σ good·ref = 600 + 400 = 1000 h of work,
    # 800 good units, so one equivalent unit is the mean 1000 / 800 = 1.25 h; A weighs 0.8 EU, B 1.6 EU.
    # EU = 600·0.8 + 200·1.6 = 800 → 0.8 EU/h.
    # Evaluation: A 200, B 400 in 1000 h — only 600 units (−25 %), but 200·0.8 + 400·1.6 = 800 EU → 0.8 EU/h, Δ = 0.
    # The upgrade cut B's standard time to 1.5 h; the baseline's 2 h still weighs it, so that cannot count as loss.
    baseline = window(BASELINE, products=(("A", 600, 0, 0, "1"), ("B", 200, 0, 0, "2")))
    evaluation = window(EVALUATION, products=(("A", 200, 0, 0, "1"), ("B", 400, 0, 0, "1.5")))
    result = verify(baseline, evaluation)
    productivity = result.kpi(Kpi.PRODUCTIVITY)
    assert (productivity.baseline, productivity.evaluation, productivity.change) == (
        Decimal("0.8"),
        Decimal("0.8"),
        Decimal(0),
    )
    assert result.baseline.mean_reference_value == Decimal("1.25")
    assert [(p.product, p.weight, p.reference_value) for p in result.evaluation.products] == [
        ("A", Decimal("0.8"), Decimal(1)),
        ("B", Decimal("1.6"), Decimal(2)),
    ]
    assert (result.evaluation.good_units, result.evaluation.equivalent_units) == (600, Decimal(800))
    # Unit cost is per equivalent unit too: 100 000 CNY / 800 EU = 125 CNY/EU in both windows.
    assert result.kpi(Kpi.OPERATING_COST).change == Decimal(0)


def test_a_product_new_in_the_evaluation_is_weighed_by_its_own_reference_value_and_noted() -> None:
    # Baseline: A 1000 units at 1 h → one EU = 1 h. Evaluation: A 500 + C 250 at 2 h (C is new) = 500 + 500 = 1000 EU.
    result = verify(window(BASELINE), window(EVALUATION, products=(("A", 500, 0, 0, "1"), ("C", 250, 0, 0, "2"))))
    assert result.evaluation.equivalent_units == Decimal(1000)
    assert result.kpi(Kpi.PRODUCTIVITY).change == Decimal(0)
    assert result.notes == ("C was not made in the baseline; it is weighed by its evaluation reference value",)


def test_price_inflation_is_removed_by_the_index() -> None:
    # Baseline: materials 100 000 + energy 20 000 at index 100 over 1000 EU = 120 CNY/EU.
    # Evaluation, nominal 129 000: materials 50 000 in April at index 100 and 55 000 in May at index 110
    # (= 50 000 at baseline prices), energy 24 000 at index 120 (= 20 000) → 120 000 / 1000 EU = 120, Δ = 0.
    # Nominally Δ would be 129 000 / 120 000 − 1 = +7.5 %: the index takes out what prices, not the factory, did.
    baseline = window(BASELINE, costs=(("materials", "100000", "100"), ("energy", "20000", "100")))
    evaluation = window(
        EVALUATION,
        costs=(("materials", "50000", "100"), ("materials", "55000", "110"), ("energy", "24000", "120")),
    )
    result = verify(baseline, evaluation)
    assert result.evaluation.cost_nominal == Decimal(129000)
    assert result.evaluation.cost_at_constant_prices == Decimal(120000)
    assert [(c.category, c.nominal, c.at_constant_prices) for c in result.evaluation.costs] == [
        (CostCategory.MATERIALS, Decimal(105000), Decimal(100000)),
        (CostCategory.ENERGY, Decimal(24000), Decimal(20000)),
    ]
    cost = result.kpi(Kpi.OPERATING_COST)
    assert (cost.baseline, cost.evaluation, cost.change) == (Decimal(120), Decimal(120), Decimal(0))
    assert cost.verdict is Verdict.DOES_NOT_MEET


def test_a_short_window_makes_every_kpi_insufficient_but_still_shows_the_numbers() -> None:
    # 2023-01-01 … 2023-03-30 is 89 days, one short of the default 90.
    short = window((date(2023, 1, 1), date(2023, 3, 30)), order_days=(5,))
    evaluation = window(EVALUATION, products=(("A", 1250, 0, 0, "1"),), order_days=(4,))
    result = verify(short, evaluation)
    assert {kpi.verdict for kpi in result.kpis} == {Verdict.INSUFFICIENT_DATA}
    productivity = result.kpi(Kpi.PRODUCTIVITY)
    assert productivity.change == Decimal("0.25")
    assert reason_codes(result, Kpi.PRODUCTIVITY) == {ReasonCode.WINDOW_TOO_SHORT}
    assert "89 days" in productivity.reasons[0].message
    # The minimum is configurable.
    relaxed = verify(short, evaluation, rules=VerificationRules(min_window_days=30))
    assert relaxed.kpi(Kpi.PRODUCTIVITY).verdict is Verdict.MEETS


def test_low_telemetry_coverage_makes_measured_kpis_insufficient() -> None:
    # 80 of 90 days with telemetry = 0.889 < 0.9. Equipment 9 of 10 = 0.9 exactly would pass on its own.
    gappy = window(BASELINE, telemetry_days=80, equipment=(9, 10), order_days=(5,))
    evaluation = window(EVALUATION, products=(("A", 1250, 0, 0, "1"),), order_days=(4,))
    result = verify(gappy, evaluation)
    assert result.baseline.coverage.share == Decimal(80) / Decimal(90)
    for kpi in (Kpi.PRODUCTIVITY, Kpi.OPERATING_COST, Kpi.DEFECT_RATE, Kpi.ENERGY_KWH_PER_UNIT):
        assert result.kpi(kpi).verdict is Verdict.INSUFFICIENT_DATA
        assert ReasonCode.LOW_COVERAGE in reason_codes(result, kpi), kpi
    # Deliveries are entered, not measured: telemetry gaps do not touch them.
    assert result.kpi(Kpi.DELIVERY_DAYS_MEAN).verdict is Verdict.NO_TARGET
    assert verify(window(BASELINE, equipment=(9, 10)), evaluation).kpi(Kpi.PRODUCTIVITY).verdict is Verdict.MEETS
    # 81 of 90 days is exactly 0.9: enough.
    assert verify(window(BASELINE, telemetry_days=81), evaluation).kpi(Kpi.PRODUCTIVITY).verdict is Verdict.MEETS
    relaxed = verify(gappy, evaluation, rules=VerificationRules(min_coverage=Decimal("0.8")))
    assert relaxed.kpi(Kpi.PRODUCTIVITY).verdict is Verdict.MEETS


def test_a_zero_baseline_is_insufficient_not_infinite() -> None:
    # No scrap or rework in the baseline: defect rate 0 / 1000 = 0, so Δ would divide by zero.
    evaluation = window(EVALUATION, products=(("A", 980, 10, 10, "1"),))
    result = verify(window(BASELINE), evaluation)
    defects = result.kpi(Kpi.DEFECT_RATE)
    assert (defects.baseline, defects.evaluation, defects.change) == (Decimal(0), Decimal("0.02"), None)
    assert defects.verdict is Verdict.INSUFFICIENT_DATA
    assert reason_codes(result, Kpi.DEFECT_RATE) == {ReasonCode.ZERO_BASELINE}
    # No good units in the baseline: an equivalent unit (its mean reference value) is undefined.
    nothing_good = verify(window(BASELINE, products=(("A", 0, 5, 0, "1"),)), evaluation)
    assert nothing_good.kpi(Kpi.PRODUCTIVITY).verdict is Verdict.INSUFFICIENT_DATA
    assert reason_codes(nothing_good, Kpi.PRODUCTIVITY) == {ReasonCode.ZERO_DENOMINATOR}
    assert nothing_good.baseline.equivalent_units is None


@pytest.mark.parametrize(
    ("baseline", "code"),
    [
        (window(BASELINE, hours="0"), ReasonCode.ZERO_DENOMINATOR),
        (window(BASELINE, hours=None), ReasonCode.MISSING_INPUT),
        (window(BASELINE, products=()), ReasonCode.MISSING_INPUT),
    ],
)
def test_a_zero_or_missing_denominator_is_insufficient(baseline: WindowInputs, code: ReasonCode) -> None:
    result = verify(baseline, window(EVALUATION))
    productivity = result.kpi(Kpi.PRODUCTIVITY)
    assert (productivity.baseline, productivity.change, productivity.verdict) == (
        None,
        None,
        Verdict.INSUFFICIENT_DATA,
    )
    assert code in reason_codes(result, Kpi.PRODUCTIVITY)


def test_windows_must_not_overlap_and_the_evaluation_must_come_after() -> None:
    overlapping = window((date(2023, 3, 31), date(2023, 6, 30)))  # starts on the baseline's last day
    earlier = window((date(2022, 1, 1), date(2022, 3, 31)))
    for evaluation in (overlapping, earlier):
        result = verify(window(BASELINE), evaluation)
        assert {kpi.verdict for kpi in result.kpis} == {Verdict.INSUFFICIENT_DATA}
        assert ReasonCode.WINDOWS_NOT_ORDERED in reason_codes(result, Kpi.DELIVERY_DAYS_MEAN)
    in_order = verify(window(BASELINE), window(EVALUATION))
    assert all(ReasonCode.WINDOWS_NOT_ORDERED not in reason_codes(in_order, kpi.kpi) for kpi in in_order.kpis)


def test_energy_is_converted_to_tonnes_of_standard_coal() -> None:
    # 10 000 kWh × 0.1229 kgce/kWh = 1229 kgce = 1.229 tce; per 1000 EU: 10 kWh and 0.001229 tce.
    # Evaluation 8 000 kWh = 0.9832 tce over 1000 EU: Δ = −0.20 on both scales (one coefficient); no target.
    result = verify(window(BASELINE), window(EVALUATION, kwh="8000"))
    assert result.baseline.energy_tce == Decimal("1.229")
    assert result.evaluation.energy_tce == Decimal("0.9832")
    kwh, tce = result.kpi(Kpi.ENERGY_KWH_PER_UNIT), result.kpi(Kpi.ENERGY_TCE_PER_UNIT)
    assert (kwh.baseline, kwh.evaluation, kwh.change) == (Decimal(10), Decimal(8), Decimal("-0.2"))
    assert (tce.baseline, tce.evaluation, tce.change) == (Decimal("0.001229"), Decimal("0.0009832"), Decimal("-0.2"))
    assert tce.verdict is Verdict.NO_TARGET and tce.target is None


def test_order_to_delivery_time_mean_and_median() -> None:
    # Baseline orders take 3, 5 and 10 days: mean 18 / 3 = 6, median 5.
    # Evaluation 2, 4, 6 and 9 days: mean 21 / 4 = 5.25, median (4 + 6) / 2 = 5.
    # Δ mean = (5.25 − 6) / 6 = −0.125; Δ median = 0.
    result = verify(window(BASELINE, order_days=(3, 5, 10)), window(EVALUATION, order_days=(2, 4, 6, 9)))
    mean, median = result.kpi(Kpi.DELIVERY_DAYS_MEAN), result.kpi(Kpi.DELIVERY_DAYS_MEDIAN)
    assert (mean.baseline, mean.evaluation, mean.change) == (Decimal(6), Decimal("5.25"), Decimal("-0.125"))
    assert (median.baseline, median.evaluation, median.change) == (Decimal(5), Decimal(5), Decimal(0))
    assert mean.verdict is median.verdict is Verdict.NO_TARGET
    no_orders = verify(window(BASELINE, order_days=(3,)), window(EVALUATION))
    assert reason_codes(no_orders, Kpi.DELIVERY_DAYS_MEAN) == {ReasonCode.MISSING_INPUT}


def test_defect_rate_counts_scrap_and_rework_over_everything_produced() -> None:
    # Baseline: (30 + 20) / (950 + 30 + 20) = 0.05; evaluation (10 + 10) / 1000 = 0.02; Δ = −0.6.
    result = verify(
        window(BASELINE, products=(("A", 950, 30, 20, "1"),)),
        window(EVALUATION, products=(("A", 980, 10, 10, "1"),)),
    )
    defects = result.kpi(Kpi.DEFECT_RATE)
    assert (defects.baseline, defects.evaluation, defects.change) == (Decimal("0.05"), Decimal("0.02"), Decimal("-0.6"))
    assert result.evaluation.produced_units == 1000


def test_cost_categories_must_match_between_windows() -> None:
    # Leaving energy out of the evaluation would read as a 20 000 CNY saving.
    baseline = window(BASELINE, costs=(("materials", "80000", "100"), ("energy", "20000", "100")))
    result = verify(baseline, window(EVALUATION, costs=(("materials", "80000", "100"),)))
    assert reason_codes(result, Kpi.OPERATING_COST) == {ReasonCode.UNMATCHED_COSTS}
    assert result.kpi(Kpi.PRODUCTIVITY).verdict is Verdict.DOES_NOT_MEET  # other KPIs are unaffected


def test_the_result_carries_its_inputs_and_round_trips_through_json() -> None:
    baseline = window(BASELINE, order_days=(3,), costs=(("materials", "100000.10", "100"),))
    result = verify(baseline, window(EVALUATION, order_days=(2,)), rules=DEFAULT)
    stored = result.model_dump(mode="json")
    assert stored["baseline_inputs"]["costs"][0]["amount"] == "100000.10"  # money stays a decimal string
    assert stored["kpis"][0]["target"] == {"direction": "at_least", "change": "0.20"}
    assert Verification.model_validate_json(result.model_dump_json()) == result
    assert result.baseline_inputs == baseline
    assert to_fen(result.kpi(Kpi.OPERATING_COST).baseline or Decimal(0)) == Decimal("100.00")


def test_inconsistent_inputs_are_rejected_naming_the_record() -> None:
    from pydantic import ValidationError

    good = window(BASELINE).model_dump()
    outside = {"order_id": "SO-9", "product": "A", "quantity": 1, "order_date": "2023-03-01"}
    cases = {
        "the window ends before it starts": good | {"end": "2022-12-31"},
        "order SO-9 is delivered outside the window": good
        | {"deliveries": [outside | {"delivery_date": "2023-04-02"}]},
        "order SO-9 is delivered before it was ordered": good
        | {"deliveries": [outside | {"delivery_date": "2023-02-01"}]},
        "product codes must be unique in a window: A": good | {"products": [good["products"][0]] * 2},
        "coverage counts 91 days in a 90-day window": good | {"coverage": good["coverage"] | {"telemetry_days": 91}},
        "products.0.reference_value": good | {"products": [good["products"][0] | {"reference_value": "0"}]},
    }
    for expected, data in cases.items():
        with pytest.raises(ValidationError) as caught:
            WindowInputs.model_validate(data)
        assert expected in str(caught.value)


def test_the_worked_example_of_the_docs() -> None:
    # docs/programme-kpi.md. Baseline: Σ GQ·r = 600·1 + 200·2 = 1000 over 800 good → r̄ = 1.25, EU 800, 0.8 EU/h.
    # Evaluation: 300·0.8 + 450·1.6 = 960 EU in 1000 h = 0.96 EU/h → Δ = +20 % exactly: meets.
    # Cost: 88 000·100/110 + 21 000·100/105 = 100 000 at baseline prices / 960 EU = 104.1666… vs 100 000 / 800 = 125
    # → Δ = 104.1666… / 125 − 1 = −1/6 = −16.67 %: does not meet.
    # Defects: (40 + 10) / 850 = 1/17 → (10 + 5) / 765 = 1/51; Δ = −2/3. Energy 12 000 / 800 = 15 → 11 000 / 960.
    baseline = window(
        BASELINE,
        products=(("A", 600, 30, 10, "1"), ("B", 200, 10, 0, "2")),
        costs=(("materials", "80000", "100"), ("energy", "20000", "100")),
        kwh="12000",
    )
    evaluation = window(
        (date(2024, 1, 1), date(2024, 3, 31)),
        products=(("A", 300, 5, 5, "1"), ("B", 450, 5, 0, "1.5")),
        costs=(("materials", "88000", "110"), ("energy", "21000", "105")),
        kwh="11000",
    )
    result = verify(baseline, evaluation)
    assert (result.baseline.equivalent_units, result.evaluation.equivalent_units) == (Decimal(800), Decimal(960))
    assert result.kpi(Kpi.PRODUCTIVITY).change == Decimal("0.2")
    assert result.kpi(Kpi.PRODUCTIVITY).verdict is Verdict.MEETS
    cost = result.kpi(Kpi.OPERATING_COST)
    assert (cost.baseline, cost.change, cost.verdict) == (
        Decimal(125),
        Decimal(-1) / Decimal(6),
        Verdict.DOES_NOT_MEET,
    )
    assert result.evaluation.cost_nominal == Decimal(109000)
    assert result.kpi(Kpi.DEFECT_RATE).change == Decimal(-2) / Decimal(3)
    assert result.kpi(Kpi.ENERGY_KWH_PER_UNIT).evaluation == Decimal(11000) / Decimal(960)

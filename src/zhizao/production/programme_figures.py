"""One window's intermediate figures — mix weights, equivalent units, constant-price costs, energy, delivery times.

Arithmetic is exact: Decimal inputs become ``Fraction``s, and each reported figure is rounded once, at the end,
to 28 significant digits (``to_decimal``). So scaling every volume and hour by the same factor gives exactly the
same productivity, and a cost change of exactly −20 % compares as exactly −20 %, whatever the divisions in between.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from zhizao.production.programme_inputs import (
    ELECTRICITY_KGCE_PER_KWH,
    KGCE_PER_TCE,
    PRICE_INDEX_BASE,
    CostCategory,
    WindowInputs,
)

REPORTING_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
FEN = Decimal("0.01")


class Kpi(StrEnum):
    PRODUCTIVITY = "productivity"
    OPERATING_COST = "operating_cost"
    DEFECT_RATE = "defect_rate"
    ENERGY_KWH_PER_UNIT = "energy_kwh_per_unit"
    ENERGY_TCE_PER_UNIT = "energy_tce_per_unit"
    DELIVERY_DAYS_MEAN = "delivery_days_mean"
    DELIVERY_DAYS_MEDIAN = "delivery_days_median"


class ReasonCode(StrEnum):
    WINDOW_TOO_SHORT = "window_too_short"
    LOW_COVERAGE = "low_coverage"
    WINDOWS_NOT_ORDERED = "windows_not_ordered"  # overlapping, or evaluation not after the baseline
    MISSING_INPUT = "missing_input"
    ZERO_DENOMINATOR = "zero_denominator"
    ZERO_BASELINE = "zero_baseline"
    UNMATCHED_COSTS = "unmatched_costs"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reason(_Frozen):
    """Why a KPI cannot be verified; ``code`` is stable (for translation), ``message`` is plain English."""

    code: ReasonCode
    message: str


class ReferenceSource(StrEnum):
    BASELINE = "baseline"
    EVALUATION = "evaluation"  # a product first made in the evaluation window


class ProductFigures(_Frozen):
    product: str
    good: int
    scrap: int
    rework: int
    reference_value: Decimal  # the value that weighs it: the baseline's, when the baseline made it
    reference_source: ReferenceSource
    weight: Decimal | None  # equivalent units per good unit = reference_value / mean_reference_value
    equivalent_units: Decimal | None


class CategoryCost(_Frozen):
    category: CostCategory
    nominal: Decimal
    at_constant_prices: Decimal  # Σ amount × 100 / price index


class CoverageFigures(_Frozen):
    day_share: Decimal  # telemetry days / window days
    equipment_share: Decimal  # equipment reporting / equipment total
    share: Decimal  # the smaller of the two: what the coverage rule compares


class WindowFigures(_Frozen):
    start: str
    end: str
    days: int
    coverage: CoverageFigures
    mean_reference_value: Decimal | None  # the baseline's good-weighted mean: the size of one equivalent unit
    products: tuple[ProductFigures, ...]
    good_units: int
    scrap_units: int
    rework_units: int
    produced_units: int
    equivalent_units: Decimal | None
    labour_hours: Decimal | None
    costs: tuple[CategoryCost, ...]
    cost_nominal: Decimal | None
    cost_at_constant_prices: Decimal | None
    energy_kwh: Decimal | None
    energy_tce: Decimal | None
    deliveries: int


def to_decimal(value: Fraction) -> Decimal:
    """``value`` rounded once to 28 significant digits, half to even."""
    with localcontext(REPORTING_CONTEXT):
        return Decimal(value.numerator) / Decimal(value.denominator)


def to_fen(value: Decimal) -> Decimal:
    """Money for display: rounded to 0.01 CNY (1 分), half up, as Chinese invoices round. Never used in a KPI."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MixWeights:
    """The reference value each product is weighed by, and the size of one equivalent unit.

    Weights come from the baseline, so a product whose standard time the upgrade shortened still counts as much
    output as before; only products the baseline never made fall back to the evaluation's own value.
    """

    reference: dict[str, tuple[Fraction, ReferenceSource]]
    mean_reference: Fraction | None  # Σ good·ref / Σ good over the baseline; None when it made nothing good


def mix_weights(baseline: WindowInputs, evaluation: WindowInputs) -> MixWeights:
    reference = {p.product: (Fraction(p.reference_value), ReferenceSource.BASELINE) for p in baseline.products}
    for product in evaluation.products:
        reference.setdefault(product.product, (Fraction(product.reference_value), ReferenceSource.EVALUATION))
    good = sum(product.good for product in baseline.products)
    weighted = sum((product.good * reference[product.product][0] for product in baseline.products), Fraction(0))
    return MixWeights(reference, weighted / good if good else None)


@dataclass(frozen=True)
class MeasuredWindow:
    """A window's figures for display, its exact KPI values, and why any KPI has none."""

    figures: WindowFigures
    values: dict[Kpi, Fraction]
    problems: dict[Kpi, list[Reason]] = field(default_factory=dict)

    def add_problem(self, kpis: tuple[Kpi, ...], code: ReasonCode, message: str) -> None:
        for kpi in kpis:
            self.problems.setdefault(kpi, []).append(Reason(code=code, message=message))


UNIT_KPIS = (Kpi.PRODUCTIVITY, Kpi.OPERATING_COST, Kpi.ENERGY_KWH_PER_UNIT, Kpi.ENERGY_TCE_PER_UNIT)
DELIVERY_KPIS = (Kpi.DELIVERY_DAYS_MEAN, Kpi.DELIVERY_DAYS_MEDIAN)


def _optional(value: Fraction | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


def measure(window: WindowInputs, weights: MixWeights, label: str) -> MeasuredWindow:
    """The figures and KPI values of ``window`` (``label``: "baseline" or "evaluation", for messages)."""
    coverage = window.coverage
    day_share = Fraction(coverage.telemetry_days, window.days)
    equipment_share = Fraction(coverage.equipment_reporting, coverage.equipment_total)
    products, equivalent = _products(window, weights)
    costs, nominal, constant = _costs(window)
    labour = None if window.labour_hours is None else Fraction(window.labour_hours)
    kwh = None if window.energy_kwh is None else Fraction(window.energy_kwh)
    tce = None if kwh is None else kwh * Fraction(ELECTRICITY_KGCE_PER_KWH) / Fraction(KGCE_PER_TCE)
    good = sum(product.good for product in window.products)
    scrap = sum(product.scrap for product in window.products)
    rework = sum(product.rework for product in window.products)
    produced = good + scrap + rework
    figures = WindowFigures(
        start=window.start.isoformat(),
        end=window.end.isoformat(),
        days=window.days,
        coverage=CoverageFigures(
            day_share=to_decimal(day_share),
            equipment_share=to_decimal(equipment_share),
            share=to_decimal(min(day_share, equipment_share)),
        ),
        mean_reference_value=_optional(weights.mean_reference),
        products=products,
        good_units=good,
        scrap_units=scrap,
        rework_units=rework,
        produced_units=produced,
        equivalent_units=_optional(equivalent),
        labour_hours=window.labour_hours,
        costs=costs,
        cost_nominal=_optional(nominal),
        cost_at_constant_prices=_optional(constant),
        energy_kwh=window.energy_kwh,
        energy_tce=_optional(tce),
        deliveries=len(window.deliveries),
    )
    measured = MeasuredWindow(figures, {})
    values = measured.values

    if not window.products:
        measured.add_problem((*UNIT_KPIS, Kpi.DEFECT_RATE), ReasonCode.MISSING_INPUT, f"{label}: no production counts")
    elif equivalent is None:
        message = "the baseline made no good units, so an equivalent unit is undefined"
        measured.add_problem(UNIT_KPIS, ReasonCode.ZERO_DENOMINATOR, message)
    if labour is None:
        measured.add_problem((Kpi.PRODUCTIVITY,), ReasonCode.MISSING_INPUT, f"{label}: labour hours not entered")
    elif labour == 0:
        measured.add_problem((Kpi.PRODUCTIVITY,), ReasonCode.ZERO_DENOMINATOR, f"{label}: labour hours are zero")
    elif equivalent is not None:
        values[Kpi.PRODUCTIVITY] = equivalent / labour

    per_unit = (Kpi.OPERATING_COST, Kpi.ENERGY_KWH_PER_UNIT, Kpi.ENERGY_TCE_PER_UNIT)
    if equivalent == 0:
        measured.add_problem(per_unit, ReasonCode.ZERO_DENOMINATOR, f"{label}: no good output (0 equivalent units)")
    if constant is None:
        measured.add_problem((Kpi.OPERATING_COST,), ReasonCode.MISSING_INPUT, f"{label}: no operating costs entered")
    elif equivalent:
        values[Kpi.OPERATING_COST] = constant / equivalent
    if kwh is None or tce is None:
        message = f"{label}: energy consumption not metered"
        measured.add_problem((Kpi.ENERGY_KWH_PER_UNIT, Kpi.ENERGY_TCE_PER_UNIT), ReasonCode.MISSING_INPUT, message)
    elif equivalent:
        values[Kpi.ENERGY_KWH_PER_UNIT] = kwh / equivalent
        values[Kpi.ENERGY_TCE_PER_UNIT] = tce / equivalent

    if window.products and produced == 0:
        measured.add_problem((Kpi.DEFECT_RATE,), ReasonCode.ZERO_DENOMINATOR, f"{label}: nothing was produced")
    elif produced:
        values[Kpi.DEFECT_RATE] = Fraction(scrap + rework, produced)

    if window.deliveries:
        days = [Fraction(delivery.days) for delivery in window.deliveries]
        values[Kpi.DELIVERY_DAYS_MEAN] = sum(days, Fraction(0)) / len(days)
        values[Kpi.DELIVERY_DAYS_MEDIAN] = statistics.median(days)  # the mean of the middle two for an even count
    else:
        measured.add_problem(DELIVERY_KPIS, ReasonCode.MISSING_INPUT, f"{label}: no orders delivered in the window")
    return measured


def _products(window: WindowInputs, weights: MixWeights) -> tuple[tuple[ProductFigures, ...], Fraction | None]:
    rows: list[ProductFigures] = []
    total = Fraction(0)
    for product in window.products:
        reference, source = weights.reference[product.product]
        weight = None if weights.mean_reference is None else reference / weights.mean_reference
        equivalent = None if weight is None else product.good * weight
        total += equivalent or 0
        rows.append(
            ProductFigures(
                product=product.product,
                good=product.good,
                scrap=product.scrap,
                rework=product.rework,
                reference_value=to_decimal(reference),
                reference_source=source,
                weight=_optional(weight),
                equivalent_units=_optional(equivalent),
            )
        )
    return tuple(rows), (None if weights.mean_reference is None or not window.products else total)


def _costs(window: WindowInputs) -> tuple[tuple[CategoryCost, ...], Fraction | None, Fraction | None]:
    """Costs per category (nominal and at constant prices), and the two exact totals; None when none entered."""
    nominal: dict[CostCategory, Fraction] = {}
    constant: dict[CostCategory, Fraction] = {}
    for line in window.costs:
        # Deflate line by line: each month's cost by that month's index, before anything is added up.
        deflated = Fraction(line.amount) * Fraction(PRICE_INDEX_BASE) / Fraction(line.price_index)
        nominal[line.category] = nominal.get(line.category, Fraction(0)) + Fraction(line.amount)
        constant[line.category] = constant.get(line.category, Fraction(0)) + deflated
    rows = tuple(
        CategoryCost(
            category=category,
            nominal=to_decimal(nominal[category]),
            at_constant_prices=to_decimal(constant[category]),
        )
        for category in CostCategory
        if category in nominal
    )
    if not rows:
        return rows, None, None
    return rows, sum(nominal.values(), Fraction(0)), sum(constant.values(), Fraction(0))

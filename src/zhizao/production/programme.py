"""Verified programme KPIs: does a smart-factory upgrade raise productivity by 20 % and cut operating cost by 20 %?

Pure: ``verify(baseline, evaluation)`` compares two windows of one factory and returns every KPI's baseline and
evaluation value, Δ = (evaluation − baseline) / baseline, the plan's target where it sets one, a verdict, and the
reasons a verdict could not be reached — together with the inputs and intermediate figures (equivalent units,
constant-price costs, coverage) so that a page can show how each number was made. ``docs/programme-kpi.md``
states every formula; ``FORMULA_VERSION`` changes whenever one of them does, so stored results stay explicable.

All values are ``Decimal``: KPI values, Δ (a fraction: 0.25 is +25 %), shares and money. They are computed
exactly (see ``programme_figures``) and rounded once to 28 significant digits; verdicts compare the exact Δ.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from zhizao.production.programme_figures import (
    Kpi,
    MeasuredWindow,
    Reason,
    ReasonCode,
    ReferenceSource,
    WindowFigures,
    measure,
    mix_weights,
    to_decimal,
)
from zhizao.production.programme_inputs import WindowInputs

FORMULA_VERSION = "programme-kpi/1"


class Verdict(StrEnum):
    MEETS = "meets"
    DOES_NOT_MEET = "does_not_meet"
    INSUFFICIENT_DATA = "insufficient_data"
    NO_TARGET = "no_target"  # reported for information; the plan sets no target for it


class Direction(StrEnum):
    AT_LEAST = "at_least"  # Δ ≥ change meets the target
    AT_MOST = "at_most"  # Δ ≤ change meets the target


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Target(_Frozen):
    direction: Direction
    change: Decimal  # as a fraction: 0.20 is +20 %

    def met_by(self, change: Fraction) -> bool:
        if self.direction is Direction.AT_LEAST:
            return change >= Fraction(self.change)
        return change <= Fraction(self.change)


class VerificationRules(_Frozen):
    """When a comparison counts, and what it must show. The defaults are the plan's: 20 %, and 3-month windows."""

    min_window_days: int = Field(default=90, ge=1, le=3660)
    min_coverage: Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)] = Decimal("0.9")
    productivity_target: Annotated[Decimal, Field(gt=-1, le=100, allow_inf_nan=False)] = Decimal("0.20")
    operating_cost_target: Annotated[Decimal, Field(ge=-1, le=100, allow_inf_nan=False)] = Decimal("-0.20")

    def target(self, kpi: Kpi) -> Target | None:
        if kpi is Kpi.PRODUCTIVITY:
            return Target(direction=Direction.AT_LEAST, change=self.productivity_target)
        if kpi is Kpi.OPERATING_COST:
            return Target(direction=Direction.AT_MOST, change=self.operating_cost_target)
        return None


DEFAULT = VerificationRules()


@dataclass(frozen=True)
class KpiDefinition:
    unit: str
    formula: str
    lower_is_better: bool
    uses_telemetry: bool  # measured from machine data, so the telemetry coverage rule applies


# Formulas as a page shows them; EU = equivalent units (see docs/programme-kpi.md).
DEFINITIONS: dict[Kpi, KpiDefinition] = {
    Kpi.PRODUCTIVITY: KpiDefinition(
        "equivalent units / labour hour",
        "EU / H, EU = Σ_p GQ_p · r_p / r̄ (r_p: baseline reference value, r̄: baseline mean)",
        lower_is_better=False,
        uses_telemetry=True,
    ),
    Kpi.OPERATING_COST: KpiDefinition(
        "CNY at baseline prices / equivalent unit",
        "Σ_lines amount · 100 / price index ÷ EU",
        lower_is_better=True,
        uses_telemetry=True,
    ),
    Kpi.DEFECT_RATE: KpiDefinition(
        "share of produced units", "(SQ + RQ) / (GQ + SQ + RQ)", lower_is_better=True, uses_telemetry=True
    ),
    Kpi.ENERGY_KWH_PER_UNIT: KpiDefinition(
        "kWh / equivalent unit", "kWh / EU", lower_is_better=True, uses_telemetry=True
    ),
    Kpi.ENERGY_TCE_PER_UNIT: KpiDefinition(
        "tce / equivalent unit", "kWh · 0.1229 kgce/kWh / 1000 ÷ EU", lower_is_better=True, uses_telemetry=True
    ),
    Kpi.DELIVERY_DAYS_MEAN: KpiDefinition(
        "days", "mean of (delivery date − order date)", lower_is_better=True, uses_telemetry=False
    ),
    Kpi.DELIVERY_DAYS_MEDIAN: KpiDefinition(
        "days", "median of (delivery date − order date)", lower_is_better=True, uses_telemetry=False
    ),
}


class KpiResult(_Frozen):
    kpi: Kpi
    unit: str
    formula: str
    lower_is_better: bool
    baseline: Decimal | None
    evaluation: Decimal | None
    change: Decimal | None  # Δ = (evaluation − baseline) / baseline, as a fraction
    target: Target | None
    verdict: Verdict
    reasons: tuple[Reason, ...]  # why the verdict is INSUFFICIENT_DATA; empty otherwise


class Verification(_Frozen):
    formula_version: str
    rules: VerificationRules
    baseline_inputs: WindowInputs
    evaluation_inputs: WindowInputs
    baseline: WindowFigures
    evaluation: WindowFigures
    kpis: tuple[KpiResult, ...]
    notes: tuple[str, ...]  # facts a reader should know that do not stop a verdict

    def kpi(self, kpi: Kpi) -> KpiResult:
        return next(result for result in self.kpis if result.kpi is kpi)

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Every distinct reason any KPI could not be verified, in first-seen order."""
        return tuple(dict.fromkeys(reason for result in self.kpis for reason in result.reasons))


def verify(baseline: WindowInputs, evaluation: WindowInputs, *, rules: VerificationRules = DEFAULT) -> Verification:
    """Compare ``evaluation`` with ``baseline``; never raises for data that merely falls short of the rules."""
    weights = mix_weights(baseline, evaluation)
    measured = (measure(baseline, weights, "baseline"), measure(evaluation, weights, "evaluation"))
    every_kpi = _window_reasons(baseline, evaluation, rules)
    telemetry = _coverage_reasons((baseline, evaluation), rules)
    cost = _cost_category_reasons(baseline, evaluation)
    results = []
    for kpi, definition in DEFINITIONS.items():
        reasons = list(every_kpi)
        if definition.uses_telemetry:
            reasons += telemetry
        if kpi is Kpi.OPERATING_COST:
            reasons += cost
        reasons += measured[0].problems.get(kpi, []) + measured[1].problems.get(kpi, [])
        results.append(_result(kpi, definition, measured, rules.target(kpi), reasons))
    notes = tuple(
        f"{product.product} was not made in the baseline; it is weighed by its evaluation reference value"
        for product in measured[1].figures.products
        if product.reference_source is ReferenceSource.EVALUATION
    )
    return Verification(
        formula_version=FORMULA_VERSION,
        rules=rules,
        baseline_inputs=baseline,
        evaluation_inputs=evaluation,
        baseline=measured[0].figures,
        evaluation=measured[1].figures,
        kpis=tuple(results),
        notes=notes,
    )


def _result(
    kpi: Kpi,
    definition: KpiDefinition,
    measured: tuple[MeasuredWindow, MeasuredWindow],
    target: Target | None,
    reasons: list[Reason],
) -> KpiResult:
    before, after = measured[0].values.get(kpi), measured[1].values.get(kpi)
    change: Fraction | None = None
    if before == 0:
        message = f"the baseline {kpi.value.replace('_', ' ')} is zero, so a relative change is undefined"
        reasons.append(Reason(code=ReasonCode.ZERO_BASELINE, message=message))
    elif before is not None and after is not None:
        change = (after - before) / before
    if reasons or change is None:
        verdict = Verdict.INSUFFICIENT_DATA
    elif target is None:
        verdict = Verdict.NO_TARGET
    else:
        verdict = Verdict.MEETS if target.met_by(change) else Verdict.DOES_NOT_MEET
    return KpiResult(
        kpi=kpi,
        unit=definition.unit,
        formula=definition.formula,
        lower_is_better=definition.lower_is_better,
        baseline=None if before is None else to_decimal(before),
        evaluation=None if after is None else to_decimal(after),
        change=None if change is None else to_decimal(change),
        target=target,
        verdict=verdict,
        reasons=tuple(dict.fromkeys(reasons)),
    )


def _window_reasons(baseline: WindowInputs, evaluation: WindowInputs, rules: VerificationRules) -> list[Reason]:
    """Reasons that make every comparison between these two windows meaningless."""
    reasons = [
        Reason(
            code=ReasonCode.WINDOW_TOO_SHORT,
            message=f"the {label} window is {window.days} days; at least {rules.min_window_days} are needed",
        )
        for label, window in (("baseline", baseline), ("evaluation", evaluation))
        if window.days < rules.min_window_days
    ]
    if evaluation.start <= baseline.end:
        if evaluation.end < baseline.start:
            message = "the evaluation window lies before the baseline"
        else:
            message = "the evaluation window must start after the baseline window ends (they overlap)"
        reasons.append(Reason(code=ReasonCode.WINDOWS_NOT_ORDERED, message=message))
    return reasons


def _coverage_reasons(windows: tuple[WindowInputs, WindowInputs], rules: VerificationRules) -> list[Reason]:
    reasons = []
    for label, window in zip(("baseline", "evaluation"), windows, strict=True):
        coverage = window.coverage
        day_share = Fraction(coverage.telemetry_days, window.days)
        equipment_share = Fraction(coverage.equipment_reporting, coverage.equipment_total)
        if min(day_share, equipment_share) < Fraction(rules.min_coverage):  # exact: 81 of 90 days is exactly 0.9
            message = (
                f"the {label} window's telemetry covers {float(day_share):.1%} of days and "
                f"{float(equipment_share):.1%} of equipment; at least {rules.min_coverage:.1%} is needed"
            )
            reasons.append(Reason(code=ReasonCode.LOW_COVERAGE, message=message))
    return reasons


def _cost_category_reasons(baseline: WindowInputs, evaluation: WindowInputs) -> list[Reason]:
    """Both windows must cost the same things: a category missing from one would read as a saving or a loss."""
    before = {line.category for line in baseline.costs}
    after = {line.category for line in evaluation.costs}
    if not before or not after or before == after:
        return []
    only = sorted(before ^ after)
    message = f"cost categories differ between the windows: {', '.join(only)} entered in only one (enter 0 if none)"
    return [Reason(code=ReasonCode.UNMATCHED_COSTS, message=message)]


__all__ = [
    "DEFAULT",
    "DEFINITIONS",
    "FORMULA_VERSION",
    "Direction",
    "Kpi",
    "KpiResult",
    "Reason",
    "ReasonCode",
    "Target",
    "Verdict",
    "Verification",
    "VerificationRules",
    "verify",
]

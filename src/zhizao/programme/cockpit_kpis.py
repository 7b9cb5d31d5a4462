"""The cockpit's KPI arithmetic: where each accepted factory's stored verification leaves it against the edition's
productivity and cost targets, the histograms of verified gains and reductions, and their means. Pure, no I/O.

KPI results are the stored verifications' (never recomputed): a Δ counts only where production verified it.
``cockpit`` assembles these into the whole cockpit. See docs/programme-cockpit.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from zhizao.production.programme import Verdict
from zhizao.programme.editions import EditionTargets
from zhizao.ui.i18n import N_

PERCENT_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)


class Frozen(BaseModel):
    """The cockpit's values: immutable, and nothing beyond their fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class KpiOutcome(StrEnum):
    """Where an accepted factory's stored verification leaves it against the edition's two KPI targets."""

    MEETS_BOTH = "meets_both"
    BELOW_TARGET = "below_target"  # verified, but at least one of the two falls short
    INSUFFICIENT_DATA = "insufficient_data"  # a verification whose productivity or cost could not be verified
    NOT_VERIFIED = "not_verified"  # no stored verification at all


KPI_OUTCOME_LABELS: dict[str, str] = {
    KpiOutcome.MEETS_BOTH: N_("Meets both targets"),
    KpiOutcome.BELOW_TARGET: N_("Below a target"),
    KpiOutcome.INSUFFICIENT_DATA: N_("Insufficient data"),
    KpiOutcome.NOT_VERIFIED: N_("No verification"),
}


class StoredKpis(Frozen):
    """One accepted project's two programme KPIs as its stored verification has them (None: no verification)."""

    project_id: int
    productivity_change: Decimal | None = None  # Δ as a fraction: 0.25 is +25 %
    productivity_verdict: Verdict | None = None
    cost_change: Decimal | None = None  # Δ of operating cost per unit: −0.22 is a 22 % reduction
    cost_verdict: Verdict | None = None
    verification_id: int | None = None


class Bucket(Frozen):
    """Values v with lower ≤ v < upper, in percent; an open end is None."""

    lower: Decimal | None
    upper: Decimal | None
    count: int


class Histogram(Frozen):
    buckets: tuple[Bucket, ...]
    insufficient_data: int  # verifications with no verified value for this KPI


class KpiDistribution(Frozen):
    productivity_target_pct: Decimal
    cost_target_pct: Decimal
    accepted: int  # projects that passed acceptance
    outcomes: dict[KpiOutcome, int]
    meeting_productivity: int
    meeting_cost: int
    mean_productivity_gain_pct: Decimal | None  # over verified results, as the plan's "on average"
    mean_cost_reduction_pct: Decimal | None
    productivity_gain: Histogram  # gain in %
    cost_reduction: Histogram  # reduction in % (a rise in cost is negative)


def percent(change: Decimal) -> Decimal:
    return (change * HUNDRED).quantize(PERCENT_PLACES)


def verified_change(change: Decimal | None, verdict: Verdict | None) -> Decimal | None:
    """The Δ a stored verification verified, or None where it could not verify one."""
    if change is None or verdict is None or verdict is Verdict.INSUFFICIENT_DATA:
        return None
    return change


class KpiMeasure(StrEnum):
    PRODUCTIVITY_GAIN = "productivity_gain"
    COST_REDUCTION = "cost_reduction"


def kpi_value(kpis: StoredKpis, measure: KpiMeasure) -> Decimal | None:
    return productivity_gain_pct(kpis) if measure is KpiMeasure.PRODUCTIVITY_GAIN else cost_reduction_pct(kpis)


def productivity_gain_pct(kpis: StoredKpis) -> Decimal | None:
    change = verified_change(kpis.productivity_change, kpis.productivity_verdict)
    return None if change is None else percent(change)


def cost_reduction_pct(kpis: StoredKpis) -> Decimal | None:
    """Positive for a reduction: −Δ of operating cost per unit, in %."""
    change = verified_change(kpis.cost_change, kpis.cost_verdict)
    return None if change is None else percent(-change)


def kpi_outcome(kpis: StoredKpis, targets: EditionTargets) -> KpiOutcome:
    if kpis.verification_id is None:
        return KpiOutcome.NOT_VERIFIED
    gain, reduction = productivity_gain_pct(kpis), cost_reduction_pct(kpis)
    if gain is None or reduction is None:
        return KpiOutcome.INSUFFICIENT_DATA
    if gain >= targets.productivity_gain_pct and reduction >= targets.cost_reduction_pct:
        return KpiOutcome.MEETS_BOTH
    return KpiOutcome.BELOW_TARGET


def bucket_edges(target_pct: Decimal) -> tuple[Decimal, ...]:
    """Histogram edges around a target t: 0, t/2, t, 3t/2, 5t/2 (0, 10, 20, 30, 50 for the plan's 20 %), so that
    the target is always an edge and "meets" is a whole number of buckets."""
    edges = {Decimal(0), target_pct / 2, target_pct, target_pct * 3 / 2, target_pct * 5 / 2}
    return tuple(sorted(edge.quantize(PERCENT_PLACES) for edge in edges))


def in_bucket(value: Decimal, lower: Decimal | None, upper: Decimal | None) -> bool:
    return (lower is None or value >= lower) and (upper is None or value < upper)


def histogram(values: Sequence[Decimal | None], edges: Sequence[Decimal]) -> Histogram:
    """Counts of ``values`` between consecutive ``edges`` (lower inclusive), with open-ended first and last
    buckets; None values are counted as insufficient data."""
    known = [value for value in values if value is not None]
    buckets = tuple(
        Bucket(lower=lower, upper=upper, count=sum(1 for value in known if in_bucket(value, lower, upper)))
        for lower, upper in zip((None, *edges), (*edges, None), strict=True)
    )
    return Histogram(buckets=buckets, insufficient_data=len(values) - len(known))


def bucket_label(lower: Decimal | None, upper: Decimal | None) -> str:
    """ "< 0 %", "10 – 20 %", "≥ 50 %": the range a histogram bucket counts, its lower bound included."""

    def plain(value: Decimal) -> str:
        return f"{value.normalize():f}"

    if lower is None:
        return f"< {plain(upper or Decimal(0))} %"
    if upper is None:
        return f"≥ {plain(lower)} %"
    return f"{plain(lower)} – {plain(upper)} %"


def _mean(values: Iterable[Decimal | None]) -> Decimal | None:
    known = [value for value in values if value is not None]
    if not known:
        return None
    return (sum(known, Decimal(0)) / len(known)).quantize(PERCENT_PLACES)


def kpi_distribution(results: Sequence[StoredKpis], targets: EditionTargets) -> KpiDistribution:
    verified = [result for result in results if result.verification_id is not None]
    gains = [productivity_gain_pct(result) for result in verified]
    reductions = [cost_reduction_pct(result) for result in verified]
    outcomes = Counter(kpi_outcome(result, targets) for result in results)
    return KpiDistribution(
        productivity_target_pct=targets.productivity_gain_pct,
        cost_target_pct=targets.cost_reduction_pct,
        accepted=len(results),
        outcomes={outcome: outcomes.get(outcome, 0) for outcome in KpiOutcome},
        meeting_productivity=sum(1 for gain in gains if gain is not None and gain >= targets.productivity_gain_pct),
        meeting_cost=sum(1 for cut in reductions if cut is not None and cut >= targets.cost_reduction_pct),
        mean_productivity_gain_pct=_mean(gains),
        mean_cost_reduction_pct=_mean(reductions),
        productivity_gain=histogram(gains, bucket_edges(targets.productivity_gain_pct)),
        cost_reduction=histogram(reductions, bucket_edges(targets.cost_reduction_pct)),
    )

"""The programme cockpit's arithmetic: an edition's targets set against what the records measure. Pure, no I/O.

``service_cockpit`` gathers the counts (GROUP BY queries) into :class:`Measured`; ``assemble`` turns them and the
edition's :class:`EditionTargets` into the :class:`Cockpit` that the page, the JSON and the Excel export show.
The funnel counts a project at its stage and, cumulatively, at every funnel stage before it. KPI results are the
stored verifications' (never recomputed), judged against the edition's targets. See docs/programme-cockpit.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from zhizao.production.programme import Verdict
from zhizao.programme.editions import EditionTargets
from zhizao.programme.kinds import FUNNEL_STAGES, SMART_FACTORY_STAGES, District, Industry, ProjectStage
from zhizao.programme.models_community import SupportKind
from zhizao.ui.i18n import N_

# Stages of a project that is still on its way to recognition (applied … accepted).
PIPELINE_STAGES = frozenset(FUNNEL_STAGES) - SMART_FACTORY_STAGES
# Stages that have passed acceptance: their stored verification is what the KPI distribution reads.
ACCEPTED_STAGES = frozenset({ProjectStage.ACCEPTED}) | SMART_FACTORY_STAGES
CLOSED_STAGES = frozenset({ProjectStage.REJECTED, ProjectStage.WITHDRAWN})
SHARE_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetKey(StrEnum):
    SMART_FACTORIES = "smart_factories"
    BENCHMARK_FACTORIES = "benchmark_factories"
    ROBOTS = "robots"
    INTEGRATORS_OVER_1BN = "integrators_over_1bn"
    INTEGRATORS_OVER_10BN = "integrators_over_10bn"
    PLATFORMS = "platforms"
    PLATFORM_ENTERPRISES = "platform_enterprises"
    TRAINED_TALENT = "trained_talent"


TARGET_LABELS: dict[str, str] = {
    TargetKey.SMART_FACTORIES: N_("Smart factories recognised"),
    TargetKey.BENCHMARK_FACTORIES: N_("Benchmark factories"),
    TargetKey.ROBOTS: N_("Robots newly deployed"),
    TargetKey.INTEGRATORS_OVER_1BN: N_("Integrators with revenue over ¥1bn"),
    TargetKey.INTEGRATORS_OVER_10BN: N_("Integrators with revenue over ¥10bn"),
    TargetKey.PLATFORMS: N_("Vertical industrial-internet platforms"),
    TargetKey.PLATFORM_ENTERPRISES: N_("Enterprises served by the platforms"),
    TargetKey.TRAINED_TALENT: N_("Planners and consultants certified"),
}


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


# --- measurements (what service_cockpit reads from the records) --------------------------------------------


class StoredKpis(_Frozen):
    """One accepted project's two programme KPIs as its stored verification has them (None: no verification)."""

    project_id: int
    productivity_change: Decimal | None = None  # Δ as a fraction: 0.25 is +25 %
    productivity_verdict: Verdict | None = None
    cost_change: Decimal | None = None  # Δ of operating cost per unit: −0.22 is a 22 % reduction
    cost_verdict: Verdict | None = None
    verification_id: int | None = None


class Talent(_Frozen):
    """The edition's planners and consultants: enrolled ≥ completed ≥ certified ≥ selected as excellent."""

    enrolled: int
    completed: int
    certified: int  # counts towards the ``trained_talent`` target
    excellent: int


class Integrators(_Frozen):
    """Integrators listed in the directory, by their latest revenue up to the edition's last year."""

    over_1bn: int  # includes those over ¥10bn, as the plan's targets count them
    over_10bn: int
    listed: int


class SupportRow(_Frozen):
    kind: SupportKind
    measures: int
    amount_cny: Decimal


@dataclass(frozen=True, slots=True)
class Measured:
    """Everything the cockpit counts, as read from the records of one edition."""

    # (industry, stage) → number of projects
    projects: Mapping[tuple[Industry, ProjectStage], int]
    # (district, stage) → number of projects; district None where the enterprise has no programme record
    districts: Mapping[tuple[District | None, ProjectStage], int]
    robots_deployed: int
    robots_planned: int
    kpis: tuple[StoredKpis, ...]  # one per accepted project
    talent: Talent
    integrators: Integrators
    platforms: int  # vertical industrial-internet platforms registered
    platform_enterprises: int  # enterprises they serve
    support: Mapping[SupportKind, tuple[int, Decimal]]  # kind → (measures granted, amount in CNY)


# --- results -------------------------------------------------------------------------------------------------


class Progress(_Frozen):
    measured: int
    target: int
    share: Decimal | None  # measured / target, 4 places; None when the target is 0


class TargetRow(_Frozen):
    key: TargetKey
    progress: Progress


class IndustryRow(_Frozen):
    industry: Industry
    recognised: int  # recognised or benchmark
    in_pipeline: int  # applied … accepted
    quota: int
    share: Decimal | None  # recognised / quota
    benchmarks: int
    benchmark_quota: int
    benchmark_share: Decimal | None


class FunnelStep(_Frozen):
    stage: ProjectStage
    at_stage: int  # projects now at this stage
    reached: int  # projects at this stage or a later funnel stage


class DistrictRow(_Frozen):
    district: District | None
    smart_factories: int
    in_pipeline: int
    closed: int


class Bucket(_Frozen):
    """Values v with lower ≤ v < upper, in percent; an open end is None."""

    lower: Decimal | None
    upper: Decimal | None
    count: int


class Histogram(_Frozen):
    buckets: tuple[Bucket, ...]
    insufficient_data: int  # verifications with no verified value for this KPI


class KpiDistribution(_Frozen):
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


class EditionRef(_Frozen):
    id: int
    code: str
    name: str


class Cockpit(_Frozen):
    edition: EditionRef
    generated_at: datetime
    targets: tuple[TargetRow, ...]  # every target of the plan, in its order
    industries: tuple[IndustryRow, ...]
    funnel: tuple[FunnelStep, ...]
    closed: dict[ProjectStage, int]  # rejected, withdrawn
    districts: tuple[DistrictRow, ...]
    robots_planned: int
    kpis: KpiDistribution
    talent: Talent
    integrators_listed: int
    support: tuple[SupportRow, ...]  # every kind of support, in the enum's order


# --- arithmetic ----------------------------------------------------------------------------------------------


def share(measured: int, target: int) -> Decimal | None:
    if target <= 0:
        return None
    return (Decimal(measured) / Decimal(target)).quantize(SHARE_PLACES)


def progress(measured: int, target: int) -> Progress:
    return Progress(measured=measured, target=target, share=share(measured, target))


def funnel(at_stage: Mapping[ProjectStage, int]) -> tuple[FunnelStep, ...]:
    """Each funnel stage with its count and the cumulative count of projects that reached it."""
    steps: list[FunnelStep] = []
    reached = 0
    for stage in reversed(FUNNEL_STAGES):
        count = at_stage.get(stage, 0)
        reached += count
        steps.append(FunnelStep(stage=stage, at_stage=count, reached=reached))
    return tuple(reversed(steps))


def _stage_totals(projects: Mapping[tuple[Industry, ProjectStage], int]) -> Counter[ProjectStage]:
    totals: Counter[ProjectStage] = Counter()
    for (_industry, stage), count in projects.items():
        totals[stage] += count
    return totals


def industry_rows(
    projects: Mapping[tuple[Industry, ProjectStage], int], targets: EditionTargets
) -> tuple[IndustryRow, ...]:
    """One row per industry (every industry, in the enum's order), with its quota and benchmark quota."""

    def row(industry: Industry) -> IndustryRow:
        def count(stages: Iterable[ProjectStage]) -> int:
            return sum(projects.get((industry, stage), 0) for stage in stages)

        recognised, benchmarks = count(SMART_FACTORY_STAGES), count({ProjectStage.BENCHMARK})
        quota, benchmark_quota = targets.industry_quotas.get(industry, 0), targets.benchmark_quotas.get(industry, 0)
        return IndustryRow(
            industry=industry, recognised=recognised, in_pipeline=count(PIPELINE_STAGES), quota=quota,
            share=share(recognised, quota), benchmarks=benchmarks, benchmark_quota=benchmark_quota,
            benchmark_share=share(benchmarks, benchmark_quota),
        )  # fmt: skip

    return tuple(row(industry) for industry in Industry)


def district_rows(districts: Mapping[tuple[District | None, ProjectStage], int]) -> tuple[DistrictRow, ...]:
    """All 16 districts in order, then a row for projects whose enterprise has no district, if any."""

    def row(district: District | None) -> DistrictRow:
        def count(stages: Iterable[ProjectStage]) -> int:
            return sum(districts.get((district, stage), 0) for stage in stages)

        return DistrictRow(
            district=district,
            smart_factories=count(SMART_FACTORY_STAGES),
            in_pipeline=count(PIPELINE_STAGES),
            closed=count(CLOSED_STAGES),
        )

    rows = [row(district) for district in District]
    if any(district is None and count for (district, _stage), count in districts.items()):
        rows.append(row(None))
    return tuple(rows)


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


def target_rows(measured: Measured, targets: EditionTargets) -> tuple[TargetRow, ...]:
    stages = _stage_totals(measured.projects)
    counts = {
        TargetKey.SMART_FACTORIES: (sum(stages[s] for s in SMART_FACTORY_STAGES), targets.smart_factories),
        TargetKey.BENCHMARK_FACTORIES: (stages[ProjectStage.BENCHMARK], targets.benchmark_factories),
        TargetKey.ROBOTS: (measured.robots_deployed, targets.robots),
        TargetKey.INTEGRATORS_OVER_1BN: (measured.integrators.over_1bn, targets.integrators_over_1bn),
        TargetKey.INTEGRATORS_OVER_10BN: (measured.integrators.over_10bn, targets.integrators_over_10bn),
        TargetKey.PLATFORMS: (measured.platforms, targets.platforms),
        TargetKey.PLATFORM_ENTERPRISES: (measured.platform_enterprises, targets.platform_enterprises),
        TargetKey.TRAINED_TALENT: (measured.talent.certified, targets.trained_talent),
    }
    return tuple(TargetRow(key=key, progress=progress(*pair)) for key, pair in counts.items())


def support_rows(totals: Mapping[SupportKind, tuple[int, Decimal]]) -> Iterable[SupportRow]:
    for kind in SupportKind:
        count, amount = totals.get(kind, (0, Decimal(0)))
        yield SupportRow(kind=kind, measures=count, amount_cny=amount)


def assemble(edition: EditionRef, targets: EditionTargets, measured: Measured, *, generated_at: datetime) -> Cockpit:
    stages = _stage_totals(measured.projects)
    return Cockpit(
        edition=edition,
        generated_at=generated_at,
        targets=target_rows(measured, targets),
        industries=industry_rows(measured.projects, targets),
        funnel=funnel(stages),
        closed={stage: stages[stage] for stage in (ProjectStage.REJECTED, ProjectStage.WITHDRAWN)},
        districts=district_rows(measured.districts),
        robots_planned=measured.robots_planned,
        kpis=kpi_distribution(measured.kpis, targets),
        talent=measured.talent,
        integrators_listed=measured.integrators.listed,
        support=tuple(support_rows(measured.support)),
    )

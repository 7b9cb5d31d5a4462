"""The programme cockpit's arithmetic: an edition's targets set against what the records measure. Pure, no I/O.

``service_cockpit`` gathers the counts (GROUP BY queries) into :class:`Measured`; ``assemble`` turns them and the
edition's :class:`EditionTargets` into the :class:`Cockpit` that the page, the JSON and the Excel export show.
The funnel counts a project at its stage and, cumulatively, at every funnel stage before it. KPI results are the
stored verifications' (never recomputed), judged against the edition's targets by ``cockpit_kpis``. See
docs/programme-cockpit.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from zhizao.programme.cockpit_kpis import Frozen, KpiDistribution, StoredKpis, kpi_distribution
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


# --- measurements (what service_cockpit reads from the records) --------------------------------------------


class Talent(Frozen):
    """The edition's planners and consultants: enrolled ≥ completed ≥ certified ≥ selected as excellent."""

    enrolled: int
    completed: int
    certified: int  # counts towards the ``trained_talent`` target
    excellent: int


class Integrators(Frozen):
    """Integrators listed in the directory, by their latest revenue up to the edition's last year."""

    over_1bn: int  # includes those over ¥10bn, as the plan's targets count them
    over_10bn: int
    listed: int


class SupportRow(Frozen):
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


class Progress(Frozen):
    measured: int
    target: int
    share: Decimal | None  # measured / target, 4 places; None when the target is 0


class TargetRow(Frozen):
    key: TargetKey
    progress: Progress


class IndustryRow(Frozen):
    industry: Industry
    recognised: int  # recognised or benchmark
    in_pipeline: int  # applied … accepted
    quota: int
    share: Decimal | None  # recognised / quota
    benchmarks: int
    benchmark_quota: int
    benchmark_share: Decimal | None


class FunnelStep(Frozen):
    stage: ProjectStage
    at_stage: int  # projects now at this stage
    reached: int  # projects at this stage or a later funnel stage


class DistrictRow(Frozen):
    district: District | None
    smart_factories: int
    in_pipeline: int
    closed: int


class EditionRef(Frozen):
    id: int
    code: str
    name: str


class Cockpit(Frozen):
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

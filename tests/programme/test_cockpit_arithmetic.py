"""The cockpit's pure arithmetic, each case worked out by hand: progress shares, quota rows, the cumulative funnel,
the district breakdown and the KPI distribution of accepted factories."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from zhizao.production.programme import Verdict
from zhizao.programme import cockpit, cockpit_kpis
from zhizao.programme.cockpit import EditionRef, Integrators, Measured, Talent, TargetKey
from zhizao.programme.cockpit_kpis import Bucket, KpiOutcome, StoredKpis
from zhizao.programme.editions import load_definition
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.programme.models_community import SupportKind

TARGETS = load_definition().targets  # the plan's: 100 factories, automotive 20 (benchmarks 3), +20 % / −20 %
S = ProjectStage


def test_share_is_measured_over_target_and_none_without_a_target() -> None:
    assert cockpit.share(37, 100) == Decimal("0.3700")
    assert cockpit.share(1, 3) == Decimal("0.3333")
    assert cockpit.share(12, 10) == Decimal("1.2000")  # over-achievement is shown, not capped
    assert cockpit.share(5, 0) is None


def test_funnel_counts_each_project_at_its_stage_and_every_stage_before_it() -> None:
    # 5 applied, 4 diagnosed, 0 plan approved, 3 in construction, 2 accepted, 6 recognised, 1 benchmark:
    # reached(benchmark) = 1, recognised = 6 + 1 = 7, accepted = 2 + 7 = 9, in construction = 3 + 9 = 12,
    # plan approved = 0 + 12 = 12, diagnosed = 4 + 12 = 16, applied = 5 + 16 = 21.
    at_stage = {S.APPLIED: 5, S.DIAGNOSED: 4, S.IN_CONSTRUCTION: 3, S.ACCEPTED: 2, S.RECOGNISED: 6, S.BENCHMARK: 1}
    steps = cockpit.funnel({**at_stage, S.REJECTED: 9, S.WITHDRAWN: 2})
    assert [step.stage for step in steps] == list(cockpit.FUNNEL_STAGES)
    assert [step.at_stage for step in steps] == [5, 4, 0, 3, 2, 6, 1]
    assert [step.reached for step in steps] == [21, 16, 12, 12, 9, 7, 1]


def test_industry_rows_split_recognised_pipeline_and_benchmarks_against_the_quotas() -> None:
    projects = {
        (Industry.AUTOMOTIVE, S.RECOGNISED): 4,
        (Industry.AUTOMOTIVE, S.BENCHMARK): 1,
        (Industry.AUTOMOTIVE, S.APPLIED): 2,
        (Industry.AUTOMOTIVE, S.ACCEPTED): 3,
        (Industry.AUTOMOTIVE, S.REJECTED): 7,
        (Industry.FMCG_ENVIRONMENTAL, S.BENCHMARK): 1,
    }
    rows = {row.industry: row for row in cockpit.industry_rows(projects, TARGETS)}
    assert list(rows) == list(Industry)
    automotive = rows[Industry.AUTOMOTIVE]
    assert (automotive.recognised, automotive.in_pipeline, automotive.quota) == (5, 5, 20)
    assert automotive.share == Decimal("0.2500")  # 5 / 20
    assert (automotive.benchmarks, automotive.benchmark_quota, automotive.benchmark_share) == (1, 3, Decimal("0.3333"))
    # FMCG has a smart-factory quota of 10 but no benchmark quota: its benchmark shows with no share.
    fmcg = rows[Industry.FMCG_ENVIRONMENTAL]
    assert (fmcg.recognised, fmcg.benchmarks, fmcg.benchmark_quota, fmcg.benchmark_share) == (1, 1, 0, None)
    assert rows[Industry.AEROSPACE].recognised == 0 and rows[Industry.AEROSPACE].share == Decimal(0)


def test_district_rows_list_all_sixteen_districts_and_projects_without_one() -> None:
    rows = cockpit.district_rows({(District.PUDONG, S.RECOGNISED): 2, (District.PUDONG, S.DIAGNOSED): 1})
    assert len(rows) == 16 and rows[0].district is District.HUANGPU
    pudong = next(row for row in rows if row.district is District.PUDONG)
    assert (pudong.smart_factories, pudong.in_pipeline, pudong.closed) == (2, 1, 0)
    with_unknown = cockpit.district_rows({(None, S.WITHDRAWN): 1})
    assert len(with_unknown) == 17 and with_unknown[-1].district is None and with_unknown[-1].closed == 1


def kpis(gain: str | None, cost: str | None, *, verdicts: Verdict = Verdict.MEETS, project_id: int = 1) -> StoredKpis:
    return StoredKpis(
        project_id=project_id,
        verification_id=project_id,
        productivity_change=None if gain is None else Decimal(gain),
        productivity_verdict=Verdict.INSUFFICIENT_DATA if gain is None else verdicts,
        cost_change=None if cost is None else Decimal(cost),
        cost_verdict=Verdict.INSUFFICIENT_DATA if cost is None else verdicts,
    )


def test_kpi_outcome_sets_the_stored_changes_against_the_editions_targets() -> None:
    assert cockpit_kpis.kpi_outcome(kpis("0.20", "-0.20"), TARGETS) is KpiOutcome.MEETS_BOTH  # exactly at both targets
    assert cockpit_kpis.kpi_outcome(kpis("0.35", "-0.19"), TARGETS) is KpiOutcome.BELOW_TARGET
    assert cockpit_kpis.kpi_outcome(kpis("0.19", "-0.40"), TARGETS) is KpiOutcome.BELOW_TARGET
    assert cockpit_kpis.kpi_outcome(kpis("0.25", None), TARGETS) is KpiOutcome.INSUFFICIENT_DATA
    assert cockpit_kpis.kpi_outcome(StoredKpis(project_id=1), TARGETS) is KpiOutcome.NOT_VERIFIED
    # A Δ stored beside an "insufficient data" verdict (e.g. low telemetry coverage) is not a verified Δ.
    low_coverage = kpis("0.30", "-0.30", verdicts=Verdict.INSUFFICIENT_DATA)
    assert cockpit_kpis.kpi_outcome(low_coverage, TARGETS) is KpiOutcome.INSUFFICIENT_DATA
    # An edition that asks for +25 % judges the same stored +20 % differently.
    stricter = TARGETS.model_copy(update={"productivity_gain_pct": Decimal(25)})
    assert cockpit_kpis.kpi_outcome(kpis("0.20", "-0.20"), stricter) is KpiOutcome.BELOW_TARGET


def test_bucket_edges_put_the_target_on_an_edge() -> None:
    assert cockpit_kpis.bucket_edges(Decimal(20)) == tuple(Decimal(v) for v in (0, 10, 20, 30, 50))
    assert cockpit_kpis.bucket_edges(Decimal(25)) == tuple(Decimal(v) for v in ("0", "12.5", "25", "37.5", "62.5"))
    assert cockpit_kpis.bucket_edges(Decimal(0)) == (Decimal(0),)


def test_bucket_labels_name_the_range_each_bucket_counts() -> None:
    assert cockpit_kpis.bucket_label(None, Decimal("0.00")) == "< 0 %"
    assert cockpit_kpis.bucket_label(Decimal("12.50"), Decimal("25.00")) == "12.5 – 25 %"
    assert cockpit_kpis.bucket_label(Decimal("50.00"), None) == "≥ 50 %"


def test_histogram_counts_lower_edges_inclusive_with_open_ends_and_insufficient_data() -> None:
    edges = cockpit_kpis.bucket_edges(Decimal(20))
    values = [Decimal(v) for v in ("-5", "0", "9.99", "10", "20", "29.99", "50", "120")] + [None, None]
    result = cockpit_kpis.histogram(values, edges)
    assert result.buckets == (
        Bucket(lower=None, upper=Decimal(0), count=1),
        Bucket(lower=Decimal(0), upper=Decimal(10), count=2),
        Bucket(lower=Decimal(10), upper=Decimal(20), count=1),
        Bucket(lower=Decimal(20), upper=Decimal(30), count=2),
        Bucket(lower=Decimal(30), upper=Decimal(50), count=0),
        Bucket(lower=Decimal(50), upper=None, count=2),
    )
    assert result.insufficient_data == 2


def test_kpi_distribution_of_accepted_factories() -> None:
    results = [
        kpis("0.25", "-0.22", project_id=1),  # +25 %, −22 %: meets both
        kpis("0.20", "-0.10", project_id=2),  # +20 % meets, −10 % does not
        kpis("0.05", "0.04", project_id=3),  # +5 %, cost up 4 %
        kpis(None, "-0.30", project_id=4),  # productivity not verifiable
        StoredKpis(project_id=5),  # accepted without a verification
    ]
    distribution = cockpit_kpis.kpi_distribution(results, TARGETS)
    assert distribution.accepted == 5
    assert distribution.outcomes == {
        KpiOutcome.MEETS_BOTH: 1,
        KpiOutcome.BELOW_TARGET: 2,
        KpiOutcome.INSUFFICIENT_DATA: 1,
        KpiOutcome.NOT_VERIFIED: 1,
    }
    assert (distribution.meeting_productivity, distribution.meeting_cost) == (2, 2)  # cost: −22 % and −30 %
    # Means over the verified values: (25 + 20 + 5) / 3 = 16.67; (22 + 10 − 4 + 30) / 4 = 14.5.
    assert distribution.mean_productivity_gain_pct == Decimal("16.67")
    assert distribution.mean_cost_reduction_pct == Decimal("14.50")
    assert [bucket.count for bucket in distribution.productivity_gain.buckets] == [0, 1, 0, 2, 0, 0]
    assert distribution.productivity_gain.insufficient_data == 1  # the unverified project is not in the histogram
    assert [bucket.count for bucket in distribution.cost_reduction.buckets] == [1, 0, 1, 1, 1, 0]


def test_assemble_sets_every_target_against_its_measurement() -> None:
    measured = Measured(
        projects={(Industry.AUTOMOTIVE, S.RECOGNISED): 3, (Industry.ELECTRONICS, S.BENCHMARK): 2,
                  (Industry.ELECTRONICS, S.IN_CONSTRUCTION): 4, (Industry.AEROSPACE, S.WITHDRAWN): 1},
        districts={(District.JIADING, S.RECOGNISED): 3},
        robots_deployed=2500,
        robots_planned=4000,
        kpis=(),
        talent=Talent(enrolled=80, completed=60, certified=50, excellent=5),
        integrators=Integrators(over_1bn=4, over_10bn=1, listed=9),
        platforms=3,
        platform_enterprises=2500,
        support={SupportKind.LOAN: (2, Decimal("5000000.00"))},
    )  # fmt: skip
    result = cockpit.assemble(
        EditionRef(id=1, code="2020-2022", name="x"), TARGETS, measured, generated_at=datetime(2022, 1, 1, tzinfo=UTC)
    )
    progress = {row.key: row.progress for row in result.targets}
    assert progress[TargetKey.SMART_FACTORIES].measured == 5 and progress[TargetKey.SMART_FACTORIES].target == 100
    assert progress[TargetKey.BENCHMARK_FACTORIES].share == Decimal("0.2000")  # 2 / 10
    assert progress[TargetKey.ROBOTS].share == Decimal("0.2500")  # 2500 / 10 000
    assert progress[TargetKey.TRAINED_TALENT] == cockpit.Progress(measured=50, target=200, share=Decimal("0.25"))
    assert (progress[TargetKey.INTEGRATORS_OVER_1BN].measured, progress[TargetKey.INTEGRATORS_OVER_10BN].measured) == (
        4,
        1,
    )
    assert progress[TargetKey.PLATFORM_ENTERPRISES].share == Decimal("0.2500")  # 2500 / 10 000
    assert list(progress) == list(TargetKey)  # every target of the plan, in its order
    support = {row.kind: (row.measures, row.amount_cny) for row in result.support}
    assert list(support) == list(SupportKind) and support[SupportKind.LOAN] == (2, Decimal("5000000.00"))
    assert support[SupportKind.SUBSIDY] == (0, Decimal(0))
    assert result.closed == {S.REJECTED: 0, S.WITHDRAWN: 1}
    assert result.funnel[0].reached == 9  # 3 + 2 + 4; the withdrawn one is not in the funnel
    assert result.kpis.accepted == 0 and result.kpis.mean_productivity_gain_pct is None

"""The directory's pure rules, table-driven: the status lifecycle, the listing criteria, revenue bands and the
cockpit's counts, and the ranking of integrators against a factory's gaps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhizao.errors import Conflict
from zhizao.production.programme import Verdict
from zhizao.programme.directory import (
    Candidate,
    Criterion,
    IntegratorStatus,
    RevenueBand,
    ReviewDecision,
    after_update,
    band_at_least,
    check_criteria,
    count_bands,
    decisions_from,
    latest_revenue,
    next_status,
    rank_integrators,
    revenue_band,
    verified,
)
from zhizao.programme.editions import DirectoryRules, load_definition
from zhizao.programme.kinds import Industry

S, D = IntegratorStatus, ReviewDecision
BN = Decimal(1_000_000_000)


@pytest.mark.parametrize(
    ("status", "decision", "expected"),
    [
        (S.APPLIED, D.LIST, S.LISTED),
        (S.APPLIED, D.REJECT, S.REJECTED),
        (S.APPLIED, D.SUSPEND, None),
        (S.LISTED, D.SUSPEND, S.SUSPENDED),
        (S.LISTED, D.LIST, None),
        (S.LISTED, D.REJECT, None),
        (S.SUSPENDED, D.LIST, S.LISTED),
        (S.SUSPENDED, D.REJECT, S.REJECTED),
        (S.REJECTED, D.LIST, None),  # a rejected integrator comes back by resubmitting
        (S.REJECTED, D.SUSPEND, None),
    ],
)
def test_review_transitions(
    status: IntegratorStatus, decision: ReviewDecision, expected: IntegratorStatus | None
) -> None:
    if expected is None:
        with pytest.raises(Conflict, match=f"{status.value} cannot be given the decision {decision.value}"):
            next_status(status, decision)
        assert decision not in decisions_from(status)
    else:
        assert next_status(status, decision) is expected
        assert decision in decisions_from(status)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(S.REJECTED, S.APPLIED), (S.APPLIED, S.APPLIED), (S.LISTED, S.LISTED), (S.SUSPENDED, S.SUSPENDED)],
)
def test_an_integrators_own_update_resubmits_only_a_rejected_application(
    status: IntegratorStatus, expected: IntegratorStatus
) -> None:
    assert after_update(status) is expected


RULES = DirectoryRules(min_annual_revenue_cny=Decimal(100_000_000), min_delivered_projects=1)


@pytest.mark.parametrize(
    ("revenues", "delivered", "revenue_met", "projects_met", "judged_year"),
    [
        ({2022: Decimal(100_000_000)}, 1, True, True, 2022),  # exactly the minimum meets it
        ({2022: Decimal("99999999.99")}, 1, False, True, 2022),
        ({2021: 5 * BN, 2022: Decimal(50_000_000)}, 3, False, True, 2022),  # the latest year counts, not the best
        ({2021: Decimal(50_000_000), 2022: BN}, 0, True, False, 2022),
        ({}, 2, False, True, None),  # nothing reported meets no revenue criterion
    ],
)
def test_listing_criteria(
    revenues: dict[int, Decimal], delivered: int, revenue_met: bool, projects_met: bool, judged_year: int | None
) -> None:
    check = check_criteria(RULES, revenues, delivered)
    met = {result.criterion: result.met for result in check.results}
    assert met == {Criterion.ANNUAL_REVENUE: revenue_met, Criterion.DELIVERED_PROJECTS: projects_met}
    assert check.met is (revenue_met and projects_met)
    assert check.revenue_year == judged_year
    assert check.unmet == [criterion for criterion, ok in met.items() if not ok]


def test_the_bundled_edition_asks_for_100_million_and_one_delivered_project() -> None:
    rules = load_definition().rules.directory
    assert check_criteria(rules, {2021: Decimal(100_000_000)}, 1).met
    assert not check_criteria(rules, {2021: Decimal(100_000_000)}, 0).met


@pytest.mark.parametrize(
    ("revenue", "band"),
    [
        (None, None),
        (Decimal(0), RevenueBand.UNDER_1BN),
        (BN, RevenueBand.UNDER_1BN),  # "over ¥1bn" (超过10亿元) is strict
        (BN + Decimal("0.01"), RevenueBand.OVER_1BN),
        (10 * BN, RevenueBand.OVER_1BN),
        (10 * BN + 1, RevenueBand.OVER_10BN),
    ],
)
def test_revenue_bands(revenue: Decimal | None, band: RevenueBand | None) -> None:
    assert revenue_band(revenue) is band


@pytest.mark.parametrize(
    ("band", "minimum", "expected"),
    [
        (RevenueBand.OVER_10BN, RevenueBand.OVER_1BN, True),
        (RevenueBand.OVER_1BN, RevenueBand.OVER_1BN, True),
        (RevenueBand.UNDER_1BN, RevenueBand.OVER_1BN, False),
        (None, RevenueBand.UNDER_1BN, False),
    ],
)
def test_band_at_least(band: RevenueBand | None, minimum: RevenueBand, expected: bool) -> None:
    assert band_at_least(band, minimum) is expected


def test_counts_put_those_over_10bn_among_those_over_1bn_too() -> None:
    counts = count_bands([20 * BN, 2 * BN, BN, None, Decimal(5)])
    assert (counts.over_1bn, counts.over_10bn, counts.listed) == (2, 1, 5)


def test_latest_revenue_up_to_a_year() -> None:
    revenues = {2020: BN, 2022: 2 * BN, 2024: 3 * BN}
    assert latest_revenue(revenues) == (2024, 3 * BN)
    assert latest_revenue(revenues, 2023) == (2022, 2 * BN)
    assert latest_revenue(revenues, 2019) is None


@pytest.mark.parametrize(
    ("productivity", "cost", "expected"),
    [
        (Verdict.MEETS, Verdict.MEETS, True),
        (Verdict.MEETS, Verdict.DOES_NOT_MEET, False),
        (Verdict.INSUFFICIENT_DATA, Verdict.MEETS, False),
        (None, None, False),
    ],
)
def test_a_project_is_verified_when_both_targets_are_met(
    productivity: Verdict | None, cost: Verdict | None, expected: bool
) -> None:
    assert verified(productivity, cost) is expected


AUTO = frozenset({Industry.AUTOMOTIVE})
GAPS = {
    "production.planning": frozenset({"aps", "mes"}),
    "equipment": frozenset({"eam"}),
    "data": frozenset({"data_platform"}),
}


def candidate(
    integrator_id: int, capabilities: set[str], industries: frozenset[Industry] = frozenset(), verified: int = 0
) -> Candidate:
    return Candidate(integrator_id, f"集成商{integrator_id}", frozenset(capabilities), industries, verified)


def test_ranking_covers_most_gaps_then_serves_the_industry_then_has_verified_projects() -> None:
    candidates = [
        candidate(1, {"mes"}, AUTO, verified=9),  # one gap, serves the industry
        candidate(2, {"mes", "eam"}),  # two gaps
        candidate(3, {"aps"}, verified=5),  # one gap, not the industry, more verified projects
        candidate(4, {"aps"}, verified=1),
        candidate(5, {"crm"}, AUTO, verified=20),  # covers no gap: left out
        candidate(6, {"mes", "aps"}, AUTO),  # two keys of one sub-domain count once
    ]
    ranked = rank_integrators(GAPS, Industry.AUTOMOTIVE, candidates)
    assert [match.candidate.integrator_id for match in ranked] == [2, 1, 6, 3, 4]
    assert ranked[0].covered_subdomains == ("equipment", "production.planning")
    assert [match.serves_industry for match in ranked] == [False, True, True, False, False]


def test_ranking_without_a_known_industry_or_gaps() -> None:
    ranked = rank_integrators(GAPS, None, [candidate(1, {"eam"}, AUTO), candidate(2, {"eam"}, verified=1)])
    assert [match.candidate.integrator_id for match in ranked] == [2, 1]
    assert rank_integrators({}, Industry.AUTOMOTIVE, [candidate(1, {"eam"})]) == []

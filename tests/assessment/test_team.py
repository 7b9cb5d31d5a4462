"""Team proposals and checks: conflict of interest, industry, availability, size, workload balance."""

from __future__ import annotations

import itertools

import pytest

from zhizao.assessment.team import (
    DiagnosisNeeds,
    Expert,
    NoValidTeam,
    TeamRule,
    check_team,
    propose_team,
)

ENTERPRISE, INTEGRATOR, COMPETITOR, UNIVERSITY = 100, 200, 300, 400
NEEDS = DiagnosisNeeds(
    enterprise_id=ENTERPRISE,
    industry="汽车",
    integrator_ids=frozenset({INTEGRATOR}),
    competitor_ids=frozenset({COMPETITOR}),
    region="嘉定区",
)


def expert(
    expert_id: int,
    *industries: str,
    employer: int | None = None,
    workload: int = 0,
    available: bool = True,
    region: str | None = None,
) -> Expert:
    return Expert(
        id=expert_id,
        industries=frozenset(industries),
        employer_id=employer,
        workload=workload,
        available=available,
        region=region,
    )


def test_the_least_loaded_eligible_experts_with_one_from_the_industry() -> None:
    pool = [
        expert(1, "电子信息", workload=0),
        expert(2, "汽车", workload=3),
        expert(3, "汽车", workload=1),
        expert(4, "生物医药", workload=0),
        expert(5, "高端装备", workload=2),
    ]
    assert propose_team(pool, NEEDS).expert_ids == (3, 1)
    assert propose_team(pool, DiagnosisNeeds(enterprise_id=ENTERPRISE, industry="汽车", team_size=3)).expert_ids == (
        3,
        1,
        4,
    )


def test_the_industry_expert_is_added_when_the_least_loaded_lack_the_industry() -> None:
    pool = [expert(1, "电子信息"), expert(2, "航空航天"), expert(3, "汽车", workload=5), expert(4, "汽车", workload=7)]
    assert propose_team(pool, NEEDS).expert_ids == (3, 1)


@pytest.mark.parametrize(
    ("employer", "rule"),
    [
        (ENTERPRISE, TeamRule.EMPLOYED_BY_ENTERPRISE),
        (INTEGRATOR, TeamRule.EMPLOYED_BY_INTEGRATOR),
        (COMPETITOR, TeamRule.EMPLOYED_BY_COMPETITOR),
    ],
)
def test_conflicted_experts_are_never_proposed(employer: int, rule: TeamRule) -> None:
    pool = [expert(1, "汽车", employer=employer), expert(2, "汽车", workload=4), expert(3, "电子信息", workload=4)]
    proposal = propose_team(pool, NEEDS)
    assert 1 not in proposal.expert_ids
    assert proposal.excluded == {1: rule}
    violations = check_team(pool, NEEDS, [1, 2])
    assert [(violation.rule, violation.expert_id) for violation in violations] == [(rule, 1)]


def test_unavailable_experts_are_not_proposed() -> None:
    pool = [expert(1, "汽车", available=False), expert(2, "汽车", workload=9), expert(3, "电子信息", workload=9)]
    assert propose_team(pool, NEEDS).expert_ids == (2, 3)
    assert [violation.rule for violation in check_team(pool, NEEDS, [1, 3])] == [TeamRule.UNAVAILABLE]


def test_independent_experts_and_other_employers_are_fine() -> None:
    pool = [expert(1, "汽车", employer=UNIVERSITY), expert(2, "电子信息")]
    assert propose_team(pool, NEEDS).expert_ids == (1, 2)
    assert check_team(pool, NEEDS, [1, 2]) == []


def test_ties_go_to_the_enterprises_region_then_to_the_lower_id() -> None:
    pool = [
        expert(5, "汽车", workload=1, region="浦东新区"),
        expert(4, "汽车", workload=1, region="嘉定区"),
        expert(9, "电子信息", workload=1),
        expert(7, "电子信息", workload=1),
    ]
    assert propose_team(pool, NEEDS).expert_ids == (4, 5)
    assert propose_team(list(reversed(pool)), NEEDS).expert_ids == (4, 5)
    no_region = DiagnosisNeeds(enterprise_id=ENTERPRISE, industry="汽车", team_size=3)
    assert propose_team(pool, no_region).expert_ids == (4, 5, 7)


def test_the_proposal_has_the_least_total_workload_of_all_valid_teams() -> None:
    pool = [
        expert(n, "汽车" if n % 3 == 0 else "电子信息", workload=(n * 7) % 5, employer=COMPETITOR if n == 6 else None)
        for n in range(1, 11)
    ]
    for size in (2, 3, 4):
        needs = DiagnosisNeeds(
            enterprise_id=ENTERPRISE, industry="汽车", competitor_ids=frozenset({COMPETITOR}), team_size=size
        )
        proposal = propose_team(pool, needs)
        assert check_team(pool, needs, proposal.expert_ids) == []
        by_id = {member.id: member for member in pool}
        valid = [team for team in itertools.combinations(by_id, size) if not check_team(pool, needs, team)]
        best = min(sum(by_id[i].workload for i in team) for team in valid)
        assert sum(by_id[i].workload for i in proposal.expert_ids) == best


def test_no_expert_with_the_industry_says_so_and_why() -> None:
    pool = [
        expert(1, "汽车", employer=INTEGRATOR),
        expert(2, "汽车", available=False),
        expert(3, "电子信息"),
        expert(4, "生物医药"),
    ]
    with pytest.raises(NoValidTeam) as caught:
        propose_team(pool, NEEDS)
    assert caught.value.rule is TeamRule.INDUSTRY
    assert caught.value.message == (
        "no eligible expert covers the industry '汽车'; 2 who do are excluded "
        "(excluded: 1 employed by its integrator, 1 unavailable)"
    )


def test_too_few_eligible_experts_says_so_and_why() -> None:
    pool = [expert(1, "汽车", employer=ENTERPRISE), expert(2, "汽车"), expert(3, "汽车", employer=COMPETITOR)]
    with pytest.raises(NoValidTeam) as caught:
        propose_team(pool, NEEDS)
    assert caught.value.rule is TeamRule.TEAM_SIZE
    assert "needs 2 experts but only 1 in the pool are eligible" in caught.value.message
    assert "1 employed by the enterprise, 1 employed by a listed competitor" in caught.value.message


def test_a_team_size_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        DiagnosisNeeds(enterprise_id=ENTERPRISE, industry="汽车", team_size=1)


def test_check_team_lists_every_violation() -> None:
    pool = [expert(1, "电子信息", employer=ENTERPRISE), expert(2, "电子信息")]
    violations = check_team(pool, NEEDS, [1, 1, 99])
    assert [(violation.rule, violation.expert_id) for violation in violations] == [
        (TeamRule.EMPLOYED_BY_ENTERPRISE, 1),
        (TeamRule.DUPLICATE_EXPERT, 1),
        (TeamRule.UNKNOWN_EXPERT, 99),
        (TeamRule.TEAM_SIZE, None),
        (TeamRule.INDUSTRY, None),
    ]
    assert violations[-1].message == "nobody on the team covers the industry '汽车'"


def test_a_pool_listing_an_expert_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"expert\(s\) \[1\]"):
        propose_team([expert(1, "汽车"), expert(1, "汽车")], NEEDS)

"""Benchmark ranking, pure and table-driven: eligibility, the order (level, then verified results, then the earlier
recognition), ties, and the quota arithmetic."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from zhizao.programme.benchmark import Candidate, designated_count, ineligibility, quota_left, rank, score
from zhizao.programme.editions import BenchmarkRules
from zhizao.programme.kinds import ProjectStage

RULES = BenchmarkRules(min_maturity_level=3)
BASE = Candidate(
    project_id=1,
    stage=ProjectStage.RECOGNISED,
    maturity_level=3,
    productivity_verdict="meets",
    cost_verdict="meets",
    productivity_change=Decimal("0.25"),
    cost_change=Decimal("-0.22"),
    recognised_on=date(2022, 3, 1),
)


def candidate(project_id: int, **changes: object) -> Candidate:
    return replace(BASE, project_id=project_id, **changes)  # type: ignore[arg-type]


def test_score_is_productivity_gain_plus_cost_reduction_in_points() -> None:
    assert score(BASE) == Decimal("47.00")
    assert score(candidate(2, cost_change=None)) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"stage": ProjectStage.ACCEPTED}, "the project is accepted, not a recognised smart factory"),
        ({"maturity_level": 2}, "maturity level 2 is below the minimum 3"),
        ({"maturity_level": None}, "no maturity level is known"),
        ({"productivity_verdict": None, "cost_verdict": None}, "no KPI verification is stored for the project"),
        ({"productivity_verdict": "does_not_meet"}, "the verified productivity verdict is does_not_meet, not meets"),
        ({"cost_verdict": "insufficient_data"}, "the verified cost verdict is insufficient_data, not meets"),
    ],
)
def test_each_unmet_criterion_makes_a_project_ineligible(changes: dict[str, object], reason: str) -> None:
    assert ineligibility(candidate(1, **changes), RULES) == (reason,)


def test_recognised_and_designated_projects_that_meet_everything_are_eligible() -> None:
    assert ineligibility(BASE, RULES) == ()
    assert ineligibility(candidate(1, stage=ProjectStage.BENCHMARK), RULES) == ()


@pytest.mark.parametrize(
    ("candidates", "order"),
    [
        # A higher level ranks first, whatever the verified results.
        ([candidate(1, maturity_level=3, productivity_change=Decimal("0.9")), candidate(2, maturity_level=4)], [2, 1]),
        # Same level: the larger verified result ranks first.
        ([candidate(1), candidate(2, cost_change=Decimal("-0.30"))], [2, 1]),
        # Productivity and cost add up: +30 % / −20 % (50) beats +25 % / −22 % (47).
        ([candidate(1), candidate(2, productivity_change=Decimal("0.30"), cost_change=Decimal("-0.20"))], [2, 1]),
        # Same level and score: the earlier recognition ranks first.
        ([candidate(1, recognised_on=date(2022, 5, 1)), candidate(2, recognised_on=date(2021, 12, 1))], [2, 1]),
        # A tie on everything: the lower project id, so that the order never depends on the input's.
        ([candidate(7), candidate(3)], [3, 7]),
        # Unknown recognition dates go after known ones.
        ([candidate(1, recognised_on=None), candidate(2)], [2, 1]),
    ],
    ids=["level-first", "score", "points-add-up", "earlier-recognition", "project-id", "undated-last"],
)
def test_ranking_order(candidates: list[Candidate], order: list[int]) -> None:
    ranked = rank(candidates, RULES)
    assert [r.candidate.project_id for r in ranked] == order
    assert [r.rank for r in ranked] == list(range(1, len(order) + 1))


def test_scores_compare_exactly_not_rounded() -> None:
    close = candidate(2, productivity_change=Decimal("0.2500001"))
    assert [r.candidate.project_id for r in rank([BASE, close], RULES)] == [2, 1]


def test_ineligible_projects_follow_unranked_with_their_reasons() -> None:
    ranked = rank([candidate(5, maturity_level=2), candidate(9), candidate(4, cost_verdict="does_not_meet")], RULES)
    assert [(r.candidate.project_id, r.rank) for r in ranked] == [(9, 1), (4, None), (5, None)]
    assert ranked[1].reasons == ("the verified cost verdict is does_not_meet, not meets",)
    assert ranked[2].score == Decimal("47.00")  # shown, though it does not rank


@pytest.mark.parametrize(("quota", "designated", "left"), [(3, 0, 3), (3, 2, 1), (3, 3, 0), (1, 2, 0), (0, 0, 0)])
def test_quota_left(quota: int, designated: int, left: int) -> None:
    assert quota_left(quota, designated) == left


def test_designated_projects_count_against_the_quota() -> None:
    candidates = [candidate(1, stage=ProjectStage.BENCHMARK), candidate(2), candidate(3, stage=ProjectStage.BENCHMARK)]
    assert designated_count(candidates) == 2

"""Gap analysis: the fewest items to the next level (checked against brute force), roadmap order, integrators."""

from __future__ import annotations

import itertools
import random

import pytest

from tests.assessment.test_scoring import DISCRETE
from tests.assessment.toy import sheet, toy_model
from zhizao.assessment.gaps import Integrator, analyse_gaps
from zhizao.assessment.scoring import score
from zhizao.errors import InputError

MODEL = toy_model()
INTEGRATORS = [
    Integrator(1, "甲 MES 集成商", frozenset({"mes"})),
    Integrator(2, "乙 智能制造", frozenset({"aps", "mes"})),
    Integrator(3, "丙 咨询", frozenset({"strategy_consulting"})),
]


def test_one_item_closes_the_gap_when_its_gain_covers_the_deficit() -> None:
    # Level 4 (discrete) scores 0.635; coefficients org 0.4, plan 0.6·0.25 = 0.15, ops 0.6·0.75 = 0.45, so the
    # gains are org 0.4·0.5 = 0.2, plan 0.15·0.5 = 0.075, ops 0.45·0.2 = 0.09 against a deficit of 0.165.
    plan = analyse_gaps(MODEL, sheet("discrete", DISCRETE), INTEGRATORS)
    assert (plan.level, plan.next_level, plan.next_level_score, plan.deficit) == (3, 4, 0.635, 0.165)
    assert [(item.item, item.gain, item.rating) for item in plan.items] == [("org.L4.1", 0.2, 0.5)]
    assert plan.level_after == 4
    assert [match.id for match in plan.items[0].integrators] == [3]


def test_the_roadmap_is_ordered_by_impact_not_by_gain() -> None:
    ratings = DISCRETE | {"org.L4.1": 0.0, "prod.plan.L4.1": 0.0, "prod.ops.L4.1": 1.0}
    # Level 4: 0.6·0.75·1 = 0.45; at threshold 0.95 the deficit is 0.5. Gains: org 0.4, plan 0.15, ops 0.
    # No single item covers 0.5, org + plan (0.55) do. plan's sub-domain impact is 3+2+1 = 6, org's 1+1+0 = 2.
    plan = analyse_gaps(MODEL, sheet("discrete", ratings), INTEGRATORS, threshold=0.95)
    assert plan.next_level == 1  # at 0.95 even level 1 (0.84) is not reached
    ratings |= {"org.L1.2": 1.0, "prod.plan.L1.1": 1.0, "prod.plan.L2.1": 1.0, "org.L3.1": 1.0, "prod.ops.L3.1": 1.0}
    plan = analyse_gaps(MODEL, sheet("discrete", ratings), INTEGRATORS, threshold=0.95)
    assert (plan.level, plan.next_level, plan.deficit) == (3, 4, 0.5)
    assert [(item.item, item.impact_score, item.gain) for item in plan.items] == [
        ("prod.plan.L4.1", 6, 0.15),
        ("org.L4.1", 2, 0.4),
    ]
    # plan's capabilities are aps and mes: the integrator offering both comes first
    assert [(match.id, match.matching) for match in plan.items[0].integrators] == [(2, ["aps", "mes"]), (1, ["mes"])]
    assert plan.items[0].text.zh == "要求 prod.plan.L4.1"


def test_a_gap_below_a_reached_level_is_planned_first_and_then_both_count() -> None:
    ratings: dict[str, float | None] = {item: 1.0 for item in DISCRETE if ".L1." in item or ".L3." in item}
    ratings |= {item: 0.5 for item in DISCRETE if ".L2." in item} | {"prod.plan.L3.1": None}
    ratings |= {item: 0.0 for item in DISCRETE if ".L4." in item or ".L5." in item}
    plan = analyse_gaps(MODEL, sheet("discrete", ratings))
    # Level 2 = 0.5; gains org 0.4·0.5 = 0.2, plan 0.15·0.5 = 0.075, ops 0.45·0.5 = 0.225; deficit 0.3 → ops + org
    assert (plan.level, plan.next_level) == (1, 2)
    assert sorted(item.item for item in plan.items) == ["org.L2.1", "prod.ops.L2.1"]
    assert plan.level_after == 3  # level 3 was above the threshold all along


def test_nothing_to_plan_at_the_top() -> None:
    ratings = {item: (None if value is None else 1.0) for item, value in DISCRETE.items()}
    plan = analyse_gaps(MODEL, sheet("discrete", ratings))
    assert (plan.level, plan.next_level, plan.items, plan.level_after) == (5, None, [], 5)


def test_the_set_is_never_larger_than_the_smallest_possible() -> None:
    rng = random.Random(6)
    items = [item for item, value in DISCRETE.items() if value is not None]
    for _ in range(60):
        ratings: dict[str, float | None] = {item: rng.choice((0.0, 0.5, 0.8, 1.0)) for item in items}
        ratings["prod.plan.L3.1"] = None
        threshold = rng.choice((0.6, 0.8, 0.9))
        plan = analyse_gaps(MODEL, sheet("discrete", ratings), threshold=threshold)
        if plan.next_level is None:
            continue
        level = plan.next_level
        candidates = [item for item in items if f".L{level}." in item and ratings.get(item) not in (None, 1.0)]
        smallest = next(
            size
            for size in range(len(candidates) + 1)
            for subset in itertools.combinations(candidates, size)
            if score(MODEL, sheet("discrete", ratings | dict.fromkeys(subset, 1.0)), threshold=threshold).level >= level
        )
        assert len(plan.items) == smallest
        met = ratings | dict.fromkeys((item.item for item in plan.items), 1.0)
        assert score(MODEL, sheet("discrete", met), threshold=threshold).level == plan.level_after >= level


def test_unknown_capability_keys_of_an_integrator_are_refused() -> None:
    with pytest.raises(InputError) as caught:
        analyse_gaps(MODEL, sheet("discrete", DISCRETE), [Integrator(8, "丁", frozenset({"mes", "blockchain"}))])
    assert caught.value.fields[0].field == "integrators[0].capabilities"
    assert "unknown capability key 'blockchain'" in caught.value.message


def test_a_provisional_gap_needs_something_rated_at_the_next_level() -> None:
    only_level1: dict[str, float | None] = {item: value for item, value in DISCRETE.items() if ".L1." in item}
    with pytest.raises(InputError, match="level 2 has no rated applicable items"):
        analyse_gaps(MODEL, sheet("discrete", only_level1), provisional=True)

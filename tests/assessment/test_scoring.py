"""Scoring against hand-computed cases on the toy model (weights in tests/assessment/toy.py), and on the real one."""

from __future__ import annotations

import random

import pytest

from tests.assessment.toy import sheet, toy_model
from zhizao.assessment.kinds import EnterpriseType
from zhizao.assessment.model import load_model
from zhizao.assessment.scoring import ItemRating, RatingsSheet, level_coefficients, score
from zhizao.errors import InputError

MODEL = toy_model()

# Discrete: org 0.4 / prod 0.6; in prod, plan 0.25 / ops 0.75.
DISCRETE: dict[str, float | None] = {
    # L1: org (1 + 0.5)/2 = 0.75; prod = plan (0.8 + 1)/2 = 0.9 (ops starts at 2) → 0.4·0.75 + 0.6·0.9 = 0.84
    "org.L1.1": 1,
    "org.L1.2": 0.5,
    "prod.plan.L1.1": 0.8,
    "prod.plan.L1.2": 1,
    # L2: org 1; prod 0.25·0.5 + 0.75·1 = 0.875 (ops.L2.2 is process only) → 0.4 + 0.525 = 0.925
    "org.L2.1": 1,
    "prod.plan.L2.1": 0.5,
    "prod.ops.L2.1": 1,
    # L3: plan not applicable, so ops takes all of prod: 0.4·0.8 + 0.6·0.8 = 0.8 — exactly the threshold
    "org.L3.1": 0.8,
    "prod.plan.L3.1": None,
    "prod.ops.L3.1": 0.8,
    # L4: 0.4·0.5 + 0.6·(0.25·0.5 + 0.75·0.8) = 0.2 + 0.435 = 0.635
    "org.L4.1": 0.5,
    "prod.plan.L4.1": 0.5,
    "prod.ops.L4.1": 0.8,
    # L5: 0
    "org.L5.1": 0,
    "prod.plan.L5.1": 0,
    "prod.ops.L5.1": 0,
}


def level_scores(result: object) -> list[float | None]:
    return [level.score for level in result.levels]  # type: ignore[attr-defined]


def test_discrete_hand_computed_with_a_not_applicable_item() -> None:
    result = score(MODEL, sheet("discrete", DISCRETE))
    assert level_scores(result) == pytest.approx([0.84, 0.925, 0.8, 0.635, 0.0])
    assert [level.reached for level in result.levels] == [True, True, True, False, False]
    assert result.level == 3
    assert result.overall == pytest.approx(3.635)
    assert result.applicable_items == 15  # 17 items, less ops.L2.2 (process) and plan.L3.1 (marked)
    assert result.rated_items == 15
    assert result.not_applicable_items == 1


def test_breakdown_shows_renormalised_weights() -> None:
    result = score(MODEL, sheet("discrete", DISCRETE))
    level1, level2, level3 = result.levels[:3]
    prod1 = next(domain for domain in level1.domains if domain.key == "prod")
    assert [(sub.key, sub.weight, sub.score) for sub in prod1.subdomains] == [("prod.plan", 1.0, 0.9)]
    prod2 = next(domain for domain in level2.domains if domain.key == "prod")
    assert [(sub.key, sub.weight) for sub in prod2.subdomains] == [("prod.plan", 0.25), ("prod.ops", 0.75)]
    assert prod2.score == pytest.approx(0.875)
    assert [(domain.key, domain.weight) for domain in level3.domains] == [("org", 0.4), ("prod", 0.6)]
    prod3 = next(domain for domain in level3.domains if domain.key == "prod")
    assert [(sub.key, sub.weight, sub.rated_items) for sub in prod3.subdomains] == [("prod.ops", 1.0, 1)]


def test_the_same_ratings_score_differently_under_the_process_weights() -> None:
    common = {"org.L1.1": 1, "org.L1.2": 0.5, "prod.plan.L1.1": 0.8, "org.L2.1": 1, "prod.plan.L2.1": 0.5}
    common |= {"prod.ops.L2.1": 1} | {f"{sub}.L{level}.1": 1 for sub in ("org", "prod.plan") for level in (3, 4, 5)}
    common |= {f"prod.ops.L{level}.1": 1 for level in (3, 4, 5)}
    discrete = score(MODEL, sheet("discrete", common | {"prod.plan.L1.2": None}))
    process = score(MODEL, sheet("process", common | {"prod.ops.L2.2": None}))
    # L1 discrete: 0.4·0.75 + 0.6·0.8 = 0.78; process: 0.2·0.75 + 0.8·0.8 = 0.79
    # L2 discrete: 0.4·1 + 0.6·(0.25·0.5 + 0.75·1) = 0.925; process: 0.2·1 + 0.8·(0.5·0.5 + 0.5·1) = 0.8
    assert level_scores(discrete)[:2] == pytest.approx([0.78, 0.925])
    assert level_scores(process)[:2] == pytest.approx([0.79, 0.8])


def test_a_level_just_under_the_threshold_is_not_reached_and_nothing_above_counts() -> None:
    ratings = {key: value for key, value in DISCRETE.items() if key != "prod.plan.L1.2"}
    ratings |= {"prod.ops.L2.2": 0.5} | {
        f"{sub}.L{level}.1": 1 for sub in ("org", "prod.plan", "prod.ops") for level in (3, 4, 5)
    }
    result = score(MODEL, sheet("process", ratings))
    # L1: 0.2·0.75 + 0.8·0.8 = 0.79 < 0.8; L2: 0.2·1 + 0.8·(0.5·0.5 + 0.5·0.75) = 0.7; L3–L5: 1
    assert level_scores(result) == pytest.approx([0.79, 0.7, 1.0, 1.0, 1.0])
    assert result.level == 0
    assert result.overall == pytest.approx(0.79)
    assert not any(level.reached for level in result.levels)


def test_the_threshold_is_configurable() -> None:
    assert score(MODEL, sheet("discrete", DISCRETE), threshold=0.6).overall == pytest.approx(4.0)  # L5 scores 0
    assert score(MODEL, sheet("discrete", DISCRETE), threshold=0.84).overall == pytest.approx(2.8)
    assert score(MODEL, sheet("discrete", DISCRETE), threshold=0.85).overall == pytest.approx(0.84)
    with pytest.raises(InputError) as caught:
        score(MODEL, sheet("discrete", DISCRETE), threshold=1.5)
    assert caught.value.fields[0].field == "threshold"


def test_a_gap_at_a_lower_level_voids_a_reached_higher_level() -> None:
    ratings = {item: 1.0 for item in DISCRETE if ".L1." in item}
    ratings |= {item: 0.5 for item in DISCRETE if ".L2." in item}
    ratings |= {item: 1.0 for item in DISCRETE if ".L3." in item or ".L4." in item}
    ratings |= {item: 0.0 for item in DISCRETE if ".L5." in item}
    result = score(MODEL, sheet("discrete", ratings))
    assert level_scores(result) == pytest.approx([1.0, 0.5, 1.0, 1.0, 0.0])
    assert [level.reached for level in result.levels] == [True, False, False, False, False]
    assert result.level == 1
    assert result.overall == pytest.approx(1.5)


def test_confidence_is_the_share_of_rated_items_data_verified_or_checked_on_site() -> None:
    grades = {"org.L1.1": "data_verified", "org.L1.2": "site_checked", "prod.ops.L2.1": "data_verified"}
    grades |= {"org.L2.1": "documented", "org.L3.1": "self_declared", "prod.plan.L3.1": "site_checked"}
    result = score(MODEL, sheet("discrete", DISCRETE, grades=grades))
    # 15 rated items (plan.L3.1 is not applicable, so its grade does not count); 3 confirmed
    assert result.confidence == pytest.approx(3 / 15)


def test_all_items_unrated_for_a_submission_is_an_error_listing_them() -> None:
    only_level1: dict[str, float | None] = {item: value for item, value in DISCRETE.items() if ".L1." in item}
    with pytest.raises(InputError) as caught:
        score(MODEL, sheet("discrete", only_level1))
    unrated = [field.field.removeprefix("ratings.") for field in caught.value.fields]
    # in model order; prod.ops.L2.2 is process only, so it is not asked for
    assert unrated == [f"{sub}.L{level}.1" for sub in ("org", "prod.plan", "prod.ops") for level in (2, 3, 4, 5)]
    assert caught.value.message.startswith("12 applicable item(s) are not rated: org.L2.1, org.L3.1")


def test_provisional_mode_scores_what_is_rated() -> None:
    only_level1: dict[str, float | None] = {item: value for item, value in DISCRETE.items() if ".L1." in item}
    result = score(MODEL, sheet("discrete", only_level1), provisional=True)
    assert level_scores(result) == [pytest.approx(0.84), None, None, None, None]
    assert result.level == 1
    assert result.overall == pytest.approx(1.0)  # nothing rated at level 2 adds nothing
    assert result.provisional
    assert len(result.unrated_items) == 12


def test_a_target_level_limits_what_must_be_rated() -> None:
    up_to_2 = {item: value for item, value in DISCRETE.items() if ".L1." in item or ".L2." in item}
    result = score(MODEL, sheet("discrete", up_to_2, target_level=2))
    assert [level.level for level in result.levels] == [1, 2]
    assert result.level == 2
    assert result.overall == pytest.approx(2.0)
    with pytest.raises(InputError) as caught:
        score(MODEL, sheet("discrete", {**up_to_2, "org.L3.1": 1}, target_level=2))
    assert "above the target level 2" in caught.value.fields[0].message


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"org.L1.1": 0.7}, "ratings[0].rating", "org.L1.1: rating 0.7 is not one of 0, 0.5, 0.8, 1"),
        ({"org.L1.1": 1.5}, "ratings[0].rating", "org.L1.1: rating 1.5 is not one of"),
        ({"org.L1.1": -0.0001}, "ratings[0].rating", "is not one of"),
        ({"org.L1.9": 1}, "ratings[16].item", "org.L1.9: no such item in model toy-v1"),
        ({"prod.ops.L2.2": 1}, "ratings[16].item", "applies to process manufacturing only, not discrete"),
    ],
)
def test_bad_ratings_name_the_item(change: dict[str, float], field: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        score(MODEL, sheet("discrete", {**DISCRETE, **change}))
    assert caught.value.fields[0].field == field
    assert message in caught.value.fields[0].message


def test_every_problem_is_reported_at_once() -> None:
    bad = RatingsSheet(
        model_version="toy-v1",
        enterprise_type=EnterpriseType.DISCRETE,
        ratings=(
            ItemRating(item="org.L1.1", rating=0.3),
            ItemRating(item="org.L1.1", rating=1),
            ItemRating(item="org.L1.2", rating=1, not_applicable=True),
        ),
        independent={"expert-7": (ItemRating(item="org.L2.1", rating=0.9),)},
    )
    with pytest.raises(InputError) as caught:
        score(MODEL, bad)
    assert [(field.field, field.message) for field in caught.value.fields] == [
        ("ratings[0].rating", "org.L1.1: rating 0.3 is not one of 0, 0.5, 0.8, 1"),
        ("ratings[1].item", "org.L1.1: rated more than once"),
        ("ratings[2].rating", "org.L1.2: give a rating or mark it not_applicable, not both"),
        ("independent.expert-7[0].rating", "org.L2.1: rating 0.9 is not one of 0, 0.5, 0.8, 1"),
    ]


def test_ratings_for_another_model_version_are_refused() -> None:
    with pytest.raises(InputError) as caught:
        score(MODEL, sheet("discrete", DISCRETE, version="toy-v2"))
    assert caught.value.fields[0].field == "model_version"
    assert "for model toy-v2; this is model toy-v1" in caught.value.message


def test_independent_ratings_give_agreement_per_domain() -> None:
    experts = {
        "a": {"org.L1.1": 1, "org.L1.2": 0.8, "org.L2.1": 0.5, "prod.plan.L1.1": 1},
        "b": {"org.L1.1": 1, "org.L1.2": 0.5, "org.L2.1": 0.5},
    }
    result = score(MODEL, sheet("discrete", DISCRETE, independent=experts))
    # prod has one item rated by one expert only: nothing to compare, so it is left out
    assert [agreement.domain for agreement in result.agreement] == ["org"]
    org = result.agreement[0]
    assert (org.items, org.pairs) == (3, 3)
    assert org.mean_absolute_difference == pytest.approx(0.1)  # (0 + 0.3 + 0) / 3
    assert org.exact_agreement == pytest.approx(0.6667)
    assert org.alpha == pytest.approx(1 - 8 / 36, abs=1e-4)  # worked out in test_agreement.py


def test_on_the_real_model_uniform_ratings_score_their_value_at_every_level() -> None:
    model = load_model("gbt39116-v1")
    for enterprise_type in EnterpriseType:
        for value, level, overall in ((0.8, 5, 5.0), (0.5, 0, 0.5), (1.0, 5, 5.0), (0.0, 0, 0.0)):
            ratings = [ItemRating(item=r.id, rating=value) for r in model.applicable(enterprise_type)]
            sheet_ = RatingsSheet(model_version=model.version, enterprise_type=enterprise_type, ratings=tuple(ratings))
            result = score(model, sheet_)
            assert result.level == level
            assert result.overall == pytest.approx(overall)


@pytest.mark.parametrize(("enterprise_type", "expected"), [("discrete", 1 - 0.22), ("process", 1 - 0.28)])
def test_on_the_real_model_production_weighs_more_for_process_manufacturing(
    enterprise_type: str, expected: float
) -> None:
    model = load_model("gbt39116-v1")
    kind = EnterpriseType(enterprise_type)
    ratings = [
        ItemRating(item=r.id, rating=0.0 if r.level == 1 and r.id.startswith("production.") else 1.0)
        for r in model.applicable(kind)
    ]
    result = score(model, RatingsSheet(model_version=model.version, enterprise_type=kind, ratings=tuple(ratings)))
    assert result.levels[0].score == pytest.approx(expected)  # production's level-1 weight: 0.22 vs 0.28
    assert result.level == 0


def test_level_scores_are_the_weighted_sums_of_their_domains_and_coefficients_sum_to_one() -> None:
    model = load_model("gbt39116-v1")
    rng = random.Random(39117)
    for enterprise_type in EnterpriseType:
        ratings = [
            ItemRating(item=r.id, rating=rng.choice((0, 0.5, 0.8, 1)))
            if rng.random() > 0.1
            else ItemRating(item=r.id, not_applicable=True)
            for r in model.applicable(enterprise_type)
        ]
        result = score(
            model, RatingsSheet(model_version=model.version, enterprise_type=enterprise_type, ratings=tuple(ratings))
        )
        for level in result.levels:
            assert sum(domain.weight * domain.score for domain in level.domains) == pytest.approx(level.score, abs=1e-3)
            scored = {
                r.item for r in ratings if r.rating is not None and model.requirement(r.item).level == level.level
            }
            assert sum(level_coefficients(model, enterprise_type, level.level, scored).values()) == pytest.approx(1.0)

"""The acceptance rules, table-driven: each requirement missing refuses a pass naming it; all present let it pass."""

from __future__ import annotations

from dataclasses import replace

import pytest

from zhizao.programme.acceptance import (
    ChecklistMark,
    Opinion,
    ReviewState,
    Verdicts,
    acceptance_problems,
    initial_checklist,
)
from zhizao.programme.editions import AcceptanceRules, load_definition

RULES = load_definition().rules.acceptance  # the 2020–2022 edition: level 2, both KPIs, five checklist items
ALL_MET = [ChecklistMark(key, True) for key in RULES.checklist]
MEETS = Verdicts(productivity="meets", cost="meets")
REVIEWS = [ReviewState(11, Opinion.PASS), ReviewState(12, Opinion.PASS)]


def fields(**changes: object) -> list[str]:
    inputs: dict[str, object] = {"checklist": ALL_MET, "verdicts": MEETS, "level": 2, "reviews": REVIEWS} | changes
    return [problem.field for problem in acceptance_problems(RULES, **inputs)]  # type: ignore[arg-type]


def test_all_requirements_met_leave_nothing_to_refuse() -> None:
    assert fields() == []
    assert fields(level=5) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"checklist": [replace(ALL_MET[0], passed=False), *ALL_MET[1:]]}, ["checklist.plan_milestones_met"]),
        ({"checklist": ALL_MET[:-1]}, ["checklist.safety_and_security"]),
        ({"checklist": []}, [f"checklist.{key}" for key in RULES.checklist]),
        ({"verdicts": Verdicts("does_not_meet", "meets")}, ["productivity"]),
        ({"verdicts": Verdicts("meets", "insufficient_data")}, ["cost"]),
        ({"verdicts": None}, ["productivity", "cost"]),
        ({"level": 1}, ["maturity_level"]),
        ({"level": None}, ["maturity_level"]),
        ({"reviews": []}, ["reviews"]),
        ({"reviews": [REVIEWS[0], ReviewState(12, None)]}, ["reviews.12"]),
        ({"reviews": [ReviewState(11, Opinion.FAIL), REVIEWS[1]]}, ["reviews.11"]),
    ],
    ids=[
        "item-not-met",
        "item-missing",
        "no-checklist",
        "productivity",
        "cost",
        "no-verification",
        "level-below",
        "no-level",
        "no-reviewer",
        "review-outstanding",
        "failing-review",
    ],
)
def test_each_missing_requirement_is_named(changes: dict[str, object], expected: list[str]) -> None:
    assert fields(**changes) == expected


def test_messages_say_what_is_wrong() -> None:
    problems = acceptance_problems(RULES, ALL_MET, Verdicts("does_not_meet", "meets"), 1, REVIEWS)
    assert [problem.message for problem in problems] == [
        "the verified productivity verdict is does_not_meet, not meets",
        "maturity level 1 is below the minimum 2",
    ]


def test_an_edition_may_waive_the_kpis_and_the_checklist() -> None:
    lenient = AcceptanceRules(min_maturity_level=1, require_productivity_verified=False, require_cost_verified=False)
    assert acceptance_problems(lenient, [], None, 1, REVIEWS) == []
    only_cost = lenient.model_copy(update={"require_cost_verified": True})
    assert [p.field for p in acceptance_problems(only_cost, [], Verdicts("does_not_meet", "meets"), 1, REVIEWS)] == []


def test_extra_checklist_marks_do_not_stand_in_for_the_editions_items() -> None:
    extra = [*ALL_MET[1:], ChecklistMark("something_else", True)]
    assert fields(checklist=extra) == ["checklist.plan_milestones_met"]


def test_the_initial_checklist_is_the_editions_with_nothing_met() -> None:
    assert initial_checklist(RULES) == [ChecklistMark(key, False) for key in RULES.checklist]

"""The rules of an acceptance (验收), pure: what must hold before the programme office may decide that a factory
project passed, and the statuses an acceptance goes through.

A pass needs, under the edition's ``AcceptanceRules``:

- every checklist item of the rules ticked as met (``checklist.<key>``);
- a stored KPI verification whose productivity verdict is ``meets`` (``productivity``) and whose operating-cost
  verdict is ``meets`` (``cost``), where the rules require them;
- a maturity level at or above the rules' minimum (``maturity_level``);
- at least one reviewing expert, every one of them with a submitted review, and none failing (``reviews`` /
  ``reviews.<expert user id>``).

A fail decision needs none of these: the office may always decide that a project did not pass, with its reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from zhizao.errors import FieldProblem
from zhizao.programme.editions import AcceptanceRules
from zhizao.ui.i18n import N_

MEETS = "meets"  # production's Verdict.MEETS, the only verdict that counts as verified


class AcceptanceStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class Decision(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class Opinion(StrEnum):
    PASS = "pass"  # noqa: S105 (an opinion, not a password)
    FAIL = "fail"


STATUS_LABELS: dict[str, str] = {AcceptanceStatus.OPEN: N_("Open"), AcceptanceStatus.DECIDED: N_("Decided")}
DECISION_LABELS: dict[str, str] = {Decision.PASSED: N_("Passed"), Decision.FAILED: N_("Failed")}
OPINION_LABELS: dict[str, str] = {Opinion.PASS: N_("Pass"), Opinion.FAIL: N_("Fail")}


@dataclass(frozen=True, slots=True)
class ChecklistMark:
    """One checklist item as the officer found it on site."""

    key: str
    passed: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class Verdicts:
    """The verdicts of the attached KPI verification (production's ``Verdict`` values)."""

    productivity: str
    cost: str


@dataclass(frozen=True, slots=True)
class ReviewState:
    """One assigned expert's review: ``opinion`` is None until the expert submits it."""

    expert_user_id: int
    opinion: Opinion | None


def initial_checklist(rules: AcceptanceRules) -> list[ChecklistMark]:
    """The rules' checklist, every item not yet met."""
    return [ChecklistMark(key=key, passed=False) for key in rules.checklist]


def acceptance_problems(
    rules: AcceptanceRules,
    checklist: Sequence[ChecklistMark],
    verdicts: Verdicts | None,
    level: int | None,
    reviews: Sequence[ReviewState],
) -> list[FieldProblem]:
    """Every requirement a pass decision would leave unmet, each named by its field; empty when a pass may stand."""
    problems: list[FieldProblem] = []
    marks = {mark.key: mark for mark in checklist}
    for key in rules.checklist:
        if not (key in marks and marks[key].passed):
            problems.append(FieldProblem(f"checklist.{key}", f"checklist item {key} is not marked as met"))
    for required, field, verdict in (
        (rules.require_productivity_verified, "productivity", None if verdicts is None else verdicts.productivity),
        (rules.require_cost_verified, "cost", None if verdicts is None else verdicts.cost),
    ):
        if not required:
            continue
        if verdict is None:
            problems.append(FieldProblem(field, "no KPI verification is attached"))
        elif verdict != MEETS:
            problems.append(FieldProblem(field, f"the verified {field} verdict is {verdict}, not {MEETS}"))
    if level is None:
        problems.append(FieldProblem("maturity_level", "the enterprise has no maturity level yet"))
    elif level < rules.min_maturity_level:
        problems.append(
            FieldProblem("maturity_level", f"maturity level {level} is below the minimum {rules.min_maturity_level}")
        )
    if not reviews:
        problems.append(FieldProblem("reviews", "no expert is assigned to review the acceptance"))
    for review in reviews:
        if review.opinion is None:
            message = f"expert {review.expert_user_id} has not submitted a review yet"
            problems.append(FieldProblem(f"reviews.{review.expert_user_id}", message))
        elif review.opinion is Opinion.FAIL:
            message = f"expert {review.expert_user_id} reviewed the project as failing"
            problems.append(FieldProblem(f"reviews.{review.expert_user_id}", message))
    return problems

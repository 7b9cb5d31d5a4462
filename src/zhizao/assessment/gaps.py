"""Gap analysis: the fewest unmet items whose meeting lifts an enterprise to its next level. Pure.

The next level is the lowest one not reached; every level below it is reached already, so only the next level's
score has to rise to the threshold. A level's score is linear in its item ratings (see
:func:`zhizao.assessment.scoring.level_coefficients`), so raising item *i* from rating r_i to 1 adds exactly
``gain_i = coefficient_i × (1 − r_i)``, independently of which other items are raised. The most any k items can add
is therefore the sum of the k largest gains, and taking items in order of gain until the deficit is covered gives a
set of the smallest possible size — an exact minimum, not a heuristic. Among items of equal gain the one with the
higher impact is taken.

The roadmap then orders the chosen items by expected impact: the sum of their sub-domain's impact profile
(productivity + operating cost + quality, each 0–3, from the model data; the programme's targets weigh the three
alike), then by gain, then by id. All items in the set are needed to reach the level; the order says which to do
first. Each item lists the integrators whose capability keys overlap the sub-domain's, most overlap first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from zhizao.assessment.kinds import EnterpriseType
from zhizao.assessment.model import ImpactProfile, MaturityModel, Text
from zhizao.assessment.scoring import (
    DEFAULT_THRESHOLD,
    THRESHOLD_TOLERANCE,
    RatedItems,
    RatingsSheet,
    check_ratings,
    level_coefficients,
    level_score,
    levels_reached,
)
from zhizao.errors import FieldProblem, InputError


@dataclass(frozen=True, slots=True)
class Integrator:
    id: int
    name: str
    capabilities: frozenset[str]


class IntegratorMatch(BaseModel):
    id: int
    name: str
    matching: list[str]  # the item's capability keys this integrator offers


class GapItem(BaseModel):
    item: str
    level: int
    domain: str
    subdomain: str
    text: Text
    rating: float  # current
    gain: float  # what meeting it fully adds to its level's score
    impact: ImpactProfile
    impact_score: int
    capabilities: list[str]
    integrators: list[IntegratorMatch]


class GapPlan(BaseModel):
    model_version: str
    enterprise_type: EnterpriseType
    threshold: float
    level: int  # reached now
    next_level: int | None  # None: already at the target level, nothing to plan
    next_level_score: float | None
    deficit: float  # how far the next level's score is below the threshold
    items: list[GapItem]  # in roadmap order
    level_after: int  # reached once every item is met (can skip levels already above the threshold)


def analyse_gaps(
    model: MaturityModel,
    sheet: RatingsSheet,
    integrators: Sequence[Integrator] = (),
    *,
    threshold: float = DEFAULT_THRESHOLD,
    provisional: bool = False,
) -> GapPlan:
    """The smallest set of items to meet for the next level, in roadmap order, with the integrators covering them."""
    if not 0 < threshold <= 1:
        raise InputError.for_field("threshold", f"the threshold must be above 0 and at most 1, not {threshold:g}")
    _check_integrators(model, integrators)
    rated = check_ratings(model, sheet, provisional=provisional)
    scores = _scores(rated)
    reached = levels_reached(scores, threshold)
    plan = GapPlan(
        model_version=model.version,
        enterprise_type=sheet.enterprise_type,
        threshold=threshold,
        level=reached,
        next_level=None,
        next_level_score=None,
        deficit=0.0,
        items=[],
        level_after=reached,
    )
    if reached >= sheet.target_level:
        return plan
    next_level = reached + 1
    current = scores[next_level]
    if current is None:
        raise InputError.for_field(
            "ratings", f"level {next_level} has no rated applicable items, so no gap to it can be computed"
        )
    chosen = _fewest_items(rated, next_level, threshold - current)
    met = dataclasses.replace(rated, values={**rated.values, **dict.fromkeys((item for item, _ in chosen), 1.0)})
    items = [_gap_item(model, rated, item, gain, integrators) for item, gain in chosen]
    items.sort(key=lambda gap: (-gap.impact_score, -gap.gain, gap.item))
    return plan.model_copy(
        update={
            "next_level": next_level,
            "next_level_score": round(current, 4),
            "deficit": round(threshold - current, 4),
            "items": items,
            "level_after": levels_reached(_scores(met), threshold),
        }
    )


def _scores(rated: RatedItems) -> dict[int, float | None]:
    return {level: level_score(rated, level) for level in range(1, rated.target_level + 1)}


def _fewest_items(rated: RatedItems, level: int, deficit: float) -> list[tuple[str, float]]:
    """Items by gain, largest first (ties: higher impact, then id), until their gains cover the deficit."""
    scored = {item for item in rated.values if rated.model.requirement(item).level == level}
    coefficients = level_coefficients(rated.model, rated.enterprise_type, level, scored)
    candidates = sorted(
        ((item, coefficient * (1 - rated.values[item])) for item, coefficient in coefficients.items()),
        key=lambda pair: (-pair[1], -rated.model.subdomain_of(pair[0]).impact.total, pair[0]),
    )
    chosen: list[tuple[str, float]] = []
    covered = 0.0
    for item, gain in candidates:
        if covered >= deficit - THRESHOLD_TOLERANCE or gain <= 0:
            break
        chosen.append((item, gain))
        covered += gain
    return chosen


def _gap_item(
    model: MaturityModel, rated: RatedItems, item: str, gain: float, integrators: Sequence[Integrator]
) -> GapItem:
    requirement = model.requirement(item)
    sub = model.subdomain_of(item)
    wanted = set(sub.capabilities)
    matches = [
        IntegratorMatch(id=integrator.id, name=integrator.name, matching=sorted(wanted & integrator.capabilities))
        for integrator in integrators
        if wanted & integrator.capabilities
    ]
    matches.sort(key=lambda match: (-len(match.matching), match.id))
    return GapItem(
        item=item,
        level=requirement.level,
        domain=model.domain_of(item).key,
        subdomain=sub.key,
        text=requirement.text,
        rating=rated.values[item],
        gain=round(gain, 4),
        impact=sub.impact,
        impact_score=sub.impact.total,
        capabilities=list(sub.capabilities),
        integrators=matches,
    )


def _check_integrators(model: MaturityModel, integrators: Sequence[Integrator]) -> None:
    known = set(model.capability_keys)
    problems = [
        FieldProblem(
            f"integrators[{index}].capabilities",
            f"integrator {integrator.id} ({integrator.name}): unknown capability key {key!r}",
        )
        for index, integrator in enumerate(integrators)
        for key in sorted(integrator.capabilities - known)
    ]
    if problems:
        raise InputError(problems[0].message, fields=problems)

"""Maturity scoring in the structure of GB/T 39117-2020. Pure: no I/O, no clock.

Each applicable item is rated 1 (fully met), 0.8 (largely), 0.5 (partly) or 0 (not met), or marked not applicable.
At each level:

- a sub-domain's score is the mean of its applicable, rated items;
- a domain's score is the weighted sum of its sub-domains' scores, the weights re-normalised over the sub-domains
  that have rated items at that level (a sub-domain that starts at a higher level, or whose items all apply to the
  other enterprise type or were marked not applicable, drops out and the others share its weight);
- the level's score is the weighted sum of its domains' scores, re-normalised the same way.

A level is reached when its score is at least the threshold (0.8 by default) and every lower level is reached;
the overall score is the number of levels reached plus the score of the next level (3.55: level 3, and 55 % of the
way through level 4). Confidence is the share of rated items whose evidence was data-verified or checked on site.

Because every item's weight inside a level is fixed once applicability is known, a level's score is linear in its
item ratings: ``level score = Σ coefficient(item) × rating(item)``. :func:`level_coefficients` gives those
coefficients; the gap analysis uses them to know exactly how much meeting an item would add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zhizao.assessment.agreement import DomainAgreement, domain_agreement
from zhizao.assessment.kinds import EnterpriseType, EvidenceGrade
from zhizao.assessment.model import LEVELS, MaturityModel
from zhizao.errors import FieldProblem, InputError, plain_message

ALLOWED_RATINGS = (0.0, 0.5, 0.8, 1.0)
DEFAULT_THRESHOLD = 0.8
# Weighted sums of decimal weights land a hair under round numbers (0.7999999999999999); no rating system can
# tell these apart, so a level within this distance of the threshold counts as reaching it.
THRESHOLD_TOLERANCE = 1e-9


class ItemRating(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item: str = Field(min_length=1, max_length=200)
    # Strict: a rating is a number, never "1" or true. Checked against ALLOWED_RATINGS by the scoring, which names
    # the item in its error.
    rating: Annotated[float, Field(strict=True)] | None = None
    not_applicable: bool = False
    evidence_grade: EvidenceGrade = EvidenceGrade.SELF_DECLARED
    comment: str = Field(default="", max_length=4000)


class RatingsSheet(BaseModel):
    """A ratings file: the consensus ratings of one enterprise, and optionally each expert's independent ones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_version: str = Field(min_length=1)
    enterprise_type: EnterpriseType
    target_level: int = Field(default=5, ge=1, le=5)  # levels above it are neither required nor scored
    ratings: tuple[ItemRating, ...]
    independent: dict[str, tuple[ItemRating, ...]] = {}  # expert id → that expert's own ratings


class SubDomainScore(BaseModel):
    key: str
    weight: float  # within the domain, after re-normalisation
    score: float
    rated_items: int


class DomainScore(BaseModel):
    key: str
    weight: float  # within the level, after re-normalisation
    score: float
    subdomains: list[SubDomainScore]


class LevelScore(BaseModel):
    level: int
    score: float | None  # None: nothing applicable was rated at this level
    reached: bool
    rated_items: int
    domains: list[DomainScore]


class ScoreResult(BaseModel):
    model_version: str
    enterprise_type: EnterpriseType
    threshold: float
    target_level: int
    provisional: bool
    level: int  # levels reached
    overall: float
    confidence: float | None  # None when nothing was rated
    applicable_items: int
    rated_items: int
    not_applicable_items: int
    unrated_items: list[str]  # only ever non-empty in provisional mode
    levels: list[LevelScore]
    agreement: list[DomainAgreement] = []


@dataclass(frozen=True, slots=True)
class RatedItems:
    """Ratings that passed every check: what the scoring and the gap analysis work from."""

    model: MaturityModel
    enterprise_type: EnterpriseType
    target_level: int
    values: dict[str, float]  # item id → rating, for applicable rated items at levels up to the target
    grades: dict[str, EvidenceGrade]
    not_applicable: frozenset[str]
    unrated: tuple[str, ...]


def parse_ratings(data: object) -> RatingsSheet:
    """A ratings file's parsed JSON as a sheet; InputError naming each wrong field."""
    try:
        return RatingsSheet.model_validate(data)
    except ValidationError as exc:
        fields = [
            FieldProblem(_path(problem["loc"]), plain_message(problem["msg"]))
            for problem in exc.errors(include_url=False)
        ]
        raise InputError("the ratings are not valid", fields=fields) from exc


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "ratings"


def check_ratings(model: MaturityModel, sheet: RatingsSheet, *, provisional: bool = False) -> RatedItems:
    """Every problem with a sheet at once, as one InputError; without ``provisional``, every applicable item up to
    the target level must be rated or marked not applicable."""
    if sheet.model_version != model.version:
        raise InputError.for_field(
            "model_version", f"the ratings are for model {sheet.model_version}; this is model {model.version}"
        )
    problems: list[FieldProblem] = []
    consensus = _checked(model, sheet, sheet.ratings, "ratings", problems)
    for expert, ratings in sorted(sheet.independent.items()):
        _checked(model, sheet, ratings, f"independent.{expert}", problems)
    if problems:
        raise InputError(f"{len(problems)} problem(s) with the ratings: {problems[0].message}", fields=problems)
    not_applicable = frozenset(rating.item for rating in consensus if rating.not_applicable)
    scored = [rating for rating in consensus if rating.rating is not None]
    rated_ids = {rating.item for rating in scored}
    unrated = tuple(
        requirement.id
        for requirement in model.applicable(sheet.enterprise_type)
        if requirement.level <= sheet.target_level
        and requirement.id not in not_applicable
        and requirement.id not in rated_ids
    )
    if unrated and not provisional:
        shown = ", ".join(unrated[:10]) + (" …" if len(unrated) > 10 else "")
        raise InputError(
            f"{len(unrated)} applicable item(s) are not rated: {shown}",
            fields=[
                FieldProblem(f"ratings.{item}", "not rated (rate it or mark it not_applicable)") for item in unrated
            ],
        )
    return RatedItems(
        model=model,
        enterprise_type=sheet.enterprise_type,
        target_level=sheet.target_level,
        values={rating.item: float(rating.rating) for rating in scored if rating.rating is not None},
        grades={rating.item: rating.evidence_grade for rating in scored},
        not_applicable=not_applicable,
        unrated=unrated,
    )


def _checked(
    model: MaturityModel,
    sheet: RatingsSheet,
    ratings: Sequence[ItemRating],
    where: str,
    problems: list[FieldProblem],
) -> list[ItemRating]:
    seen: set[str] = set()
    good = []
    for index, rating in enumerate(ratings):
        path = f"{where}[{index}]"
        problem = _problem(model, sheet, rating, seen)
        if problem is None:
            good.append(rating)
        else:
            field, message = problem
            problems.append(FieldProblem(f"{path}.{field}", f"{rating.item}: {message}"))
        seen.add(rating.item)
    return good


def _problem(model: MaturityModel, sheet: RatingsSheet, rating: ItemRating, seen: set[str]) -> tuple[str, str] | None:
    if not model.has_requirement(rating.item):
        return "item", f"no such item in model {model.version}"
    if rating.item in seen:
        return "item", "rated more than once"
    requirement = model.requirement(rating.item)
    if not requirement.applies_to.covers(sheet.enterprise_type):
        return (
            "item",
            f"applies to {requirement.applies_to.value} manufacturing only, not {sheet.enterprise_type.value}",
        )
    if requirement.level > sheet.target_level:
        return "item", f"is at level {requirement.level}, above the target level {sheet.target_level}"
    if rating.not_applicable and rating.rating is not None:
        return "rating", "give a rating or mark it not_applicable, not both"
    if rating.rating is not None and rating.rating not in ALLOWED_RATINGS:
        return "rating", f"rating {rating.rating:g} is not one of 0, 0.5, 0.8, 1"
    return None


@dataclass(frozen=True, slots=True)
class _Part:
    key: str
    weight: float  # re-normalised over the parts with scored items
    items: tuple[str, ...]  # scored items (sub-domain) …
    parts: tuple[_Part, ...] = ()  # … or sub-domains (domain)


def _level_structure(
    model: MaturityModel, enterprise_type: EnterpriseType, level: int, scored: Set[str]
) -> tuple[_Part, ...]:
    """The domains and sub-domains with scored items at a level, with their re-normalised weights."""
    weights = model.weights[enterprise_type]
    domains: dict[str, dict[str, tuple[str, ...]]] = {}
    for domain in model.domains:
        for sub in domain.subdomains:
            items = tuple(requirement.id for requirement in sub.requirements_at(level) if requirement.id in scored)
            if items:
                domains.setdefault(domain.key, {})[sub.key] = items
    domain_weights = _normalised({key: weights.domains_by_level[level][key] for key in domains})
    structure = []
    for domain_key, subs in domains.items():
        sub_weights = _normalised({key: weights.subdomains.get(domain_key, {}).get(key, 1.0) for key in subs})
        parts = tuple(_Part(key, sub_weights[key], items) for key, items in subs.items())
        structure.append(_Part(domain_key, domain_weights[domain_key], (), parts))
    return tuple(structure)


def _normalised(weights: Mapping[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {key: weight / total for key, weight in weights.items()}


def level_coefficients(
    model: MaturityModel, enterprise_type: EnterpriseType, level: int, scored: Set[str]
) -> dict[str, float]:
    """Each scored item's share of the level's score: weight of its domain × weight of its sub-domain ÷ the number
    of scored items in its sub-domain. They sum to 1, and the level's score is Σ coefficient × rating."""
    return {
        item: domain.weight * sub.weight / len(sub.items)
        for domain in _level_structure(model, enterprise_type, level, scored)
        for sub in domain.parts
        for item in sub.items
    }


def score(
    model: MaturityModel, sheet: RatingsSheet, *, threshold: float = DEFAULT_THRESHOLD, provisional: bool = False
) -> ScoreResult:
    """Score a sheet (see the module docstring); InputError for any wrong rating or, unless provisional, an unrated
    applicable item."""
    if not 0 < threshold <= 1:
        raise InputError.for_field("threshold", f"the threshold must be above 0 and at most 1, not {threshold:g}")
    rated = check_ratings(model, sheet, provisional=provisional)
    raw = {level: level_score(rated, level) for level in LEVELS if level <= sheet.target_level}
    reached = levels_reached(raw, threshold)
    partial = raw.get(reached + 1) or 0.0
    confirmed = sum(grade.confirms for grade in rated.grades.values())
    applicable = [
        requirement
        for requirement in model.applicable(sheet.enterprise_type)
        if requirement.level <= sheet.target_level and requirement.id not in rated.not_applicable
    ]
    return ScoreResult(
        model_version=model.version,
        enterprise_type=sheet.enterprise_type,
        threshold=threshold,
        target_level=sheet.target_level,
        provisional=provisional,
        level=reached,
        overall=round(reached + partial, 4),
        confidence=round(confirmed / len(rated.values), 4) if rated.values else None,
        applicable_items=len(applicable),
        rated_items=len(rated.values),
        not_applicable_items=len(rated.not_applicable),
        unrated_items=list(rated.unrated),
        levels=[_level_breakdown(rated, level, raw[level], level <= reached) for level in raw],
        agreement=domain_agreement(model, {expert: _values(ratings) for expert, ratings in sheet.independent.items()}),
    )


def level_score(rated: RatedItems, level: int) -> float | None:
    """Σ coefficient × rating over the level's rated items; None when none was rated."""
    scored = {item for item in rated.values if rated.model.requirement(item).level == level}
    if not scored:
        return None
    coefficients = level_coefficients(rated.model, rated.enterprise_type, level, scored)
    return sum(coefficient * rated.values[item] for item, coefficient in coefficients.items())


def levels_reached(scores: Mapping[int, float | None], threshold: float) -> int:
    """The highest level such that it and every level below it score at least the threshold."""
    reached = 0
    for level in sorted(scores):
        value = scores[level]
        if level != reached + 1 or value is None or value < threshold - THRESHOLD_TOLERANCE:
            break
        reached = level
    return reached


def _values(ratings: Sequence[ItemRating]) -> dict[str, float]:
    return {rating.item: rating.rating for rating in ratings if rating.rating is not None}


def _level_breakdown(rated: RatedItems, level: int, raw: float | None, reached: bool) -> LevelScore:
    scored = {item for item in rated.values if rated.model.requirement(item).level == level}
    domains = []
    for domain in _level_structure(rated.model, rated.enterprise_type, level, scored):
        subs = [
            SubDomainScore(
                key=sub.key,
                weight=round(sub.weight, 4),
                score=round(sum(rated.values[item] for item in sub.items) / len(sub.items), 4),
                rated_items=len(sub.items),
            )
            for sub in domain.parts
        ]
        domain_score = sum(
            sub.weight * sum(rated.values[item] for item in sub.items) / len(sub.items) for sub in domain.parts
        )
        domains.append(
            DomainScore(key=domain.key, weight=round(domain.weight, 4), score=round(domain_score, 4), subdomains=subs)
        )
    return LevelScore(
        level=level,
        score=None if raw is None else round(raw, 4),
        reached=reached,
        rated_items=len(scored),
        domains=domains,
    )

"""Inter-rater agreement of experts' independent ratings, per domain. Pure.

Per domain, over the items that at least two experts rated (not-applicable marks are not ratings):

- ``mean_absolute_difference``: the mean of |a − b| over every pair of experts' ratings of the same item (0 is
  perfect; ratings are on the 0–1 scale, so 0.2 is "one step apart" between 0.8 and 1);
- ``exact_agreement``: the share of those pairs that gave the same rating;
- ``alpha``: Krippendorff's alpha with the ordinal metric (Krippendorff 2011, "Computing Krippendorff's
  alpha-reliability"): 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, where o is the coincidence matrix of paired
  values, n_c its margins and δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)². It corrects for the agreement expected by
  chance and handles any number of experts and missing ratings. 1 is perfect agreement, 0 chance level; it is
  undefined (None) when all paired ratings are the same value, because then there is no variation to agree on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

from pydantic import BaseModel

from zhizao.assessment.model import MaturityModel


class DomainAgreement(BaseModel):
    domain: str
    items: int  # items rated by at least two experts
    pairs: int  # pairs of ratings compared
    mean_absolute_difference: float
    exact_agreement: float
    alpha: float | None


def domain_agreement(
    model: MaturityModel, ratings_by_expert: Mapping[str, Mapping[str, float]]
) -> list[DomainAgreement]:
    """Agreement per domain (in model order) for experts' ratings (expert → item id → rating); domains with no
    item rated by two experts are left out."""
    by_item: dict[str, list[float]] = {}
    for expert in sorted(ratings_by_expert):
        for item, rating in ratings_by_expert[expert].items():
            by_item.setdefault(item, []).append(rating)
    results = []
    for domain in model.domains:
        units = [
            by_item[requirement.id]
            for sub in domain.subdomains
            for requirement in sub.requirements
            if len(by_item.get(requirement.id, ())) >= 2
        ]
        if not units:
            continue
        differences = [abs(a - b) for unit in units for a, b in combinations(unit, 2)]
        alpha = krippendorff_alpha_ordinal(units)
        results.append(
            DomainAgreement(
                domain=domain.key,
                items=len(units),
                pairs=len(differences),
                mean_absolute_difference=round(sum(differences) / len(differences), 4),
                exact_agreement=round(sum(difference == 0 for difference in differences) / len(differences), 4),
                alpha=None if alpha is None else round(alpha, 4),
            )
        )
    return results


def krippendorff_alpha_ordinal(units: Sequence[Sequence[float]]) -> float | None:
    """Krippendorff's alpha, ordinal metric, for units (items) each holding the values its raters gave.

    Units with fewer than two values are not pairable and are ignored. None when undefined: fewer than two pairable
    values, or a single value throughout (no expected disagreement)."""
    pairable = [unit for unit in units if len(unit) >= 2]
    values = sorted({value for unit in pairable for value in unit})
    index = {value: position for position, value in enumerate(values)}
    size = len(values)
    coincidences = [[0.0] * size for _ in range(size)]
    for unit in pairable:
        # Each ordered pair of different raters' values in a unit, weighted 1/(m − 1) so a unit contributes m values.
        for first, second in ((a, b) for i, a in enumerate(unit) for j, b in enumerate(unit) if i != j):
            coincidences[index[first]][index[second]] += 1 / (len(unit) - 1)
    margins = [sum(row) for row in coincidences]
    total = sum(margins)
    if total < 2:
        return None

    def distance(c: int, k: int) -> float:
        low, high = min(c, k), max(c, k)
        return (sum(margins[low : high + 1]) - (margins[c] + margins[k]) / 2) ** 2

    observed = sum(coincidences[c][k] * distance(c, k) for c in range(size) for k in range(size))
    expected = sum(margins[c] * margins[k] * distance(c, k) for c in range(size) for k in range(size)) / (total - 1)
    if expected == 0:
        return None
    return 1 - observed / expected

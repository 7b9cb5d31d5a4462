"""From a forecast option mix to planned volumes: vehicles per option, parts per part number, machine minutes per
equipment kind. Pure.

Shares per option alone cannot say how many of a part are needed: a part's usage condition may join options of
several families (``PANO & !BLACK``), and options are not chosen independently (the rules, and taste). So the recent
orders serve as representative configurations — each valid and real — reweighted by raking (iterative proportional
fitting) until their option shares match the forecast: each round scales the weights of the orders of each option
of a family to the forecast share of that option. Every configuration is exploded once (``bom.explode`` via the
caller) and the weighted explosions, times the planned vehicles, give the parts and the routing minutes.
Raking cannot make an option appear that no recent order chose: such a shortfall is reported, not hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from zhizao.c2m.analytics import FamilyInfo

RAKING_ROUNDS = 50


@dataclass(frozen=True, slots=True)
class Explained:
    """What one configuration needs: quantity per part number, minutes per equipment kind."""

    parts: Mapping[str, Decimal]
    minutes: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class Volume:
    vehicles: int
    per_option: Mapping[str, float]  # planned vehicles with each option
    parts: Mapping[str, float]  # planned quantity per part number
    minutes: Mapping[str, float]  # planned machine minutes per equipment kind
    largest_gap: float  # the largest |reweighted share − target share| left after raking
    configurations: int  # distinct representative configurations


def rake(
    configurations: Sequence[frozenset[str]],
    targets: Sequence[tuple[FamilyInfo, str | None, float]],
    initial: Sequence[float] | None = None,
    rounds: int = RAKING_ROUNDS,
) -> tuple[np.ndarray, float]:
    """Weights (adding up to 1) of the configurations, starting from ``initial`` (default: equal), whose shares come
    closest to the targets — (family, option or None for "none of the family", share) — and the largest gap left."""
    n = len(configurations)
    if n == 0:
        return np.zeros(0), 1.0
    member = np.array(
        [[_has(config, family, option) for family, option, _share in targets] for config in configurations], dtype=bool
    ).reshape(n, len(targets))
    wanted = np.array([share for _family, _option, share in targets])
    weights = np.full(n, 1.0) if initial is None else np.array(initial, dtype=float)
    weights /= weights.sum()
    for _ in range(rounds):
        for t in range(len(targets)):
            inside = member[:, t]
            current = weights[inside].sum()
            if current > 0 and wanted[t] > 0:
                weights[inside] *= wanted[t] / current
            # A binary margin (an option of a multi-choice family) is matched on both sides.
            family, option = targets[t][0], targets[t][1]
            if not family.single and option is not None:
                outside = ~inside
                rest = weights[outside].sum()
                if rest > 0 and wanted[t] < 1:
                    weights[outside] *= (1 - wanted[t]) / rest
        weights /= weights.sum()
    achieved = member.T.astype(float) @ weights
    return weights, float(np.abs(achieved - wanted).max(initial=0.0))


def _has(config: frozenset[str], family: FamilyInfo, option: str | None) -> bool:
    if option is None:
        return not any(code in config for code in family.options)
    return option in config


def planned_volume(
    configurations: Sequence[frozenset[str]],
    targets: Sequence[tuple[FamilyInfo, str | None, float]],
    vehicles: int,
    explain: Callable[[frozenset[str]], Explained],
) -> Volume:
    """Vehicles per option (share × vehicles), and parts and minutes from the raked configurations."""
    distinct = sorted(set(configurations), key=sorted)
    counts = dict.fromkeys(distinct, 0)
    for config in configurations:
        counts[config] += 1
    weights, gap = rake(distinct, targets, [counts[config] for config in distinct])
    parts: dict[str, float] = {}
    minutes: dict[str, float] = {}
    for config, weight in zip(distinct, weights.tolist(), strict=True):
        if weight <= 0:
            continue
        needs = explain(config)
        for part, quantity in needs.parts.items():
            parts[part] = parts.get(part, 0.0) + float(quantity) * weight * vehicles
        for kind, spent in needs.minutes.items():
            minutes[kind] = minutes.get(kind, 0.0) + float(spent) * weight * vehicles
    per_option = {option: share * vehicles for _family, option, share in targets if option is not None}
    return Volume(vehicles, per_option, dict(sorted(parts.items())), dict(sorted(minutes.items())), gap, len(distinct))

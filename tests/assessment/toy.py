"""A miniature maturity model whose scores can be computed by hand, and helpers to rate it.

Two factors, two domains, three sub-domains::

    org        (domain org, one sub-domain)        levels 1–5, two items at level 1
    prod.plan  (domain prod)                       levels 1–5; prod.plan.L1.2 is discrete only
    prod.ops   (domain prod, starts at level 2)    levels 2–5; prod.ops.L2.2 is process only

Weights — discrete: org 0.4, prod 0.6 at every level; in prod, plan 0.25, ops 0.75.
          process:  org 0.2, prod 0.8 at every level; in prod, plan 0.5,  ops 0.5.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from zhizao.assessment.model import MaturityModel, parse_model
from zhizao.assessment.scoring import ItemRating, RatingsSheet

VERSION = "toy-v1"


def _requirement(item: str, applies_to: str = "both", **extra: Any) -> dict[str, Any]:
    return {
        "id": item,
        "text": {"zh": f"要求 {item}", "en": f"Requirement {item}"},
        "evidence": ["document"],
        "applies_to": applies_to,
        **extra,
    }


def toy_data() -> dict[str, Any]:
    """A fresh copy of the model's data, for tests to break."""
    return copy.deepcopy(_TOY)


_TOY: dict[str, Any] = {
    "version": VERSION,
    "title": {"zh": "玩具模型", "en": "Toy model"},
    "levels": [
        {"number": number, "key": key, "name": {"zh": zh, "en": key.title()}}
        for number, key, zh in [
            (1, "planned", "规划级"),
            (2, "standardised", "规范级"),
            (3, "integrated", "集成级"),
            (4, "optimised", "优化级"),
            (5, "leading", "引领级"),
        ]
    ],
    "capability_keys": ["strategy_consulting", "mes", "aps"],
    "factors": [
        {
            "key": "people",
            "name": {"zh": "人员", "en": "People"},
            "domains": [
                {
                    "key": "org",
                    "name": {"zh": "组织", "en": "Organisation"},
                    "subdomains": [
                        {
                            "key": "org",
                            "name": {"zh": "组织", "en": "Organisation"},
                            "impact": {"productivity": 1, "cost": 1, "quality": 0},
                            "capabilities": ["strategy_consulting"],
                            "requirements": [
                                _requirement("org.L1.1"),
                                _requirement("org.L1.2"),
                                *(_requirement(f"org.L{level}.1") for level in (2, 3, 4, 5)),
                            ],
                        }
                    ],
                }
            ],
        },
        {
            "key": "manufacturing",
            "name": {"zh": "制造", "en": "Manufacturing"},
            "domains": [
                {
                    "key": "prod",
                    "name": {"zh": "生产", "en": "Production"},
                    "subdomains": [
                        {
                            "key": "prod.plan",
                            "name": {"zh": "计划", "en": "Planning"},
                            "impact": {"productivity": 3, "cost": 2, "quality": 1},
                            "capabilities": ["aps", "mes"],
                            "requirements": [
                                _requirement("prod.plan.L1.1"),
                                _requirement("prod.plan.L1.2", "discrete"),
                                *(_requirement(f"prod.plan.L{level}.1") for level in (2, 3, 4, 5)),
                            ],
                        },
                        {
                            "key": "prod.ops",
                            "name": {"zh": "作业", "en": "Operations"},
                            "first_level": 2,
                            "impact": {"productivity": 3, "cost": 3, "quality": 3},
                            "capabilities": ["mes"],
                            "requirements": [
                                _requirement("prod.ops.L2.1", verifiable_by="production_monitoring"),
                                _requirement("prod.ops.L2.2", "process"),
                                *(_requirement(f"prod.ops.L{level}.1") for level in (3, 4, 5)),
                            ],
                        },
                    ],
                }
            ],
        },
    ],
    "weights": {
        "discrete": {
            "domains_by_level": {level: {"org": 0.4, "prod": 0.6} for level in (1, 2, 3, 4, 5)},
            "subdomains": {"prod": {"prod.plan": 0.25, "prod.ops": 0.75}},
        },
        "process": {
            "domains_by_level": {level: {"org": 0.2, "prod": 0.8} for level in (1, 2, 3, 4, 5)},
            "subdomains": {"prod": {"prod.plan": 0.5, "prod.ops": 0.5}},
        },
    },
}


def toy_model() -> MaturityModel:
    return parse_model(toy_data())


def sheet(
    enterprise_type: str,
    ratings: Mapping[str, float | None],
    *,
    grades: dict[str, str] | None = None,
    independent: dict[str, dict[str, float]] | None = None,
    target_level: int = 5,
    version: str = VERSION,
) -> RatingsSheet:
    """A sheet from item → rating, where None marks the item not applicable."""
    grades = grades or {}

    def rating(item: str, value: float | None) -> ItemRating:
        if value is None:
            return ItemRating(item=item, not_applicable=True)
        return ItemRating(item=item, rating=value, **({"evidence_grade": grades[item]} if item in grades else {}))

    return RatingsSheet.model_validate(
        {
            "model_version": version,
            "enterprise_type": enterprise_type,
            "target_level": target_level,
            "ratings": [rating(item, value) for item, value in ratings.items()],
            "independent": {
                expert: [ItemRating(item=item, rating=value) for item, value in by_item.items()]
                for expert, by_item in (independent or {}).items()
            },
        }
    )

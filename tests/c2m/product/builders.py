"""Small product models for the tests, written as the data a model file holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zhizao.c2m.product.loading import parse_product_model
from zhizao.c2m.product.model import ProductModel

# (code, min, max, [(option code, price, attributes, discontinued)])
FamilySpec = tuple[str, int, int, list[tuple[str, int, dict[str, int], bool]]]


def option(
    code: str, price: int = 0, discontinued: bool = False, **attributes: int
) -> tuple[str, int, dict[str, int], bool]:
    return (code, price, attributes, discontinued)


def model_data(families: list[FamilySpec], rules: Sequence[dict[str, Any]] = (), **extra: Any) -> dict[str, Any]:
    return {
        "code": extra.pop("code", "TEST"),
        "name": {"zh": "测试车型", "en": "Test model"},
        "version": extra.pop("version", 1),
        "base_price": extra.pop("base_price", 100000),
        "families": [
            {
                "code": code,
                "name": {"zh": code, "en": code.title()},
                "min_choices": low,
                "max_choices": high,
                "options": [
                    {
                        "code": option_code,
                        "name": {"zh": option_code, "en": option_code.title()},
                        "price": price,
                        "attributes": attributes,
                        "discontinued": discontinued,
                    }
                    for option_code, price, attributes, discontinued in options
                ],
            }
            for code, low, high, options in families
        ],
        "rules": list(rules),
        **extra,
    }


def build(families: list[FamilySpec], rules: Sequence[dict[str, Any]] = (), **extra: Any) -> ProductModel:
    return parse_product_model(model_data(families, rules, **extra))


def ev(rules: Sequence[dict[str, Any]] = (), *, discontinued: tuple[str, ...] = (), **extra: Any) -> ProductModel:
    """A small electric car: battery (exactly one), range package (optional), drive (exactly one), towing
    (optional), extras (up to two)."""
    families: list[FamilySpec] = [
        (
            "BATTERY",
            1,
            1,
            [
                option("BAT_60", 0, battery_kwh=60),
                option("BAT_80", 20000, battery_kwh=80),
                option("BAT_100", 40000, battery_kwh=100),
            ],
        ),
        ("RANGE", 0, 1, [option("RANGE_LONG", 5000)]),
        ("DRIVE", 1, 1, [option("RWD", 0), option("AWD", 15000)]),
        ("TOWING", 0, 1, [option("TOW", 3000)]),
        ("EXTRAS", 0, 2, [option("HUD", 4000), option("AUDIO", 6000), option("ROOF", 8000)]),
    ]
    families = [
        (code, low, high, [(c, p, a, c in discontinued) for c, p, a, _d in options])
        for code, low, high, options in families
    ]
    return build(families, rules, **extra)


def requires(rule_id: str, option_code: str, *any_of: str) -> dict[str, Any]:
    return {"kind": "requires", "id": rule_id, "option": option_code, "any_of": list(any_of)}


def excludes(rule_id: str, option_code: str, *options: str) -> dict[str, Any]:
    return {"kind": "excludes", "id": rule_id, "option": option_code, "options": list(options)}


def exactly_one(rule_id: str, *options: str) -> dict[str, Any]:
    return {"kind": "exactly_one", "id": rule_id, "options": list(options)}


def at_most(rule_id: str, k: int, *options: str) -> dict[str, Any]:
    return {"kind": "at_most_k", "id": rule_id, "options": list(options), "k": k}


def numeric(
    rule_id: str,
    attribute: str,
    *,
    when: tuple[str, ...] = (),
    at_least: int | None = None,
    at_most: int | None = None,
    coefficient: int = 1,
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "kind": "numeric",
        "id": rule_id,
        "when": list(when),
        "terms": [{"attribute": attribute, "coefficient": coefficient}],
    }
    if at_least is not None:
        rule["at_least"] = at_least
    if at_most is not None:
        rule["at_most"] = at_most
    return rule

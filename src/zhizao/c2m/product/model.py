"""The product model of a customisable product, as versioned data: option families and their options, the rules
between options, prices, a super-BOM whose lines carry usage conditions, and a routing whose times depend on options.

Every model is plain data (pydantic, strict, frozen, no extra keys) so that a version can be stored as JSON and read
back unchanged. Structure is checked by the types; what ties the parts together (unknown option codes in a rule,
duplicate codes, family bounds, conditions that do not parse) is checked by ``reference_problems`` in
``references.py``, which names the field of each problem. ``parse_product_model`` turns both into one ``InputError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

CODE_PATTERN = r"^[A-Z][A-Z0-9_]{0,47}$"
MODEL_CODE_PATTERN = r"^[A-Z][A-Z0-9_-]{0,47}$"
RULE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"
ATTRIBUTE_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
PART_NUMBER_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{0,47}$"
EQUIPMENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
# Validation context that leaves the cross-reference checks to the caller (``parse_product_model`` names the field
# of every problem; a model validator could only name the model).
DEFER_REFERENCE_CHECKS = "defer_reference_checks"

Code = Annotated[str, Field(pattern=CODE_PATTERN)]
RuleId = Annotated[str, Field(pattern=RULE_ID_PATTERN)]
AttributeName = Annotated[str, Field(pattern=ATTRIBUTE_PATTERN)]
# Prices in CNY to the fen; option prices are never negative, so the cheapest completion never buys a credit.
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
AttributeValue = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=15, decimal_places=4)]
Minutes = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=4)]
Condition = Annotated[str, Field(min_length=1, max_length=2000)]


class Frozen(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class Text(Frozen):
    """A name in both languages of the platform."""

    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class Option(Frozen):
    code: Code
    name: Text
    price: Money = Decimal(0)
    # Kept in the model so that old orders still read, but no new configuration may choose it.
    discontinued: bool = False
    # Numeric properties the numeric rules sum over (battery_kwh, range_km, mass_kg, …); absent means 0.
    attributes: dict[AttributeName, AttributeValue] = Field(default_factory=dict)


class Family(Frozen):
    """Options of one kind; a configuration chooses between ``min_choices`` and ``max_choices`` of them
    (exactly one: 1..1, optional: 0..1, several: 0..k)."""

    code: Code
    name: Text
    min_choices: int = Field(default=1, ge=0)
    max_choices: int = Field(default=1, ge=1)
    options: tuple[Option, ...] = Field(min_length=1)


class _Rule(Frozen):
    id: RuleId
    # Overrides the rule kind's default sentence; placeholders are the kind's parameters ({option}, {targets}, …).
    explanation: Text | None = None


class Requires(_Rule):
    """Choosing ``option`` requires choosing at least one of ``any_of``."""

    kind: Literal["requires"] = "requires"
    option: Code
    any_of: tuple[Code, ...] = Field(min_length=1)


class Excludes(_Rule):
    """``option`` and any one of ``options`` cannot both be chosen."""

    kind: Literal["excludes"] = "excludes"
    option: Code
    options: tuple[Code, ...] = Field(min_length=1)


class ExactlyOne(_Rule):
    """Exactly one of ``options`` is chosen (they may come from different families)."""

    kind: Literal["exactly_one"] = "exactly_one"
    options: tuple[Code, ...] = Field(min_length=2)


class AtMostK(_Rule):
    """At most ``k`` of ``options`` are chosen."""

    kind: Literal["at_most_k"] = "at_most_k"
    options: tuple[Code, ...] = Field(min_length=2)
    k: int = Field(ge=1)


class Term(Frozen):
    """``coefficient`` × the sum of ``attribute`` over the chosen options."""

    attribute: AttributeName
    coefficient: AttributeValue = Decimal(1)


class Numeric(_Rule):
    """When every option of ``when`` is chosen (always, if empty), the sum of the terms over the chosen options lies
    within [``at_least``, ``at_most``]; e.g. battery_kwh ≥ 75 when RANGE_LONG is chosen."""

    kind: Literal["numeric"] = "numeric"
    when: tuple[Code, ...] = ()
    terms: tuple[Term, ...] = Field(min_length=1)
    at_least: AttributeValue | None = None
    at_most: AttributeValue | None = None


Rule = Annotated[Requires | Excludes | ExactlyOne | AtMostK | Numeric, Field(discriminator="kind")]
RULE_KINDS = ("requires", "excludes", "exactly_one", "at_most_k", "numeric")


class BomLine(Frozen):
    """One line of the super-BOM: used in a configuration when its condition holds (always, without one)."""

    position: int = Field(ge=1)
    part_number: str = Field(pattern=PART_NUMBER_PATTERN)
    description: Text
    quantity: Quantity
    unit: Literal["pcs", "kg", "m", "l", "set"] = "pcs"
    # A boolean expression over option codes: ``A & (B | !C)``.
    condition: Condition | None = None


class OptionMinutes(Frozen):
    option: Code
    minutes: Minutes


class Operation(Frozen):
    """One routing step: ``base_minutes`` on an equipment type, plus ``extra_minutes`` for each chosen option listed;
    skipped when its condition does not hold."""

    sequence: int = Field(ge=1)
    code: Code
    name: Text
    equipment_type: str = Field(pattern=EQUIPMENT_TYPE_PATTERN)
    base_minutes: Minutes
    extra_minutes: tuple[OptionMinutes, ...] = ()
    condition: Condition | None = None


class ProductModel(Frozen):
    code: str = Field(pattern=MODEL_CODE_PATTERN)
    name: Text
    version: int = Field(ge=1)
    base_price: Money = Decimal(0)
    families: tuple[Family, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = ()
    bom: tuple[BomLine, ...] = ()
    routing: tuple[Operation, ...] = ()

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> ProductModel:
        if isinstance(info.context, dict) and info.context.get(DEFER_REFERENCE_CHECKS):
            return self
        from zhizao.c2m.product.references import reference_problems  # references.py reads this module's types

        problems = reference_problems(self)
        if problems:
            raise ValueError("; ".join(f"{problem.field}: {problem.message}" for problem in problems[:5]))
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> ProductModel:
        """A copy without the indexes below: pydantic copies cached properties along, which after ``update`` would
        describe the original. (``update`` is not validated; parse the result again before trusting it.)"""
        copied = super().model_copy(update=update, deep=deep)
        for cached in ("options", "family_of", "attributes"):
            copied.__dict__.pop(cached, None)
        return copied

    @cached_property
    def options(self) -> dict[str, Option]:
        """Every option by code, in family order."""
        return {option.code: option for family in self.families for option in family.options}

    @cached_property
    def family_of(self) -> dict[str, Family]:
        return {option.code: family for family in self.families for option in family.options}

    @cached_property
    def attributes(self) -> frozenset[str]:
        """The attribute names some option carries."""
        return frozenset(name for option in self.options.values() for name in option.attributes)

    def label(self, code: str) -> str:
        """An option (or family) as messages show it: ``Tow hitch (TOW_HITCH)``."""
        option = self.options.get(code)
        if option is not None:
            return f"{option.name.en} ({code})"
        family = next((family for family in self.families if family.code == code), None)
        return f"{family.name.en} ({code})" if family is not None else code

    def price_of(self, chosen: frozenset[str] | set[str]) -> Decimal:
        """Base price plus the chosen options' prices."""
        return self.base_price + sum((self.options[code].price for code in chosen), Decimal(0))

"""A complete configuration against every rule of its model: the list of violations, each with its rule id and an
explanation. Pure and deliberately plain — it reads the model's rules directly, not the configurator's compiled
constraints, so that the property tests can hold the CP-SAT configurator against it.

A configuration is complete: the options not in it are not chosen. Besides the rules it must respect every
family's bounds and choose no discontinued option.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from zhizao.c2m.product.explain import Explanation, discontinued_explanation, family_explanation, rule_explanation
from zhizao.c2m.product.model import AtMostK, ExactlyOne, Excludes, Numeric, ProductModel, Requires, Rule
from zhizao.errors import FieldProblem, InputError

Violation = Explanation


def known_selection(model: ProductModel, chosen: Iterable[str], *, field: str = "body.chosen") -> frozenset[str]:
    """The chosen codes as a set; an unknown code is the caller's mistake, named by its position."""
    codes = list(chosen)
    problems = [
        FieldProblem(f"{field}.{index}", f"{code!r} is not an option of {model.code} version {model.version}")
        for index, code in enumerate(codes)
        if code not in model.options
    ]
    if problems:
        raise InputError("; ".join(f"{problem.field}: {problem.message}" for problem in problems), fields=problems)
    return frozenset(codes)


def violations(model: ProductModel, chosen: Iterable[str]) -> tuple[Violation, ...]:
    """Every family bound, discontinued option and rule the complete configuration ``chosen`` breaks."""
    selected = known_selection(model, chosen)
    found: list[Violation] = []
    for family in model.families:
        count = sum(1 for option in family.options if option.code in selected)
        if not family.min_choices <= count <= family.max_choices:
            found.append(family_explanation(model, family))
    found.extend(discontinued_explanation(model, code) for code in sorted(selected) if model.options[code].discontinued)
    for rule in model.rules:
        violation = rule_violation(model, rule, selected)
        if violation is not None:
            found.append(violation)
    return tuple(found)


def rule_violation(model: ProductModel, rule: Rule, selected: frozenset[str]) -> Violation | None:
    """The explanation of ``rule`` when the complete configuration ``selected`` breaks it, else None."""
    if isinstance(rule, Requires):
        broken = rule.option in selected and not any(code in selected for code in rule.any_of)
    elif isinstance(rule, Excludes):
        broken = rule.option in selected and any(code in selected for code in rule.options)
    elif isinstance(rule, ExactlyOne):
        broken = sum(1 for code in rule.options if code in selected) != 1
    elif isinstance(rule, AtMostK):
        broken = sum(1 for code in rule.options if code in selected) > rule.k
    else:
        assert isinstance(rule, Numeric)
        if not all(code in selected for code in rule.when):
            return None
        total = numeric_total(model, rule, selected)
        too_low = rule.at_least is not None and total < rule.at_least
        too_high = rule.at_most is not None and total > rule.at_most
        return rule_explanation(model, rule, actual=total) if too_low or too_high else None
    return rule_explanation(model, rule) if broken else None


def numeric_total(model: ProductModel, rule: Numeric, selected: frozenset[str]) -> Decimal:
    """Σ over the terms of coefficient × Σ over the chosen options of the attribute (absent: 0)."""
    total = Decimal(0)
    for term in rule.terms:
        for code in selected:
            total += term.coefficient * model.options[code].attributes.get(term.attribute, Decimal(0))
    return total

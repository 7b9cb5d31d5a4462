"""A product model compiled to three kinds of constraint over one boolean per option (chosen or not), the form that
both the propagator and CP-SAT read:

- ``Clause``: at least one of its literals holds (requires, excludes, discontinued options);
- ``Cardinality``: between ``low`` and ``high`` of its options are chosen (families, exactly-one, at-most-k);
- ``Linear``: when all ``when`` options are chosen, Σ coefficient × chosen lies in [low, high] (numeric rules,
  scaled to integers: a rule over 6.5 × battery_kwh is multiplied by 10 throughout).

Each constraint carries the id of the rule it came from (``family:<CODE>`` and ``discontinued:<CODE>`` for the
built-in ones), which is how greyed-out options and refused selections are explained.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from zhizao.c2m.product.explain import DISCONTINUED_PREFIX, FAMILY_PREFIX
from zhizao.c2m.product.model import AtMostK, ExactlyOne, Excludes, Numeric, ProductModel, Requires
from zhizao.errors import InputError


class Values(Protocol):
    """Each option's value, 1 (chosen) or 0: a list, or an overlay of changes on a known configuration."""

    def __getitem__(self, var: int, /) -> int: ...


# CP-SAT works on 64-bit integers; a scaled numeric rule must stay well inside them even when every term adds up.
MAX_SCALED = 2**53


def positive(var: int) -> int:
    """The literal "option ``var`` is chosen"; ``positive(var) + 1`` is "not chosen"."""
    return 2 * var


def negative(var: int) -> int:
    return 2 * var + 1


def variable(literal: int) -> int:
    return literal >> 1


def is_positive(literal: int) -> bool:
    return literal & 1 == 0


@dataclass(frozen=True, slots=True)
class Clause:
    rule_id: str
    literals: tuple[int, ...]

    def holds(self, value: Values) -> bool:
        return any(value[literal >> 1] != literal & 1 for literal in self.literals)


@dataclass(frozen=True, slots=True)
class Cardinality:
    rule_id: str
    variables: tuple[int, ...]
    low: int
    high: int

    def holds(self, value: Values) -> bool:
        return self.low <= sum(1 for var in self.variables if value[var]) <= self.high


@dataclass(frozen=True, slots=True)
class Group:
    """The terms of a linear constraint over one single-choice family: at most one of them counts (exactly one
    when ``required``), which the propagator uses for tighter bounds and shorter explanations."""

    family: int  # the family's Cardinality constraint
    members: tuple[tuple[int, int], ...]  # every option of the family with its coefficient, zeros included
    required: bool


@dataclass(frozen=True, slots=True)
class Linear:
    rule_id: str
    when: tuple[int, ...]
    terms: tuple[tuple[int, int], ...]  # (option, integer coefficient), no zeros
    low: int | None
    high: int | None
    groups: tuple[Group, ...] = ()  # the terms in single-choice families …
    loose: tuple[tuple[int, int], ...] = ()  # … and the others

    def holds(self, value: Values) -> bool:
        if not all(value[var] for var in self.when):
            return True
        total = sum(coefficient for var, coefficient in self.terms if value[var])
        return (self.low is None or total >= self.low) and (self.high is None or total <= self.high)


Constraint = Clause | Cardinality | Linear


@dataclass(frozen=True, slots=True)
class CompiledModel:
    model: ProductModel
    codes: tuple[str, ...]  # option code of each variable
    index: dict[str, int]
    prices_fen: tuple[int, ...]
    constraints: tuple[Constraint, ...]
    watches: tuple[tuple[int, ...], ...]  # for each variable, the constraints it appears in
    rule_ids: tuple[str, ...]  # every constraint group, in model order

    def violated(self, value: Values) -> list[str]:
        """The rule ids whose constraints a complete assignment breaks, each once, in model order."""
        broken = {constraint.rule_id for constraint in self.constraints if not constraint.holds(value)}
        return [rule_id for rule_id in self.rule_ids if rule_id in broken]


def compile_model(model: ProductModel) -> CompiledModel:
    codes = tuple(model.options)
    index = {code: position for position, code in enumerate(codes)}
    constraints: list[Constraint] = []
    for family in model.families:
        members = tuple(index[option.code] for option in family.options)
        constraints.append(Cardinality(FAMILY_PREFIX + family.code, members, family.min_choices, family.max_choices))
    for code, option in model.options.items():
        if option.discontinued:
            constraints.append(Clause(DISCONTINUED_PREFIX + code, (negative(index[code]),)))
    for position, rule in enumerate(model.rules):
        if isinstance(rule, Requires):
            literals = (negative(index[rule.option]), *(positive(index[code]) for code in rule.any_of))
            constraints.append(Clause(rule.id, literals))
        elif isinstance(rule, Excludes):
            for code in rule.options:
                constraints.append(Clause(rule.id, (negative(index[rule.option]), negative(index[code]))))
        elif isinstance(rule, ExactlyOne | AtMostK):
            members = tuple(index[code] for code in rule.options)
            low, high = (1, 1) if isinstance(rule, ExactlyOne) else (0, rule.k)
            constraints.append(Cardinality(rule.id, members, low, high))
        else:
            constraints.append(_linear(model, rule, index, f"rules.{position}", constraints))
    watches: list[list[int]] = [[] for _ in codes]
    for number, constraint in enumerate(constraints):
        for var in _variables(constraint):
            if not watches[var] or watches[var][-1] != number:
                watches[var].append(number)
    rule_ids = tuple(dict.fromkeys(constraint.rule_id for constraint in constraints))
    prices = tuple(int(option.price * 100) for option in model.options.values())
    return CompiledModel(model, codes, index, prices, tuple(constraints), tuple(map(tuple, watches)), rule_ids)


def _variables(constraint: Constraint) -> list[int]:
    if isinstance(constraint, Clause):
        return [variable(literal) for literal in constraint.literals]
    if isinstance(constraint, Cardinality):
        return list(constraint.variables)
    return sorted({*constraint.when, *(var for var, _coefficient in constraint.terms)})


def _linear(model: ProductModel, rule: Numeric, index: dict[str, int], path: str, families: list[Constraint]) -> Linear:
    """Σ_terms coefficient × Σ_chosen attribute = Σ_chosen (Σ_terms coefficient × attribute): one coefficient per
    option, then every number multiplied by the power of ten that makes them all whole."""
    per_option: list[tuple[int, Decimal]] = []
    for code, option in model.options.items():
        weight = sum(
            (term.coefficient * option.attributes.get(term.attribute, Decimal(0)) for term in rule.terms), Decimal(0)
        )
        if weight != 0:
            per_option.append((index[code], weight))
    bounds = [bound for bound in (rule.at_least, rule.at_most) if bound is not None]
    numbers = [*bounds, *(weight for _var, weight in per_option)]
    places = max((_decimal_places(value) for value in numbers), default=0)
    scale = Decimal(10) ** places
    terms = tuple((var, int(weight * scale)) for var, weight in per_option)
    low = None if rule.at_least is None else int(rule.at_least * scale)
    high = None if rule.at_most is None else int(rule.at_most * scale)
    largest = sum(abs(coefficient) for _var, coefficient in terms) + max((abs(b) for b in (low, high) if b), default=0)
    if largest > MAX_SCALED:
        raise InputError.for_field(path, f"rule {rule.id}: its numbers are too large or too finely divided to solve")
    return Linear(rule.id, tuple(index[code] for code in rule.when), terms, low, high, *_grouped(terms, families))


def _grouped(
    terms: tuple[tuple[int, int], ...], constraints: list[Constraint]
) -> tuple[tuple[Group, ...], tuple[tuple[int, int], ...]]:
    """Split terms by single-choice family (the family constraints come first in ``constraints``)."""
    coefficients = dict(terms)
    groups: list[Group] = []
    grouped: set[int] = set()
    for number, family in enumerate(constraints):
        if not (isinstance(family, Cardinality) and family.rule_id.startswith(FAMILY_PREFIX)):
            break
        if family.high == 1 and any(var in coefficients for var in family.variables):
            members = tuple((var, coefficients.get(var, 0)) for var in family.variables)
            groups.append(Group(number, members, family.low >= 1))
            grouped.update(family.variables)
    return tuple(groups), tuple((var, coefficient) for var, coefficient in terms if var not in grouped)


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0

"""What ties a product model together, checked with the path of each problem (``rules.3.any_of.1``): codes are
unique, families can be satisfied, every code a rule, condition or routing mentions exists, numeric rules name
attributes that some option carries, explanation templates use only their kind's placeholders."""

from __future__ import annotations

import string
from collections.abc import Iterable

from zhizao.c2m.product.condition import ConditionError, codes_in, parse_condition
from zhizao.c2m.product.model import AtMostK, ExactlyOne, Excludes, Numeric, ProductModel, Requires, Rule
from zhizao.errors import FieldProblem

# The placeholders a rule kind's explanation template may use (see ``explain.py`` for what each holds).
PLACEHOLDERS = {
    "requires": frozenset({"option", "targets"}),
    "excludes": frozenset({"option", "targets"}),
    "exactly_one": frozenset({"options"}),
    "at_most_k": frozenset({"options", "k"}),
    "numeric": frozenset({"when", "terms", "bound"}),
}


def reference_problems(model: ProductModel) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    known = _family_problems(model, problems)
    attributes = model.attributes
    seen_ids: set[str] = set()
    for index, rule in enumerate(model.rules):
        path = f"rules.{index}"
        if rule.id in seen_ids:
            problems.append(FieldProblem(f"{path}.id", f"duplicate rule id {rule.id!r}"))
        seen_ids.add(rule.id)
        problems.extend(_rule_problems(rule, path, known, attributes))
    positions: set[int] = set()
    for index, line in enumerate(model.bom):
        if line.position in positions:
            problems.append(FieldProblem(f"bom.{index}.position", f"duplicate position {line.position}"))
        positions.add(line.position)
        problems.extend(_condition_problems(line.condition, f"bom.{index}.condition", known))
    sequences: set[int] = set()
    operation_codes: set[str] = set()
    for index, operation in enumerate(model.routing):
        path = f"routing.{index}"
        if operation.sequence in sequences:
            problems.append(FieldProblem(f"{path}.sequence", f"duplicate sequence {operation.sequence}"))
        if operation.code in operation_codes:
            problems.append(FieldProblem(f"{path}.code", f"duplicate operation code {operation.code!r}"))
        sequences.add(operation.sequence)
        operation_codes.add(operation.code)
        problems.extend(_condition_problems(operation.condition, f"{path}.condition", known))
        listed = [extra.option for extra in operation.extra_minutes]
        problems.extend(_code_problems(listed, f"{path}.extra_minutes", known, suffix=".option"))
    return problems


def _family_problems(model: ProductModel, problems: list[FieldProblem]) -> frozenset[str]:
    """Checks families and options; returns every option code."""
    family_codes: set[str] = set()
    option_codes: set[str] = set()
    for index, family in enumerate(model.families):
        path = f"families.{index}"
        if family.code in family_codes:
            problems.append(FieldProblem(f"{path}.code", f"duplicate family code {family.code!r}"))
        family_codes.add(family.code)
        if family.min_choices > family.max_choices:
            problems.append(FieldProblem(f"{path}.min_choices", f"{family.min_choices} is more than max_choices"))
        if family.max_choices > len(family.options):
            problems.append(
                FieldProblem(
                    f"{path}.max_choices",
                    f"{family.max_choices} is more than the family's {len(family.options)} option(s)",
                )
            )
        for position, option in enumerate(family.options):
            if option.code in option_codes or option.code in family_codes:
                problems.append(FieldProblem(f"{path}.options.{position}.code", f"duplicate code {option.code!r}"))
            option_codes.add(option.code)
    for index, family in enumerate(model.families):
        if family.code in option_codes:
            problems.append(FieldProblem(f"families.{index}.code", f"{family.code!r} is also an option code"))
    return frozenset(option_codes)


def _rule_problems(rule: Rule, path: str, known: frozenset[str], attributes: frozenset[str]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if isinstance(rule, Requires | Excludes):
        listed_field = "any_of" if isinstance(rule, Requires) else "options"
        listed = rule.any_of if isinstance(rule, Requires) else rule.options
        problems += _code_problems([rule.option], f"{path}.option", known, single=True)
        problems += _code_problems(listed, f"{path}.{listed_field}", known)
        if rule.option in listed:
            problems.append(FieldProblem(f"{path}.{listed_field}", f"lists the rule's own option {rule.option!r}"))
    elif isinstance(rule, ExactlyOne | AtMostK):
        problems += _code_problems(rule.options, f"{path}.options", known)
        if isinstance(rule, AtMostK) and rule.k >= len(rule.options):
            problems.append(
                FieldProblem(f"{path}.k", f"{rule.k} allows all {len(rule.options)} options: the rule says nothing")
            )
    elif isinstance(rule, Numeric):
        problems += _code_problems(rule.when, f"{path}.when", known)
        for index, term in enumerate(rule.terms):
            if term.attribute not in attributes:
                problems.append(
                    FieldProblem(f"{path}.terms.{index}.attribute", f"no option has attribute {term.attribute!r}")
                )
        if rule.at_least is None and rule.at_most is None:
            problems.append(FieldProblem(f"{path}.at_least", "give at_least, at_most or both"))
        elif rule.at_least is not None and rule.at_most is not None and rule.at_least > rule.at_most:
            problems.append(FieldProblem(f"{path}.at_least", "is more than at_most"))
    if rule.explanation is not None:
        for language in ("zh", "en"):
            message = _template_problem(getattr(rule.explanation, language), PLACEHOLDERS[rule.kind])
            if message:
                problems.append(FieldProblem(f"{path}.explanation.{language}", message))
    return problems


def _code_problems(
    codes: Iterable[str], path: str, known: frozenset[str], *, single: bool = False, suffix: str = ""
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for index, code in enumerate(codes):
        where = path if single else f"{path}.{index}{suffix}"
        if code not in known:
            problems.append(FieldProblem(where, f"unknown option code {code!r}"))
        elif code in seen:
            problems.append(FieldProblem(where, f"{code!r} is listed twice"))
        seen.add(code)
    return problems


def _condition_problems(condition: str | None, path: str, known: frozenset[str]) -> list[FieldProblem]:
    if condition is None:
        return []
    try:
        expression = parse_condition(condition)
    except ConditionError as exc:
        return [FieldProblem(path, f"does not parse: {exc}")]
    return [FieldProblem(path, f"unknown option code {code!r}") for code in sorted(codes_in(expression) - known)]


def _template_problem(template: str, allowed: frozenset[str]) -> str | None:
    """Why a template cannot be rendered safely, or None. Only bare placeholders: no attribute access, no index,
    no format spec, so rendering cannot reach anything but the strings it is given."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"not a valid template: {exc}"
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in allowed:
            return f"unknown placeholder {{{field}}}; this rule kind has {', '.join(sorted(allowed))}"
        if spec or conversion:
            return f"placeholder {{{field}}} takes no format"
    return None

"""Explanations of rules, in one shape for a violated rule (``rules.py``), a greyed-out option and a refused
selection (``configurator.py``): the rule's id, a template key with its parameters (option codes and numbers, so the
web layer can word it in Chinese with the options' Chinese names) and the English sentence.

Template keys and their English wording::

    requires      {option} requires {targets}              targets joined by "or"
    excludes      {option} excludes {targets}
    exactly_one   exactly one of {options} must be chosen
    at_most_k     at most {k} of {options} may be chosen
    numeric       {terms} must be {bound}[ when {when} is chosen]
    family        {family}: choose {bounds}
    discontinued  {option} is discontinued

A rule with its own ``explanation`` (zh and en) is rendered from that instead; ``message_zh`` is then filled too.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import Field

from zhizao.c2m.product.model import (
    AtMostK,
    ExactlyOne,
    Excludes,
    Family,
    Frozen,
    Numeric,
    ProductModel,
    Requires,
    Rule,
)

FAMILY_PREFIX = "family:"
DISCONTINUED_PREFIX = "discontinued:"


class Explanation(Frozen):
    rule_id: str  # a rule's id, ``family:<FAMILY>`` or ``discontinued:<OPTION>``
    template: str
    params: dict[str, str] = Field(default_factory=dict)
    message: str
    message_zh: str | None = None
    options: tuple[str, ...] = ()  # the option codes the explanation is about


def number(value: Decimal | int) -> str:
    """75, 6.5, -1 — no trailing zeros, no exponent."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in {"-0", ""} else text


def rule_explanation(model: ProductModel, rule: Rule, *, actual: Decimal | None = None) -> Explanation:
    """The sentence for one rule; ``actual`` (numeric rules) adds the sum a configuration reached."""
    options, params, english = _parts(model, rule)
    if actual is not None:
        params["actual"] = number(actual)
    message = _render(rule.explanation.en, params, model, "en") if rule.explanation else english
    if actual is not None:
        message += f" (it is {number(actual)})"
    message_zh = _render(rule.explanation.zh, params, model, "zh") if rule.explanation else None
    return Explanation(
        rule_id=rule.id, template=rule.kind, params=params, message=message, message_zh=message_zh, options=options
    )


def family_explanation(model: ProductModel, family: Family) -> Explanation:
    low, high = family.min_choices, family.max_choices
    if low == high:
        bounds = f"exactly {low}"
    elif low == 0:
        bounds = f"at most {high}"
    else:
        bounds = f"{low} to {high}"
    return Explanation(
        rule_id=FAMILY_PREFIX + family.code,
        template="family",
        params={"family": family.code, "min": str(low), "max": str(high)},
        message=f"{model.label(family.code)}: choose {bounds}",
        options=tuple(option.code for option in family.options),
    )


def discontinued_explanation(model: ProductModel, code: str) -> Explanation:
    return Explanation(
        rule_id=DISCONTINUED_PREFIX + code,
        template="discontinued",
        params={"option": code},
        message=f"{model.label(code)} is discontinued",
        options=(code,),
    )


def explanation_for(model: ProductModel, rule_id: str) -> Explanation:
    """The explanation of any constraint the configurator compiles, by its id."""
    if rule_id.startswith(FAMILY_PREFIX):
        code = rule_id.removeprefix(FAMILY_PREFIX)
        return family_explanation(model, next(family for family in model.families if family.code == code))
    if rule_id.startswith(DISCONTINUED_PREFIX):
        return discontinued_explanation(model, rule_id.removeprefix(DISCONTINUED_PREFIX))
    return rule_explanation(model, next(rule for rule in model.rules if rule.id == rule_id))


def _parts(model: ProductModel, rule: Rule) -> tuple[tuple[str, ...], dict[str, str], str]:
    """(option codes, template parameters, English sentence)."""
    if isinstance(rule, Requires | Excludes):
        targets = rule.any_of if isinstance(rule, Requires) else rule.options
        joiner = " or " if isinstance(rule, Requires) else ", "
        verb = "requires" if isinstance(rule, Requires) else "excludes"
        sentence = f"{model.label(rule.option)} {verb} {joiner.join(model.label(code) for code in targets)}"
        return (rule.option, *targets), {"option": rule.option, "targets": ",".join(targets)}, sentence
    if isinstance(rule, ExactlyOne | AtMostK):
        listed = ", ".join(model.label(code) for code in rule.options)
        params = {"options": ",".join(rule.options)}
        if isinstance(rule, ExactlyOne):
            return rule.options, params, f"exactly one of {listed} must be chosen"
        params["k"] = str(rule.k)
        return rule.options, params, f"at most {rule.k} of {listed} may be chosen"
    assert isinstance(rule, Numeric)
    terms = _terms(rule)
    bound = _bound(rule)
    params = {"terms": terms, "bound": bound, "when": ",".join(rule.when)}
    sentence = f"{terms} must be {bound}"
    if rule.when:
        sentence += f" when {' and '.join(model.label(code) for code in rule.when)} is chosen"
    return rule.when, params, sentence


def _terms(rule: Numeric) -> str:
    """``total battery_kwh`` or ``6.5 × total battery_kwh − total range_km``."""
    parts: list[str] = []
    for term in rule.terms:
        magnitude = abs(term.coefficient)
        text = f"total {term.attribute}" if magnitude == 1 else f"{number(magnitude)} × total {term.attribute}"
        if not parts:
            parts.append(text if term.coefficient >= 0 else f"−{text}")
        else:
            parts.append(f"{'+' if term.coefficient >= 0 else '−'} {text}")
    return " ".join(parts)


def _bound(rule: Numeric) -> str:
    if rule.at_least is not None and rule.at_most is not None:
        if rule.at_least == rule.at_most:
            return f"= {number(rule.at_least)}"
        return f"between {number(rule.at_least)} and {number(rule.at_most)}"
    if rule.at_least is not None:
        return f"≥ {number(rule.at_least)}"
    assert rule.at_most is not None
    return f"≤ {number(rule.at_most)}"


def _render(template: str, params: dict[str, str], model: ProductModel, language: str) -> str:
    """A rule's own template with option codes replaced by names in its language. Templates were checked on
    loading (bare placeholders of the rule's kind only), so ``format_map`` reaches nothing but these strings."""
    named = {key: _names(model, value, language) if key in _CODE_LISTS else value for key, value in params.items()}
    return template.format_map(named)


_CODE_LISTS = frozenset({"option", "targets", "options", "when"})


def _names(model: ProductModel, codes: str, language: str) -> str:
    separator = "、" if language == "zh" else ", "
    found: Sequence[str] = [code for code in codes.split(",") if code]
    return separator.join(getattr(model.options[code].name, language) for code in found)

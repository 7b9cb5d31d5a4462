"""The configurator's explanations worded for consumers in the page's language, with the options' names in that
language: "拖钩需要双电机四驱", "全景天幕与车顶行李箱互斥". A rule's own sentence (``explanation`` in the model) is used
where it has one; otherwise the template key and parameters of ``product.explain`` are worded here."""

from __future__ import annotations

from collections.abc import Iterable

from zhizao.c2m.product.explain import DISCONTINUED_PREFIX, FAMILY_PREFIX, Explanation, number
from zhizao.c2m.product.model import Numeric, ProductModel, Text
from zhizao.ui.i18n import N_, current_locale, gettext

# Attribute names of numeric rules, as consumers read them (the demo's; another model's are shown as they are).
ATTRIBUTE_LABELS: dict[str, str] = {
    "battery_kwh": N_("battery capacity (kWh)"),
    "range_km": N_("CLTC range (km)"),
    "mass_kg": N_("added mass (kg)"),
    "load_a": N_("12 V load (A)"),
    "power_kw": N_("motor power (kW)"),
    "compute_tops": N_("computing power (TOPS)"),
}


def in_language(text: Text) -> str:
    return text.zh if current_locale() == "zh_CN" else text.en


def names(model: ProductModel, codes: Iterable[str]) -> str:
    """Option (or family) names joined as the language joins a list."""
    separator = "、" if current_locale() == "zh_CN" else ", "
    return separator.join(name_of(model, code) for code in codes if code)


def name_of(model: ProductModel, code: str) -> str:
    option = model.options.get(code)
    if option is not None:
        return in_language(option.name)
    family = next((family for family in model.families if family.code == code), None)
    return in_language(family.name) if family is not None else code


def sentence(model: ProductModel, explanation: Explanation) -> str:
    """One explanation as a sentence for the consumer."""
    params = explanation.params
    own = _own_sentence(explanation)
    if own is not None:
        if "actual" in params and current_locale() == "zh_CN":  # the English message carries it already
            own += gettext(" (it is {actual})").format(actual=params["actual"])
        return own
    template = explanation.template
    if template == "requires":
        targets = gettext(" or ").join(name_of(model, code) for code in params["targets"].split(","))
        text = gettext("{option} requires {targets}").format(option=name_of(model, params["option"]), targets=targets)
    elif template == "excludes":
        text = gettext("{option} cannot be combined with {targets}").format(
            option=name_of(model, params["option"]), targets=names(model, params["targets"].split(","))
        )
    elif template == "exactly_one":
        text = gettext("exactly one of {options} must be chosen").format(
            options=names(model, params["options"].split(","))
        )
    elif template == "at_most_k":
        text = gettext("at most {k} of {options} may be chosen").format(
            k=params["k"], options=names(model, params["options"].split(","))
        )
    elif template == "numeric":
        text = _numeric(model, explanation)
    elif template == "family":
        text = _family(model, params)
    elif template == "discontinued":
        text = gettext("{option} is discontinued").format(option=name_of(model, params["option"]))
    else:  # a template this layer does not know yet: the core's English sentence
        text = explanation.message
    if "actual" in params and template == "numeric":
        text += gettext(" (it is {actual})").format(actual=params["actual"])
    return text


def _own_sentence(explanation: Explanation) -> str | None:
    """A rule's own sentence (Chinese, or English) when the model gives one."""
    is_rule = not explanation.rule_id.startswith((FAMILY_PREFIX, DISCONTINUED_PREFIX))
    if not is_rule or explanation.message_zh is None:
        return None
    return explanation.message_zh if current_locale() == "zh_CN" else explanation.message


def _family(model: ProductModel, params: dict[str, str]) -> str:
    family, low, high = name_of(model, params["family"]), params["min"], params["max"]
    if low == high:
        return gettext("{family}: choose exactly {count}").format(family=family, count=low)
    if low == "0":
        return gettext("{family}: choose at most {count}").format(family=family, count=high)
    return gettext("{family}: choose {low} to {high}").format(family=family, low=low, high=high)


def _numeric(model: ProductModel, explanation: Explanation) -> str:
    rule = next((rule for rule in model.rules if rule.id == explanation.rule_id), None)
    if not isinstance(rule, Numeric):
        return explanation.message
    parts: list[str] = []
    for term in rule.terms:
        label = gettext(ATTRIBUTE_LABELS[term.attribute]) if term.attribute in ATTRIBUTE_LABELS else term.attribute
        magnitude = abs(term.coefficient)
        text = label if magnitude == 1 else f"{number(magnitude)} × {label}"
        sign = "−" if term.coefficient < 0 else "+"
        parts.append(text if not parts and term.coefficient >= 0 else f"{sign} {text}" if parts else f"−{text}")
    terms = gettext("total {terms}").format(terms=" ".join(parts))
    if rule.at_least is not None and rule.at_most is not None:
        bound = gettext("between {low} and {high}").format(low=number(rule.at_least), high=number(rule.at_most))
    elif rule.at_least is not None:
        bound = f"≥ {number(rule.at_least)}"
    else:
        assert rule.at_most is not None
        bound = f"≤ {number(rule.at_most)}"
    text = gettext("{terms} must be {bound}").format(terms=terms, bound=bound)
    if rule.when:
        text = gettext("With {when}: {sentence}").format(when=names(model, rule.when), sentence=text)
    return text


def because_of(model: ProductModel, codes: Iterable[str]) -> str:
    """ "because you chose …" for the choices behind a greyed-out option or a conflict ("" when none)."""
    listed = names(model, codes)
    return gettext("because you chose {options}").format(options=listed) if listed else ""

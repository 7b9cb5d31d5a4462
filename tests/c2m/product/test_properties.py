"""Property tests: the CP-SAT configurator against the plain rule evaluator (``rules.py``) and brute force, on random
small models with every kind of rule.

- a complete configuration is accepted exactly when ``rules.py`` finds no violation;
- a partial one is accepted exactly when some valid configuration contains it, and ``complete`` then returns one
  of the cheapest such configurations;
- ``step`` greys out exactly the options no valid configuration containing the choices has, and each explanation
  is sufficient: no configuration containing the choices it names and the option satisfies the rules it names.
"""

from __future__ import annotations

from itertools import chain, combinations
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.c2m.product.builders import build, option
from zhizao.c2m.product.configurator import Configurator
from zhizao.c2m.product.model import ProductModel
from zhizao.c2m.product.results import ConfigurationRefused, OptionState
from zhizao.c2m.product.rules import violations

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def small_models(draw: st.DrawFn) -> ProductModel:
    families: list[Any] = []
    codes: list[str] = []
    for number in range(draw(st.integers(1, 4))):
        size = draw(st.integers(1, 3))
        low = draw(st.integers(0, 1))
        high = draw(st.integers(max(low, 1), size))
        options = []
        for index in range(size):
            code = f"F{number}O{index}"
            codes.append(code)
            options.append(
                option(code, draw(st.integers(0, 4)) * 100, a=draw(st.integers(-3, 6)), b=draw(st.integers(0, 4)))
            )
        families.append((f"F{number}", low, high, options))
    discontinued = draw(st.sets(st.sampled_from(codes), max_size=1))
    families = [
        (code, low, high, [(c, p, a, c in discontinued) for c, p, a, _d in options])
        for code, low, high, options in families
    ]
    rules = [draw(_rule(codes, number)) for number in range(draw(st.integers(0, 6)))]
    return build(families, rules)


def _rule(codes: list[str], number: int) -> st.SearchStrategy[dict[str, Any]]:
    rule_id = f"R{number}"
    if len(codes) < 2:
        return st.just({"kind": "numeric", "id": rule_id, "terms": [{"attribute": "a"}], "at_least": -2})
    distinct = st.lists(st.sampled_from(codes), min_size=2, max_size=min(4, len(codes)), unique=True)

    def requires(pair: list[str]) -> dict[str, Any]:
        return {"kind": "requires", "id": rule_id, "option": pair[0], "any_of": pair[1:]}

    def excludes(pair: list[str]) -> dict[str, Any]:
        return {"kind": "excludes", "id": rule_id, "option": pair[0], "options": pair[1:]}

    def at_most(members: list[str]) -> dict[str, Any]:
        return {"kind": "at_most_k", "id": rule_id, "options": members, "k": len(members) - 1}

    numeric = st.builds(
        lambda when, attribute, coefficient, bound, upper: {
            "kind": "numeric",
            "id": rule_id,
            "when": when,
            "terms": [{"attribute": attribute, "coefficient": coefficient}],
            **({"at_most": bound} if upper else {"at_least": bound}),
        },
        st.lists(st.sampled_from(codes), max_size=1),
        st.sampled_from(["a", "b"]),
        st.sampled_from([1, 2, -1, "0.5"]),
        st.integers(-4, 8),
        st.booleans(),
    )
    return st.one_of(
        distinct.map(requires),
        distinct.map(excludes),
        distinct.map(lambda members: {"kind": "exactly_one", "id": rule_id, "options": members}),
        distinct.map(at_most),
        numeric,
        numeric,  # twice as likely: bounds reasoning has the most ways to go wrong
    )


def subsets(codes: list[str]) -> list[frozenset[str]]:
    return [
        frozenset(chosen) for chosen in chain.from_iterable(combinations(codes, size) for size in range(len(codes) + 1))
    ]


class BruteForce:
    """Every configuration of a small model with the rule ids it breaks, by ``rules.py``."""

    def __init__(self, model: ProductModel) -> None:
        self.model = model
        self.broken = {
            chosen: {v.rule_id for v in violations(model, chosen)} for chosen in subsets(list(model.options))
        }
        self.valid = [chosen for chosen, broken in self.broken.items() if not broken]

    def containing(self, chosen: frozenset[str]) -> list[frozenset[str]]:
        return [configuration for configuration in self.valid if chosen <= configuration]


@SETTINGS
@given(small_models(), st.data())
def test_a_complete_configuration_is_accepted_exactly_when_it_breaks_no_rule(
    model: ProductModel, data: st.DataObject
) -> None:
    configurator = Configurator(model)
    for _ in range(4):
        chosen = data.draw(st.sets(st.sampled_from(list(model.options))))
        checked = configurator.check(chosen, complete=True)
        expected = violations(model, chosen)
        assert checked.valid == (not expected)
        assert {v.rule_id for v in checked.violations} == {v.rule_id for v in expected}


@SETTINGS
@given(small_models(), st.data())
def test_partial_choices_steps_and_completions_agree_with_brute_force(model: ProductModel, data: st.DataObject) -> None:
    configurator = Configurator(model)
    truth = BruteForce(model)
    chosen = frozenset(data.draw(st.sets(st.sampled_from(list(model.options)), max_size=3)))
    completions = truth.containing(chosen)

    assert configurator.check(chosen).valid == bool(completions)
    step = configurator.step(chosen)
    assert step.valid == bool(completions)
    if not completions:
        assert step.conflict, "a refusal says why"
        try:
            configurator.complete(chosen)
        except ConfigurationRefused as refused:
            assert refused.explanations
        else:
            raise AssertionError("complete() accepted choices no valid configuration contains")
        return

    completion = configurator.complete(chosen)
    assert chosen <= set(completion.chosen)
    assert not violations(model, completion.chosen)
    assert completion.price == min(model.price_of(configuration) for configuration in completions)

    for status in step.options:
        possible = bool(truth.containing(chosen | {status.code}))
        if status.state is OptionState.CHOSEN:
            assert status.code in chosen
        elif status.state is OptionState.UNAVAILABLE:
            assert not possible, f"{status.code} greyed out but possible"
            _assert_sufficient(truth, status.code, [r.rule_id for r in status.reasons], status.because_of)
        else:
            assert possible, f"{status.code} shown {status.state} but impossible"
            if status.state is OptionState.REQUIRED:
                assert all(status.code in configuration for configuration in completions)


def _assert_sufficient(truth: BruteForce, code: str, rule_ids: list[str], because_of: tuple[str, ...]) -> None:
    """No configuration with ``code`` and the choices named satisfies the rules named: the explanation alone proves
    the option greyed out."""
    assert rule_ids, f"{code} greyed out without a reason"
    named = set(rule_ids)
    needed = frozenset((code, *because_of))
    for configuration, broken in truth.broken.items():
        if needed <= configuration:
            assert broken & named, f"{configuration} escapes the explanation {rule_ids} of {code}"

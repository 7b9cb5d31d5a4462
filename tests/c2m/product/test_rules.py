"""A complete configuration against each kind of rule, with the explanations the consumer reads."""

from __future__ import annotations

import pytest

from tests.c2m.product.builders import at_most, build, ev, exactly_one, excludes, numeric, option, requires
from zhizao.c2m.product.rules import violations
from zhizao.errors import InputError

BASE = ("BAT_60", "RWD")


def broken(model_rules: list[dict[str, object]], chosen: tuple[str, ...]) -> list[str]:
    return [violation.rule_id for violation in violations(ev(model_rules), chosen)]


def test_requires_is_broken_only_when_its_option_is_chosen_without_any_target() -> None:
    rule = requires("R-TOW", "TOW", "AWD", "BAT_100")
    assert broken([rule], (*BASE, "TOW")) == ["R-TOW"]
    assert broken([rule], ("BAT_60", "AWD", "TOW")) == []
    assert broken([rule], ("BAT_100", "RWD", "TOW")) == []
    assert broken([rule], BASE) == []


def test_excludes_is_broken_when_the_option_meets_any_excluded_one() -> None:
    rule = excludes("R-X", "TOW", "HUD", "AUDIO")
    assert broken([rule], (*BASE, "TOW", "AUDIO")) == ["R-X"]
    assert broken([rule], (*BASE, "TOW", "ROOF")) == []
    assert broken([rule], (*BASE, "HUD", "AUDIO")) == []


def test_exactly_one_counts_across_families() -> None:
    rule = exactly_one("R-ONE", "TOW", "HUD")
    assert broken([rule], BASE) == ["R-ONE"]
    assert broken([rule], (*BASE, "TOW", "HUD")) == ["R-ONE"]
    assert broken([rule], (*BASE, "HUD")) == []


def test_at_most_k() -> None:
    rule = at_most("R-K", 1, "TOW", "HUD", "AUDIO")
    assert broken([rule], (*BASE, "TOW", "HUD")) == ["R-K"]
    assert broken([rule], (*BASE, "HUD")) == []


def test_numeric_rules_sum_attributes_of_the_chosen_options_when_their_condition_holds() -> None:
    rule = numeric("R-RANGE", "battery_kwh", when=("RANGE_LONG",), at_least=75)
    assert broken([rule], (*BASE, "RANGE_LONG")) == ["R-RANGE"]
    assert broken([rule], ("BAT_80", "RWD", "RANGE_LONG")) == []
    assert broken([rule], BASE) == []  # the condition does not hold
    (violation,) = violations(ev([rule]), (*BASE, "RANGE_LONG"))
    assert violation.params["actual"] == "60"
    assert violation.message == "total battery_kwh must be ≥ 75 when Range_Long (RANGE_LONG) is chosen (it is 60)"


def test_numeric_rules_combine_weighted_attributes_and_both_bounds() -> None:
    efficiency = numeric("R-EFF", "km", at_least=0, at_most=20)
    efficiency["terms"].append({"attribute": "kwh", "coefficient": "-6.5"})
    model = build(
        [
            ("BATTERY", 1, 1, [option("B1", kwh=60, km=400), option("B2", kwh=90, km=520)]),
            ("WHEELS", 1, 1, [option("W19", km=0), option("W21", km=-40)]),
        ],
        [efficiency],
    )
    # km − 6.5 × kwh: B1+W19 = 400 − 390 = 10 (in [0, 20]); B2+W19 = 520 − 585 = −65; B1+W21 = −30.
    assert [v.rule_id for v in violations(model, ("B1", "W19"))] == []
    assert [v.params["actual"] for v in violations(model, ("B2", "W19"))] == ["-65"]
    assert [v.params["actual"] for v in violations(model, ("B1", "W21"))] == ["-30"]
    assert "between 0 and 20" in violations(model, ("B1", "W21"))[0].message
    assert "total km − 6.5 × total kwh" in violations(model, ("B1", "W21"))[0].message


def test_family_bounds_and_discontinued_options_are_violations_too() -> None:
    model = ev(discontinued=("BAT_100",))
    found = {v.rule_id: v for v in violations(model, ("BAT_60", "BAT_80", "HUD", "AUDIO", "ROOF"))}
    assert set(found) == {"family:BATTERY", "family:DRIVE", "family:EXTRAS"}
    assert found["family:BATTERY"].message == "Battery (BATTERY): choose exactly 1"
    assert found["family:EXTRAS"].message == "Extras (EXTRAS): choose at most 2"
    assert [v.rule_id for v in violations(model, ("BAT_100", "RWD"))] == ["discontinued:BAT_100"]


def test_explanations_carry_a_template_key_and_parameters_for_translation() -> None:
    (violation,) = violations(ev([requires("R-TOW", "TOW", "AWD", "BAT_100")]), (*BASE, "TOW"))
    assert violation.template == "requires"
    assert violation.params == {"option": "TOW", "targets": "AWD,BAT_100"}
    assert violation.message == "Tow (TOW) requires Awd (AWD) or Bat_100 (BAT_100)"
    assert violation.message_zh is None
    assert violation.options == ("TOW", "AWD", "BAT_100")


def test_a_rules_own_explanation_is_rendered_in_both_languages_with_names() -> None:
    rule = requires("R-TOW", "TOW", "AWD") | {
        "explanation": {"zh": "选装{option}需要{targets}", "en": "{option} needs {targets}"}
    }
    (violation,) = violations(ev([rule]), (*BASE, "TOW"))
    assert violation.message == "Tow needs Awd"
    assert violation.message_zh == "选装TOW需要AWD"  # the test model's Chinese names are its codes


def test_an_unknown_option_in_a_configuration_is_the_callers_mistake() -> None:
    with pytest.raises(InputError) as error:
        violations(ev(), ("BAT_60", "WARP_DRIVE"))
    assert [problem.field for problem in error.value.fields] == ["body.chosen.1"]
    assert "'WARP_DRIVE' is not an option of TEST version 1" in error.value.message

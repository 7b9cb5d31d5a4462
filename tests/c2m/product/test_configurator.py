"""The CP-SAT configurator on small, hand-checked models: check, step (greying out with reasons) and complete."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.c2m.product.builders import at_most, build, ev, exactly_one, excludes, numeric, option, requires
from zhizao.c2m.product.configurator import Configurator, configurator_for
from zhizao.c2m.product.model import ProductModel
from zhizao.c2m.product.results import ConfigurationRefused, OptionState, OptionStatus, StepResult
from zhizao.errors import InputError

TOW_NEEDS_AWD = requires("R-TOW", "TOW", "AWD")
TOW_NEEDS_BIG_BATTERY = numeric("R-TOW-KWH", "battery_kwh", when=("TOW",), at_least=80)


def states(result: StepResult) -> dict[str, OptionStatus]:
    return {status.code: status for status in result.options}


def reasons(status: OptionStatus) -> list[str]:
    return [reason.rule_id for reason in status.reasons]


def test_nothing_is_greyed_out_in_a_model_without_rules_except_what_is_discontinued() -> None:
    result = Configurator(ev(discontinued=("BAT_100",))).step([])
    assert result.valid
    unavailable = {code: status for code, status in states(result).items() if status.state is OptionState.UNAVAILABLE}
    assert list(unavailable) == ["BAT_100"]
    assert reasons(unavailable["BAT_100"]) == ["discontinued:BAT_100"]
    assert unavailable["BAT_100"].because_of == ()


def test_requires_greys_out_the_alternatives_and_marks_the_target_required() -> None:
    result = states(Configurator(ev([TOW_NEEDS_AWD])).step(["TOW"]))
    assert result["TOW"].state is OptionState.CHOSEN
    assert result["AWD"].state is OptionState.REQUIRED
    assert reasons(result["AWD"]) == ["R-TOW"]
    assert result["RWD"].state is OptionState.UNAVAILABLE
    assert set(reasons(result["RWD"])) == {"family:DRIVE", "R-TOW"}
    assert result["RWD"].because_of == ("TOW",)
    assert "Tow (TOW) requires Awd (AWD)" in [reason.message for reason in result["RWD"].reasons]


def test_excludes_greys_out_the_excluded_option_naming_the_choice() -> None:
    result = states(Configurator(ev([excludes("R-X", "TOW", "HUD")])).step(["TOW"]))
    assert result["HUD"].state is OptionState.UNAVAILABLE
    assert reasons(result["HUD"]) == ["R-X"]
    assert result["HUD"].because_of == ("TOW",)
    assert result["HUD"].reasons[0].message == "Tow (TOW) excludes Hud (HUD)"
    assert result["AUDIO"].state is OptionState.SELECTABLE


def test_exactly_one_and_at_most_k_across_families() -> None:
    configurator = Configurator(ev([exactly_one("R-ONE", "TOW", "HUD"), at_most("R-K", 1, "HUD", "AUDIO", "ROOF")]))
    before = states(configurator.step([]))
    assert before["TOW"].state is OptionState.SELECTABLE and before["HUD"].state is OptionState.SELECTABLE
    after = states(configurator.step(["HUD"]))
    assert after["TOW"].state is OptionState.UNAVAILABLE and reasons(after["TOW"]) == ["R-ONE"]
    assert after["AUDIO"].state is OptionState.UNAVAILABLE and reasons(after["AUDIO"]) == ["R-K"]
    assert after["ROOF"].state is OptionState.UNAVAILABLE


def test_a_numeric_rule_greys_out_batteries_too_small_for_the_chosen_package() -> None:
    model = ev([numeric("R-RANGE", "battery_kwh", when=("RANGE_LONG",), at_least=75)])
    result = states(Configurator(model).step(["RANGE_LONG"]))
    assert result["BAT_60"].state is OptionState.UNAVAILABLE
    assert set(reasons(result["BAT_60"])) == {"R-RANGE", "family:BATTERY"}
    assert result["BAT_80"].state is OptionState.SELECTABLE
    # And the other way round: a small battery rules the package out.
    reverse = states(Configurator(model).step(["BAT_60"]))
    assert reverse["RANGE_LONG"].state is OptionState.UNAVAILABLE
    assert "R-RANGE" in reasons(reverse["RANGE_LONG"])


def three_extras_that_exclude_each_other() -> ProductModel:
    """Towing needs two extras, every pair of extras is forbidden: only search shows that towing is impossible."""
    return build(
        [("BASE", 1, 1, [option("CAR")]), ("TOWING", 0, 1, [option("TOW")]),
         ("EXTRAS", 0, 3, [option("HUD", w=5), option("AUDIO", w=5), option("ROOF", w=5)])],
        [numeric("N-W", "w", when=("TOW",), at_least=10), at_most("K1", 1, "HUD", "AUDIO"),
         at_most("K2", 1, "AUDIO", "ROOF"), at_most("K3", 1, "HUD", "ROOF")],
    )  # fmt: skip


def test_what_propagation_cannot_see_is_greyed_out_by_cp_sat_and_explained_by_its_core() -> None:
    result = Configurator(three_extras_that_exclude_each_other()).step([])
    tow = states(result)["TOW"]
    assert tow.state is OptionState.UNAVAILABLE
    assert result.stats.by_cp_sat == 1
    assert set(reasons(tow)) == {"N-W", "K1", "K2", "K3"}
    assert tow.because_of == ()  # the model alone rules it out


def test_a_selection_that_cannot_be_completed_is_refused_with_the_conflicting_rules_and_choices() -> None:
    configurator = Configurator(ev([TOW_NEEDS_AWD]))
    checked = configurator.check(["TOW", "RWD"])
    assert not checked.valid
    assert {violation.rule_id for violation in checked.violations} == {"R-TOW", "family:DRIVE"}
    assert checked.because_of == ("RWD", "TOW")
    step = configurator.step(["TOW", "RWD"])
    assert not step.valid
    assert {reason.rule_id for reason in step.conflict} == {"R-TOW", "family:DRIVE"}
    assert {status.state for status in step.options} == {OptionState.CHOSEN, OptionState.UNAVAILABLE}


def test_a_conflict_only_search_finds_is_explained_by_a_core() -> None:
    checked = Configurator(three_extras_that_exclude_each_other()).check(["TOW"])
    assert not checked.valid
    assert {violation.rule_id for violation in checked.violations} == {"N-W", "K1", "K2", "K3"}
    assert checked.because_of == ("TOW",)


def test_checking_a_complete_configuration_lists_every_broken_rule() -> None:
    configurator = Configurator(ev([TOW_NEEDS_AWD, excludes("R-X", "TOW", "HUD")]))
    assert configurator.check(["BAT_60", "AWD", "TOW"], complete=True).valid
    checked = configurator.check(["BAT_60", "RWD", "TOW", "HUD"], complete=True)
    assert not checked.valid
    assert [violation.rule_id for violation in checked.violations] == ["R-TOW", "R-X"]
    assert checked.price == Decimal(100000 + 3000 + 4000)
    missing = configurator.check(["BAT_60"], complete=True)
    assert [violation.rule_id for violation in missing.violations] == ["family:DRIVE"]
    # As a partial selection the same choices are fine.
    assert configurator.check(["BAT_60"]).valid


def test_complete_finds_the_cheapest_configuration_containing_the_choices() -> None:
    configurator = Configurator(ev([TOW_NEEDS_AWD, TOW_NEEDS_BIG_BATTERY]))
    empty = configurator.complete([])
    assert empty.chosen == ("BAT_60", "RWD") and empty.price == Decimal(100000) and empty.optimal
    towing = configurator.complete(["TOW"])
    # Battery 80 (20,000) rather than 100 (40,000), all-wheel drive (15,000), the hitch (3,000).
    assert towing.chosen == ("BAT_80", "AWD", "TOW")
    assert towing.added == ("BAT_80", "AWD")
    assert towing.price == Decimal(138000)


def test_complete_refuses_choices_no_configuration_contains() -> None:
    configurator = Configurator(ev([TOW_NEEDS_AWD]))
    with pytest.raises(ConfigurationRefused) as error:
        configurator.complete(["TOW", "RWD"])
    assert {explanation.rule_id for explanation in error.value.explanations} == {"R-TOW", "family:DRIVE"}
    assert {problem.field for problem in error.value.fields} == {"body.chosen"}


def test_unknown_codes_in_a_selection_are_input_errors() -> None:
    configurator = Configurator(ev())
    for question in (configurator.check, configurator.step, configurator.complete):
        with pytest.raises(InputError) as error:
            question(["BAT_60", "NOPE"])
        assert [problem.field for problem in error.value.fields] == ["body.chosen.1"]


def test_compiled_models_are_cached_by_code_and_version_but_never_stale() -> None:
    model = ev([TOW_NEEDS_AWD], code="CACHE-TEST")
    first = configurator_for(model)
    assert configurator_for(model) is first
    assert configurator_for(ev([TOW_NEEDS_AWD], code="CACHE-TEST")) is first  # equal content
    edited = ev([], code="CACHE-TEST")  # a draft edited under the same version
    assert configurator_for(edited) is not first
    assert states(configurator_for(edited).step(["TOW"]))["RWD"].state is OptionState.SELECTABLE

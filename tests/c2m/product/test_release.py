"""Checks before a version is released, order validation, and the differences between versions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.c2m.product.builders import at_most, ev, exactly_one, excludes, numeric, requires
from zhizao.c2m.product.diff import diff_models
from zhizao.c2m.product.loading import load_demo_model, parse_product_model_json
from zhizao.c2m.product.release import IssueKind, Severity, check_release, ensure_releasable, validate_order
from zhizao.c2m.product.results import ConfigurationRefused
from zhizao.errors import InputError


def issues(report_kind: IssueKind, model_rules: list[dict[str, object]], **kwargs: object) -> list[object]:
    report = check_release(ev(model_rules, **kwargs))  # type: ignore[arg-type]
    return [issue for issue in report.issues if issue.kind is report_kind]


def test_the_demo_vehicle_releases_clean() -> None:
    report = check_release(load_demo_model())
    assert report.releasable
    assert [issue for issue in report.issues if issue.severity is Severity.ERROR] == []


def test_a_dead_option_is_found_with_the_rules_that_kill_it() -> None:
    # The hitch needs all-wheel drive, and all-wheel drive rules the hitch out: the hitch is in no configuration.
    report = check_release(ev([requires("R1", "TOW", "AWD"), excludes("R2", "AWD", "TOW")]))
    (dead,) = [issue for issue in report.issues if issue.kind is IssueKind.DEAD_OPTION]
    assert dead.subject == "TOW"
    assert dead.field == "families.3.options.0"
    assert {reason.rule_id for reason in dead.reasons} == {"R1", "R2"}
    assert not report.releasable


def test_an_option_that_needs_more_than_its_family_allows_is_dead() -> None:
    report = check_release(ev([numeric("N", "battery_kwh", when=("TOW",), at_least=150)]))
    (dead,) = [issue for issue in report.issues if issue.kind is IssueKind.DEAD_OPTION]
    assert dead.subject == "TOW"
    assert "N" in {reason.rule_id for reason in dead.reasons}


def test_conflicting_rules_are_reported_as_a_minimal_set() -> None:
    rules = [
        exactly_one("E1", "TOW", "HUD"),
        excludes("X1", "TOW", "BAT_60", "BAT_80", "BAT_100"),  # the hitch fits no battery
        requires("Q1", "HUD", "ROOF"),
        at_most("K1", 1, "ROOF", "HUD"),  # … and the head-up display cannot have what it needs
        requires("IRRELEVANT", "AUDIO", "AWD"),
    ]
    report = check_release(ev(rules))
    (conflict,) = [issue for issue in report.issues if issue.kind is IssueKind.CONFLICTING_RULES]
    involved = {reason.rule_id for reason in conflict.reasons}
    assert involved == {"E1", "X1", "Q1", "K1", "family:BATTERY"}
    assert "IRRELEVANT" not in conflict.message
    assert not [issue for issue in report.issues if issue.kind is IssueKind.DEAD_OPTION]


def test_discontinued_options_still_required_by_a_rule_are_errors_mentioned_ones_warnings() -> None:
    report = check_release(
        ev([requires("R1", "TOW", "AWD", "BAT_100"), excludes("R2", "BAT_100", "HUD")], discontinued=("BAT_100",))
    )
    found = {(issue.kind, issue.field): issue for issue in report.issues}
    required = found[(IssueKind.DISCONTINUED_REQUIRED, "rules.0.any_of.1")]
    assert required.severity is Severity.ERROR and required.subject == "BAT_100"
    assert found[(IssueKind.DISCONTINUED_MENTIONED, "rules.1.option")].severity is Severity.WARNING
    assert not report.releasable


def test_a_new_version_must_be_newer_and_should_discontinue_rather_than_remove() -> None:
    released = ev(version=3)
    draft = parse_product_model_json(ev(version=3).model_copy(update={"families": ev().families[:4]}).model_dump_json())
    kinds = {issue.kind: issue for issue in check_release(draft, released).issues}
    assert kinds[IssueKind.VERSION_NOT_NEWER].severity is Severity.ERROR
    assert kinds[IssueKind.OPTION_REMOVED].severity is Severity.WARNING
    assert check_release(ev(version=4), released).releasable
    other = check_release(ev(version=4, code="OTHER"), released)
    assert [issue.kind for issue in other.issues] == [IssueKind.OTHER_MODEL]


def test_ensure_releasable_names_the_fields_of_the_errors() -> None:
    with pytest.raises(InputError) as error:
        ensure_releasable(ev([requires("R1", "TOW", "AWD"), excludes("R2", "AWD", "TOW")]))
    assert [problem.field for problem in error.value.fields] == ["body.families.3.options.0"]
    assert "TEST version 1 cannot be released" in error.value.message
    ensure_releasable(ev([requires("R1", "TOW", "AWD")]))


def test_an_order_is_priced_and_returned_in_model_order() -> None:
    order = validate_order(ev([requires("R1", "TOW", "AWD")]), 1, ["TOW", "AWD", "BAT_80"])
    assert order.chosen == ("BAT_80", "AWD", "TOW")
    assert order.price == Decimal(100000 + 20000 + 15000 + 3000)


def test_an_order_made_on_an_older_version_is_refused_as_stale() -> None:
    with pytest.raises(InputError) as error:
        validate_order(ev(version=5), 4, ["BAT_60", "RWD"])
    assert [problem.field for problem in error.value.fields] == ["body.version"]
    assert "made on version 4 of TEST; version 5 is current" in error.value.message
    with pytest.raises(InputError, match="TEST has no version 6"):
        validate_order(ev(version=5), 6, ["BAT_60", "RWD"])


def test_an_order_for_a_discontinued_option_is_refused() -> None:
    with pytest.raises(InputError) as error:
        validate_order(ev(discontinued=("BAT_100",)), 1, ["RWD", "BAT_100"])
    assert [problem.field for problem in error.value.fields] == ["body.chosen.1"]
    assert "discontinued and can no longer be ordered" in error.value.message


def test_an_order_breaking_a_rule_or_naming_an_unknown_option_is_refused() -> None:
    with pytest.raises(ConfigurationRefused) as refused:
        validate_order(ev([requires("R1", "TOW", "AWD")]), 1, ["BAT_60", "RWD", "TOW"])
    assert [explanation.rule_id for explanation in refused.value.explanations] == ["R1"]
    assert "Tow (TOW) requires Awd (AWD)" in refused.value.message
    with pytest.raises(InputError) as unknown:
        validate_order(ev(), 1, ["BAT_60", "RWD", "JETPACK"])
    assert [problem.field for problem in unknown.value.fields] == ["body.chosen.2"]


def test_diff_lists_what_changed_between_versions() -> None:
    old = ev([requires("R1", "TOW", "AWD"), excludes("R2", "TOW", "HUD")])
    new = ev([requires("R1", "TOW", "AWD", "BAT_100"), requires("R3", "ROOF", "AWD")], version=2, discontinued=("HUD",))
    changes = diff_models(old, new)
    assert changes.rules_added == ("R3",) and changes.rules_removed == ("R2",) and changes.rules_changed == ("R1",)
    assert changes.options_discontinued == ("HUD",)
    assert not changes.empty
    assert diff_models(old, old).empty

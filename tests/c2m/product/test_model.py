"""The product model as data: what loads, what is refused (naming the field), and that it round-trips JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.c2m.product.builders import at_most, build, ev, excludes, model_data, numeric, option, requires
from zhizao.c2m.product.loading import load_demo_model, parse_product_model, parse_product_model_json
from zhizao.c2m.product.model import ProductModel
from zhizao.errors import InputError


def fields_of(error: pytest.ExceptionInfo[InputError]) -> dict[str, str]:
    return {problem.field: problem.message for problem in error.value.fields}


def test_a_model_round_trips_through_json_unchanged() -> None:
    model = ev([requires("R1", "TOW", "AWD"), numeric("N1", "battery_kwh", when=("RANGE_LONG",), at_least=75)])
    again = parse_product_model_json(model.model_dump_json())
    assert again == model
    assert again.options["BAT_80"].price == Decimal("20000")
    assert again.options["BAT_80"].attributes == {"battery_kwh": Decimal(80)}


def test_the_demo_vehicle_loads_with_about_forty_families_and_a_few_hundred_bom_lines() -> None:
    model = load_demo_model()
    assert 38 <= len(model.families) <= 50
    assert len(model.options) >= 100
    assert len(model.bom) >= 200
    assert {rule.kind for rule in model.rules} == {"requires", "excludes", "exactly_one", "at_most_k", "numeric"}
    assert {operation.equipment_type for operation in model.routing} == {
        "press", "body_welding", "paint", "assembly", "test"
    }  # fmt: skip
    assert model.options["BAT_100"].name.zh == "100 kWh 三元锂"
    assert parse_product_model_json(model.model_dump_json()) == model


def test_an_unknown_option_in_a_rule_is_named_by_its_path() -> None:
    with pytest.raises(InputError) as error:
        parse_product_model(model_data([("A", 1, 1, [option("A1"), option("A2")])], [requires("R1", "A1", "NOPE")]))
    assert fields_of(error) == {"body.rules.0.any_of.0": "unknown option code 'NOPE'"}


@pytest.mark.parametrize(
    ("families", "rules", "field", "message"),
    [
        ([("A", 1, 1, [option("A1"), option("A1")])], [], "body.families.0.options.1.code", "duplicate code 'A1'"),
        ([("A", 1, 1, [option("A1")]), ("A", 0, 1, [option("B1")])], [], "body.families.1.code", "duplicate family"),
        ([("A", 2, 1, [option("A1"), option("A2")])], [], "body.families.0.min_choices", "more than max_choices"),
        ([("A", 0, 3, [option("A1"), option("A2")])], [], "body.families.0.max_choices", "2 option(s)"),
        ([("A", 0, 2, [option("A1"), option("A2")])], [requires("R", "A1", "A1")], "body.rules.0.any_of", "own option"),
        ([("A", 0, 2, [option("A1"), option("A2")])], [excludes("R", "A1", "A2", "A2")], "body.rules.0.options.1",
         "listed twice"),
        ([("A", 0, 2, [option("A1"), option("A2")])], [at_most("R", 2, "A1", "A2")], "body.rules.0.k", "says nothing"),
        ([("A", 0, 2, [option("A1", x=1), option("A2")])], [numeric("R", "y", at_least=1)],
         "body.rules.0.terms.0.attribute", "no option has attribute 'y'"),
        ([("A", 0, 2, [option("A1", x=1), option("A2")])], [numeric("R", "x")], "body.rules.0.at_least",
         "at_least, at_most or both"),
        ([("A", 0, 2, [option("A1", x=1), option("A2")])], [numeric("R", "x", at_least=5, at_most=2)],
         "body.rules.0.at_least", "more than at_most"),
        ([("A", 0, 2, [option("A1"), option("A2")])], [requires("R", "A1", "A2"), requires("R", "A2", "A1")],
         "body.rules.1.id", "duplicate rule id"),
    ],
)  # fmt: skip
def test_inconsistent_models_are_refused_naming_the_field(
    families: list[Any], rules: list[dict[str, Any]], field: str, message: str
) -> None:
    with pytest.raises(InputError) as error:
        build(families, rules)
    found = fields_of(error)
    assert field in found, found
    assert message in found[field]


def test_structure_errors_are_named_without_the_union_tag() -> None:
    data = model_data([("A", 1, 1, [option("A1"), option("A2")])], [{"kind": "requires", "id": "R", "option": "A1"}])
    data["families"][0]["options"][0]["price"] = "12.345"
    with pytest.raises(InputError) as error:
        parse_product_model(data)
    found = fields_of(error)
    assert set(found) == {"body.families.0.options.0.price", "body.rules.0.any_of"}
    assert "decimal places" in found["body.families.0.options.0.price"]


def test_strict_types_refuse_text_where_numbers_belong_and_unknown_keys() -> None:
    data = model_data([("A", 1, 1, [option("A1")])])
    data["version"] = "2"
    data["families"][0]["colour"] = "red"
    with pytest.raises(InputError) as error:
        parse_product_model(data)
    assert set(fields_of(error)) == {"body.version", "body.families.0.colour"}


def test_a_rule_kind_that_does_not_exist_is_refused() -> None:
    data = model_data([("A", 1, 1, [option("A1"), option("A2")])], [{"kind": "implies", "id": "R", "option": "A1"}])
    with pytest.raises(InputError) as error:
        parse_product_model(data)
    assert list(fields_of(error)) == ["body.rules.0"]


def test_bom_and_routing_conditions_are_parsed_and_checked_on_loading() -> None:
    data = model_data([("A", 1, 1, [option("A1"), option("A2")])])
    data["bom"] = [
        {"position": 1, "part_number": "P-1", "description": {"zh": "件", "en": "Part"}, "quantity": 1,
         "condition": "A1 & (A2 | !GHOST)"},
        {"position": 2, "part_number": "P-2", "description": {"zh": "件", "en": "Part"}, "quantity": 1,
         "condition": "A1 &"},
    ]  # fmt: skip
    data["routing"] = [
        {"sequence": 10, "code": "OP", "name": {"zh": "工序", "en": "Op"}, "equipment_type": "assembly",
         "base_minutes": 5, "extra_minutes": [{"option": "A3", "minutes": 1}]},
    ]  # fmt: skip
    with pytest.raises(InputError) as error:
        parse_product_model(data)
    found = fields_of(error)
    assert found["body.bom.0.condition"] == "unknown option code 'GHOST'"
    assert found["body.bom.1.condition"].startswith("does not parse: ends too early")
    assert found["body.routing.0.extra_minutes.0.option"] == "unknown option code 'A3'"


def test_explanation_templates_may_use_only_their_kinds_placeholders() -> None:
    rule = requires("R", "A1", "A2") | {"explanation": {"zh": "{option}需要{targets}", "en": "{option} wants {k}"}}
    with pytest.raises(InputError) as error:
        build([("A", 0, 2, [option("A1"), option("A2")])], [rule])
    assert "unknown placeholder {k}" in fields_of(error)["body.rules.0.explanation.en"]
    attribute_access = requires("R", "A1", "A2") | {"explanation": {"zh": "{option.__class__}", "en": "x"}}
    with pytest.raises(InputError):
        build([("A", 0, 2, [option("A1"), option("A2")])], [attribute_access])


def test_constructing_a_model_directly_also_checks_references() -> None:
    data = model_data([("A", 1, 1, [option("A1")])], [requires("R", "A1", "NOPE")])
    with pytest.raises(ValueError, match=r"rules\.0\.any_of\.0: unknown option code"):
        ProductModel.model_validate_json(json.dumps(data))


def test_numbers_too_large_for_the_solver_are_refused_when_compiling() -> None:
    from zhizao.c2m.product.compiled import compile_model

    model = build(
        [("A", 0, 1, [option("A1", x=10**10), option("A2")])],
        [numeric("R", "x", at_least=1) | {"terms": [{"attribute": "x", "coefficient": "0.0001"}], "at_least": "1e-4"}],
    )
    assert compile_model(model).constraints[-1].rule_id == "R"  # small enough
    big = build(
        [("A", 0, 1, [option("A1", x=10**10), option("A2")])],
        [numeric("R", "x", at_least=1) | {"terms": [{"attribute": "x", "coefficient": "12345678901.0001"}]}],
    )
    with pytest.raises(InputError) as error:
        compile_model(big)
    assert list(fields_of(error)) == ["rules.0"]

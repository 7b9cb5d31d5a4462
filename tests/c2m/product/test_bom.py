"""Exploding a configuration into its BOM lines and routing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.c2m.product.builders import ev, requires
from zhizao.c2m.product.bom import explode
from zhizao.c2m.product.configurator import configurator_for
from zhizao.c2m.product.loading import load_demo_model, parse_product_model
from zhizao.c2m.product.results import ConfigurationRefused


def test_lines_are_used_when_their_condition_holds_and_times_depend_on_options() -> None:
    data = ev([requires("R1", "TOW", "AWD")]).model_dump(mode="json")
    data["bom"] = [
        {"position": 10, "part_number": "BODY", "description": {"zh": "车身", "en": "Body"}, "quantity": 1},
        {"position": 20, "part_number": "HITCH", "description": {"zh": "拖钩", "en": "Hitch"}, "quantity": 1,
         "condition": "TOW"},
        {"position": 30, "part_number": "SHAFT", "description": {"zh": "前半轴", "en": "Front shaft"}, "quantity": 2,
         "condition": "AWD & !TOW"},
        {"position": 40, "part_number": "SHAFT-HD", "description": {"zh": "加强半轴", "en": "Heavy shaft"},
         "quantity": 2, "condition": "AWD & TOW"},
        {"position": 50, "part_number": "BOLT", "description": {"zh": "螺栓", "en": "Bolt"}, "quantity": "0.5",
         "unit": "kg", "condition": "HUD | TOW"},
        {"position": 60, "part_number": "BOLT", "description": {"zh": "螺栓", "en": "Bolt"}, "quantity": "0.25",
         "unit": "kg"},
    ]  # fmt: skip
    data["routing"] = [
        {"sequence": 10, "code": "WELD", "name": {"zh": "焊装", "en": "Welding"}, "equipment_type": "body_welding",
         "base_minutes": 30, "extra_minutes": [{"option": "TOW", "minutes": 3}, {"option": "AWD", "minutes": "1.5"}]},
        {"sequence": 20, "code": "TOW_TEST", "name": {"zh": "拖钩测试", "en": "Tow test"}, "equipment_type": "test",
         "base_minutes": 6, "condition": "TOW"},
        {"sequence": 30, "code": "EOL", "name": {"zh": "下线检测", "en": "End of line"}, "equipment_type": "test",
         "base_minutes": 20},
    ]  # fmt: skip
    model = parse_product_model(data)
    towing = explode(model, ["TOW", "AWD", "BAT_80"])
    assert towing.chosen == ("BAT_80", "AWD", "TOW")
    assert [item.part_number for item in towing.bom] == ["BODY", "HITCH", "SHAFT-HD", "BOLT", "BOLT"]
    assert towing.parts()["BOLT"] == Decimal("0.75")
    assert [(step.code, step.minutes, step.options) for step in towing.routing] == [
        ("WELD", Decimal("34.5"), ("TOW", "AWD")), ("TOW_TEST", Decimal(6), ()), ("EOL", Decimal(20), ())
    ]  # fmt: skip
    assert towing.minutes_by_equipment() == {"body_welding": Decimal("34.5"), "test": Decimal(26)}
    plain = explode(model, ["BAT_60", "RWD"])
    assert [item.part_number for item in plain.bom] == ["BODY", "BOLT"]
    assert [step.code for step in plain.routing] == ["WELD", "EOL"]


def test_an_invalid_configuration_is_not_exploded() -> None:
    with pytest.raises(ConfigurationRefused) as error:
        explode(ev([requires("R1", "TOW", "AWD")]), ["BAT_60", "RWD", "TOW"])
    assert [explanation.rule_id for explanation in error.value.explanations] == ["R1"]


def test_the_cheapest_demo_vehicle_with_a_tow_hitch_explodes_into_a_full_bom_and_routing() -> None:
    model = load_demo_model()
    completion = configurator_for(model).complete(["TOW_HITCH", "SEATS_7"])
    exploded = explode(model, completion.chosen)
    parts = exploded.parts()
    assert "S7-OPT-TOWHITCH-1" in parts and "S7-CMB-004" in parts  # the hitch and the reinforced rails (AWD)
    assert "S7-OPT-SPAREWHEEL-1" not in parts  # seven seats: the repair kit, not a spare wheel
    assert len(exploded.bom) > 150
    minutes = exploded.minutes_by_equipment()
    assert set(minutes) == {"press", "body_welding", "paint", "assembly", "test"}
    assert "TOW_TEST" in [step.code for step in exploded.routing]

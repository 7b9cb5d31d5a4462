"""``zhizao bench configurator``: the generated model is consistent and sized as asked, and the command reports."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from zhizao.bench.cli import bench_app
from zhizao.bench.configurator import generate_model
from zhizao.c2m.product.configurator import Configurator


def test_the_generated_model_has_the_options_asked_for_every_rule_kind_and_valid_configurations() -> None:
    model = generate_model(120, seed=7)
    assert len(model.options) == 120
    assert {rule.kind for rule in model.rules} == {"requires", "excludes", "at_most_k", "numeric"}
    assert Configurator(model).check([]).valid
    assert generate_model(120, seed=7) == model  # seeded


def test_the_command_prints_a_table_and_a_json_line() -> None:
    result = CliRunner().invoke(bench_app, ["configurator", "--options", "80", "--steps", "3", "--json"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith("{"))
    figures = json.loads(line)
    assert figures["bench"] == "configurator"
    assert figures["options"] == 80 and figures["steps"] == 3
    assert 0 < figures["step_p50_s"] <= figures["step_max_s"]
    assert figures["complete_optimal"] is True

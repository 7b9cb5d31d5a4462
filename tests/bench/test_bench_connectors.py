"""``zhizao bench modbus`` (and opcua): the commands run end to end and report what they measured."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from zhizao.bench.cli import bench_app


def test_bench_modbus_reports_both_plans_and_their_ratio() -> None:
    result = CliRunner().invoke(bench_app, ["modbus", "--points", "60", "--duration", "0.6", "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["bench"] == "modbus"
    merged, per_point = line["merged"], line["per_point"]
    assert merged["reads_per_poll"] < per_point["reads_per_poll"] == 60
    assert merged["points_per_s"] > 0 and per_point["points_per_s"] > 0
    assert merged["mismatches"] == 0 and merged["bad_points"] == 0
    assert line["ratio"] > 1


def test_bench_modbus_refuses_an_impossible_load() -> None:
    result = CliRunner().invoke(bench_app, ["modbus", "--points", "200000", "--duration", "0.6"])
    assert result.exit_code == 2
    assert "65536 registers" in result.output


def test_bench_opcua_stores_what_the_server_offers() -> None:
    args = ["opcua", "--nodes", "200", "--rate", "2", "--duration", "2", "--json"]
    result = CliRunner().invoke(bench_app, args)
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["bench"] == "opcua" and line["backend"] == "sqlite"
    assert line["subscribed"] == 200 and line["bad_points"] == 0
    assert line["samples_stored"] > 0.8 * line["expected_samples"] > 0

"""``zhizao c2m schedule`` and ``zhizao bench jssp``: output, JSON, exit codes, on files made in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.c2m.scheduling.conftest import THREE_BY_THREE
from zhizao import cli

runner = CliRunner()
BEST_KNOWN = "instance,n_jobs,n_machines,best_known_makespan,is_optimal\nhand3,3,3,11,true\n"


def zhizao(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="zhizao")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "hand3").write_text(THREE_BY_THREE)
    (tmp_path / "tiny2").write_text("2 2\n0 3 1 2\n1 4 0 1\n")  # not in best_known.csv; optimum 6
    (tmp_path / "best_known.csv").write_text(BEST_KNOWN)
    return tmp_path


def test_schedule_prints_makespan_status_bound_best_known_and_time(folder: Path) -> None:
    result = zhizao("c2m", "schedule", "--instance", str(folder / "hand3"), "--time-limit", "3", "--gantt")
    assert result.exit_code == 0, result.output
    assert "hand3: 3 jobs × 3 machines, 9 operations" in result.output
    assert "makespan 11 (optimal; lower bound 11)" in result.output
    assert "best known 11 (optimal); gap 0.00 %" in result.output
    assert "time " in result.output and "limit 3 s, 2 workers" in result.output
    assert any(line.startswith("M2 |") for line in result.output.splitlines())


def test_schedule_json_carries_a_schedule(folder: Path) -> None:
    result = zhizao("c2m", "schedule", "--instance", str(folder / "tiny2"), "--time-limit", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["makespan"], data["status"], data["best_known"]) == (6, "optimal", None)
    assert len(data["schedule"]) == 4


def test_a_malformed_instance_is_named_with_its_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("2 2\n0 3 1 two\n1 4 0 1\n")
    result = zhizao("c2m", "schedule", "--instance", str(bad))
    assert result.exit_code == 2
    assert "line 2: 'two' is not an integer" in result.output
    assert "Traceback" not in result.output


def test_a_missing_instance_exits_2(tmp_path: Path) -> None:
    result = zhizao("c2m", "schedule", "--instance", str(tmp_path / "absent"))
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_bench_prints_a_row_per_instance_and_the_summary(folder: Path) -> None:
    result = zhizao("bench", "jssp", "--data", str(folder), "--time-limit", "2", "--json")
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["bench"] == "jssp"
    assert [row["name"] for row in line["instances"]] == ["hand3", "tiny2"]
    assert (line["mean_gap"], line["at_best_known"], line["compared"]) == (0.0, 1, 1)
    hand3 = line["instances"][0]
    assert (hand3["makespan"], hand3["spt_makespan"], hand3["mwkr_makespan"]) == (11, 17, 11)
    assert line["mean_gap_spt"] == pytest.approx(6 / 11)
    assert "tiny2: no best-known makespan" in result.stderr
    assert "1 of 1 at best known" in result.stderr


def test_bench_pattern_and_errors(folder: Path) -> None:
    only = zhizao("bench", "jssp", "--data", str(folder), "--pattern", "tiny*", "--time-limit", "1", "--json")
    assert only.exit_code == 0, only.output
    assert [row["name"] for row in json.loads(only.stdout.strip().splitlines()[-1])["instances"]] == ["tiny2"]
    none = zhizao("bench", "jssp", "--data", str(folder), "--pattern", "zz*")
    assert none.exit_code == 2 and "no instance" in none.output
    (folder / "broken").write_text("1 2\n0 1 5 1\n")
    broken = zhizao("bench", "jssp", "--data", str(folder), "--time-limit", "1")
    assert broken.exit_code == 2 and "line 2: machine 5 is out of range" in broken.output

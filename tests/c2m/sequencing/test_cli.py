"""``zhizao c2m sequence`` and ``zhizao bench carseq``: output, JSON, exit codes, on files made in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.c2m.sequencing.conftest import CROWDED, DINCBAS
from zhizao import cli
from zhizao.bench.cli import bench_app

runner = CliRunner()
BEST_KNOWN = (
    "instance,best_known_violations,is_optimal,note\n"
    "cars/dincbas.txt,0,true,satisfiable\n"
    "cars/crowded.txt,3,true,hand-made\n"
)


def zhizao(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="zhizao")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    cars = tmp_path / "cars"
    cars.mkdir()
    (cars / "dincbas.txt").write_text(DINCBAS)
    (cars / "crowded.txt").write_text(CROWDED)
    (cars / "unlisted.txt").write_text("4 1 2\n1\n2\n0 2 1\n1 2 0\n")  # not in best_known.csv; 1 0 1 0 has none
    (tmp_path / "best_known.csv").write_text(BEST_KNOWN)
    return cars


def test_sequence_prints_the_count_the_sequence_and_the_windows_over_capacity(folder: Path) -> None:
    result = zhizao("c2m", "sequence", "--instance", str(folder / "crowded.txt"), "--time-limit", "5")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "crowded.txt: 5 cars, 1 options, 2 classes"
    assert lines[1] == "violations 3 (3 windows over capacity); lower bound 3; OPTIMAL"
    assert lines[2] == "best known 3 (optimal)"
    assert lines[3].startswith("time ") and "CP-SAT OPTIMAL" in lines[3]
    assert lines[4] == "sequence (classes): 0 0 1 0 0"
    assert lines[5] == (
        "option 1 (1/3, 4 cars): 3 windows over capacity: cars 1–3 (2 with it, 1 over), "
        "cars 2–4 (2 with it, 1 over), cars 3–5 (2 with it, 1 over)"
    )


def test_sequence_json_carries_the_sequence_and_the_best_known(folder: Path) -> None:
    result = zhizao("c2m", "sequence", "--instance", str(folder / "dincbas.txt"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["violations"], data["status"], data["best_known"]) == (
        0,
        "OPTIMAL",
        {"violations": 0, "is_optimal": True},
    )
    assert sorted(data["sequence"]) == [0, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert data["windows"] == []


def test_a_malformed_instance_is_named_with_its_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(DINCBAS.replace("3 2 0 1 0 1 0", "3 2 0 1 0 2 0"))
    result = zhizao("c2m", "sequence", "--instance", str(bad))
    assert result.exit_code == 2
    assert "line 7: class 3: option 4 flag must be 0 or 1, not 2" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--instance", "absent.txt"], "no such file"), (["--instance", "x.txt", "--time-limit", "0"], "time-limit")],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    args = [str(tmp_path / arg) if arg.endswith(".txt") else arg for arg in args]
    result = zhizao("c2m", "sequence", *args)
    assert result.exit_code == 2
    assert words in result.output


def test_bench_prints_a_row_per_instance_and_the_summary(folder: Path) -> None:
    result = runner.invoke(bench_app, ["carseq", "--data", str(folder), "--time-limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.splitlines()[-1])
    rows = {row["name"]: row for row in data["instances"]}
    assert list(rows) == ["crowded.txt", "dincbas.txt", "unlisted.txt"]
    assert (rows["crowded.txt"]["violations"], rows["crowded.txt"]["best_known"]) == (3, 3)
    assert (rows["unlisted.txt"]["violations"], rows["unlisted.txt"]["best_known"]) == (0, None)
    assert (data["at_zero"], data["zero_known"], data["at_best_known"], data["compared"]) == (2, 1, 2, 2)
    assert data["notes"] == ["unlisted.txt: no best-known count; left out of the comparison"]
    assert "2 of 2 at best known" in result.stderr and "2 at zero (1 known to have zero)" in result.stderr


@pytest.mark.parametrize("case", ["missing", "empty", "malformed"])
def test_bench_refuses_a_folder_it_cannot_run_with_exit_2(tmp_path: Path, case: str) -> None:
    data = tmp_path / "data"
    if case != "missing":
        data.mkdir()
    if case == "malformed":
        (data / "bad.txt").write_text("10 5\n")
    result = runner.invoke(bench_app, ["carseq", "--data", str(data)])
    assert result.exit_code == 2
    assert {"missing": "is not a folder", "empty": "no instance file", "malformed": "bad.txt: line 1"}[case] in (
        result.output
    )

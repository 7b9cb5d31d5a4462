"""The case file format: bad input names the record; the CLI prints JSON or one error line and exits 2."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zhizao.cli.production import production_app
from zhizao.errors import InputError
from zhizao.production.case import evaluate_case, load_case, parse_case

BASE_FILE = Path(__file__).parent / "cases" / "01_basic_shift_with_break.json"


def base() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BASE_FILE.read_text(encoding="utf-8"))
    data.pop("expected")
    return data


def overlapping(data: dict[str, Any]) -> None:
    data["intervals"][2]["start"] = "2024-05-06T11:00:00+08:00"


def reversed_interval(data: dict[str, Any]) -> None:
    data["intervals"][1]["end"] = data["intervals"][1]["start"]


def zero_pru(data: dict[str, Any]) -> None:
    data["products"][0]["pru_s"] = 0


def sunday_only(data: dict[str, Any]) -> None:
    data["period"] = {"start": "2024-05-12T00:00:00+08:00", "end": "2024-05-13T00:00:00+08:00"}
    data["counts"] = []


def unknown_state(data: dict[str, Any]) -> None:
    data["intervals"][0]["state"] = "Running"


def unknown_code(data: dict[str, Any]) -> None:
    data["intervals"][2]["mode"] = 7


def naive_time(data: dict[str, Any]) -> None:
    data["counts"][1]["ts"] = "2024-05-06T15:00:00"


def count_outside_period(data: dict[str, Any]) -> None:
    data["counts"][1]["ts"] = "2024-05-07T15:00:00+08:00"


def negative_count(data: dict[str, Any]) -> None:
    data["counts"][0]["scrap"] = -1


def both_sources(data: dict[str, Any]) -> None:
    data["samples"] = {"stale_after_s": 60, "states": []}


def reversed_downtime(data: dict[str, Any]) -> None:
    data["planned_downtime"] = [{"start": "2024-05-06T10:00:00+08:00", "end": "2024-05-06T09:00:00+08:00"}]


def typo(data: dict[str, Any]) -> None:
    data["micro_stop_threshold"] = 60


@pytest.mark.parametrize(
    ("mutate", "field", "message"),
    [
        (overlapping, "intervals[2]", "overlaps intervals[0]"),
        (reversed_interval, "intervals[1]", "end after it starts"),
        (zero_pru, "products[0].pru_s", "must be positive"),
        (sunday_only, "calendar", "no shift"),
        (unknown_state, "intervals[0].state", "unknown MachineryItemState 'Running'"),
        (unknown_code, "intervals[2].mode", "unknown OperationMode code 7"),
        (naive_time, "counts[1].ts", "timezone"),
        (count_outside_period, "counts[1]", "outside the case's period"),
        (negative_count, "counts[0].scrap", "greater than or equal to 0"),
        (both_sources, "case", "not both"),
        (reversed_downtime, "planned_downtime[0]", "ends before it starts"),
        (typo, "micro_stop_threshold", "Extra inputs"),
    ],
)
def test_bad_input_names_the_record(mutate: Any, field: str, message: str) -> None:
    data = copy.deepcopy(base())
    mutate(data)
    with pytest.raises(InputError) as raised:
        evaluate_case(parse_case(data))
    problems = {problem.field: problem.message for problem in raised.value.fields}
    assert field in problems, problems
    assert message in problems[field]


def test_states_by_name_or_code_mean_the_same() -> None:
    named = base()
    coded = copy.deepcopy(named)
    for interval in coded["intervals"]:
        interval["state"] = {"Executing": 3, "NotExecuting": 2}[interval["state"]]
        interval["mode"] = {"Processing": 3}.get(interval.get("mode", ""), 0)
    assert evaluate_case(parse_case(coded)) == evaluate_case(parse_case(named))


def test_the_cli_prints_every_kpi_as_json() -> None:
    result = CliRunner().invoke(production_app, ["oee", "--case", str(BASE_FILE)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["total"]["kpis"]["oee"] == pytest.approx(25_200 / 27_000)
    assert printed == evaluate_case(load_case(BASE_FILE))


def test_the_cli_names_the_field_on_stderr_and_exits_2(tmp_path: Path) -> None:
    data = base()
    zero_pru(data)
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(production_app, ["oee", "--case", str(path)])
    assert result.exit_code == 2
    assert "products[0].pru_s: the planned run time per unit must be positive" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read"), ("{not json", "not JSON")])
def test_the_cli_refuses_a_missing_or_malformed_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "case.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(production_app, ["oee", "--case", str(path)])
    assert result.exit_code == 2 and f"case: {message}" in result.stderr

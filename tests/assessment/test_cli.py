"""``zhizao assessment …`` as an officer uses it offline: JSON out, one line per mistake and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from zhizao.assessment.kinds import EnterpriseType
from zhizao.assessment.model import load_model
from zhizao.cli.assessment import assessment_app

app = typer.Typer()
app.add_typer(assessment_app, name="assessment")
runner = CliRunner()
MODEL = load_model("gbt39116-v1")


def assessment(*args: str) -> Result:
    return runner.invoke(app, ["assessment", *args], prog_name="zhizao")


def ratings_file(tmp_path: Path, by_level: dict[int, float], **extra: Any) -> Path:
    """Every applicable item of a discrete enterprise rated by its level."""
    ratings = [
        {"item": r.id, "rating": by_level[r.level], "evidence_grade": "site_checked"}
        for r in MODEL.applicable(EnterpriseType.DISCRETE)
    ]
    path = tmp_path / "ratings.json"
    path.write_text(
        json.dumps({"model_version": "gbt39116-v1", "enterprise_type": "discrete", "ratings": ratings, **extra}),
        encoding="utf-8",
    )
    return path


def one_line_error(result: Result, field: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {field}: "), lines[0]
    return lines[0]


def test_score_prints_the_result_as_json(tmp_path: Path) -> None:
    path = ratings_file(tmp_path, {1: 1, 2: 1, 3: 0.8, 4: 0.5, 5: 0})
    result = assessment("score", "--ratings", str(path))
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)
    assert (scored["level"], scored["overall"], scored["confidence"]) == (3, 3.5, 1.0)
    assert [level["score"] for level in scored["levels"]] == [1.0, 1.0, 0.8, 0.5, 0.0]
    assert scored["levels"][0]["domains"][0]["key"] == "organisation_strategy"


def test_score_with_a_threshold_and_independent_ratings(tmp_path: Path) -> None:
    independent = {
        "e1": [{"item": "data.L1.1", "rating": 1}, {"item": "data.L1.2", "rating": 0.5}],
        "e2": [{"item": "data.L1.1", "rating": 0.8}, {"item": "data.L1.2", "rating": 0.5}],
    }
    path = ratings_file(tmp_path, {1: 1, 2: 1, 3: 0.8, 4: 0.5, 5: 0}, independent=independent)
    scored = json.loads(assessment("score", "--ratings", str(path), "--threshold", "0.9").stdout)
    assert scored["level"] == 2
    # units (1, 0.8), (0.5, 0.5): margins n(0.5) = 2, n(0.8) = n(1) = 1; δ²(0.8,1) = 1, δ²(0.5,0.8) = 2.25,
    # δ²(0.5,1) = 6.25; observed 2·1 = 2, expected 2·(2·2.25 + 2·6.25 + 1·1)/3 = 12 → α = 1 − 2/12
    assert scored["agreement"] == [
        {
            "domain": "data",
            "items": 2,
            "pairs": 2,
            "mean_absolute_difference": 0.1,
            "exact_agreement": 0.5,
            "alpha": 0.8333,
        }
    ]


def test_a_rating_outside_the_scale_names_the_item(tmp_path: Path) -> None:
    path = ratings_file(tmp_path, {1: 1, 2: 1, 3: 0.8, 4: 0.5, 5: 0})
    data = json.loads(path.read_text())
    data["ratings"][3]["rating"] = 0.6
    path.write_text(json.dumps(data))
    line = one_line_error(assessment("score", "--ratings", str(path)), "ratings[3].rating")
    assert line.endswith(f"{data['ratings'][3]['item']}: rating 0.6 is not one of 0, 0.5, 0.8, 1")


def test_unrated_items_are_listed_one_per_line_unless_provisional(tmp_path: Path) -> None:
    path = ratings_file(tmp_path, {1: 1, 2: 1, 3: 0.8, 4: 0.5, 5: 0})
    data = json.loads(path.read_text())
    data["ratings"] = [rating for rating in data["ratings"] if not rating["item"].startswith("sales.")]
    path.write_text(json.dumps(data))
    result = assessment("score", "--ratings", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: ratings.sales.L{level}.{n}: not rated (rate it or mark it not_applicable)"
        for level in range(1, 6)
        for n in (1, 2)
    ]
    provisional = assessment("score", "--ratings", str(path), "--provisional")
    assert provisional.exit_code == 0, provisional.output
    assert json.loads(provisional.stdout)["unrated_items"][0] == "sales.L1.1"


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        ("{not json", "ratings", "is not JSON"),
        ('{"model_version": "gbt39116-v1", "ratings": []}', "enterprise_type", "Field required"),
        (
            '{"model_version": "gbt39116-v1", "enterprise_type": "mixed", "ratings": []}',
            "enterprise_type",
            "'discrete' or 'process'",
        ),
        (
            '{"model_version": "gbt39116-v0", "enterprise_type": "process", "ratings": []}',
            "model_version",
            "no model 'gbt39116-v0'",
        ),
        (
            '{"model_version": "gbt39116-v1", "enterprise_type": "process", '
            '"ratings": [{"item": "x", "rating": "hi"}]}',
            "ratings[0].rating",
            "valid number",
        ),
        (
            '{"model_version": "gbt39116-v1", "enterprise_type": "process", "ratings": [], "rater": "me"}',
            "rater",
            "Extra inputs are not permitted",
        ),
    ],
)
def test_malformed_files_are_one_line_naming_the_field(tmp_path: Path, content: str, field: str, message: str) -> None:
    path = tmp_path / "ratings.json"
    path.write_text(content, encoding="utf-8")
    assert message in one_line_error(assessment("score", "--ratings", str(path)), field)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    assert "no such file" in one_line_error(assessment("score", "--ratings", str(tmp_path / "none.json")), "ratings")


def test_gaps_lists_the_items_and_the_integrators_covering_them(tmp_path: Path) -> None:
    path = ratings_file(tmp_path, {1: 1, 2: 1, 3: 0.8, 4: 0.5, 5: 0})
    integrators = tmp_path / "integrators.json"
    integrators.write_text(json.dumps([{"id": 7, "name": "某 MES 集成商", "capabilities": ["mes", "aps"]}]))
    result = assessment("gaps", "--ratings", str(path), "--integrators", str(integrators))
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert (plan["level"], plan["next_level"], plan["deficit"], plan["level_after"]) == (3, 4, 0.3, 4)
    assert all(item["level"] == 4 and item["rating"] == 0.5 for item in plan["items"])
    impacts = [item["impact_score"] for item in plan["items"]]
    assert impacts == sorted(impacts, reverse=True)
    planning = [item for item in plan["items"] if item["subdomain"] == "production.planning"]
    assert all(
        item["integrators"] == [{"id": 7, "name": "某 MES 集成商", "matching": ["aps", "mes"]}] for item in planning
    )
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1}]')
    one_line_error(assessment("gaps", "--ratings", str(path), "--integrators", str(bad)), "integrators[0]")


def test_model_show_summarises_and_dumps_json() -> None:
    result = assessment("model", "show")
    assert result.exit_code == 0, result.output
    assert "production.equipment_management" in result.stdout
    assert "209 requirements; levels: 1 规划级, 2 规范级, 3 集成级, 4 优化级, 5 引领级" in result.stdout
    dumped = json.loads(assessment("model", "show", "gbt39116-v1", "--json").stdout)
    assert dumped["version"] == "gbt39116-v1"
    one_line_error(assessment("model", "show", "nope-v1"), "model_version")


def test_model_diff_against_a_draft_file(tmp_path: Path) -> None:
    from importlib.resources import files

    data = yaml.safe_load(
        files("zhizao.assessment").joinpath("maturity", "gbt39116-v1.yaml").read_text(encoding="utf-8")
    )
    data["version"] = "gbt39116-v2"
    data["factors"][0]["domains"][0]["subdomains"][0]["requirements"][0]["text"]["en"] = "Reworded."
    draft = tmp_path / "gbt39116-v2.yaml"
    draft.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = assessment("model", "diff", "gbt39116-v1", str(draft))
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    assert diff["changed"] == [{"id": "organisation_strategy.L1.1", "fields": ["text.en"]}]
    assert (diff["added"], diff["removed"], diff["weights"]) == ([], [], [])
    one_line_error(assessment("model", "diff", "gbt39116-v1", str(tmp_path / "absent.yaml")), "model")

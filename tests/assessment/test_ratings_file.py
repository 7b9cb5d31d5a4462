"""The ratings-file format: the example in docs/assessment.md, defaults, and what the parser refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from zhizao.assessment.kinds import EvidenceGrade
from zhizao.assessment.model import load_model
from zhizao.assessment.scoring import parse_ratings, score
from zhizao.errors import InputError

DOCS = Path(__file__).parents[2] / "docs" / "assessment.md"


def documented_example() -> Any:
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def test_the_documented_example_scores_as_the_docs_say() -> None:
    sheet = parse_ratings(documented_example())
    model = load_model(sheet.model_version)
    with pytest.raises(InputError, match="72 applicable item"):
        score(model, sheet)
    result = score(model, sheet, provisional=True)
    assert [level.score for level in result.levels] == [0.9, 0.75]
    assert (result.level, result.overall, result.confidence) == (1, 1.75, 0.5)
    assert (result.rated_items, result.applicable_items, len(result.unrated_items)) == (4, 76, 72)
    production = result.agreement[0]
    assert (production.domain, production.items, production.pairs) == ("production", 2, 2)
    assert (production.mean_absolute_difference, production.exact_agreement, production.alpha) == (0.1, 0.5, 0.8333)


def test_defaults() -> None:
    sheet = parse_ratings(
        {"model_version": "gbt39116-v1", "enterprise_type": "discrete", "ratings": [{"item": "data.L1.1", "rating": 1}]}
    )
    assert sheet.target_level == 5
    assert sheet.independent == {}
    rating = sheet.ratings[0]
    assert (rating.not_applicable, rating.evidence_grade, rating.comment) == (False, EvidenceGrade.SELF_DECLARED, "")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"ratings": [{"item": "data.L1.1", "rating": True}]}, "ratings[0].rating", "valid number"),
        ({"ratings": [{"item": "data.L1.1", "rating": "0.8"}]}, "ratings[0].rating", "valid number"),
        ({"ratings": [{"rating": 1}]}, "ratings[0].item", "Field required"),
        ({"ratings": [{"item": "data.L1.1", "rating": 1, "grade": "x"}]}, "ratings[0].grade", "Extra inputs"),
        (
            {"ratings": [{"item": "data.L1.1", "evidence_grade": "hearsay"}]},
            "ratings[0].evidence_grade",
            "'site_checked'",
        ),
        ({"ratings": [{"item": "data.L1.1", "comment": "长" * 4001}]}, "ratings[0].comment", "at most 4000"),
        ({"target_level": 6}, "target_level", "less than or equal to 5"),
        ({"ratings": {"data.L1.1": 1}}, "ratings", "valid tuple"),
        ({"independent": {"e1": [{"item": "data.L1.1", "rating": "high"}]}}, "independent.e1[0].rating", "number"),
    ],
)
def test_malformed_sheets_name_the_field(change: dict[str, Any], field: str, message: str) -> None:
    data = {"model_version": "gbt39116-v1", "enterprise_type": "discrete", "ratings": []} | change
    with pytest.raises(InputError) as caught:
        parse_ratings(data)
    problems = {problem.field: problem.message for problem in caught.value.fields}
    assert field in problems, problems
    assert message in problems[field]


def test_a_sheet_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        parse_ratings([1, 2])
    assert caught.value.fields[0].field == "ratings"

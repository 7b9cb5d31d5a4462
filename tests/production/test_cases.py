"""The case library: hand-computed cases in tests/production/cases/*.json, each evaluated and compared with the
figures worked out by hand in its ``expected`` block (a fraction written "a/b" is compared as a/b)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from zhizao.errors import InputError
from zhizao.production.case import evaluate_case, load_case

CASES = sorted((Path(__file__).parent / "cases").glob("*.json"))


def _number(value: object) -> object:
    if isinstance(value, str) and "/" in value:
        numerator, denominator = value.split("/")
        return float(Fraction(int(numerator), int(denominator)))
    return value


def _assert_matches(actual: Any, expected: Any, path: str) -> None:
    """Every figure in ``expected`` equals the one at the same place in ``actual`` (extra figures are fine)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing"
            _assert_matches(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for index, (got, wanted) in enumerate(zip(actual, expected, strict=True)):
            _assert_matches(got, wanted, f"{path}[{index}]")
    else:
        wanted = _number(expected)
        if isinstance(wanted, float | int) and not isinstance(wanted, bool) and actual is not None:
            assert actual == pytest.approx(wanted, rel=1e-12, abs=1e-12), f"{path}: {actual} != {expected}"
        else:
            assert actual == wanted, f"{path}: {actual!r} != {expected!r}"


def test_the_library_holds_at_least_fifteen_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_case(path: Path) -> None:
    case = load_case(path)
    expected = case.expected
    assert expected is not None and expected.get("working"), "every case shows its working"
    if "error" in expected:
        with pytest.raises(InputError) as raised:
            evaluate_case(case)
        fields = {problem.field: problem.message for problem in raised.value.fields}
        assert expected["error"]["field"] in fields, fields
        assert expected["error"]["message_contains"] in fields[expected["error"]["field"]]
        return
    result = evaluate_case(case)
    json.dumps(result)  # what the CLI prints must be JSON
    if "bucket_labels" in expected:
        assert [bucket["bucket"] for bucket in result["buckets"]] == expected["bucket_labels"]
    if "total" in expected:
        _assert_matches(result["total"], expected["total"], "total")
    by_label = {bucket["bucket"]: bucket for bucket in result["buckets"]}
    for label, figures in expected.get("buckets", {}).items():
        assert label in by_label, f"no bucket {label}: {list(by_label)}"
        _assert_matches(by_label[label], figures, label)
    if "pareto" in expected:
        _assert_matches(result["pareto"], expected["pareto"], "pareto")

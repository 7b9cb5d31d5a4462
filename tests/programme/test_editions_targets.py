"""Edition targets and definitions are checked before they are stored, each error naming the field (pure, no I/O)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from zhizao.programme.editions import EditionDefinition, EditionTargets, load_definition

BUNDLED = load_definition().model_dump(mode="json")


def _targets(**changes: Any) -> dict[str, Any]:
    targets: dict[str, Any] = {**BUNDLED["targets"], **changes}
    return targets


def test_the_bundled_edition_states_the_plan() -> None:
    definition = load_definition()
    assert (definition.code, definition.start_year, definition.end_year) == ("2020-2022", 2020, 2022)
    assert definition.targets.smart_factories == 100 and sum(definition.targets.industry_quotas.values()) == 100
    assert definition.targets.benchmark_factories == 10 and sum(definition.targets.benchmark_quotas.values()) == 10


@pytest.mark.parametrize(
    ("targets", "location"),
    [
        (_targets(industry_quotas={**BUNDLED["targets"]["industry_quotas"], "automotive": -1}),
         ("industry_quotas", "automotive")),
        (_targets(industry_quotas={"steelmaking": 3}), ("industry_quotas", "steelmaking", "[key]")),
        (_targets(smart_factories=50), ("industry_quotas",)),
        (_targets(benchmark_factories=5), ("benchmark_quotas",)),
        (_targets(benchmark_quotas={"aerospace": 11}), ("benchmark_quotas",)),
        (_targets(productivity_gain_pct="120"), ("productivity_gain_pct",)),
        (_targets(robots="many"), ("robots",)),
        (_targets(unknown_target=1), ("unknown_target",)),
    ],
)  # fmt: skip
def test_a_wrong_target_is_named(targets: dict[str, Any], location: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        EditionTargets.model_validate(targets)
    assert [error["loc"] for error in caught.value.errors()] == [location]


def test_a_benchmark_quota_cannot_exceed_its_industrys_quota() -> None:
    quotas = {**BUNDLED["targets"]["industry_quotas"], "aerospace": 0}
    with pytest.raises(ValidationError, match="benchmark quota of aerospace"):
        EditionTargets.model_validate(_targets(industry_quotas=quotas))


def test_an_edition_ends_after_it_starts() -> None:
    with pytest.raises(ValidationError) as caught:
        EditionDefinition.model_validate({**BUNDLED, "code": "2025-2023", "start_year": 2025, "end_year": 2023})
    assert [error["loc"] for error in caught.value.errors()] == [("end_year",)]


def test_an_editions_code_names_its_years() -> None:
    definition = load_definition().model_dump(mode="json")
    with pytest.raises(ValidationError, match="code must be 2023-2025"):
        EditionDefinition.model_validate({**definition, "code": "2030-2032", "start_year": 2023, "end_year": 2025})

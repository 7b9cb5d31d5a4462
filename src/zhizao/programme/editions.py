"""What an edition's ``targets`` and ``rules`` JSON hold, validated before they are stored, and the plan's default
edition (2020–2022) as data. A new edition (e.g. 2023–2025) is another set of these values, never new code."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhizao.programme.kinds import Industry

Count = Annotated[int, Field(ge=0)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Level = Annotated[int, Field(ge=1, le=5)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EditionTargets(_Strict):
    smart_factories: Count
    industry_quotas: dict[Industry, Count]
    benchmark_factories: Count
    benchmark_quotas: dict[Industry, Count]
    robots: Count  # new industrial robots deployed
    integrators_over_1bn: Count  # integrators with annual revenue over ¥1bn
    integrators_over_10bn: Count  # … of which over ¥10bn
    platforms: Count  # vertical industrial-internet platforms
    platform_enterprises: Count  # enterprises those platforms serve
    productivity_gain_pct: Percent  # verified productivity +x %
    cost_reduction_pct: Percent  # verified operating cost −x %
    trained_talent: Count  # planners and consultants trained

    @model_validator(mode="after")
    def _quotas_fit(self) -> EditionTargets:
        if sum(self.benchmark_quotas.values()) > self.benchmark_factories:
            raise ValueError("benchmark_quotas add up to more than benchmark_factories")
        for industry, quota in self.benchmark_quotas.items():
            if quota > self.industry_quotas.get(industry, 0):
                raise ValueError(f"benchmark quota of {industry.value} exceeds its smart-factory quota")
        return self


class AcceptanceRules(_Strict):
    """What an acceptance (验收) needs beyond the experts' review."""

    min_maturity_level: Level = 2
    require_productivity_verified: bool = True  # a stored KPI verification whose productivity verdict meets
    require_cost_verified: bool = True  # … and whose operating-cost verdict meets
    checklist: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default_factory=list)


class BenchmarkRules(_Strict):
    min_maturity_level: Level = 3


class DirectoryRules(_Strict):
    """Criteria an integrator must meet to be listed in the public directory."""

    min_annual_revenue_cny: Annotated[Decimal, Field(ge=0)] = Decimal(0)
    min_delivered_projects: Count = 0


class EditionRules(_Strict):
    acceptance: AcceptanceRules = Field(default_factory=AcceptanceRules)
    benchmark: BenchmarkRules = Field(default_factory=BenchmarkRules)
    directory: DirectoryRules = Field(default_factory=DirectoryRules)


class EditionDefinition(_Strict):
    code: Annotated[str, Field(pattern=r"^\d{4}-\d{4}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    start_year: Annotated[int, Field(ge=2000, le=2100)]
    end_year: Annotated[int, Field(ge=2000, le=2100)]
    targets: EditionTargets
    rules: EditionRules = Field(default_factory=EditionRules)

    @model_validator(mode="after")
    def _years_in_order(self) -> EditionDefinition:
        if self.end_year < self.start_year:
            raise ValueError("end_year is before start_year")
        return self


def load_definition(name: str = "2020-2022") -> EditionDefinition:
    """A bundled edition definition (``editions/<name>.yaml``)."""
    text = (files("zhizao.programme") / "editions" / f"{name}.yaml").read_text(encoding="utf-8")
    raw: Any = yaml.safe_load(text)
    return EditionDefinition.model_validate(raw)

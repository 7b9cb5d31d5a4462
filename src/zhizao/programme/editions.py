"""What an edition's ``targets`` and ``rules`` JSON hold, validated before they are stored, and the plan's default
edition (2020–2022) as data. A new edition (e.g. 2023–2025) is another set of these values, never new code."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from zhizao.fields import NoNul
from zhizao.programme.kinds import Industry

Count = Annotated[int, Field(ge=0, le=1_000_000_000)]  # bounded so that sums stay plain integers everywhere
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

    # Field validators, not one model validator, so that an error names the quotas that are wrong
    # (``targets.benchmark_quotas``); the fields they compare with are declared, and so validated, before them.
    @field_validator("industry_quotas")
    @classmethod
    def _industry_quotas_fit(cls, quotas: dict[Industry, int], info: ValidationInfo) -> dict[Industry, int]:
        total = info.data.get("smart_factories")
        if total is not None and sum(quotas.values()) > total:
            raise ValueError(f"industry quotas add up to {sum(quotas.values())}, more than smart_factories ({total})")
        return quotas

    @field_validator("benchmark_quotas")
    @classmethod
    def _benchmark_quotas_fit(cls, quotas: dict[Industry, int], info: ValidationInfo) -> dict[Industry, int]:
        total = info.data.get("benchmark_factories")
        if total is not None and sum(quotas.values()) > total:
            raise ValueError(
                f"benchmark quotas add up to {sum(quotas.values())}, more than benchmark_factories ({total})"
            )
        if "industry_quotas" not in info.data:  # wrong itself, and reported as such
            return quotas
        industry_quotas: dict[Industry, int] = info.data["industry_quotas"]
        for industry, quota in quotas.items():
            if quota > industry_quotas.get(industry, 0):
                raise ValueError(
                    f"benchmark quota of {industry.value} ({quota}) exceeds its smart-factory quota "
                    f"({industry_quotas.get(industry, 0)})"
                )
        return quotas


class AcceptanceRules(_Strict):
    """What an acceptance (验收) needs beyond the experts' review."""

    min_maturity_level: Level = 2
    require_productivity_verified: bool = True  # a stored KPI verification whose productivity verdict meets
    require_cost_verified: bool = True  # … and whose operating-cost verdict meets
    checklist: list[Annotated[str, Field(min_length=1, max_length=60), NoNul]] = Field(default_factory=list)


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
    name: Annotated[str, Field(min_length=1, max_length=200), NoNul]
    start_year: Annotated[int, Field(ge=2000, le=2100)]
    end_year: Annotated[int, Field(ge=2000, le=2100)]
    targets: EditionTargets
    rules: EditionRules = Field(default_factory=EditionRules)

    @field_validator("end_year")
    @classmethod
    def _years_in_order(cls, end_year: int, info: ValidationInfo) -> int:
        start_year = info.data.get("start_year")
        if start_year is not None and end_year < start_year:
            raise ValueError(f"is before start_year ({start_year})")
        return end_year

    @model_validator(mode="after")
    def _code_names_the_years(self) -> EditionDefinition:
        # The code is how officers and URLs name an edition: "2023-2025" must mean those years.
        if self.code != f"{self.start_year}-{self.end_year}":
            raise ValueError(f"code must be {self.start_year}-{self.end_year}, the edition's years")
        return self


def load_definition(name: str = "2020-2022") -> EditionDefinition:
    """A bundled edition definition (``editions/<name>.yaml``)."""
    text = (files("zhizao.programme") / "editions" / f"{name}.yaml").read_text(encoding="utf-8")
    raw: Any = yaml.safe_load(text)
    return EditionDefinition.model_validate(raw)

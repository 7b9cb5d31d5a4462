"""What the report is made from: the enterprise's particulars, the score, the gap plan, the expert team and the
benchmark (:class:`ReportInput`), and what the report derives from them — strengths, the radar's level.
Pure: the service fills a ReportInput from what it has; :func:`check_report_input` says when the parts disagree.

A diagnosis report is signed by its expert team; a self-assessment report (``kind=AssessmentKind.SELF``) has no
team — the enterprise rated itself — so it lists no experts and only the enterprise signs it.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from zhizao.assessment.benchmark import Benchmark
from zhizao.assessment.gaps import GapPlan
from zhizao.assessment.kinds import EnterpriseType
from zhizao.assessment.lifecycle import AssessmentKind
from zhizao.assessment.model import MaturityModel
from zhizao.assessment.scoring import ScoreResult
from zhizao.errors import FieldProblem, InputError

STRENGTHS_SHOWN = 3


class ReportExpert(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    employer: str = Field(default="", max_length=200)
    specialities: list[str] = []
    lead: bool = False  # 专家组组长; exactly one expert of a team is


class Strength(BaseModel):
    model_config = ConfigDict(frozen=True)

    domain: str
    subdomain: str
    level: int
    score: float


class ReportInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enterprise_name: str = Field(min_length=1, max_length=200)
    industry: str = Field(min_length=1, max_length=40)
    enterprise_type: EnterpriseType
    model_version: str = Field(min_length=1)
    diagnosis_date: date
    score: ScoreResult
    gaps: GapPlan
    experts: list[ReportExpert]  # empty for a self-assessment
    kind: AssessmentKind = AssessmentKind.DIAGNOSIS
    benchmark: Benchmark | None = None  # None: no benchmark section; a suppressed one says 样本不足

    @property
    def strengths(self) -> list[Strength]:
        return strengths(self.score)

    @property
    def self_assessed(self) -> bool:
        return self.kind is AssessmentKind.SELF


def radar_level(score: ScoreResult) -> int:
    """The level the radar chart shows: the next one to reach, or the highest scored when the target is reached."""
    return min(score.level + 1, score.target_level)


def strengths(score: ScoreResult, *, limit: int = STRENGTHS_SHOWN) -> list[Strength]:
    """The sub-domains that already score at least the threshold at the next level, highest first, then those at
    the reached level; each sub-domain once, at the higher of the two. Ties: the larger share of the level's score
    (domain weight × sub-domain weight), then the key."""
    chosen: dict[str, Strength] = {}
    for level in (score.level + 1, score.level):
        found = next((entry for entry in score.levels if entry.level == level), None)
        if found is None:
            continue
        # (share of the level's score, strength) for each sub-domain at the threshold not chosen at a higher level
        candidates = [
            (domain.weight * sub.weight, Strength(domain=domain.key, subdomain=sub.key, level=level, score=sub.score))
            for domain in found.domains
            for sub in domain.subdomains
            if sub.score >= score.threshold and sub.key not in chosen
        ]
        candidates.sort(key=lambda pair: (-pair[1].score, -pair[0], pair[1].subdomain))
        chosen.update((strength.subdomain, strength) for _share, strength in candidates)
    return list(chosen.values())[:limit]


def check_report_input(report: ReportInput, model: MaturityModel) -> None:
    """The parts must describe one assessment: one model version, one enterprise type, one level, one industry,
    one team lead for a diagnosis, no team for a self-assessment. InputError naming every field that disagrees."""
    problems = []
    if model.version != report.model_version:
        problems.append(
            FieldProblem("model_version", f"the report is for {report.model_version}, the model is {model.version}")
        )
    for where, version in (("score", report.score.model_version), ("gaps", report.gaps.model_version)):
        if version != report.model_version:
            message = f"scored with model {version}, but the report is for {report.model_version}"
            problems.append(FieldProblem(f"{where}.model_version", message))
    for where, kind in (("score", report.score.enterprise_type), ("gaps", report.gaps.enterprise_type)):
        if kind != report.enterprise_type:
            message = f"scored as {kind.value} manufacturing, but the enterprise is {report.enterprise_type.value}"
            problems.append(FieldProblem(f"{where}.enterprise_type", message))
    if report.gaps.level != report.score.level:
        message = f"the gap plan starts from level {report.gaps.level}, the score reached {report.score.level}"
        problems.append(FieldProblem("gaps.level", message))
    if report.self_assessed:
        if report.experts:
            message = f"a self-assessment has no expert team, but {len(report.experts)} expert(s) were given"
            problems.append(FieldProblem("experts", message))
    else:
        leads = sum(expert.lead for expert in report.experts)
        if leads != 1:
            problems.append(FieldProblem("experts", f"a team has exactly one lead expert, not {leads}"))
    if report.benchmark is not None and report.benchmark.industry != report.industry:
        message = f"benchmarked in {report.benchmark.industry!r}, but the enterprise's industry is {report.industry!r}"
        problems.append(FieldProblem("benchmark.industry", message))
    if problems:
        raise InputError(f"the report's parts disagree: {problems[0].field}: {problems[0].message}", fields=problems)

"""Benchmark (标杆) selection, pure: which recognised smart factories of an industry may become benchmark factories,
in which order the programme office should consider them, and how many each industry may still have.

The method (also in ``docs/programme-acceptance.md``):

1. **Eligible** are projects of the edition that are recognised smart factories (or already benchmarks, which keep
   their place in the ranking), whose current maturity level is at least ``BenchmarkRules.min_maturity_level``, and
   whose stored KPI verification has both the productivity and the operating-cost verdict ``meets``.
2. **Score**: the verified results in percentage points, productivity gain % + operating-cost reduction %, each the
   Δ of that verification (``(evaluation − baseline) / baseline``); +25 % productivity and −22 % cost score 47.
3. **Order**: maturity level first (higher first), then the score (higher first), then the earlier recognition,
   then the lower project id so that the order is total. Ineligible projects follow, unranked, with their reasons.
4. **Quota**: an industry may have at most its ``benchmark_quotas`` entry of benchmarks in the edition (no entry: 0);
   projects already designated count against it. A selection beyond it is refused.

Scores compare exactly (Decimal); they are rounded only for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from zhizao.programme.acceptance import MEETS
from zhizao.programme.editions import BenchmarkRules
from zhizao.programme.kinds import ProjectStage

RANKED_STAGES = frozenset({ProjectStage.RECOGNISED, ProjectStage.BENCHMARK})
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A project of one industry with its verified results as production and assessment report them."""

    project_id: int
    stage: ProjectStage
    maturity_level: int | None
    productivity_verdict: str | None  # None: no verification stored for the project
    cost_verdict: str | None
    productivity_change: Decimal | None  # Δ as a fraction: 0.25 is +25 %
    cost_change: Decimal | None  # Δ as a fraction: -0.22 is −22 %
    recognised_on: date | None


@dataclass(frozen=True, slots=True)
class Ranked:
    candidate: Candidate
    rank: int | None  # 1 is first; None when not eligible
    score: Decimal | None  # percentage points; None without both changes
    reasons: tuple[str, ...]  # why it is not eligible; empty when it is


def score(candidate: Candidate) -> Decimal | None:
    """Productivity gain % + operating-cost reduction %, in percentage points."""
    if candidate.productivity_change is None or candidate.cost_change is None:
        return None
    return (candidate.productivity_change - candidate.cost_change) * HUNDRED


def ineligibility(candidate: Candidate, rules: BenchmarkRules) -> tuple[str, ...]:
    """Why a project may not be a benchmark factory; empty when it may."""
    reasons: list[str] = []
    if candidate.stage not in RANKED_STAGES:
        reasons.append(f"the project is {candidate.stage.value}, not a recognised smart factory")
    if candidate.maturity_level is None:
        reasons.append("no maturity level is known")
    elif candidate.maturity_level < rules.min_maturity_level:
        reasons.append(f"maturity level {candidate.maturity_level} is below the minimum {rules.min_maturity_level}")
    if candidate.productivity_verdict is None:
        reasons.append("no KPI verification is stored for the project")
    else:
        for kpi, verdict in (("productivity", candidate.productivity_verdict), ("cost", candidate.cost_verdict)):
            if verdict != MEETS:
                reasons.append(f"the verified {kpi} verdict is {verdict}, not {MEETS}")
    if not reasons and score(candidate) is None:
        reasons.append("the verification has no productivity or cost change")
    return tuple(reasons)


def _order(candidate: Candidate) -> tuple[int, Decimal, date, int]:
    level = candidate.maturity_level or 0
    return (-level, -(score(candidate) or Decimal(0)), candidate.recognised_on or date.max, candidate.project_id)


def rank(candidates: Iterable[Candidate], rules: BenchmarkRules) -> list[Ranked]:
    """Eligible candidates in ranking order (rank 1 first), then the ineligible ones by project id."""
    judged = [(candidate, ineligibility(candidate, rules)) for candidate in candidates]
    eligible = sorted((c for c, reasons in judged if not reasons), key=_order)
    ranked = [Ranked(c, position, score(c), ()) for position, c in enumerate(eligible, start=1)]
    rest = sorted(((c, reasons) for c, reasons in judged if reasons), key=lambda pair: pair[0].project_id)
    return ranked + [Ranked(c, None, score(c), reasons) for c, reasons in rest]


def quota_left(quota: int, designated: int) -> int:
    """How many more benchmarks an industry may have: its quota less those already designated (never below 0)."""
    return max(quota - designated, 0)


def designated_count(candidates: Sequence[Candidate]) -> int:
    return sum(1 for candidate in candidates if candidate.stage is ProjectStage.BENCHMARK)

"""Rules of the integrator directory (系统集成商推荐目录), pure: the status lifecycle, the listing criteria of an
edition, revenue bands and the ranking of integrators against a factory's gaps. No I/O; the services feed them.

Revenue is judged on the latest reported year (the plan counts integrators "with annual revenue over ¥1bn");
"over" is strict, as in 超过. A project is *delivered* once accepted, and *verified* when its stored KPI
verification meets both the productivity and the operating-cost target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from zhizao.errors import Conflict
from zhizao.production.programme import Verdict
from zhizao.programme.editions import DirectoryRules
from zhizao.programme.kinds import Industry, ProjectStage
from zhizao.ui.i18n import N_

# Stages at which an integrator's project counts as delivered (验收通过 and after).
DELIVERED_STAGES = frozenset({ProjectStage.ACCEPTED, ProjectStage.RECOGNISED, ProjectStage.BENCHMARK})


class IntegratorStatus(StrEnum):
    APPLIED = "applied"  # 已申请, waiting for the programme office's review
    LISTED = "listed"  # 已入选 the public directory
    REJECTED = "rejected"
    SUSPENDED = "suspended"  # 暂停, off the public directory until listed again


INTEGRATOR_STATUS_LABELS: dict[str, str] = {
    IntegratorStatus.APPLIED: N_("Applied"),
    IntegratorStatus.LISTED: N_("Listed"),
    IntegratorStatus.REJECTED: N_("Rejected"),
    IntegratorStatus.SUSPENDED: N_("Suspended"),
}


class ReviewDecision(StrEnum):
    LIST = "list"
    REJECT = "reject"
    SUSPEND = "suspend"


REVIEW_DECISION_LABELS: dict[str, str] = {
    ReviewDecision.LIST: N_("List in the directory"),
    ReviewDecision.REJECT: N_("Reject"),
    ReviewDecision.SUSPEND: N_("Suspend"),
}

# The officer's decisions. A rejected integrator comes back by updating its application (``after_update``).
TRANSITIONS: dict[tuple[IntegratorStatus, ReviewDecision], IntegratorStatus] = {
    (IntegratorStatus.APPLIED, ReviewDecision.LIST): IntegratorStatus.LISTED,
    (IntegratorStatus.APPLIED, ReviewDecision.REJECT): IntegratorStatus.REJECTED,
    (IntegratorStatus.LISTED, ReviewDecision.SUSPEND): IntegratorStatus.SUSPENDED,
    (IntegratorStatus.SUSPENDED, ReviewDecision.LIST): IntegratorStatus.LISTED,
    (IntegratorStatus.SUSPENDED, ReviewDecision.REJECT): IntegratorStatus.REJECTED,
}


def next_status(status: IntegratorStatus, decision: ReviewDecision) -> IntegratorStatus:
    """The status after an officer's decision; Conflict (409) when the decision does not apply to ``status``."""
    target = TRANSITIONS.get((status, decision))
    if target is None:
        raise Conflict(f"an integrator that is {status.value} cannot be given the decision {decision.value}")
    return target


def decisions_from(status: IntegratorStatus) -> list[ReviewDecision]:
    """The decisions an officer may take now, in the order a page offers them."""
    return [decision for decision in ReviewDecision if (status, decision) in TRANSITIONS]


def after_update(status: IntegratorStatus) -> IntegratorStatus:
    """An integrator's own update resubmits a rejected application; any other status stays as the office set it."""
    return IntegratorStatus.APPLIED if status is IntegratorStatus.REJECTED else status


def verified(productivity: Verdict | None, cost: Verdict | None) -> bool:
    """A delivered project counts as verified when its stored verification meets both of the plan's targets."""
    return productivity is Verdict.MEETS and cost is Verdict.MEETS


# --- listing criteria ----------------------------------------------------------------------------------------


class Criterion(StrEnum):
    ANNUAL_REVENUE = "annual_revenue"
    DELIVERED_PROJECTS = "delivered_projects"


CRITERION_LABELS: dict[str, str] = {
    Criterion.ANNUAL_REVENUE: N_("Latest annual revenue (CNY)"),
    Criterion.DELIVERED_PROJECTS: N_("Delivered programme projects"),
}


class CriterionResult(BaseModel):
    criterion: Criterion
    required: Decimal
    actual: Decimal | None  # None: nothing reported
    met: bool


class CriteriaCheck(BaseModel):
    revenue_year: int | None  # the year the revenue criterion was judged on
    met: bool  # every criterion met
    results: list[CriterionResult]

    @property
    def unmet(self) -> list[Criterion]:
        return [result.criterion for result in self.results if not result.met]


def latest_revenue(revenues: Mapping[int, Decimal], up_to_year: int | None = None) -> tuple[int, Decimal] | None:
    """The latest reported (year, revenue), at or before ``up_to_year`` when given."""
    years = [year for year in revenues if up_to_year is None or year <= up_to_year]
    if not years:
        return None
    year = max(years)
    return year, revenues[year]


def check_criteria(rules: DirectoryRules, revenues: Mapping[int, Decimal], delivered_projects: int) -> CriteriaCheck:
    """Whether an integrator meets an edition's listing criteria: latest revenue ≥ the minimum, and at least the
    minimum number of delivered projects. No reported revenue meets no revenue criterion."""
    latest = latest_revenue(revenues)
    revenue = None if latest is None else latest[1]
    results = [
        CriterionResult(
            criterion=Criterion.ANNUAL_REVENUE,
            required=rules.min_annual_revenue_cny,
            actual=revenue,
            met=revenue is not None and revenue >= rules.min_annual_revenue_cny,
        ),
        CriterionResult(
            criterion=Criterion.DELIVERED_PROJECTS,
            required=Decimal(rules.min_delivered_projects),
            actual=Decimal(delivered_projects),
            met=delivered_projects >= rules.min_delivered_projects,
        ),
    ]
    return CriteriaCheck(
        revenue_year=None if latest is None else latest[0],
        met=all(result.met for result in results),
        results=results,
    )


# --- revenue bands -------------------------------------------------------------------------------------------


class RevenueBand(StrEnum):
    """The plan's bands (一(二): integrators over ¥1bn, of which 1–2 over ¥10bn), lowest first."""

    UNDER_1BN = "under_1bn"
    OVER_1BN = "over_1bn"
    OVER_10BN = "over_10bn"


REVENUE_BAND_LABELS: dict[str, str] = {
    RevenueBand.UNDER_1BN: N_("Up to ¥1bn"),
    RevenueBand.OVER_1BN: N_("Over ¥1bn"),
    RevenueBand.OVER_10BN: N_("Over ¥10bn"),
}

BILLION = Decimal(1_000_000_000)
_BAND_FLOORS = ((RevenueBand.OVER_10BN, 10 * BILLION), (RevenueBand.OVER_1BN, BILLION))
_BAND_ORDER = list(RevenueBand)


def revenue_band(revenue: Decimal | None) -> RevenueBand | None:
    """The band of one year's revenue; None when nothing is reported."""
    if revenue is None:
        return None
    return next((band for band, floor in _BAND_FLOORS if revenue > floor), RevenueBand.UNDER_1BN)


def band_at_least(band: RevenueBand | None, minimum: RevenueBand) -> bool:
    return band is not None and _BAND_ORDER.index(band) >= _BAND_ORDER.index(minimum)


@dataclass(frozen=True, slots=True)
class BandCounts:
    over_1bn: int  # includes those over ¥10bn, as the plan's targets do
    over_10bn: int
    listed: int


def count_bands(latest_revenues: Sequence[Decimal | None]) -> BandCounts:
    """Counts for the cockpit from the latest revenue of each listed integrator (None: none reported)."""
    bands = [revenue_band(revenue) for revenue in latest_revenues]
    return BandCounts(
        over_1bn=sum(band_at_least(band, RevenueBand.OVER_1BN) for band in bands),
        over_10bn=sum(band_at_least(band, RevenueBand.OVER_10BN) for band in bands),
        listed=len(bands),
    )


# --- matching integrators to a factory's gaps ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    integrator_id: int
    name: str
    capabilities: frozenset[str]
    industries: frozenset[Industry]
    verified_projects: int


@dataclass(frozen=True, slots=True)
class Match:
    candidate: Candidate
    covered_subdomains: tuple[str, ...]  # the gap sub-domains whose capability keys the integrator offers
    serves_industry: bool

    @property
    def rank_key(self) -> tuple[int, int, int, str, int]:
        """Most gap sub-domains covered, then serving the enterprise's industry, then verified projects."""
        candidate = self.candidate
        return (
            -len(self.covered_subdomains),
            -int(self.serves_industry),
            -candidate.verified_projects,
            candidate.name,
            candidate.integrator_id,
        )


def rank_integrators(
    gap_subdomains: Mapping[str, frozenset[str]], industry: Industry | None, candidates: Sequence[Candidate]
) -> list[Match]:
    """Integrators covering at least one gap sub-domain (sub-domain key → its capability keys), best first.

    A sub-domain is covered when the integrator offers any of its capability keys, as the gap roadmap matches."""
    matches = [
        Match(
            candidate=candidate,
            covered_subdomains=tuple(
                sorted(key for key, wanted in gap_subdomains.items() if wanted & candidate.capabilities)
            ),
            serves_industry=industry is not None and industry in candidate.industries,
        )
        for candidate in candidates
    ]
    return sorted((match for match in matches if match.covered_subdomains), key=lambda match: match.rank_key)

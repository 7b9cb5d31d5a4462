"""Proposing and checking the expert team of an on-site diagnosis (现场咨询诊断). Pure.

The rules (issue 6), checked by both :func:`propose_team` and :func:`check_team`:

1. at least two experts (a proposal has the diagnosis's ``team_size``, itself at least two);
2. at least one expert whose industries include the enterprise's industry;
3. conflict of interest — nobody employed by the enterprise, by one of its integrators, or by a competitor the
   enterprise listed;
4. only experts marked available.

Workload balance is a preference, not a rule: the proposal takes the least-loaded expert with the industry, then
fills the team with the least-loaded of the rest. Ties go to an expert in the enterprise's region (less travel),
then to the lower expert id, so the same pool always gives the same team. This yields the team with the smallest
workloads that meets rule 2: if the least-loaded ``team_size`` experts include one with the industry, the
least-loaded such expert is among them and the team is exactly those; otherwise it is the least-loaded
``team_size − 1`` plus the least-loaded expert with the industry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from zhizao.errors import Conflict

MIN_TEAM_SIZE = 2


class TeamRule(StrEnum):
    TEAM_SIZE = "team_size"
    INDUSTRY = "industry"
    EMPLOYED_BY_ENTERPRISE = "employed_by_enterprise"
    EMPLOYED_BY_INTEGRATOR = "employed_by_integrator"
    EMPLOYED_BY_COMPETITOR = "employed_by_competitor"
    UNAVAILABLE = "unavailable"
    UNKNOWN_EXPERT = "unknown_expert"
    DUPLICATE_EXPERT = "duplicate_expert"


@dataclass(frozen=True, slots=True)
class Expert:
    id: int
    industries: frozenset[str]
    specialities: frozenset[str] = frozenset()
    employer_id: int | None = None  # organisation id; None for independent experts
    region: str | None = None
    available: bool = True
    workload: int = 0  # open diagnoses the expert is on


@dataclass(frozen=True, slots=True)
class DiagnosisNeeds:
    enterprise_id: int
    industry: str
    integrator_ids: frozenset[int] = frozenset()
    competitor_ids: frozenset[int] = frozenset()  # organisations the enterprise listed as competitors
    region: str | None = None
    team_size: int = MIN_TEAM_SIZE

    def __post_init__(self) -> None:
        if self.team_size < MIN_TEAM_SIZE:
            raise ValueError(f"a diagnosis team has at least {MIN_TEAM_SIZE} experts, not {self.team_size}")


@dataclass(frozen=True, slots=True)
class TeamViolation:
    rule: TeamRule
    message: str
    expert_id: int | None = None


@dataclass(frozen=True, slots=True)
class TeamProposal:
    expert_ids: tuple[int, ...]  # in the order chosen: the industry expert first
    excluded: dict[int, TeamRule] = field(default_factory=dict)  # why each other pool member could not be on it


class NoValidTeam(Conflict):
    """The pool cannot staff the diagnosis; ``rule`` is the rule that could not be met."""

    code = "no_valid_team"

    def __init__(self, message: str, *, rule: TeamRule) -> None:
        super().__init__(message)
        self.rule = rule


def exclusion(expert: Expert, needs: DiagnosisNeeds) -> TeamRule | None:
    """The first rule that keeps this expert off the diagnosis, or None."""
    if expert.employer_id is not None:
        if expert.employer_id == needs.enterprise_id:
            return TeamRule.EMPLOYED_BY_ENTERPRISE
        if expert.employer_id in needs.integrator_ids:
            return TeamRule.EMPLOYED_BY_INTEGRATOR
        if expert.employer_id in needs.competitor_ids:
            return TeamRule.EMPLOYED_BY_COMPETITOR
    if not expert.available:
        return TeamRule.UNAVAILABLE
    return None


def _preference(expert: Expert, needs: DiagnosisNeeds) -> tuple[int, bool, int]:
    return (expert.workload, needs.region is None or expert.region != needs.region, expert.id)


def propose_team(pool: Iterable[Expert], needs: DiagnosisNeeds) -> TeamProposal:
    """The team of ``needs.team_size`` experts that meets every rule with the least workload; NoValidTeam saying
    which rule the pool cannot meet."""
    experts = _unique(pool)
    excluded = {expert.id: rule for expert in experts if (rule := exclusion(expert, needs)) is not None}
    eligible = sorted((expert for expert in experts if expert.id not in excluded), key=lambda e: _preference(e, needs))
    if len(eligible) < needs.team_size:
        raise NoValidTeam(
            f"a team needs {needs.team_size} experts but only {len(eligible)} in the pool are eligible"
            + _excluded_summary(excluded.values()),
            rule=TeamRule.TEAM_SIZE,
        )
    with_industry = [expert for expert in eligible if needs.industry in expert.industries]
    if not with_industry:
        blocked = [excluded[expert.id] for expert in experts if needs.industry in expert.industries]
        raise NoValidTeam(
            f"no eligible expert covers the industry {needs.industry!r}"
            + (f"; {len(blocked)} who do are excluded{_excluded_summary(blocked)}" if blocked else ""),
            rule=TeamRule.INDUSTRY,
        )
    lead = with_industry[0]
    rest = [expert for expert in eligible if expert is not lead][: needs.team_size - 1]
    return TeamProposal(expert_ids=(lead.id, *(expert.id for expert in rest)), excluded=excluded)


_REASONS = {
    TeamRule.EMPLOYED_BY_ENTERPRISE: "employed by the enterprise",
    TeamRule.EMPLOYED_BY_INTEGRATOR: "employed by its integrator",
    TeamRule.EMPLOYED_BY_COMPETITOR: "employed by a listed competitor",
    TeamRule.UNAVAILABLE: "unavailable",
}


def _excluded_summary(rules: Iterable[TeamRule]) -> str:
    counted = list(rules)
    parts = [f"{counted.count(rule)} {text}" for rule, text in _REASONS.items() if rule in counted]
    return f" (excluded: {', '.join(parts)})" if parts else ""


def _unique(pool: Iterable[Expert]) -> list[Expert]:
    experts = list(pool)
    ids = [expert.id for expert in experts]
    if duplicates := sorted({expert_id for expert_id in ids if ids.count(expert_id) > 1}):
        raise ValueError(f"the expert pool lists expert(s) {duplicates} more than once")
    return experts


def check_team(pool: Iterable[Expert], needs: DiagnosisNeeds, team: Sequence[int]) -> list[TeamViolation]:
    """Every rule an officer-adjusted team breaks (empty when it is valid), in the order of the team."""
    by_id = {expert.id: expert for expert in _unique(pool)}
    violations = []
    seen: set[int] = set()
    members = []
    for expert_id in team:
        if expert_id in seen:
            violations.append(
                TeamViolation(TeamRule.DUPLICATE_EXPERT, f"expert {expert_id} is on the team twice", expert_id)
            )
            continue
        seen.add(expert_id)
        expert = by_id.get(expert_id)
        if expert is None:
            violations.append(
                TeamViolation(TeamRule.UNKNOWN_EXPERT, f"expert {expert_id} is not in the pool", expert_id)
            )
            continue
        members.append(expert)
        if (rule := exclusion(expert, needs)) is not None:
            violations.append(TeamViolation(rule, f"expert {expert_id} is {_REASONS[rule]}", expert_id))
    if len(members) < MIN_TEAM_SIZE:
        violations.append(
            TeamViolation(
                TeamRule.TEAM_SIZE,
                f"a team needs at least {MIN_TEAM_SIZE} experts from the pool, this one has {len(members)}",
            )
        )
    if not any(needs.industry in expert.industries for expert in members):
        violations.append(
            TeamViolation(TeamRule.INDUSTRY, f"nobody on the team covers the industry {needs.industry!r}")
        )
    return violations

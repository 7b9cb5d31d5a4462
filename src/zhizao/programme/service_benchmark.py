"""Benchmark (标杆) selection: the ranking of an edition's recognised smart factories per industry (the method is
``benchmark``'s), and the programme office's decisions, each with a rationale, within the industry quotas.

Verified results come from each project's stored KPI verification, read through production's service; maturity
levels through assessment's (``acceptance_access.current_level``). Officers and administrators only.
A selection beyond the industry's quota is a 409 naming the industry; a selected project becomes a benchmark
factory through ``service_projects.apply_transition``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound
from zhizao.production import programme_service
from zhizao.production.programme import Kpi
from zhizao.programme import benchmark, project_access, service_editions, service_projects
from zhizao.programme.acceptance import Decision
from zhizao.programme.acceptance_access import current_levels
from zhizao.programme.benchmark import Candidate, Ranked
from zhizao.programme.editions import BenchmarkRules, EditionTargets
from zhizao.programme.kinds import Industry, ProjectStage
from zhizao.programme.lifecycle import Action
from zhizao.programme.models import Edition, FactoryProject
from zhizao.programme.models_acceptance import Acceptance, BenchmarkDecision
from zhizao.programme.schemas_acceptance import (
    BenchmarkDecisionCreate,
    BenchmarkDecisionRead,
    BenchmarkRanking,
    IndustryRanking,
    RankingEntry,
)

SCORE_PLACES = Decimal("0.0001")
DECISION_FIELDS = ("project_id", "edition_id", "industry", "rank", "score", "selected", "rationale")


def edition_of(session: Session, edition_id: int | None) -> Edition:
    """The named edition, or the current one."""
    if edition_id is None:
        return service_editions.current_edition(session)
    return service_editions.get_edition(session, edition_id)


def _verification_ids(session: Session, projects: Sequence[FactoryProject]) -> dict[int, int]:
    """The verification each project was accepted on: recorded on the project, else on its passed acceptance."""
    found = {p.id: p.verification_id for p in projects if p.verification_id is not None}
    missing = [p.id for p in projects if p.verification_id is None]
    if missing:
        accepted = session.execute(
            select(Acceptance.project_id, Acceptance.verification_id)
            .where(Acceptance.project_id.in_(missing), Acceptance.decision == Decision.PASSED)
            .order_by(Acceptance.id)
        ).all()
        # Ascending: the latest passed acceptance of a project is the one kept.
        found.update({project_id: verification_id for project_id, verification_id in accepted if verification_id})
    return found


def candidates(session: Session, actor: Principal, projects: Sequence[FactoryProject]) -> list[Candidate]:
    """Projects with their verified results (production) and current maturity levels (assessment), read for all
    of them at once: a handful of queries however many factories are ranked."""
    verification_ids = _verification_ids(session, projects)
    verifications = programme_service.read_verifications(session, actor, verification_ids.values())
    levels = current_levels(session, projects)
    found = []
    for project in projects:
        row = verifications.get(verification_ids.get(project.id, 0))
        result = programme_service.verification_of(row) if row is not None else None
        found.append(
            Candidate(
                project_id=project.id,
                stage=project.stage,
                maturity_level=levels[project.id],
                productivity_verdict=row.productivity_verdict if row is not None else None,
                cost_verdict=row.cost_verdict if row is not None else None,
                productivity_change=result.kpi(Kpi.PRODUCTIVITY).change if result is not None else None,
                cost_change=result.kpi(Kpi.OPERATING_COST).change if result is not None else None,
                recognised_on=project.recognised_on,
            )
        )
    return found


def candidate(session: Session, actor: Principal, project: FactoryProject) -> Candidate:
    """One project as the ranking sees it."""
    return candidates(session, actor, [project])[0]


def _projects(session: Session, edition_id: int, industry: Industry | None) -> Sequence[FactoryProject]:
    query = select(FactoryProject).where(
        FactoryProject.edition_id == edition_id, FactoryProject.stage.in_(benchmark.RANKED_STAGES)
    )
    if industry is not None:
        query = query.where(FactoryProject.industry == industry)
    return session.scalars(query.order_by(FactoryProject.id)).all()


def _rules(edition: Edition) -> tuple[EditionTargets, BenchmarkRules]:
    return service_editions.edition_targets(edition), service_editions.edition_rules(edition).benchmark


def _entry(ranked: Ranked, project: FactoryProject, names: dict[int, str]) -> RankingEntry:
    found = ranked.candidate
    return RankingEntry(
        project_id=project.id,
        title=project.title,
        enterprise_id=project.enterprise_id,
        enterprise_name=names.get(project.enterprise_id, ""),
        stage=project.stage,
        maturity_level=found.maturity_level,
        productivity_verdict=found.productivity_verdict,
        cost_verdict=found.cost_verdict,
        productivity_change=found.productivity_change,
        cost_change=found.cost_change,
        score=None if ranked.score is None else ranked.score.quantize(SCORE_PLACES),
        recognised_on=found.recognised_on,
        rank=ranked.rank,
        reasons=list(ranked.reasons),
    )


def ranking(
    session: Session, actor: Principal, edition_id: int | None = None, industry: Industry | None = None
) -> BenchmarkRanking:
    """Per industry (every industry, or the one named): quota, designated, left, and the ranked projects."""
    edition = edition_of(session, edition_id)
    targets, rules = _rules(edition)
    projects = _projects(session, edition.id, industry)
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_({p.enterprise_id for p in projects}))
        ).all()
    )
    by_id = {project.id: project for project in projects}
    industries = [industry] if industry is not None else list(Industry)
    rankings = []
    everyone = candidates(session, actor, projects)
    for each in industries:
        of_industry = [found for found, project in zip(everyone, projects, strict=True) if project.industry == each]
        quota = targets.benchmark_quotas.get(each, 0)
        designated = benchmark.designated_count(of_industry)
        rankings.append(
            IndustryRanking(
                industry=each,
                quota=quota,
                designated=designated,
                left=benchmark.quota_left(quota, designated),
                entries=[
                    _entry(ranked, by_id[ranked.candidate.project_id], names)
                    for ranked in benchmark.rank(of_industry, rules)
                ],
            )
        )
    return BenchmarkRanking(
        edition_id=edition.id, edition_code=edition.code, min_maturity_level=rules.min_maturity_level,
        industries=rankings,
    )  # fmt: skip


def list_decisions(session: Session, edition_id: int | None = None) -> list[BenchmarkDecisionRead]:
    """The edition's benchmark decisions, newest first."""
    edition = edition_of(session, edition_id)
    query = select(BenchmarkDecision).where(BenchmarkDecision.edition_id == edition.id)
    rows = session.scalars(query.order_by(BenchmarkDecision.id.desc())).all()
    return [BenchmarkDecisionRead.model_validate(row) for row in rows]


def decide(session: Session, actor: Principal, data: BenchmarkDecisionCreate) -> BenchmarkDecisionRead:
    """Record the office's decision on a recognised factory; a selection must be eligible (422 naming each reason)
    and fit the industry's quota (409 naming the industry), and designates the project a benchmark."""
    field = "body.project_id"
    with session.begin():
        try:
            project = project_access.get_project(session, actor, data.project_id, lock=True)
        except NotFound:
            raise InputError.for_field(field, f"project {data.project_id} does not exist") from None
        # Locking the edition queues decisions of one edition, so that two selections cannot both take the last place.
        edition = session.get(Edition, project.edition_id, with_for_update=True)
        assert edition is not None
        if project.stage != ProjectStage.RECOGNISED:
            message = f"project {project.id} is {project.stage.value}; only a recognised smart factory is decided on"
            raise Conflict(message, fields=[FieldProblem(field, message)])
        targets, rules = _rules(edition)
        candidates = [candidate(session, actor, p) for p in _projects(session, edition.id, project.industry)]
        ranked = next(r for r in benchmark.rank(candidates, rules) if r.candidate.project_id == project.id)
        if data.selected:
            if ranked.reasons:
                problems = [FieldProblem(field, reason) for reason in ranked.reasons]
                raise InputError(f"project {project.id} is not eligible as a benchmark factory", fields=problems)
            quota = targets.benchmark_quotas.get(project.industry, 0)
            designated = benchmark.designated_count(candidates)
            if benchmark.quota_left(quota, designated) == 0:
                message = (
                    f"the benchmark quota of industry {project.industry.value} is used up: "
                    f"{designated} of {quota} designated"
                )
                raise Conflict(message, fields=[FieldProblem("industry", message)])
        row = BenchmarkDecision(
            project_id=project.id,
            edition_id=edition.id,
            industry=project.industry,
            rank=ranked.rank,
            score=None if ranked.score is None else ranked.score.quantize(SCORE_PLACES),
            selected=data.selected,
            rationale=data.rationale,
            decided_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor, action="benchmark.decide", entity_type="benchmark_decision", entity_id=row.id,
            organisation_id=project.enterprise_id, after=audit.snapshot(row, DECISION_FIELDS),
        )  # fmt: skip
        if data.selected:
            evidence = {"decision_id": row.id, "rank": row.rank, "score": str(row.score)}
            service_projects.apply_transition(
                session, actor, project, Action.DESIGNATE_BENCHMARK, rationale=data.rationale, evidence=evidence
            )
        return BenchmarkDecisionRead.model_validate(row)

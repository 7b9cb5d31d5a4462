"""Matching listed integrators to a factory's needs: the gap roadmap of the enterprise's latest closed diagnosis
(assessment's stored gap plan, read through its service), ranked by ``directory.rank_integrators``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind
from zhizao.assessment import service as assessment_service
from zhizao.assessment import service_ratings
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.errors import Conflict, NotFound
from zhizao.programme import directory, service_directory
from zhizao.programme.directory import Candidate
from zhizao.programme.models import EnterpriseRecord
from zhizao.programme.schemas_directory import IntegratorMatch, MatchesRead


def integrator_matches(session: Session, actor: Principal, enterprise_id: int) -> MatchesRead:
    """Listed integrators ranked against the gap roadmap of the enterprise's latest closed diagnosis."""
    organisation = session.get(Organisation, enterprise_id)
    if (
        organisation is None
        or organisation.kind != OrganisationKind.ENTERPRISE
        or not actor.may_access_tenant(enterprise_id)
    ):
        raise NotFound(f"enterprise {enterprise_id} not found")
    closed = assessment_service.list_assessments(
        session, actor, enterprise_id=enterprise_id, kind=AssessmentKind.DIAGNOSIS, status=AssessmentStatus.CLOSED
    )
    if not closed:
        raise Conflict(f"enterprise {enterprise_id} has no closed diagnosis: integrators are matched to its gaps")
    plan = service_ratings.result(session, actor, closed[0].id).gaps
    gap_subdomains: dict[str, frozenset[str]] = {}
    for item in plan.items if plan else []:
        gap_subdomains.setdefault(item.subdomain, frozenset(item.capabilities))
    record = session.get(EnterpriseRecord, enterprise_id)
    industry = record.industry if record else None
    entries = service_directory.listed_entries(session)
    candidates = [
        Candidate(
            integrator_id,
            facts.name,
            frozenset(facts.capabilities),
            frozenset(facts.industries),
            facts.verified_projects,
        )
        for integrator_id, facts in service_directory.integrator_facts(session, entries).items()
    ]
    ranked = directory.rank_integrators(gap_subdomains, industry, candidates)
    return MatchesRead(
        enterprise_id=enterprise_id,
        diagnosis_id=closed[0].id,
        industry=industry,
        gap_subdomains=list(gap_subdomains),
        matches=[
            IntegratorMatch(
                integrator_id=match.candidate.integrator_id,
                name=match.candidate.name,
                website=entries[match.candidate.integrator_id].website,
                covered_subdomains=list(match.covered_subdomains),
                serves_industry=match.serves_industry,
                verified_projects=match.candidate.verified_projects,
            )
            for match in ranked
        ],
    )

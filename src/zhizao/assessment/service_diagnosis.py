"""On-site diagnoses (现场咨询诊断): an officer opens one, the system proposes a team from the expert pool, the
officer may adjust it, the experts accept or decline; the experts rate independently, then the consensus is
recorded, and closing stores the score with the inter-rater agreement and the gap plan.

Team rules are ``team.propose_team`` / ``team.check_team``; an expert who declined is never proposed again for the
same diagnosis. Workload is the number of other open diagnoses an expert is on.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.assessment import team as team_rules
from zhizao.assessment.agreement import domain_agreement
from zhizao.assessment.lifecycle import Action, AssessmentKind, AssessmentStatus, next_status
from zhizao.assessment.model import load_model
from zhizao.assessment.models import Assessment, MemberStatus, TeamMember
from zhizao.assessment.schemas import AgreementRead, DiagnosisCreate
from zhizao.assessment.service import audit_status
from zhizao.assessment.service_access import (
    ON_TEAM,
    SEES_ALL_RATINGS,
    get_assessment,
    get_kind,
    is_lead,
    membership,
    profile_of,
    team,
)
from zhizao.assessment.service_pool import needs_of, pool, roadmap_integrators
from zhizao.assessment.service_ratings import independent_ratings, item_ratings, sheet_of, store_result, stored_ratings
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, FieldProblem, InputError, PermissionDenied


def open_diagnosis(session: Session, actor: Principal, data: DiagnosisCreate) -> Assessment:
    with session.begin():
        organisation = session.get(Organisation, data.enterprise_id)
        if organisation is None or organisation.kind != OrganisationKind.ENTERPRISE:
            raise InputError.for_field("body.enterprise_id", f"organisation {data.enterprise_id} is not an enterprise")
        profile = profile_of(session, data.enterprise_id, "body.enterprise_id")
        row = Assessment(
            enterprise_id=data.enterprise_id,
            kind=AssessmentKind.DIAGNOSIS,
            model_version=load_model().version,
            enterprise_type=profile.enterprise_type,
            status=AssessmentStatus.OPENED,
            team_size=data.team_size,
            created_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        audit_status(session, actor, row, "assessment.open", None)
    return row


def _decliners(session: Session, assessment_id: int) -> set[int]:
    return {expert.id for member, expert in team(session, assessment_id) if member.status == MemberStatus.DECLINED}


def _set_team(session: Session, row: Assessment, expert_ids: tuple[int, ...] | list[int]) -> None:
    """Make the team exactly these experts in this order; whoever stays keeps their answer, decliners stay on
    record (so they are not proposed again), the others are removed."""
    current = {member.expert_id: member for member, _ in team(session, row.id)}
    for expert_id, member in current.items():
        if expert_id not in expert_ids and member.status != MemberStatus.DECLINED:
            session.delete(member)
    for position, expert_id in enumerate(expert_ids):
        staying = current.get(expert_id)
        if staying is None:
            session.add(
                TeamMember(assessment_id=row.id, expert_id=expert_id, position=position, status=MemberStatus.INVITED)
            )
        else:
            staying.position = position
    session.flush()


def _after_team_change(session: Session, actor: Principal, row: Assessment, action: str) -> None:
    before = row.status
    row.status = next_status(row.kind, row.status, Action.PROPOSE_TEAM)
    _start_when_all_accepted(row, session)
    row.updated_at = utcnow()
    audit_status(session, actor, row, action, before)


def propose_team(session: Session, actor: Principal, assessment_id: int) -> Assessment:
    """The system's proposal from the pool, leaving out whoever declined this diagnosis; NoValidTeam (409) saying
    which rule the pool cannot meet."""
    with session.begin():
        row = get_kind(session, actor, assessment_id, AssessmentKind.DIAGNOSIS)
        next_status(row.kind, row.status, Action.PROPOSE_TEAM)
        needs = needs_of(session, row, profile_of(session, row.enterprise_id, "path.assessment_id"))
        declined = _decliners(session, row.id)
        candidates = [expert for expert in pool(session, excluding=row.id) if expert.id not in declined]
        try:
            proposal = team_rules.propose_team(candidates, needs)
        except team_rules.NoValidTeam as exc:
            exc.fields = [FieldProblem("team", f"{exc.rule.value}: {exc.message}")]
            raise
        _set_team(session, row, proposal.expert_ids)
        _after_team_change(session, actor, row, "assessment.team_propose")
    return row


def adjust_team(session: Session, actor: Principal, assessment_id: int, expert_ids: list[int]) -> Assessment:
    """The officer's own team (lead first), checked against every rule; InputError naming each broken rule at
    ``body.expert_ids[i]`` (an expert) or ``body.expert_ids`` (the team)."""
    with session.begin():
        row = get_kind(session, actor, assessment_id, AssessmentKind.DIAGNOSIS)
        next_status(row.kind, row.status, Action.PROPOSE_TEAM)
        needs = needs_of(session, row, profile_of(session, row.enterprise_id, "path.assessment_id"))
        violations = team_rules.check_team(pool(session, excluding=row.id), needs, expert_ids)
        problems = [
            FieldProblem(_field(expert_ids, violation.expert_id), f"{violation.rule.value}: {violation.message}")
            for violation in violations
        ]
        declined = _decliners(session, row.id)
        problems.extend(
            FieldProblem(f"body.expert_ids[{index}]", f"declined: expert {expert_id} declined this diagnosis")
            for index, expert_id in enumerate(expert_ids)
            if expert_id in declined
        )
        if problems:
            raise InputError(f"the team breaks {len(problems)} rule(s): {problems[0].message}", fields=problems)
        _set_team(session, row, expert_ids)
        _after_team_change(session, actor, row, "assessment.team_adjust")
    return row


def _field(expert_ids: list[int], expert_id: int | None) -> str:
    if expert_id is None or expert_id not in expert_ids:
        return "body.expert_ids"
    return f"body.expert_ids[{expert_ids.index(expert_id)}]"


def _start_when_all_accepted(row: Assessment, session: Session) -> None:
    members = [member for member, _ in team(session, row.id) if member.status in ON_TEAM]
    if len(members) >= team_rules.MIN_TEAM_SIZE and all(m.status == MemberStatus.ACCEPTED for m in members):
        row.status = next_status(row.kind, row.status, Action.START)


def respond(session: Session, actor: Principal, assessment_id: int, *, accept: bool) -> Assessment:
    """An invited expert accepts or declines; the diagnosis starts when everyone on the team has accepted."""
    with session.begin():
        row = get_kind(session, actor, assessment_id, AssessmentKind.DIAGNOSIS)
        member = membership(session, row.id, actor.user_id)
        assert member is not None  # get_kind found it through the caller's membership
        if row.status != AssessmentStatus.TEAM_PROPOSED or member.status != MemberStatus.INVITED:
            raise Conflict(f"there is no open invitation to answer on diagnosis {row.id} ({member.status.value})")
        before = row.status
        member.status = MemberStatus.ACCEPTED if accept else MemberStatus.DECLINED
        member.responded_at = utcnow()
        session.flush()
        if accept:
            _start_when_all_accepted(row, session)
        row.updated_at = utcnow()
        audit_status(session, actor, row, "assessment.team_accept" if accept else "assessment.team_decline", before)
    return row


def start_consensus(session: Session, actor: Principal, assessment_id: int) -> Assessment:
    """End the independent ratings: from now on the team sees all of them and the consensus is recorded."""
    with session.begin():
        row = get_kind(session, actor, assessment_id, AssessmentKind.DIAGNOSIS)
        if not actor.sees_all_tenants and not is_lead(session, row.id, actor.user_id):
            raise PermissionDenied("the officer or the lead expert moves a diagnosis to its consensus")
        before = row.status
        row.status = next_status(row.kind, row.status, Action.START_CONSENSUS)
        row.updated_at = utcnow()
        audit_status(session, actor, row, "assessment.consensus", before)
    return row


def close(session: Session, actor: Principal, assessment_id: int) -> Assessment:
    """Score the complete consensus with the experts' agreement, plan the gaps, store both, close."""
    with session.begin():
        row = get_kind(session, actor, assessment_id, AssessmentKind.DIAGNOSIS)
        before = row.status
        row.status = next_status(row.kind, row.status, Action.CLOSE)
        sheet = sheet_of(row, item_ratings(stored_ratings(session, row.id, None)), independent_ratings(session, row.id))
        store_result(session, row, sheet, roadmap_integrators(session))
        row.updated_at = utcnow()
        audit_status(session, actor, row, "assessment.close", before)
    return row


def cancel(session: Session, actor: Principal, assessment_id: int) -> Assessment:
    with session.begin():
        row = get_kind(session, actor, assessment_id, AssessmentKind.DIAGNOSIS)
        before = row.status
        row.status = next_status(row.kind, row.status, Action.CANCEL)
        row.updated_at = utcnow()
        audit_status(session, actor, row, "assessment.cancel", before)
    return row


def agreement(session: Session, actor: Principal, assessment_id: int) -> AgreementRead:
    """Inter-rater agreement per domain of the experts' independent ratings; experts see it from the consensus
    stage on (before, it would show them each other's ratings)."""
    row = get_assessment(session, actor, assessment_id)
    if row.kind != AssessmentKind.DIAGNOSIS:
        raise Conflict(f"assessment {row.id} is a self-assessment: there are no independent ratings")
    if actor.role == Role.EXPERT and row.status not in SEES_ALL_RATINGS:
        raise PermissionDenied("the experts see their agreement from the consensus stage on")
    if actor.role == Role.ENTERPRISE and row.status != AssessmentStatus.CLOSED:
        raise PermissionDenied("the enterprise sees the experts' agreement once the diagnosis is closed")
    independent = independent_ratings(session, row.id)
    values = {
        expert: {entry.item: entry.rating for entry in ratings if entry.rating is not None}
        for expert, ratings in independent.items()
    }
    return AgreementRead(
        assessment_id=row.id,
        experts=len(values),
        domains=domain_agreement(load_model(row.model_version), values),
    )

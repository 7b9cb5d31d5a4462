"""Who may see and change which assessment, in one place for every assessment service.

- enterprise users: their own enterprise's assessments (self-assessments and diagnoses);
- experts: only the diagnoses they are on (invited or accepted; a decliner is off the team);
- officers and administrators: all.

Another caller gets 404, never 403, so that ids cannot be probed. Which ratings a caller writes is decided here
too: the enterprise's own in a draft self-assessment; an expert's own, independent ones while a diagnosis is in
progress; the consensus (officer, administrator or the lead expert) in the consensus stage.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.assessment.models import Assessment, EnterpriseProfile, ExpertRecord, MemberStatus, TeamMember
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied
from zhizao.telemetry.scope import enterprise_for_write

# Roles of the routes (the route-walking test reads them from the dependencies).
VIEWERS = (Role.ADMIN, Role.OFFICER, Role.EXPERT, Role.ENTERPRISE)
OVERSEERS = (Role.ADMIN, Role.OFFICER)
SELF_ASSESSORS = (Role.ADMIN, Role.ENTERPRISE)
PROFILE_EDITORS = (Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)
INTEGRATOR_READERS = (Role.ADMIN, Role.OFFICER, Role.EXPERT, Role.ENTERPRISE, Role.INTEGRATOR)
INTEGRATOR_EDITORS = (Role.ADMIN, Role.INTEGRATOR)

ON_TEAM = (MemberStatus.INVITED, MemberStatus.ACCEPTED)
SEES_ALL_RATINGS = frozenset({AssessmentStatus.CONSENSUS, AssessmentStatus.CLOSED, AssessmentStatus.CANCELLED})


def _on_team(user_id: int) -> ColumnElement[bool]:
    return exists(
        select(TeamMember.id)
        .join(ExpertRecord, ExpertRecord.id == TeamMember.expert_id)
        .where(
            TeamMember.assessment_id == Assessment.id,
            ExpertRecord.user_id == user_id,
            TeamMember.status.in_(ON_TEAM),
        )
    )


def visible(actor: Principal) -> Select[Assessment]:
    """The assessments within the caller's scope."""
    query = select(Assessment)
    if actor.sees_all_tenants:
        return query
    if actor.role == Role.ENTERPRISE:
        return query.where(Assessment.enterprise_id == actor.organisation_id)
    if actor.role == Role.EXPERT:
        return query.where(Assessment.kind == AssessmentKind.DIAGNOSIS, _on_team(actor.user_id))
    return query.where(Assessment.id.is_(None))  # nobody else sees any


def get_assessment(session: Session, actor: Principal, assessment_id: int, *, lock: bool = False) -> Assessment:
    """The assessment if the caller may see it; otherwise 404."""
    query = visible(actor).where(Assessment.id == assessment_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        # Two officers proposing a team at once, or an expert accepting during an adjustment, queue here.
        query = query.with_for_update(of=Assessment)
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"assessment {assessment_id} not found")
    return row


def get_kind(session: Session, actor: Principal, assessment_id: int, kind: AssessmentKind) -> Assessment:
    assessment = get_assessment(session, actor, assessment_id, lock=True)
    if assessment.kind != kind:
        raise NotFound(f"{kind.value} assessment {assessment_id} not found")
    return assessment


def team(session: Session, assessment_id: int) -> Sequence[tuple[TeamMember, ExpertRecord]]:
    """The diagnosis's team (decliners included, last), lead first."""
    rows = session.execute(
        select(TeamMember, ExpertRecord)
        .join(ExpertRecord, ExpertRecord.id == TeamMember.expert_id)
        .where(TeamMember.assessment_id == assessment_id)
        .order_by(TeamMember.status == MemberStatus.DECLINED, TeamMember.position, TeamMember.id)
    ).all()
    return [(member, expert) for member, expert in rows]


def membership(session: Session, assessment_id: int, user_id: int) -> TeamMember | None:
    return session.scalars(
        select(TeamMember)
        .join(ExpertRecord, ExpertRecord.id == TeamMember.expert_id)
        .where(TeamMember.assessment_id == assessment_id, ExpertRecord.user_id == user_id)
    ).first()


def is_lead(session: Session, assessment_id: int, user_id: int) -> bool:
    """The lead expert: the first accepted or invited member (the proposal puts the industry expert first)."""
    members = [(member, expert) for member, expert in team(session, assessment_id) if member.status in ON_TEAM]
    return bool(members) and members[0][1].user_id == user_id


def rater_for_write(session: Session, actor: Principal, assessment: Assessment) -> int | None:
    """Whose ratings the caller writes in this assessment now: None for the enterprise's own or the consensus, a
    user id for an expert's independent ratings. PermissionDenied or Conflict when the caller may not rate now."""
    status = assessment.status
    if assessment.kind == AssessmentKind.SELF:
        if actor.role not in SELF_ASSESSORS:
            raise PermissionDenied("only the enterprise rates its self-assessment")
        if status != AssessmentStatus.DRAFT:
            raise Conflict(f"self-assessment {assessment.id} is {status.value}; its ratings are final")
        return None
    if status == AssessmentStatus.IN_PROGRESS:
        member = membership(session, assessment.id, actor.user_id) if actor.role == Role.EXPERT else None
        if member is None or member.status != MemberStatus.ACCEPTED:
            raise PermissionDenied("while a diagnosis is in progress only the experts on its team rate, each their own")
        return actor.user_id
    if status == AssessmentStatus.CONSENSUS:
        if actor.sees_all_tenants or (actor.role == Role.EXPERT and is_lead(session, assessment.id, actor.user_id)):
            return None
        raise PermissionDenied("the consensus ratings are recorded by the officer or the lead expert")
    raise Conflict(f"diagnosis {assessment.id} is {status.value}: ratings are taken in progress and in consensus")


def rater_for_read(actor: Principal, assessment: Assessment) -> int | None:
    """Whose ratings the caller's progress and provisional result are about."""
    if (
        assessment.kind == AssessmentKind.DIAGNOSIS
        and actor.role == Role.EXPERT
        and assessment.status not in SEES_ALL_RATINGS
    ):
        return actor.user_id
    return None


def enterprise_in_scope(session: Session, actor: Principal, requested: int | None, field: str) -> int:
    """The enterprise a request is about: an enterprise user's own; officers and administrators name one."""
    return enterprise_for_write(session, actor, requested, field)


def profile_of(session: Session, enterprise_id: int, field: str) -> EnterpriseProfile:
    profile = session.get(EnterpriseProfile, enterprise_id)
    if profile is None:
        raise InputError.for_field(
            field, f"enterprise {enterprise_id} has no assessment profile yet: set its industry and type first"
        )
    return profile

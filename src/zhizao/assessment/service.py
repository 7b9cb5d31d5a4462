"""Assessments as a whole: listing and reading them, and the enterprise's self-assessment (自评估).

A self-assessment is a questionnaire of the newest model version, filtered to the enterprise's type. The
enterprise saves ratings in batches and resumes later (one draft at a time); progress and a provisional result are
there all along; submitting refuses while an applicable item is unrated and stores the score and the gap plan.

The other services: ``service_ratings`` (ratings, progress, results), ``service_diagnosis`` (on-site diagnoses
and their teams), ``service_pool`` (experts, profiles, integrators), ``service_evidence`` (files) and
``service_verify`` (data-verified evidence from telemetry); ``service_access`` decides who sees what.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.assessment.lifecycle import Action, AssessmentKind, AssessmentStatus, next_status
from zhizao.assessment.model import load_model
from zhizao.assessment.models import Assessment
from zhizao.assessment.schemas import AssessmentRead, SelfAssessmentCreate, TeamMemberRead
from zhizao.assessment.service_access import enterprise_in_scope, get_kind, profile_of, team, visible
from zhizao.assessment.service_pool import roadmap_integrators
from zhizao.assessment.service_ratings import item_ratings, sheet_of, store_result, stored_ratings
from zhizao.db.base import utcnow
from zhizao.errors import Conflict

ASSESSMENT_FIELDS = ("enterprise_id", "kind", "model_version", "enterprise_type", "status", "team_size")


def assessment_read(session: Session, row: Assessment) -> AssessmentRead:
    members = team(session, row.id)
    names = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_([expert.user_id for _, expert in members]))
        ).all()
    )
    lead_found = False
    team_read = []
    for member, expert in members:
        lead = not lead_found and member.status != "declined"
        lead_found = lead_found or lead
        team_read.append(
            TeamMemberRead(
                expert_id=expert.id,
                user_id=expert.user_id,
                display_name=names.get(expert.user_id, ""),
                position=member.position,
                lead=lead,
                status=member.status,
                responded_at=member.responded_at,
            )
        )
    return AssessmentRead(
        id=row.id,
        enterprise_id=row.enterprise_id,
        kind=row.kind,
        model_version=row.model_version,
        enterprise_type=row.enterprise_type,
        status=row.status,
        team_size=row.team_size,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        team=team_read,
    )


def list_assessments(
    session: Session,
    actor: Principal,
    *,
    enterprise_id: int | None = None,
    kind: AssessmentKind | None = None,
    status: AssessmentStatus | None = None,
) -> Sequence[Assessment]:
    query = visible(actor)
    if enterprise_id is not None:
        query = query.where(Assessment.enterprise_id == enterprise_id)
    if kind is not None:
        query = query.where(Assessment.kind == kind)
    if status is not None:
        query = query.where(Assessment.status == status)
    return session.scalars(query.order_by(Assessment.id.desc()).limit(200)).all()


def audit_status(session: Session, actor: Principal, row: Assessment, action: str, before: str | None) -> None:
    audit.record(
        session, actor, action=action, entity_type="assessment", entity_id=row.id,
        organisation_id=row.enterprise_id, before=None if before is None else {"status": before},
        after=audit.snapshot(row, ASSESSMENT_FIELDS),
    )  # fmt: skip


def create_self_assessment(session: Session, actor: Principal, data: SelfAssessmentCreate) -> Assessment:
    """A new draft on the newest model version; Conflict naming the open draft if there is one (resume that)."""
    with session.begin():
        enterprise_id = enterprise_in_scope(session, actor, data.enterprise_id, "body.enterprise_id")
        profile = profile_of(session, enterprise_id, "body.enterprise_id")
        draft = session.scalars(
            select(Assessment.id).where(
                Assessment.enterprise_id == enterprise_id,
                Assessment.kind == AssessmentKind.SELF,
                Assessment.status == AssessmentStatus.DRAFT,
            )
        ).first()
        if draft is not None:
            raise Conflict(f"self-assessment {draft} is still a draft: resume it or submit it first")
        row = Assessment(
            enterprise_id=enterprise_id,
            kind=AssessmentKind.SELF,
            model_version=load_model().version,
            enterprise_type=profile.enterprise_type,
            status=AssessmentStatus.DRAFT,
            created_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        audit_status(session, actor, row, "assessment.create", None)
    return row


def submit_self_assessment(session: Session, actor: Principal, assessment_id: int) -> Assessment:
    """Score the complete self-assessment and store the result; InputError listing every unrated item."""
    with session.begin():
        row = get_kind(session, actor, assessment_id, AssessmentKind.SELF)
        before = row.status
        row.status = next_status(row.kind, row.status, Action.SUBMIT)
        sheet = sheet_of(row, item_ratings(stored_ratings(session, row.id, None)))
        store_result(session, row, sheet, roadmap_integrators(session))
        row.updated_at = utcnow()
        audit_status(session, actor, row, "assessment.submit", before)
    return row

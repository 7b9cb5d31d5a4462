"""Acceptances (验收) of factory projects: the programme office opens one for a project in construction and assigns
reviewing experts, marks the edition's checklist, attaches one of the enterprise's stored KPI verifications (read
through production's service) with the current maturity level, and decides. Experts record their reviews.

Who sees what is ``acceptance_access``'s: officers and administrators every acceptance; an expert only those they
are assigned to review; anyone else, or an expert not assigned, gets 404. A pass is refused (422 naming each unmet
requirement, from the pure ``acceptance.acceptance_problems``) unless all hold; it moves the project to accepted
through ``service_projects.apply_transition``. A fail keeps the project in construction, so another acceptance may
follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound
from zhizao.production import programme_service
from zhizao.programme import project_access, service_projects
from zhizao.programme.acceptance import AcceptanceStatus, Decision, initial_checklist
from zhizao.programme.acceptance_access import (
    acceptance_read,
    acceptance_rules,
    checklist_of,
    current_level,
    get_acceptance,
    pass_problems,
    project_of,
    reviews_of,
)
from zhizao.programme.kinds import ProjectStage
from zhizao.programme.lifecycle import Action, Note
from zhizao.programme.models_acceptance import Acceptance, AcceptanceReview
from zhizao.programme.schemas_acceptance import (
    AcceptanceCreate,
    AcceptanceDecide,
    AcceptanceRead,
    ChecklistItem,
    ChecklistUpdate,
    KpiSummary,
    ReviewersUpdate,
    ReviewSubmit,
    VerificationAttach,
    VerificationOption,
)
from zhizao.telemetry.assets import flush_unique

FIELDS = ("project_id", "status", "decision", "verification_id", "maturity_level", "rationale")
REVIEW_FIELDS = ("expert_user_id", "opinion", "comment")


def _open(session: Session, actor: Principal, acceptance_id: int) -> Acceptance:
    row = get_acceptance(session, actor, acceptance_id, lock=True)
    if row.status != AcceptanceStatus.OPEN:
        raise Conflict(f"acceptance {acceptance_id} is decided already; open a new one for the project")
    return row


# --- the programme office's steps --------------------------------------------------------------------------


def _check_experts(session: Session, user_ids: Sequence[int], field: str) -> None:
    roles = dict(session.execute(select(User.id, User.role).where(User.id.in_(user_ids), User.is_active)).all())
    problems = [
        FieldProblem(f"{field}[{index}]", f"user {user_id} is not an active user of role expert")
        for index, user_id in enumerate(user_ids)
        if roles.get(user_id) != Role.EXPERT
    ]
    if problems:
        raise InputError(problems[0].message, fields=problems)


def _audit(session: Session, actor: Principal, row: Acceptance, action: str, before: Any, after: Any = None) -> None:
    """Record a step on the acceptance (``after`` defaults to the acceptance's own fields), for its enterprise."""
    audit.record(
        session, actor, action=action, entity_type="acceptance", entity_id=row.id,
        organisation_id=project_of(session, row).enterprise_id, before=before,
        after=audit.snapshot(row, FIELDS) if after is None else after,
    )  # fmt: skip


def open_acceptance(session: Session, actor: Principal, data: AcceptanceCreate) -> AcceptanceRead:
    with session.begin():
        try:
            project = project_access.get_project(session, actor, data.project_id, lock=True)
        except NotFound:
            raise InputError.for_field("body.project_id", f"project {data.project_id} does not exist") from None
        if project.stage != ProjectStage.IN_CONSTRUCTION:
            message = f"project {project.id} is {project.stage.value}; only a project in construction is accepted"
            raise Conflict(message, fields=[FieldProblem("body.project_id", message)])
        _check_experts(session, data.expert_user_ids, "body.expert_user_ids")
        marks = initial_checklist(acceptance_rules(session, project))
        row = Acceptance(
            project_id=project.id,
            checklist=[ChecklistItem(key=m.key, passed=m.passed, note=m.note).model_dump() for m in marks],
            maturity_level=current_level(session, project),
            status=AcceptanceStatus.OPEN,
            opened_by=actor.user_id,
        )
        session.add(row)
        message = f"project {project.id} has an open acceptance already"
        flush_unique(session, "body.project_id", message)  # the partial unique index: one open acceptance
        session.add_all(AcceptanceReview(acceptance_id=row.id, expert_user_id=uid) for uid in data.expert_user_ids)
        session.flush()
        _audit(session, actor, row, "acceptance.open", None)
        return acceptance_read(session, row)


def set_reviewers(session: Session, actor: Principal, acceptance_id: int, data: ReviewersUpdate) -> AcceptanceRead:
    """Assign exactly these experts; an expert who has submitted a review stays (their review is evidence)."""
    with session.begin():
        row = _open(session, actor, acceptance_id)
        _check_experts(session, data.expert_user_ids, "body.expert_user_ids")
        current = {review.expert_user_id: review for review, _name in reviews_of(session, row)}
        reviewed = sorted(
            uid for uid, review in current.items() if review.submitted_at and uid not in data.expert_user_ids
        )
        if reviewed:
            message = f"experts {reviewed} have submitted their reviews and stay assigned"
            raise Conflict(message, fields=[FieldProblem("body.expert_user_ids", message)])
        for uid, review in current.items():
            if uid not in data.expert_user_ids:
                session.delete(review)
        session.add_all(
            AcceptanceReview(acceptance_id=row.id, expert_user_id=uid)
            for uid in data.expert_user_ids
            if uid not in current
        )
        session.flush()
        before, after = {"expert_user_ids": sorted(current)}, {"expert_user_ids": sorted(data.expert_user_ids)}
        _audit(session, actor, row, "acceptance.reviewers", before, after)
        return acceptance_read(session, row)


def mark_checklist(session: Session, actor: Principal, acceptance_id: int, data: ChecklistUpdate) -> AcceptanceRead:
    """Mark the edition's checklist items (those not named keep their marks); an unknown key is a 422."""
    with session.begin():
        row = _open(session, actor, acceptance_id)
        marks = {item.key: item for item in checklist_of(row)}
        problems = [
            FieldProblem(f"body.items[{index}].key", f"{item.key} is not an item of the edition's checklist")
            for index, item in enumerate(data.items)
            if item.key not in marks
        ]
        if problems:
            raise InputError(problems[0].message, fields=problems)
        before = {"checklist": row.checklist}
        marks.update((item.key, item) for item in data.items)
        row.checklist = [item.model_dump() for item in marks.values()]
        session.flush()
        _audit(session, actor, row, "acceptance.checklist", before, {"checklist": row.checklist})
        return acceptance_read(session, row)


def verification_options(session: Session, actor: Principal, acceptance_id: int) -> list[VerificationOption]:
    """The project's enterprise's stored KPI verifications, newest first, as production lists them."""
    row = get_acceptance(session, actor, acceptance_id)
    project = project_of(session, row)
    return [
        VerificationOption.model_validate(verification, from_attributes=True)
        for verification in programme_service.list_verifications(session, actor, project.enterprise_id)
    ]


def attach_verification(
    session: Session, actor: Principal, acceptance_id: int, data: VerificationAttach
) -> AcceptanceRead:
    """Attach a stored verification of the project's enterprise, and take the enterprise's current maturity level."""
    with session.begin():
        row = _open(session, actor, acceptance_id)
        project = project_of(session, row)
        field = "body.verification_id"
        try:
            verification = programme_service.read_verification(session, actor, data.verification_id)
        except NotFound:
            raise InputError.for_field(field, f"verification {data.verification_id} does not exist") from None
        if verification.enterprise_id != project.enterprise_id:
            raise InputError.for_field(
                field, f"verification {verification.id} is not of the project's enterprise {project.enterprise_id}"
            )
        before = audit.snapshot(row, FIELDS)
        row.verification_id = verification.id
        result = programme_service.verification_of(verification)  # production's own reading of what it stored
        row.kpi_summary = KpiSummary.of(verification, result).model_dump(mode="json")
        row.maturity_level = current_level(session, project)
        session.flush()
        _audit(session, actor, row, "acceptance.verification", before)
        return acceptance_read(session, row)


def submit_review(session: Session, actor: Principal, acceptance_id: int, data: ReviewSubmit) -> AcceptanceRead:
    """An assigned expert's review; submitting again while the acceptance is open replaces it."""
    with session.begin():
        row = _open(session, actor, acceptance_id)
        review = session.scalars(
            select(AcceptanceReview).where(
                AcceptanceReview.acceptance_id == row.id, AcceptanceReview.expert_user_id == actor.user_id
            )
        ).first()
        if review is None:  # an administrator or officer is not a reviewer
            raise NotFound(f"you are not assigned to review acceptance {acceptance_id}")
        before = audit.snapshot(review, REVIEW_FIELDS)
        review.opinion = data.opinion
        review.comment = data.comment or None
        review.submitted_at = utcnow()
        session.flush()
        _audit(session, actor, row, "acceptance.review", before, audit.snapshot(review, REVIEW_FIELDS))
        return acceptance_read(session, row)


def decide(session: Session, actor: Principal, acceptance_id: int, data: AcceptanceDecide) -> AcceptanceRead:
    """Decide with a rationale: a pass only when every requirement holds (else 422 naming each), then the project
    is accepted; a fail always, and the project stays in construction."""
    with session.begin():
        row = _open(session, actor, acceptance_id)
        project = project_of(session, row)
        if data.decision == Decision.PASSED:
            problems = pass_problems(session, row)
            if problems:
                raise InputError(f"the acceptance cannot pass: {len(problems)} requirements are unmet", fields=problems)
        before = audit.snapshot(row, FIELDS)
        row.status = AcceptanceStatus.DECIDED
        row.decision = data.decision
        row.rationale = data.rationale
        row.decided_by = actor.user_id
        row.decided_at = utcnow()
        session.flush()
        _audit(session, actor, row, "acceptance.decide", before)
        if data.decision == Decision.PASSED:
            # The project keeps the verification and level it was accepted on (``apply_transition`` copies them).
            evidence = {
                "acceptance_id": row.id,
                "verification_id": row.verification_id,
                "maturity_level": row.maturity_level,
            }
            service_projects.apply_transition(
                session, actor, project, Action.ACCEPT, rationale=data.rationale, evidence=evidence
            )
        else:
            # The stage stays; the timeline still shows that an acceptance was held and why it failed.
            service_projects.note(
                session, actor, project, Note.ACCEPTANCE_FAILED, rationale=data.rationale,
                evidence={"acceptance_id": row.id},
            )  # fmt: skip
        return acceptance_read(session, row)

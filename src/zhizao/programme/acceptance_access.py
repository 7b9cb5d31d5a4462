"""Who sees which acceptance, and an acceptance as it reads: officers and administrators see every acceptance, an
expert only those they are assigned to review, anyone else none (404, never 403). ``acceptance_read`` is what the
API and the pages show, with what a pass would leave unmet now (the pure ``acceptance.acceptance_problems``).

The steps that change an acceptance are ``service_acceptance``'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment import service_levels
from zhizao.errors import FieldProblem, NotFound
from zhizao.programme import service_editions
from zhizao.programme.acceptance import (
    AcceptanceStatus,
    ChecklistMark,
    Decision,
    ReviewState,
    Verdicts,
    acceptance_problems,
)
from zhizao.programme.editions import AcceptanceRules
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_acceptance import Acceptance, AcceptanceReview
from zhizao.programme.schemas_acceptance import AcceptanceRead, ChecklistItem, KpiSummary, Problem, ReviewRead

LIST_LIMIT = 200


# --- access ------------------------------------------------------------------------------------------------


def visible(actor: Principal) -> Select[Acceptance]:
    """The acceptances within the caller's scope."""
    query = select(Acceptance)
    if actor.sees_all_tenants:
        return query
    if actor.role == Role.EXPERT:
        assigned = exists(
            select(AcceptanceReview.id).where(
                AcceptanceReview.acceptance_id == Acceptance.id, AcceptanceReview.expert_user_id == actor.user_id
            )
        )
        return query.where(assigned)
    return query.where(Acceptance.id.is_(None))  # nobody else sees any


def get_acceptance(session: Session, actor: Principal, acceptance_id: int, *, lock: bool = False) -> Acceptance:
    """The acceptance if the caller may see it; otherwise 404."""
    query = visible(actor).where(Acceptance.id == acceptance_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Acceptance)  # two decisions, or a review during a decision, queue here
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"acceptance {acceptance_id} not found")
    return row


def project_of(session: Session, row: Acceptance) -> FactoryProject:
    project = session.get(FactoryProject, row.project_id)
    assert project is not None  # the foreign key cascades
    return project


def acceptance_rules(session: Session, project: FactoryProject) -> AcceptanceRules:
    return service_editions.edition_rules(service_editions.get_edition(session, project.edition_id)).acceptance


def current_levels(session: Session, projects: Sequence[FactoryProject]) -> dict[int, int | None]:
    """Per project, its enterprise's current maturity level: that of the latest closed diagnosis (assessment's
    service, one query for all), else the level recorded on the project at diagnosis."""
    latest = service_levels.latest_closed_diagnoses(session, {project.enterprise_id for project in projects})
    levels: dict[int, int | None] = {}
    for project in projects:
        found = latest.get(project.enterprise_id)
        levels[project.id] = found.level if found is not None and found.level is not None else project.maturity_level
    return levels


def current_level(session: Session, project: FactoryProject) -> int | None:
    return current_levels(session, [project])[project.id]


# --- reading -----------------------------------------------------------------------------------------------


def checklist_of(row: Acceptance) -> list[ChecklistItem]:
    return [ChecklistItem.model_validate(item) for item in row.checklist]


def reviews_of(session: Session, row: Acceptance) -> list[tuple[AcceptanceReview, str]]:
    query = (
        select(AcceptanceReview, User.display_name)
        .join(User, User.id == AcceptanceReview.expert_user_id)
        .where(AcceptanceReview.acceptance_id == row.id)
        .order_by(AcceptanceReview.id)
    )
    return [(review, name) for review, name in session.execute(query).all()]


def _summary(row: Acceptance) -> KpiSummary | None:
    return None if row.kpi_summary is None else KpiSummary.model_validate(row.kpi_summary)


def _problems(rules: AcceptanceRules, row: Acceptance, reviews: Sequence[AcceptanceReview]) -> list[FieldProblem]:
    summary = _summary(row)
    return acceptance_problems(
        rules,
        [ChecklistMark(item.key, item.passed, item.note) for item in checklist_of(row)],
        None if summary is None else Verdicts(summary.productivity_verdict, summary.cost_verdict),
        row.maturity_level,
        [ReviewState(review.expert_user_id, review.opinion) for review in reviews],
    )


def pass_problems(session: Session, row: Acceptance) -> list[FieldProblem]:
    """What a pass decision on the acceptance would leave unmet now."""
    rules = acceptance_rules(session, project_of(session, row))
    return _problems(rules, row, [review for review, _name in reviews_of(session, row)])


def acceptance_read(session: Session, row: Acceptance) -> AcceptanceRead:
    project = project_of(session, row)
    enterprise = session.get(Organisation, project.enterprise_id)
    rules = acceptance_rules(session, project)
    reviews = reviews_of(session, row)
    return AcceptanceRead(
        id=row.id,
        project_id=project.id,
        project_title=project.title,
        project_stage=project.stage,
        enterprise_id=project.enterprise_id,
        enterprise_name=enterprise.name if enterprise else "",
        industry=project.industry,
        edition_id=project.edition_id,
        status=row.status,
        checklist=checklist_of(row),
        verification_id=row.verification_id,
        kpi_summary=_summary(row),
        maturity_level=row.maturity_level,
        min_maturity_level=rules.min_maturity_level,
        reviews=[
            ReviewRead(expert_user_id=review.expert_user_id, display_name=name, opinion=review.opinion,
                       comment=review.comment, assigned_at=review.assigned_at, submitted_at=review.submitted_at)
            for review, name in reviews
        ],
        pass_problems=[
            Problem(field=p.field, message=p.message) for p in _problems(rules, row, [r for r, _name in reviews])
        ],
        decision=row.decision,
        rationale=row.rationale,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )  # fmt: skip


def list_acceptances(
    session: Session,
    actor: Principal,
    *,
    project_id: int | None = None,
    status: AcceptanceStatus | None = None,
) -> Sequence[Acceptance]:
    """Acceptances in the caller's scope, open ones first, newest first within each (at most 200)."""
    query = visible(actor)
    if project_id is not None:
        query = query.where(Acceptance.project_id == project_id)
    if status is not None:
        query = query.where(Acceptance.status == status)
    return session.scalars(query.order_by(Acceptance.status.desc(), Acceptance.id.desc()).limit(LIST_LIMIT)).all()


def passed_acceptance(session: Session, project_id: int) -> Acceptance | None:
    """The project's passed acceptance, the evidence of its acceptance and recognition; None when there is none."""
    query = select(Acceptance).where(Acceptance.project_id == project_id, Acceptance.decision == Decision.PASSED)
    return session.scalars(query.order_by(Acceptance.id.desc())).first()

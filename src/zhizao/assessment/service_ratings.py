"""Ratings of an assessment: saving them in batches (checked by the scoring's own rules, all or nothing, every
change audit-logged), reading them within what the caller may see, progress and the (provisional) result."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment import gaps
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.assessment.model import MaturityModel, load_model
from zhizao.assessment.models import Assessment, AssessmentResult, ExpertRecord, RatingRecord, TeamMember
from zhizao.assessment.schemas import DomainProgress, Progress, RatingInput, ResultRead
from zhizao.assessment.scoring import ItemRating, RatingsSheet, check_ratings, score
from zhizao.assessment.service_access import (
    SEES_ALL_RATINGS,
    get_assessment,
    rater_for_read,
    rater_for_write,
)
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, FieldProblem, InputError

RATING_AUDIT_ACTION = "assessment.rating"


def rater_clause(rater_id: int | None) -> ColumnElement[bool]:
    return RatingRecord.rater_id.is_(None) if rater_id is None else RatingRecord.rater_id == rater_id


def item_ratings(rows: Sequence[RatingRecord]) -> tuple[ItemRating, ...]:
    return tuple(
        ItemRating(
            item=row.item_id,
            rating=row.rating,
            not_applicable=row.not_applicable,
            evidence_grade=row.evidence_grade,
            comment=row.comment,
        )
        for row in rows
    )


def stored_ratings(session: Session, assessment_id: int, rater_id: int | None) -> Sequence[RatingRecord]:
    query = select(RatingRecord).where(RatingRecord.assessment_id == assessment_id, rater_clause(rater_id))
    return session.scalars(query.order_by(RatingRecord.item_id)).all()


def independent_ratings(session: Session, assessment_id: int) -> dict[str, tuple[ItemRating, ...]]:
    """Each team expert's own ratings, keyed ``expert-<expert id>``."""
    rows = session.execute(
        select(RatingRecord, ExpertRecord.id)
        .join(ExpertRecord, ExpertRecord.user_id == RatingRecord.rater_id)
        .join(TeamMember, (TeamMember.expert_id == ExpertRecord.id) & (TeamMember.assessment_id == assessment_id))
        .where(RatingRecord.assessment_id == assessment_id, RatingRecord.rater_id.is_not(None))
        .order_by(ExpertRecord.id, RatingRecord.item_id)
    ).all()
    by_expert: dict[str, list[RatingRecord]] = {}
    for row, expert_id in rows:
        by_expert.setdefault(f"expert-{expert_id}", []).append(row)
    return {expert: item_ratings(ratings) for expert, ratings in by_expert.items()}


def sheet_of(
    assessment: Assessment,
    ratings: Sequence[ItemRating],
    independent: dict[str, tuple[ItemRating, ...]] | None = None,
) -> RatingsSheet:
    return RatingsSheet(
        model_version=assessment.model_version,
        enterprise_type=assessment.enterprise_type,
        ratings=tuple(ratings),
        independent=independent or {},
    )


SNAPSHOT_FIELDS = ("item_id", "rater_id", "rating", "not_applicable", "evidence_grade", "comment")


def _snapshot(row: object | None) -> dict[str, Any] | None:
    """A rating as its audit entries show it (``row``: a stored row, or the values about to be written)."""
    if row is None:
        return None
    return audit.snapshot(row, SNAPSHOT_FIELDS)


def check_batch(model: MaturityModel, assessment: Assessment, batch: Sequence[RatingInput]) -> list[ItemRating]:
    """The batch as item ratings, checked with the scoring's rules; InputError naming ``body.ratings[i].<field>``."""
    ratings = [ItemRating(**entry.model_dump()) for entry in batch]
    try:
        check_ratings(model, sheet_of(assessment, ratings), provisional=True)
    except InputError as exc:
        fields = [FieldProblem(f"body.{problem.field}", problem.message) for problem in exc.fields]
        raise InputError(exc.message, fields=fields) from exc
    return ratings


def write_ratings(
    session: Session,
    actor: Principal,
    assessment: Assessment,
    rater_id: int | None,
    ratings: Sequence[ItemRating],
) -> list[str]:
    """Insert, change or clear (neither rating nor not-applicable) each rating; one audit entry per change, in the
    order of the batch. Runs inside the caller's transaction; the ratings must have been checked (an item at most
    once). Returns the items inserted or changed (not those cleared).

    A diagnosis rates a few hundred items at once, so the batch is written with bulk statements: one INSERT of the
    new ratings, one DELETE of the cleared ones, an UPDATE by primary key for each changed one only, and one INSERT
    of the audit entries — no ORM object per rating (loaded ones in the session are kept in step by the ORM)."""
    columns = (RatingRecord.id, *(getattr(RatingRecord, name) for name in SNAPSHOT_FIELDS))
    query = select(*columns).where(RatingRecord.assessment_id == assessment.id, rater_clause(rater_id))
    existing = {row.item_id: row for row in session.execute(query)}
    inserted: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    deleted: list[int] = []
    entries: list[dict[str, Any]] = []
    changed: list[str] = []
    for entry in ratings:
        row = existing.get(entry.item)
        before = _snapshot(row)
        if entry.rating is None and not entry.not_applicable:
            if row is not None:
                deleted.append(row.id)
                entries.append(_audit_entry(actor, assessment, before, None))
            continue
        values: dict[str, Any] = {
            "rating": entry.rating,
            "not_applicable": entry.not_applicable,
            "evidence_grade": entry.evidence_grade,
            "comment": entry.comment,
        }
        after = _snapshot(SimpleNamespace(item_id=entry.item, rater_id=rater_id, **values))
        if after == before:
            continue
        values.update(updated_by=actor.user_id, updated_at=utcnow())
        if row is None:
            inserted.append({"assessment_id": assessment.id, "rater_id": rater_id, "item_id": entry.item, **values})
        else:
            updated.append({"id": row.id, **values})
        entries.append(_audit_entry(actor, assessment, before, after))
        changed.append(entry.item)
    if inserted:
        session.execute(insert(RatingRecord), inserted)
    if updated:
        session.execute(update(RatingRecord), updated)
    if deleted:
        session.execute(delete(RatingRecord).where(RatingRecord.id.in_(deleted)))
    audit.record_many(session, entries)
    session.flush()
    return changed


def _audit_entry(
    actor: Principal,
    assessment: Assessment,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    item = (after or before or {}).get("item_id")
    return audit.entry_values(
        actor, action=RATING_AUDIT_ACTION, entity_type="assessment", entity_id=assessment.id,
        organisation_id=assessment.enterprise_id, before=before, after=after, detail=str(item),
    )  # fmt: skip


def save_ratings(
    session: Session, actor: Principal, assessment_id: int, batch: Sequence[RatingInput]
) -> list[RatingRecord]:
    """Save a batch of the caller's ratings (see ``service_access.rater_for_write`` for whose): all or nothing."""
    with session.begin():
        assessment = get_assessment(session, actor, assessment_id, lock=True)
        rater_id = rater_for_write(session, actor, assessment)
        ratings = check_batch(load_model(assessment.model_version), assessment, batch)
        write_ratings(session, actor, assessment, rater_id, ratings)
        assessment.updated_at = utcnow()
        rows = list(stored_ratings(session, assessment.id, rater_id))
    return rows


def visible_ratings(session: Session, actor: Principal, assessment_id: int) -> Sequence[RatingRecord]:
    """Experts see only their own until the consensus stage; the enterprise sees a diagnosis's consensus once it is
    closed; officers and administrators see everything."""
    assessment = get_assessment(session, actor, assessment_id)
    query = select(RatingRecord).where(RatingRecord.assessment_id == assessment.id)
    if assessment.kind == AssessmentKind.DIAGNOSIS and not actor.sees_all_tenants:
        if actor.role == Role.ENTERPRISE:
            if assessment.status != AssessmentStatus.CLOSED:
                return []
            query = query.where(RatingRecord.rater_id.is_(None))
        elif assessment.status not in SEES_ALL_RATINGS:
            query = query.where(RatingRecord.rater_id == actor.user_id)
    return session.scalars(
        query.order_by(RatingRecord.rater_id.is_not(None), RatingRecord.rater_id, RatingRecord.item_id)
    ).all()


def progress(session: Session, actor: Principal, assessment_id: int) -> Progress:
    """Rated (or marked not applicable) against applicable items, per domain, of the caller's ratings."""
    assessment = get_assessment(session, actor, assessment_id)
    rater_id = rater_for_read(actor, assessment)
    model = load_model(assessment.model_version)
    done = {row.item_id for row in stored_ratings(session, assessment.id, rater_id)}
    domains = []
    for domain in model.domains:
        items = [
            requirement.id
            for sub in domain.subdomains
            for requirement in sub.requirements
            if requirement.applies_to.covers(assessment.enterprise_type)
        ]
        domains.append(DomainProgress(domain=domain.key, applicable=len(items), rated=len(done.intersection(items))))
    return Progress(
        assessment_id=assessment.id,
        rater_id=rater_id,
        applicable=sum(entry.applicable for entry in domains),
        rated=sum(entry.rated for entry in domains),
        domains=domains,
    )


def result(session: Session, actor: Principal, assessment_id: int) -> ResultRead:
    """The stored result of a finished assessment; before that, a provisional one from the caller's ratings (the
    enterprise's, an expert's own, or the consensus so far)."""
    assessment = get_assessment(session, actor, assessment_id)
    stored = session.get(AssessmentResult, assessment.id)
    if stored is not None:
        return stored_result(stored)
    if assessment.kind == AssessmentKind.DIAGNOSIS and actor.role == Role.ENTERPRISE:
        raise Conflict(f"diagnosis {assessment.id} has no result until it is closed")
    rater_id = rater_for_read(actor, assessment)
    model = load_model(assessment.model_version)
    sheet = sheet_of(assessment, item_ratings(stored_ratings(session, assessment.id, rater_id)))
    return ResultRead(
        assessment_id=assessment.id,
        stored=False,
        computed_at=utcnow(),
        score=score(model, sheet, provisional=True),
        gaps=None,
    )


def stored_result(stored: AssessmentResult) -> ResultRead:
    return ResultRead.model_validate(
        {
            "assessment_id": stored.assessment_id,
            "stored": True,
            "computed_at": stored.computed_at,
            "score": stored.score,
            "gaps": stored.gaps,
        }
    )


def store_result(
    session: Session, assessment: Assessment, sheet: RatingsSheet, integrators: Sequence[gaps.Integrator]
) -> AssessmentResult:
    """Score a complete sheet and plan its gaps, and keep both; InputError listing unrated items."""
    model = load_model(assessment.model_version)
    scored = score(model, sheet)
    try:
        plan: dict[str, Any] | None = gaps.analyse_gaps(model, sheet, integrators).model_dump(mode="json")
    except InputError:
        plan = None  # the next level has nothing applicable rated: there is no gap to plan
    row = AssessmentResult(
        assessment_id=assessment.id, score=scored.model_dump(mode="json"), gaps=plan, computed_at=utcnow()
    )
    session.add(row)
    session.flush()
    return row

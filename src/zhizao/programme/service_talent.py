"""Talent (plan §五(十)): training cohorts of smart-manufacturing planners and consultants, their trainees,
certificates and the selection of excellent consultants (优秀咨询师). Certified trainees of an edition's cohorts
count towards its ``trained_talent`` target.

Only officers and administrators reach these services (the routes' guards); every change is audited. The Excel
import and export of a cohort's trainees are ``talent_excel``'s.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound
from zhizao.programme import service_editions
from zhizao.programme.models import Edition
from zhizao.programme.models_community import Cohort, Trainee, TraineeStatus
from zhizao.programme.schemas_community import (
    CertificationCreate,
    CohortCreate,
    CohortRead,
    CohortUpdate,
    ExcellentSelection,
    TalentCountsRead,
    TalentSummary,
    TraineeCreate,
    TraineeRead,
    TraineeUpdate,
    patch_values,
)
from zhizao.telemetry.assets import flush_unique

COHORT_FIELDS = ("edition_id", "name", "track", "provider", "starts_on", "ends_on", "capacity")
TRAINEE_FIELDS = ("cohort_id", "name", "employer_id", "employer_name", "status", "certificate_no", "certified_on")
EXCELLENT_FIELDS = ("excellent_on", "excellent_rationale")

# Which status a trainee may move to from each; a certified trainee's status no longer moves at all.
TRAINEE_TRANSITIONS: dict[TraineeStatus, frozenset[TraineeStatus]] = {
    TraineeStatus.ENROLLED: frozenset({TraineeStatus.COMPLETED, TraineeStatus.DROPPED}),
    TraineeStatus.COMPLETED: frozenset({TraineeStatus.ENROLLED}),  # a completion recorded by mistake
    TraineeStatus.DROPPED: frozenset({TraineeStatus.ENROLLED}),  # back in the course
}


class TalentCounts(NamedTuple):
    """A funnel: enrolled ≥ completed ≥ certified ≥ excellent."""

    enrolled: int  # did not drop out
    completed: int
    certified: int
    excellent: int


NO_TALENT = TalentCounts(0, 0, 0, 0)


# --- pure rules --------------------------------------------------------------------------------------------


def status_change_problem(current: TraineeStatus, target: TraineeStatus, *, certified: bool) -> str | None:
    """Why a trainee may not move from ``current`` to ``target``, or None when it may."""
    if current == target:
        return None
    if certified:
        return "a certified trainee's status is final"
    if target not in TRAINEE_TRANSITIONS[current]:
        return f"a trainee who is {current.value} cannot become {target.value}"
    return None


def certification_problem(status: TraineeStatus, certificate_no: str | None) -> str | None:
    """Why a trainee may not be certified now, or None when they may: only after completing the course, once."""
    if certificate_no is not None:
        return f"already certified with certificate {certificate_no}"
    if status != TraineeStatus.COMPLETED:
        return f"only a trainee who completed the course is certified; this one is {status.value}"
    return None


def dates_problem(starts_on: date, ends_on: date) -> str | None:
    return "ends before it starts" if ends_on < starts_on else None


# --- counts ------------------------------------------------------------------------------------------------


def _counts_by_cohort(session: Session, *clauses: ColumnElement[bool]) -> dict[int, TalentCounts]:
    """Cohort id → its talent funnel, for the cohorts the clauses select."""
    query = (
        select(
            Trainee.cohort_id,
            func.sum(case((Trainee.status != TraineeStatus.DROPPED, 1), else_=0)),
            func.sum(case((Trainee.status == TraineeStatus.COMPLETED, 1), else_=0)),
            func.sum(case((Trainee.certificate_no.is_not(None), 1), else_=0)),
            func.sum(case((Trainee.excellent_on.is_not(None), 1), else_=0)),
        )
        .join(Cohort, Cohort.id == Trainee.cohort_id)
        .where(*clauses)
        .group_by(Trainee.cohort_id)
    )
    return {
        int(cohort_id): TalentCounts(*(int(value or 0) for value in values))
        for cohort_id, *values in session.execute(query).all()
    }


def talent_counts(session: Session, edition_id: int) -> TalentCounts:
    """The edition's talent funnel; ``certified`` is what counts towards its ``trained_talent`` target."""
    per_cohort = _counts_by_cohort(session, Cohort.edition_id == edition_id).values()
    return TalentCounts(*(sum(column) for column in zip(*per_cohort, strict=True))) if per_cohort else NO_TALENT


def talent_summary(session: Session, edition_id: int) -> TalentSummary:
    target = service_editions.edition_targets(service_editions.get_edition(session, edition_id)).trained_talent
    counts = TalentCountsRead(**talent_counts(session, edition_id)._asdict())
    return TalentSummary(edition_id=edition_id, target=target, counts=counts)


def _cohort_read(row: Cohort, counts: TalentCounts) -> CohortRead:
    return CohortRead(
        id=row.id, edition_id=row.edition_id, name=row.name, track=row.track, provider=row.provider,
        starts_on=row.starts_on, ends_on=row.ends_on, capacity=row.capacity,
        counts=TalentCountsRead(**counts._asdict()),
    )  # fmt: skip


# --- cohorts -----------------------------------------------------------------------------------------------


def list_cohorts(session: Session, edition_id: int | None = None) -> list[CohortRead]:
    clauses = [] if edition_id is None else [Cohort.edition_id == edition_id]
    counts = _counts_by_cohort(session, *clauses)
    rows = session.scalars(select(Cohort).where(*clauses).order_by(Cohort.starts_on.desc(), Cohort.id.desc()))
    return [_cohort_read(row, counts.get(row.id, NO_TALENT)) for row in rows]


def get_cohort(session: Session, cohort_id: int, *, lock: bool = False) -> Cohort:
    """The cohort; ``lock`` queues concurrent enrolments on PostgreSQL, so that two cannot take the last seat."""
    row = session.get(Cohort, cohort_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"cohort {cohort_id} not found")
    return row


def read_cohort(session: Session, cohort_id: int) -> CohortRead:
    row = get_cohort(session, cohort_id)
    return _cohort_read(row, _counts_by_cohort(session, Cohort.id == cohort_id).get(row.id, NO_TALENT))


def _seats_taken(session: Session, cohort_id: int) -> int:
    query = select(func.count()).where(Trainee.cohort_id == cohort_id, Trainee.status != TraineeStatus.DROPPED)
    return int(session.scalar(query) or 0)


def create_cohort(session: Session, actor: Principal, data: CohortCreate) -> CohortRead:
    with session.begin():
        if session.get(Edition, data.edition_id) is None:
            raise InputError.for_field("body.edition_id", f"edition {data.edition_id} does not exist")
        problem = dates_problem(data.starts_on, data.ends_on)
        if problem:
            raise InputError.for_field("body.ends_on", problem)
        row = Cohort(**data.model_dump())
        session.add(row)
        flush_unique(session, "body.name", f"the edition has a cohort named {data.name!r} already")
        audit.record(
            session, actor, action="talent_cohort.create", entity_type="talent_cohort", entity_id=row.id,
            after=audit.snapshot(row, COHORT_FIELDS),
        )  # fmt: skip
    return read_cohort(session, row.id)


def update_cohort(session: Session, actor: Principal, cohort_id: int, data: CohortUpdate) -> CohortRead:
    with session.begin():
        row = get_cohort(session, cohort_id)
        before = audit.snapshot(row, COHORT_FIELDS)
        changes = patch_values(data, required=COHORT_FIELDS)
        problem = dates_problem(changes.get("starts_on", row.starts_on), changes.get("ends_on", row.ends_on))
        if problem:
            raise InputError.for_field("body.ends_on" if "ends_on" in changes else "body.starts_on", problem)
        taken = _seats_taken(session, cohort_id)
        if changes.get("capacity", row.capacity) < taken:
            raise InputError.for_field("body.capacity", f"{taken} trainees hold a seat; the capacity cannot be less")
        for name, value in changes.items():
            setattr(row, name, value)
        flush_unique(session, "body.name", f"the edition has a cohort named {row.name!r} already")
        audit.record(
            session, actor, action="talent_cohort.update", entity_type="talent_cohort", entity_id=row.id,
            before=before, after=audit.snapshot(row, COHORT_FIELDS),
        )  # fmt: skip
    return read_cohort(session, cohort_id)


def delete_cohort(session: Session, actor: Principal, cohort_id: int) -> None:
    """Only an empty cohort goes: trainees' certificates are the programme's record."""
    with session.begin():
        row = get_cohort(session, cohort_id)
        if session.scalar(select(func.count()).where(Trainee.cohort_id == cohort_id)):
            raise Conflict(f"cohort {cohort_id} has trainees; it is kept")
        audit.record(
            session, actor, action="talent_cohort.delete", entity_type="talent_cohort", entity_id=row.id,
            before=audit.snapshot(row, COHORT_FIELDS),
        )  # fmt: skip
        session.delete(row)


# --- trainees ----------------------------------------------------------------------------------------------


def list_trainees(session: Session, cohort_id: int) -> list[TraineeRead]:
    get_cohort(session, cohort_id)
    rows = session.scalars(select(Trainee).where(Trainee.cohort_id == cohort_id).order_by(Trainee.id))
    return [TraineeRead.model_validate(row) for row in rows]


def get_trainee(session: Session, trainee_id: int) -> Trainee:
    row = session.get(Trainee, trainee_id)
    if row is None:
        raise NotFound(f"trainee {trainee_id} not found")
    return row


def employer_of(session: Session, employer_id: int | None, employer_name: str | None) -> tuple[int | None, str]:
    """The employer as stored: a registered organisation (its name unless another is given) or a name alone."""
    if employer_id is not None:
        organisation = session.get(Organisation, employer_id)
        if organisation is None:
            raise InputError.for_field("body.employer_id", f"organisation {employer_id} does not exist")
        return employer_id, employer_name or organisation.name
    if not employer_name:
        raise InputError.for_field("body.employer_name", "name the employer, or choose a registered organisation")
    return None, employer_name


def _check_id_number(session: Session, cohort_id: int, id_number: str | None, trainee_id: int | None) -> None:
    """An id number is held by one trainee of a cohort (``trainee_id``: the one being changed, else None)."""
    if id_number is None:
        return
    query = select(Trainee.id).where(Trainee.cohort_id == cohort_id, Trainee.id_number == id_number)
    if any(found != trainee_id for found in session.scalars(query)):
        message = f"a trainee with id number {id_number} is in this cohort already"
        raise Conflict(message, fields=[FieldProblem("body.id_number", message)])


def check_seat(session: Session, cohort: Cohort, field: str, wanted: int = 1) -> None:
    taken = _seats_taken(session, cohort.id)
    if taken + wanted > cohort.capacity:
        message = f"the cohort is full: {taken} of {cohort.capacity} seats are taken"
        raise Conflict(message, fields=[FieldProblem(field, message)])


def new_trainee(session: Session, cohort: Cohort, data: TraineeCreate) -> Trainee:
    """A trainee enrolled in the cohort, checked and added to the session (the caller owns the transaction)."""
    employer_id, employer_name = employer_of(session, data.employer_id, data.employer_name)
    _check_id_number(session, cohort.id, data.id_number, None)
    row = Trainee(
        cohort_id=cohort.id, name=data.name, employer_id=employer_id, employer_name=employer_name,
        id_number=data.id_number, phone=data.phone, status=TraineeStatus.ENROLLED,
    )  # fmt: skip
    session.add(row)
    return row


def add_trainee(session: Session, actor: Principal, cohort_id: int, data: TraineeCreate) -> TraineeRead:
    with session.begin():
        cohort = get_cohort(session, cohort_id, lock=True)
        check_seat(session, cohort, "body")
        row = new_trainee(session, cohort, data)
        session.flush()
        audit.record(
            session, actor, action="talent_trainee.create", entity_type="talent_trainee", entity_id=row.id,
            after=audit.snapshot(row, TRAINEE_FIELDS),
        )  # fmt: skip
    return TraineeRead.model_validate(row)


def update_trainee(session: Session, actor: Principal, trainee_id: int, data: TraineeUpdate) -> TraineeRead:
    with session.begin():
        row = get_trainee(session, trainee_id)
        before = audit.snapshot(row, TRAINEE_FIELDS)
        changes = patch_values(data, required=("name", "status"))
        target = changes.get("status", row.status)
        problem = status_change_problem(row.status, target, certified=row.certificate_no is not None)
        if problem:
            raise InputError.for_field("body.status", problem)
        if row.status == TraineeStatus.DROPPED and target != TraineeStatus.DROPPED:
            check_seat(session, get_cohort(session, row.cohort_id, lock=True), "body.status")
        if {"employer_id", "employer_name"} & changes.keys():
            # A new organisation brings its own name unless one is given; a new name alone keeps the organisation.
            kept_name = None if "employer_id" in changes else row.employer_name
            changes["employer_id"], changes["employer_name"] = employer_of(
                session, changes.get("employer_id", row.employer_id), changes.get("employer_name") or kept_name
            )
        _check_id_number(session, row.cohort_id, changes.get("id_number"), row.id)
        for name, value in changes.items():
            setattr(row, name, value)
        audit.record(
            session, actor, action="talent_trainee.update", entity_type="talent_trainee", entity_id=row.id,
            before=before, after=audit.snapshot(row, TRAINEE_FIELDS),
        )  # fmt: skip
    return TraineeRead.model_validate(row)


def certify(session: Session, actor: Principal, trainee_id: int, data: CertificationCreate) -> TraineeRead:
    """Record the certificate of a trainee who completed the course; certificate numbers are unique."""
    with session.begin():
        row = get_trainee(session, trainee_id)
        problem = certification_problem(row.status, row.certificate_no)
        if problem:
            raise InputError.for_field("body.certificate_no", problem)
        row.certificate_no, row.certified_on = data.certificate_no, data.certified_on
        flush_unique(session, "body.certificate_no", f"certificate {data.certificate_no} is recorded already")
        audit.record(
            session, actor, action="talent_trainee.certify", entity_type="talent_trainee", entity_id=row.id,
            after={"certificate_no": row.certificate_no, "certified_on": row.certified_on.isoformat()},
        )  # fmt: skip
    return TraineeRead.model_validate(row)


def select_excellent(session: Session, actor: Principal, trainee_id: int, data: ExcellentSelection) -> TraineeRead:
    """Select a certified trainee as an excellent consultant, with the office's rationale."""
    with session.begin():
        row = get_trainee(session, trainee_id)
        if row.certificate_no is None:
            raise InputError.for_field("body", "only a certified trainee can be selected as an excellent consultant")
        before = audit.snapshot(row, EXCELLENT_FIELDS)
        row.excellent_on, row.excellent_rationale = data.selected_on, data.rationale
        audit.record(
            session, actor, action="talent_trainee.excellent", entity_type="talent_trainee", entity_id=row.id,
            before=before, after=audit.snapshot(row, EXCELLENT_FIELDS),
        )  # fmt: skip
    return TraineeRead.model_validate(row)


def withdraw_excellent(session: Session, actor: Principal, trainee_id: int) -> TraineeRead:
    with session.begin():
        row = get_trainee(session, trainee_id)
        if row.excellent_on is None:
            raise Conflict(f"trainee {trainee_id} is not an excellent consultant")
        before = audit.snapshot(row, EXCELLENT_FIELDS)
        row.excellent_on, row.excellent_rationale = None, None
        audit.record(
            session, actor, action="talent_trainee.excellent_withdraw", entity_type="talent_trainee",
            entity_id=row.id, before=before,
        )  # fmt: skip
    return TraineeRead.model_validate(row)


def excellent_consultants(session: Session, edition_id: int) -> list[tuple[TraineeRead, str]]:
    """The edition's excellent consultants with the cohort each came from, most recently selected first."""
    rows = session.execute(
        select(Trainee, Cohort.name)
        .join(Cohort, Cohort.id == Trainee.cohort_id)
        .where(Cohort.edition_id == edition_id, Trainee.excellent_on.is_not(None))
        .order_by(Trainee.excellent_on.desc(), Trainee.id)
    ).all()
    return [(TraineeRead.model_validate(trainee), cohort_name) for trainee, cohort_name in rows]

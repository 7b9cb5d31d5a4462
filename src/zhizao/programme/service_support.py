"""Support measures (plan §五(九), §六(十四)): the subsidies, loans, fund investments, leases and insurance a factory
project received. The office records them (audited); an enterprise reads its own projects' measures; the cockpit
reads the totals by kind per edition.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import NotFound
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_community import SupportKind, SupportMeasure
from zhizao.programme.project_access import get_project
from zhizao.programme.schemas_community import CENT, SupportCreate, SupportRead, SupportUpdate, patch_values

MEASURE_FIELDS = ("project_id", "kind", "amount_cny", "provider", "granted_on", "reference")


def list_measures(session: Session, actor: Principal, project_id: int) -> list[SupportRead]:
    get_project(session, actor, project_id)
    rows = session.scalars(
        select(SupportMeasure)
        .where(SupportMeasure.project_id == project_id)
        .order_by(SupportMeasure.granted_on.desc(), SupportMeasure.id.desc())
    )
    return [SupportRead.model_validate(row) for row in rows]


def recent_measures(session: Session, edition_id: int, limit: int = 200) -> list[tuple[SupportRead, FactoryProject]]:
    """The edition's measures, latest first, each with its project (for the office's overview)."""
    rows = session.execute(
        select(SupportMeasure, FactoryProject)
        .join(FactoryProject, FactoryProject.id == SupportMeasure.project_id)
        .where(FactoryProject.edition_id == edition_id)
        .order_by(SupportMeasure.granted_on.desc(), SupportMeasure.id.desc())
        .limit(limit)
    ).all()
    return [(SupportRead.model_validate(measure), project) for measure, project in rows]


def _get_measure(session: Session, actor: Principal, project_id: int, measure_id: int) -> SupportMeasure:
    get_project(session, actor, project_id)
    row = session.get(SupportMeasure, measure_id)
    if row is None or row.project_id != project_id:
        raise NotFound(f"support measure {measure_id} not found on project {project_id}")
    return row


def record_measure(session: Session, actor: Principal, project_id: int, data: SupportCreate) -> SupportRead:
    with session.begin():
        project = get_project(session, actor, project_id)
        row = SupportMeasure(project_id=project_id, created_by=actor.user_id, **data.model_dump())
        session.add(row)
        session.flush()
        audit.record(
            session, actor, action="support_measure.create", entity_type="support_measure", entity_id=row.id,
            organisation_id=project.enterprise_id, after=audit.snapshot(row, MEASURE_FIELDS),
        )  # fmt: skip
    return SupportRead.model_validate(row)


def update_measure(
    session: Session, actor: Principal, project_id: int, measure_id: int, data: SupportUpdate
) -> SupportRead:
    with session.begin():
        row = _get_measure(session, actor, project_id, measure_id)
        before = audit.snapshot(row, MEASURE_FIELDS)
        for name, value in patch_values(data, required=("kind", "amount_cny", "provider", "granted_on")).items():
            setattr(row, name, value)
        session.flush()
        audit.record(
            session, actor, action="support_measure.update", entity_type="support_measure", entity_id=row.id,
            before=before, after=audit.snapshot(row, MEASURE_FIELDS),
        )  # fmt: skip
    return SupportRead.model_validate(row)


def delete_measure(session: Session, actor: Principal, project_id: int, measure_id: int) -> None:
    with session.begin():
        row = _get_measure(session, actor, project_id, measure_id)
        audit.record(
            session, actor, action="support_measure.delete", entity_type="support_measure", entity_id=row.id,
            before=audit.snapshot(row, MEASURE_FIELDS),
        )  # fmt: skip
        session.delete(row)


def support_totals(session: Session, edition_id: int) -> dict[SupportKind, tuple[int, Decimal]]:
    """Kind → (measures, amount in CNY) over the edition's projects; every kind is present, zero when none."""
    query = (
        select(SupportMeasure.kind, func.count(), func.coalesce(func.sum(SupportMeasure.amount_cny), 0))
        .join(FactoryProject, FactoryProject.id == SupportMeasure.project_id)
        .where(FactoryProject.edition_id == edition_id)
        .group_by(SupportMeasure.kind)
    )
    found = {
        SupportKind(kind): (int(count), Decimal(amount).quantize(CENT))
        for kind, count, amount in session.execute(query).all()
    }
    return {kind: found.get(kind, (0, Decimal(0).quantize(CENT))) for kind in SupportKind}

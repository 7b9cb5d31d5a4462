"""Reading factory projects: the list with the cockpit's filters, one project with its timeline and the actions
the caller may take. Visibility is ``project_access``'s; nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Row, Select, func, or_, select
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.programme.kinds import District
from zhizao.programme.lifecycle import available_actions
from zhizao.programme.models import EnterpriseRecord, FactoryProject, ProjectEvent
from zhizao.programme.project_access import get_project, visibility
from zhizao.programme.schemas_projects import EventRead, ProjectDetail, ProjectFilter, ProjectPage, ProjectRead


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {value for value in ids if value is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))).all())


# ProjectRead's fields that are not the project's own columns.
JOINED_FIELDS = frozenset({"enterprise_name", "district", "integrator_name"})
Listing = Select[FactoryProject, str, District]  # district is None where the record is missing (outer join)


def _listing() -> Listing:
    return (
        select(FactoryProject, Organisation.name, EnterpriseRecord.district)
        .join(Organisation, Organisation.id == FactoryProject.enterprise_id)
        .outerjoin(EnterpriseRecord, EnterpriseRecord.enterprise_id == FactoryProject.enterprise_id)
    )


def _reads(session: Session, rows: Sequence[Row[FactoryProject, str, District]]) -> list[ProjectRead]:
    integrators = _names(session, (project.integrator_id for project, _, _ in rows))
    return [
        ProjectRead(
            **{name: getattr(project, name) for name in ProjectRead.model_fields.keys() - JOINED_FIELDS},
            enterprise_name=enterprise_name,
            district=district,
            integrator_name=integrators.get(project.integrator_id) if project.integrator_id else None,
        )
        for project, enterprise_name, district in rows
    ]


def project_read(session: Session, project: FactoryProject) -> ProjectRead:
    return _reads(session, session.execute(_listing().where(FactoryProject.id == project.id)).all())[0]


def list_projects(
    session: Session, actor: Principal, filters: ProjectFilter, *, offset: int = 0, limit: int = 50
) -> ProjectPage:
    """The caller's projects narrowed by the filters, newest first."""
    query = _listing().where(visibility(actor))
    for column, value in (
        (FactoryProject.edition_id, filters.edition_id),
        (FactoryProject.industry, filters.industry),
        (EnterpriseRecord.district, filters.district),
        (FactoryProject.stage, filters.stage),
        (FactoryProject.integrator_id, filters.integrator_id),
        (FactoryProject.enterprise_id, filters.enterprise_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.q:
        query = query.where(
            or_(
                FactoryProject.title.icontains(filters.q, autoescape=True),
                Organisation.name.icontains(filters.q, autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(FactoryProject.id.desc()).offset(offset).limit(limit)).all()
    return ProjectPage(items=_reads(session, rows), total=total, offset=offset, limit=limit)


def events(session: Session, project_id: int) -> list[EventRead]:
    rows = session.scalars(
        select(ProjectEvent).where(ProjectEvent.project_id == project_id).order_by(ProjectEvent.at, ProjectEvent.id)
    ).all()
    return [EventRead.model_validate(row) for row in rows]


def timeline(session: Session, actor: Principal, project_id: int) -> list[EventRead]:
    return events(session, get_project(session, actor, project_id).id)


def read_project(session: Session, actor: Principal, project_id: int) -> ProjectDetail:
    project = get_project(session, actor, project_id)
    return ProjectDetail(
        **project_read(session, project).model_dump(),
        timeline=events(session, project.id),
        actions=available_actions(project.stage, actor.role),
    )

"""Who may see which factory project, in one place for every programme service that reads or changes projects.

- officers and administrators: all;
- enterprise users: their own enterprise's projects;
- integrators: projects where they are the project's integrator (from the approved plan) or the one named on its
  upgrade plan (so they can work on the plan before it is approved);
- experts: projects whose acceptance they are assigned to review;
- anyone else: none.

Another caller gets 404, never 403, so that project ids cannot be probed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, false, or_, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import NotFound
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_acceptance import Acceptance, AcceptanceReview
from zhizao.programme.models_delivery import UpgradePlan


def _integrator_on(organisation_id: int | None) -> ColumnElement[bool]:
    named_on_plan = exists(
        select(UpgradePlan.id).where(
            UpgradePlan.project_id == FactoryProject.id, UpgradePlan.integrator_id == organisation_id
        )
    )
    return or_(FactoryProject.integrator_id == organisation_id, named_on_plan)


def _reviewing(user_id: int) -> ColumnElement[bool]:
    return exists(
        select(AcceptanceReview.id)
        .join(Acceptance, Acceptance.id == AcceptanceReview.acceptance_id)
        .where(Acceptance.project_id == FactoryProject.id, AcceptanceReview.expert_user_id == user_id)
    )


def visibility(actor: Principal) -> ColumnElement[bool]:
    """A WHERE clause on FactoryProject confining a query to the caller's projects."""
    if actor.sees_all_tenants:
        return FactoryProject.id.is_not(None)
    if actor.role == Role.ENTERPRISE:
        return FactoryProject.enterprise_id == actor.organisation_id
    if actor.role == Role.INTEGRATOR:
        return _integrator_on(actor.organisation_id)
    if actor.role == Role.EXPERT:
        return _reviewing(actor.user_id)
    return false()


def visible(actor: Principal) -> Select[FactoryProject]:
    return select(FactoryProject).where(visibility(actor))


def get_project(session: Session, actor: Principal, project_id: int, *, lock: bool = False) -> FactoryProject:
    """The project if the caller may see it; otherwise 404. ``lock`` queues concurrent changes on PostgreSQL."""
    query = visible(actor).where(FactoryProject.id == project_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=FactoryProject)
    project = session.scalars(query).first()
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project

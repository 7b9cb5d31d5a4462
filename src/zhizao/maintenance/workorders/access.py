"""Who sees and changes which work orders and plans.

Enterprise users: their own enterprise's. Administrators: all, and write. Officers: all, read only. Platform
operators: orders and plans of equipment whose owner gave their organisation an active ``remote_maintenance``
consent, for as long as it lasts; once revoked the orders are out of sight (404), like any other tenant's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import NotFound, PermissionDenied
from zhizao.telemetry.commands import consent
from zhizao.telemetry.commands.models import ConsentScope
from zhizao.telemetry.models import Equipment

READERS = (Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.PLATFORM)
WRITERS = (Role.ADMIN, Role.ENTERPRISE, Role.PLATFORM)
PLAN_WRITERS = (Role.ADMIN, Role.ENTERPRISE)
SCOPE = ConsentScope.REMOTE_MAINTENANCE


def consented_ids(session: Session, actor: Principal, now: datetime) -> set[int]:
    assert actor.organisation_id is not None
    return {row.id for row in consent.consented_equipment(session, actor.organisation_id, SCOPE, now)}


def clauses(
    session: Session,
    actor: Principal,
    enterprise_column: InstrumentedAttribute[int],
    equipment_column: InstrumentedAttribute[int],
    now: datetime,
) -> list[ColumnElement[bool]]:
    """WHERE clauses confining a query of orders or plans to what the caller may see."""
    if actor.sees_all_tenants:
        return []
    if actor.role == Role.ENTERPRISE and actor.organisation_id is not None:
        return [enterprise_column == actor.organisation_id]
    if actor.role == Role.PLATFORM and actor.organisation_id is not None:
        ids = consented_ids(session, actor, now)
        return [equipment_column.in_(ids)] if ids else [false()]
    return [false()]


def may_see_equipment(session: Session, actor: Principal, equipment: Equipment, now: datetime) -> bool:
    if actor.sees_all_tenants:
        return True
    if actor.role == Role.ENTERPRISE:
        return equipment.enterprise_id == actor.organisation_id
    if actor.role == Role.PLATFORM and actor.organisation_id is not None:
        return consent.active_consent(session, actor.organisation_id, equipment, SCOPE, now) is not None
    return False


def equipment_for(session: Session, actor: Principal, equipment_id: int, now: datetime, *, write: bool) -> Equipment:
    """The equipment if the caller may see it (and, with ``write``, work on it); 404 otherwise, never its data."""
    equipment = session.get(Equipment, equipment_id)
    if equipment is None or not may_see_equipment(session, actor, equipment, now):
        raise NotFound(f"equipment {equipment_id} not found")
    if write and actor.role not in WRITERS:
        raise PermissionDenied(f"role {actor.role.value} may not change work orders")
    return equipment


def check_plan_writer(actor: Principal) -> None:
    if actor.role not in PLAN_WRITERS:
        raise PermissionDenied(f"role {actor.role.value} may not change maintenance plans; the owner plans")

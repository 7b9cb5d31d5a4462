"""Who sees and changes which equipment's health, models, predictions and cases.

Enterprise users: their own enterprise's, read and write. Administrators: all, read and write. Officers: all,
read-only. Platform operators: read-only, and only equipment whose owner gave them an active ``remote_maintenance``
consent (``zhizao.telemetry.commands.consent``). Anything else is a 404, never a 403, so ids do not leak.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, false, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import NotFound
from zhizao.fields import MAX_ID
from zhizao.telemetry.commands import consent
from zhizao.telemetry.commands.models import ConsentScope
from zhizao.telemetry.models import Equipment

READERS = (Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.PLATFORM)
WRITERS = (Role.ADMIN, Role.ENTERPRISE)


def may_write(actor: Principal) -> bool:
    return actor.role in WRITERS


def equipment_for_read(session: Session, actor: Principal, equipment_id: int) -> Equipment:
    equipment = session.get(Equipment, equipment_id) if 0 < equipment_id <= MAX_ID else None
    if equipment is not None:
        if actor.role == Role.PLATFORM:
            if actor.organisation_id is not None and consent.active_consent(
                session, actor.organisation_id, equipment, ConsentScope.REMOTE_MAINTENANCE, datetime.now(UTC)
            ):
                return equipment
        elif actor.may_access_tenant(equipment.enterprise_id):
            return equipment
    raise NotFound(f"equipment {equipment_id} not found")


def equipment_for_write(session: Session, actor: Principal, equipment_id: int) -> Equipment:
    equipment = session.get(Equipment, equipment_id) if 0 < equipment_id <= MAX_ID else None
    if equipment is None or actor.role not in WRITERS or not actor.may_access_tenant(equipment.enterprise_id):
        raise NotFound(f"equipment {equipment_id} not found")
    return equipment


def equipment_clause(
    session: Session,
    actor: Principal,
    column: InstrumentedAttribute[int],
    enterprise_column: InstrumentedAttribute[int],
    enterprise_id: int | None = None,
) -> ColumnElement[bool]:
    """A WHERE clause confining rows (by their equipment and enterprise columns) to what the caller may read."""
    clauses: list[ColumnElement[bool]] = []
    if enterprise_id is not None:
        clauses.append(enterprise_column == enterprise_id)
    if actor.role == Role.PLATFORM:
        if actor.organisation_id is None:
            return false()
        ids = [
            e.id
            for e in consent.consented_equipment(
                session, actor.organisation_id, ConsentScope.REMOTE_MAINTENANCE, datetime.now(UTC)
            )
        ]
        clauses.append(column.in_(ids) if ids else false())
    elif not actor.sees_all_tenants:
        clauses.append(enterprise_column == actor.organisation_id)
    return and_(true(), *clauses)

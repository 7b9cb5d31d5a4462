"""Tenant scope for telemetry rows: who may read and write which enterprise's assets."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.errors import InputError, NotFound
from zhizao.fields import MAX_ID

# Who reads and who changes the asset model (platform operators get consented access in a later capability).
ASSET_READERS = (Role.ADMIN, Role.OFFICER, Role.ENTERPRISE)
ASSET_WRITERS = (Role.ADMIN, Role.ENTERPRISE)


class TenantRow(Protocol):
    enterprise_id: int


RowT = TypeVar("RowT", bound=TenantRow)


def get_scoped(session: Session, actor: Principal, model: type[RowT], row_id: int, label: str) -> RowT:
    """The row if it exists and is within the caller's tenant scope; otherwise 404 (never 403: ids don't leak)."""
    row = session.get(model, row_id)
    if row is None or not actor.may_access_tenant(row.enterprise_id):
        raise NotFound(f"{label} {row_id} not found")
    return row


def enterprise_for_write(
    session: Session, actor: Principal, requested: int | None, field: str = "body.enterprise_id"
) -> int:
    """The enterprise a new row belongs to: the caller's own, or (administrators) the one they name."""
    if actor.role == Role.ENTERPRISE:
        if requested is not None and requested != actor.organisation_id:
            raise NotFound(f"enterprise {requested} not found")
        assert actor.organisation_id is not None
        return actor.organisation_id
    if requested is None:
        raise InputError.for_field(field, "name the enterprise the record belongs to")
    organisation = session.get(Organisation, requested)
    if organisation is None or organisation.kind != OrganisationKind.ENTERPRISE:
        raise InputError.for_field(field, f"organisation {requested} is not an enterprise")
    return requested


def enterprise_for_read(
    session: Session, actor: Principal, requested: int | None, field: str = "query.enterprise_id"
) -> int:
    """The enterprise a read is about: a tenant's own, or (cross-tenant roles) the one named; unknown → 404."""
    if not actor.sees_all_tenants:
        if requested is not None and requested != actor.organisation_id:
            raise NotFound(f"enterprise {requested} not found")
        assert actor.organisation_id is not None
        return actor.organisation_id
    if requested is None:
        raise InputError.for_field(field, "name the enterprise")
    organisation = session.get(Organisation, requested) if requested <= MAX_ID else None
    if organisation is None or organisation.kind != OrganisationKind.ENTERPRISE:
        raise NotFound(f"enterprise {requested} not found")
    return requested


def same_enterprise(session: Session, model: type[RowT], row_id: int | None, enterprise_id: int, field: str) -> None:
    """A referenced row (parent, equipment, device) must belong to the same enterprise."""
    if row_id is None:
        return
    row = session.get(model, row_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise InputError.for_field(field, f"{row_id} is not a record of this enterprise")


def tenant_clauses(
    actor: Principal,
    column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
    enterprise_id: int | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses confining a query to the caller's tenant, and to one enterprise when asked."""
    clauses: list[ColumnElement[bool]] = []
    if not actor.sees_all_tenants:
        clauses.append(column == actor.organisation_id)
    if enterprise_id is not None:
        clauses.append(column == enterprise_id)
    return clauses

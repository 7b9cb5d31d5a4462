"""Enterprises in the programme: an organisation of kind enterprise (name, credit code, district) and its programme
record (industry, district, park, size, people, revenue, contacts), registered together in one transaction.

The programme office (admin, officer) sees and changes every enterprise; an enterprise user sees only its own and
changes only ``SELF_SERVICE_FIELDS`` of it. Another tenant's enterprise is a 404, as everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind
from zhizao.accounts.schemas import SHANGHAI_DISTRICTS, Page
from zhizao.accounts.service import ORGANISATION_FIELDS
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound, PermissionDenied
from zhizao.programme.kinds import District
from zhizao.programme.models import EnterpriseRecord, Park
from zhizao.programme.schemas_enterprises import (
    SELF_SERVICE_FIELDS,
    EnterpriseCreate,
    EnterpriseFilter,
    EnterpriseRead,
    EnterpriseUpdate,
    RecordFields,
)
from zhizao.telemetry.assets import flush_unique

# Organisation, record and park name (None outside a park: an outer join).
EnterpriseRows = Select[Organisation, EnterpriseRecord, str]
RECORD_FIELDS = tuple(RecordFields.model_fields)
# The organisation keeps the district by its Chinese name (as accounts validates it); the record by its code.
ORGANISATION_DISTRICT: dict[District, str] = dict(zip(District, SHANGHAI_DISTRICTS, strict=True))
ORGANISATION_CHANGES = ("name", "credit_code")
NOT_NULL = frozenset({"name", "credit_code", "industry", "district", "size"})


def organisation_district(district: District) -> str:
    """The Chinese name the organisation row stores for a district (``pudong`` → 浦东新区)."""
    return ORGANISATION_DISTRICT[district]


# --- reading -------------------------------------------------------------------------------------------------


def _read(organisation: Organisation, record: EnterpriseRecord, park_name: str | None) -> EnterpriseRead:
    return EnterpriseRead(
        enterprise_id=organisation.id,
        name=organisation.name,
        credit_code=organisation.credit_code,
        park_name=park_name,
        **{name: getattr(record, name) for name in RECORD_FIELDS},
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _rows(session: Session, query: EnterpriseRows) -> list[EnterpriseRead]:
    return [_read(organisation, record, park_name) for organisation, record, park_name in session.execute(query)]


def _base_query() -> EnterpriseRows:
    return (
        select(Organisation, EnterpriseRecord, Park.name)
        .join(EnterpriseRecord, EnterpriseRecord.enterprise_id == Organisation.id)
        .outerjoin(Park, Park.id == EnterpriseRecord.park_id)
    )


def _scoped(query: EnterpriseRows, actor: Principal) -> EnterpriseRows:
    return query if actor.sees_all_tenants else query.where(Organisation.id == actor.organisation_id)


def _filtered(query: EnterpriseRows, filters: EnterpriseFilter) -> EnterpriseRows:
    for column, value in (
        (EnterpriseRecord.industry, filters.industry),
        (EnterpriseRecord.district, filters.district),
        (EnterpriseRecord.park_id, filters.park_id),
        (EnterpriseRecord.size, filters.size),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.q:
        pattern = f"%{filters.q.strip()}%"
        query = query.where(or_(Organisation.name.ilike(pattern), Organisation.credit_code.ilike(pattern.upper())))
    return query


def list_enterprises(
    session: Session, actor: Principal, filters: EnterpriseFilter, *, offset: int = 0, limit: int = 50
) -> Page[EnterpriseRead]:
    query = _filtered(_scoped(_base_query(), actor), filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = _rows(session, query.order_by(Organisation.name, Organisation.id).offset(offset).limit(limit))
    return Page(items=items, total=total, offset=offset, limit=limit)


def all_enterprises(session: Session, actor: Principal, filters: EnterpriseFilter) -> list[EnterpriseRead]:
    """Every enterprise the filters select, unpaged (the export)."""
    return _rows(session, _filtered(_scoped(_base_query(), actor), filters).order_by(Organisation.name))


def enterprises_in_parks(session: Session, actor: Principal, park_ids: Iterable[int]) -> list[EnterpriseRead]:
    query = _scoped(_base_query(), actor).where(EnterpriseRecord.park_id.in_(list(park_ids)))
    return _rows(session, query.order_by(Organisation.name))


def record_for(session: Session, actor: Principal, enterprise_id: int) -> EnterpriseRecord:
    """An enterprise's programme record within the caller's scope (NotFound for another tenant's)."""
    record = session.get(EnterpriseRecord, enterprise_id) if actor.may_access_tenant(enterprise_id) else None
    if record is None:
        raise NotFound(f"enterprise {enterprise_id} not found in the programme")
    return record


def get_enterprise(session: Session, actor: Principal, enterprise_id: int) -> EnterpriseRead:
    record_for(session, actor, enterprise_id)
    return _one(session, enterprise_id)


def _one(session: Session, enterprise_id: int) -> EnterpriseRead:
    return _rows(session, _base_query().where(Organisation.id == enterprise_id))[0]


def organisations_without_record(session: Session) -> Sequence[tuple[int, str]]:
    """Enterprise organisations not in the programme yet (the programme office gives them a record)."""
    query = (
        select(Organisation.id, Organisation.name)
        .outerjoin(EnterpriseRecord, EnterpriseRecord.enterprise_id == Organisation.id)
        .where(Organisation.kind == OrganisationKind.ENTERPRISE, EnterpriseRecord.enterprise_id.is_(None))
        .order_by(Organisation.name)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


# --- checks shared by the form, the API and the import -------------------------------------------------------


def taken_names_and_codes(
    session: Session, names: Iterable[str], codes: Iterable[str], *, excluding: int | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Of the given names and credit codes, those already registered: name → name, code → holder's name."""
    names, codes = list(names), list(codes)
    query = select(Organisation.id, Organisation.name, Organisation.credit_code).where(
        or_(Organisation.name.in_(names), Organisation.credit_code.in_(codes))
    )
    taken_names: dict[str, str] = {}
    taken_codes: dict[str, str] = {}
    for organisation_id, name, code in session.execute(query):
        if organisation_id == excluding:
            continue
        if name in names:
            taken_names[name] = name
        if code in codes:
            taken_codes[code] = name
    return taken_names, taken_codes


def check_park(session: Session, park_id: int | None, field: str) -> None:
    if park_id is not None and session.get(Park, park_id) is None:
        raise InputError.for_field(field, f"park {park_id} does not exist")


def _check_unique(session: Session, name: str | None, code: str | None, *, excluding: int | None = None) -> None:
    taken_names, taken_codes = taken_names_and_codes(
        session, [name] if name else [], [code] if code else [], excluding=excluding
    )
    problems = (
        [FieldProblem("body.name", f"an organisation named {name!r} is registered already")] if taken_names else []
    )
    problems += [FieldProblem("body.credit_code", f"already registered to {holder}") for holder in taken_codes.values()]
    if problems:
        raise Conflict(problems[0].message, fields=problems)


def stage_enterprise(session: Session, data: EnterpriseCreate) -> tuple[Organisation, EnterpriseRecord]:
    """Add an enterprise's organisation and record to the caller's open transaction (uniqueness checked by the
    caller; a race between two callers still ends in a 409 at the flush)."""
    organisation = Organisation(
        name=data.name,
        kind=OrganisationKind.ENTERPRISE,
        credit_code=data.credit_code,
        district=organisation_district(data.district),
    )
    session.add(organisation)
    flush_unique(session, "body.credit_code", "an organisation with this name or credit code is registered already")
    record = EnterpriseRecord(enterprise_id=organisation.id, **data.model_dump(include=set(RECORD_FIELDS)))
    session.add(record)
    session.flush()
    return organisation, record


# --- changing ------------------------------------------------------------------------------------------------


def register_enterprise(session: Session, actor: Principal | None, data: EnterpriseCreate) -> EnterpriseRead:
    """Register an enterprise: organisation and programme record in one transaction, or neither. ``actor`` is
    None only for demo seeding and tests, which act as the system."""
    with session.begin():
        _check_unique(session, data.name, data.credit_code)
        check_park(session, data.park_id, "body.park_id")
        organisation, record = stage_enterprise(session, data)
        audit.record(
            session, actor, action="programme_enterprise.register", entity_type="programme_enterprise",
            entity_id=organisation.id, organisation_id=organisation.id,
            after={**audit.snapshot(organisation, ORGANISATION_FIELDS), **audit.snapshot(record, RECORD_FIELDS)},
        )  # fmt: skip
    return _one(session, organisation.id)


def put_record(session: Session, actor: Principal, enterprise_id: int, data: RecordFields) -> EnterpriseRead:
    """Give an existing enterprise organisation its programme record, or replace the record it has."""
    with session.begin():
        organisation = session.get(Organisation, enterprise_id)
        if organisation is None or organisation.kind != OrganisationKind.ENTERPRISE:
            raise NotFound(f"enterprise organisation {enterprise_id} not found")
        check_park(session, data.park_id, "body.park_id")
        record = session.get(EnterpriseRecord, enterprise_id)
        before = audit.snapshot(record, RECORD_FIELDS) if record else None
        if record is None:
            record = EnterpriseRecord(enterprise_id=enterprise_id)
            session.add(record)
        for name, value in data.model_dump().items():
            setattr(record, name, value)
        organisation.district = organisation_district(data.district)
        session.flush()
        audit.record(
            session, actor, action="programme_enterprise.put_record", entity_type="programme_enterprise",
            entity_id=enterprise_id, organisation_id=enterprise_id, before=before,
            after=audit.snapshot(record, RECORD_FIELDS),
        )  # fmt: skip
    return get_enterprise(session, actor, enterprise_id)


def _check_update(actor: Principal, changes: dict[str, Any]) -> None:
    if not actor.sees_all_tenants:
        refused = sorted(set(changes) - SELF_SERVICE_FIELDS)
        if refused:
            raise PermissionDenied(
                "an enterprise changes only its address, contacts and number of employees",
                fields=[FieldProblem(f"body.{name}", "only the programme office changes this") for name in refused],
            )
    for name in sorted(NOT_NULL & set(changes)):
        if changes[name] is None:
            raise InputError.for_field(f"body.{name}", "must not be null")


def update_enterprise(session: Session, actor: Principal, enterprise_id: int, data: EnterpriseUpdate) -> EnterpriseRead:
    changes = data.model_dump(exclude_unset=True)
    with session.begin():
        record = record_for(session, actor, enterprise_id)
        _check_update(actor, changes)
        organisation = session.get(Organisation, enterprise_id)
        assert organisation is not None  # the record's foreign key
        _check_unique(session, changes.get("name"), changes.get("credit_code"), excluding=enterprise_id)
        check_park(session, changes.get("park_id"), "body.park_id")
        before = {**audit.snapshot(organisation, ORGANISATION_CHANGES), **audit.snapshot(record, RECORD_FIELDS)}
        for name, value in changes.items():
            setattr(organisation if name in ORGANISATION_CHANGES else record, name, value)
        if "district" in changes:
            organisation.district = organisation_district(record.district)
        flush_unique(session, "body.credit_code", "an organisation with this name or credit code is registered already")
        audit.record(
            session, actor, action="programme_enterprise.update", entity_type="programme_enterprise",
            entity_id=enterprise_id, organisation_id=enterprise_id, before=before,
            after={**audit.snapshot(organisation, ORGANISATION_CHANGES), **audit.snapshot(record, RECORD_FIELDS)},
        )  # fmt: skip
    return get_enterprise(session, actor, enterprise_id)

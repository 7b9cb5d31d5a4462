"""Vertical industrial-internet platforms (垂直行业工业互联网平台): each operator manages its own platforms, their
services and the enterprises registered here that they serve; the programme office manages all of them.

Two numbers describe whom a platform serves: the *declared* number (with its as-of date), which includes
enterprises that never registered in zhizao, and the *linked* clients, enterprises registered here that the operator
names by their credit code. The cockpit counts the declared number, raised to the linked one where more are linked
than declared (a linked client is known to be served). Linking by credit code, not by id, keeps an operator from
probing which organisations exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound
from zhizao.programme.kinds import Industry
from zhizao.programme.models_directory import Platform, PlatformClient, PlatformService
from zhizao.programme.schemas_directory import (
    PlatformClientCreate,
    PlatformClientRead,
    PlatformCreate,
    PlatformRead,
    PlatformServiceItem,
    PlatformUpdate,
    PublicPlatform,
)
from zhizao.telemetry.assets import flush_unique

PLATFORM_FIELDS = (
    "operator_id", "name", "industry", "description", "url", "enterprises_served", "served_as_of", "sharing_owner_id",
)  # fmt: skip


# --- reads ---------------------------------------------------------------------------------------------------


def _services(session: Session, platform_ids: Iterable[int]) -> dict[int, list[PlatformServiceItem]]:
    found: dict[int, list[PlatformServiceItem]] = {}
    query = select(PlatformService).where(PlatformService.platform_id.in_(list(platform_ids)))
    for row in session.scalars(query.order_by(PlatformService.platform_id, PlatformService.position)):
        found.setdefault(row.platform_id, []).append(PlatformServiceItem(name=row.name, description=row.description))
    return found


def _linked(session: Session, platform_ids: Iterable[int]) -> dict[int, int]:
    query = (
        select(PlatformClient.platform_id, func.count())
        .where(PlatformClient.platform_id.in_(list(platform_ids)))
        .group_by(PlatformClient.platform_id)
    )
    return {platform_id: int(count) for platform_id, count in session.execute(query).all()}


def _reads(session: Session, rows: Sequence[Platform]) -> list[PlatformRead]:
    ids = [row.id for row in rows]
    services, linked = _services(session, ids), _linked(session, ids)
    operators = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_({row.operator_id for row in rows}))
        ).all()
    )
    return [
        PlatformRead(
            **{name: getattr(row, name) for name in PLATFORM_FIELDS},
            id=row.id,
            operator_name=operators[row.operator_id],
            services=services.get(row.id, []),
            linked_clients=linked.get(row.id, 0),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def _visible(actor: Principal) -> list[ColumnElement[bool]]:
    """Where-clauses confining a platform operator to its own platforms; the programme office sees all."""
    return [] if actor.sees_all_tenants else [Platform.operator_id == actor.organisation_id]


def list_platforms(session: Session, actor: Principal) -> list[PlatformRead]:
    rows = session.scalars(select(Platform).where(*_visible(actor)).order_by(Platform.name, Platform.id)).all()
    return _reads(session, rows)


def _platform_in_scope(session: Session, actor: Principal, platform_id: int, *, lock: bool = False) -> Platform:
    row = session.get(Platform, platform_id, with_for_update=lock)
    if row is None or not actor.may_access_tenant(row.operator_id):
        raise NotFound(f"platform {platform_id} not found")
    return row


def read_platform(session: Session, actor: Principal, platform_id: int) -> PlatformRead:
    return _reads(session, [_platform_in_scope(session, actor, platform_id)])[0]


def public_platforms(session: Session, industry: Industry | None = None) -> list[PublicPlatform]:
    """Every registered platform as the public sees it (the operator's name, not its people)."""
    query = select(Platform).order_by(Platform.name, Platform.id)
    if industry is not None:
        query = query.where(Platform.industry == industry)
    return [
        PublicPlatform.model_validate(read.model_dump(exclude={"operator_id", "created_at", "updated_at"}))
        for read in _reads(session, session.scalars(query).all())
    ]


def platform_counts(session: Session) -> tuple[int, int]:
    """(platforms, enterprises served) for the cockpit: each platform's declared number, or its linked clients
    where more are linked than declared."""
    declared = dict(session.execute(select(Platform.id, Platform.enterprises_served)).all())
    linked = _linked(session, declared)
    return len(declared), sum(max(count, linked.get(platform_id, 0)) for platform_id, count in declared.items())


# --- writes --------------------------------------------------------------------------------------------------


def _operator_for_write(session: Session, actor: Principal, requested: int | None) -> int:
    """The operator of a new platform: a platform user's own organisation; the programme office names one."""
    if actor.role == Role.PLATFORM:
        if requested is not None and requested != actor.organisation_id:
            raise NotFound(f"operator {requested} not found")
        assert actor.organisation_id is not None
        return actor.organisation_id
    if requested is None:
        raise InputError.for_field(
            "body.operator_id", "name the platform's operator (an organisation of kind platform)"
        )
    operator = session.get(Organisation, requested)
    if operator is None or operator.kind != OrganisationKind.PLATFORM:
        raise InputError.for_field("body.operator_id", f"organisation {requested} is not of kind platform")
    return requested


def _set_services(session: Session, platform_id: int, services: list[PlatformServiceItem]) -> None:
    for row in session.scalars(select(PlatformService).where(PlatformService.platform_id == platform_id)):
        session.delete(row)
    session.flush()
    session.add_all(
        PlatformService(platform_id=platform_id, position=position, name=item.name, description=item.description)
        for position, item in enumerate(services)
    )


def _snapshot(session: Session, row: Platform) -> dict[str, object]:
    services = session.scalars(
        select(PlatformService.name).where(PlatformService.platform_id == row.id).order_by(PlatformService.position)
    )
    return {**audit.snapshot(row, PLATFORM_FIELDS), "services": list(services)}


def _check_sharing_owner(session: Session, organisation_id: int | None) -> None:
    if organisation_id is None:
        return
    owner = session.get(Organisation, organisation_id)
    if owner is None or owner.kind != OrganisationKind.ENTERPRISE:
        raise InputError.for_field("body.sharing_owner_id", f"organisation {organisation_id} is not an enterprise")


def _unique_name(session: Session) -> None:
    flush_unique(session, "body.name", "this operator has a platform of that name already")


def create_platform(session: Session, actor: Principal, data: PlatformCreate) -> PlatformRead:
    with session.begin():
        operator_id = _operator_for_write(session, actor, data.operator_id)
        _check_sharing_owner(session, data.sharing_owner_id)
        row = Platform(operator_id=operator_id, **data.model_dump(include=set(PLATFORM_FIELDS) - {"operator_id"}))
        session.add(row)
        _unique_name(session)
        _set_services(session, row.id, data.services)
        session.flush()
        audit.record(
            session, actor, action="programme_platform.create", entity_type="programme_platform", entity_id=row.id,
            organisation_id=operator_id, after=_snapshot(session, row),
        )  # fmt: skip
    return read_platform(session, actor, row.id)


def update_platform(session: Session, actor: Principal, platform_id: int, data: PlatformUpdate) -> PlatformRead:
    with session.begin():
        row = _platform_in_scope(session, actor, platform_id, lock=True)
        before = _snapshot(session, row)
        changes = data.model_dump(exclude_unset=True, exclude={"services"})
        _check_sharing_owner(session, changes.get("sharing_owner_id"))
        for name, value in changes.items():
            setattr(row, name, value)
        if data.services is not None:
            _set_services(session, row.id, data.services)
        row.updated_at = utcnow()
        _unique_name(session)
        audit.record(
            session, actor, action="programme_platform.update", entity_type="programme_platform", entity_id=row.id,
            organisation_id=row.operator_id, before=before, after=_snapshot(session, row),
        )  # fmt: skip
    return read_platform(session, actor, platform_id)


def delete_platform(session: Session, actor: Principal, platform_id: int) -> None:
    with session.begin():
        row = _platform_in_scope(session, actor, platform_id, lock=True)
        audit.record(
            session, actor, action="programme_platform.delete", entity_type="programme_platform", entity_id=row.id,
            organisation_id=row.operator_id, before=_snapshot(session, row),
        )  # fmt: skip
        session.delete(row)


# --- clients -------------------------------------------------------------------------------------------------


def list_clients(session: Session, actor: Principal, platform_id: int) -> list[PlatformClientRead]:
    _platform_in_scope(session, actor, platform_id)
    rows = session.execute(
        select(PlatformClient, Organisation)
        .join(Organisation, Organisation.id == PlatformClient.enterprise_id)
        .where(PlatformClient.platform_id == platform_id)
        .order_by(Organisation.name)
    ).all()
    return [
        PlatformClientRead(
            enterprise_id=enterprise.id,
            name=enterprise.name,
            credit_code=enterprise.credit_code,
            linked_at=client.linked_at,
        )
        for client, enterprise in rows
    ]


def link_client(session: Session, actor: Principal, platform_id: int, data: PlatformClientCreate) -> PlatformClientRead:
    """Record that the platform serves a registered enterprise, named by its unified social credit code."""
    with session.begin():
        row = _platform_in_scope(session, actor, platform_id, lock=True)
        enterprise = session.scalars(
            select(Organisation).where(
                Organisation.credit_code == data.credit_code, Organisation.kind == OrganisationKind.ENTERPRISE
            )
        ).one_or_none()
        if enterprise is None:
            raise InputError.for_field("body.credit_code", "no enterprise registered here has this credit code")
        if session.get(PlatformClient, (platform_id, enterprise.id)) is not None:
            message = f"{enterprise.name} is linked to this platform already"
            raise Conflict(message, fields=[FieldProblem("body.credit_code", message)])
        client = PlatformClient(platform_id=platform_id, enterprise_id=enterprise.id, linked_at=utcnow())
        session.add(client)
        session.flush()
        audit.record(
            session, actor, action="programme_platform_client.link", entity_type="programme_platform",
            entity_id=platform_id, organisation_id=row.operator_id, after={"enterprise_id": enterprise.id},
        )  # fmt: skip
    return PlatformClientRead(
        enterprise_id=enterprise.id,
        name=enterprise.name,
        credit_code=enterprise.credit_code,
        linked_at=client.linked_at,
    )


def unlink_client(session: Session, actor: Principal, platform_id: int, enterprise_id: int) -> None:
    with session.begin():
        row = _platform_in_scope(session, actor, platform_id, lock=True)
        client = session.get(PlatformClient, (platform_id, enterprise_id))
        if client is None:
            raise NotFound(f"enterprise {enterprise_id} is not a client of platform {platform_id}")
        audit.record(
            session, actor, action="programme_platform_client.unlink", entity_type="programme_platform",
            entity_id=platform_id, organisation_id=row.operator_id, before={"enterprise_id": enterprise_id},
        )  # fmt: skip
        session.delete(client)

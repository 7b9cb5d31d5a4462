"""Owners' consents (``equipment_consent``): an enterprise lets a platform operator act on some or all of its equipment.

Only the owner grants and revokes (enterprise users of that enterprise): not administrators, not officers — acting
on a machine is the owner's decision. The grantee must be an active platform-operator organisation. A consent is
active while not revoked and not past ``expires_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied
from zhizao.telemetry.commands.models import ConsentScope, EquipmentConsent
from zhizao.telemetry.commands.schemas import ConsentCreate
from zhizao.telemetry.models import Equipment

CONSENT_FIELDS = ("enterprise_id", "grantee_id", "scope", "equipment_id", "expires_at", "note", "revoked_at")


def is_active(consent: EquipmentConsent, now: datetime) -> bool:
    return consent.revoked_at is None and (consent.expires_at is None or consent.expires_at > now)


def active_consent(
    session: Session, grantee_id: int, equipment: Equipment, scope: ConsentScope, now: datetime
) -> EquipmentConsent | None:
    """The grantee's active consent of the equipment's owner that covers the equipment, if any."""
    rows = session.scalars(
        select(EquipmentConsent)
        .where(
            EquipmentConsent.grantee_id == grantee_id,
            EquipmentConsent.enterprise_id == equipment.enterprise_id,
            EquipmentConsent.scope == scope,
            EquipmentConsent.revoked_at.is_(None),
            or_(EquipmentConsent.equipment_id.is_(None), EquipmentConsent.equipment_id == equipment.id),
        )
        .order_by(EquipmentConsent.id)
    ).all()
    return next((row for row in rows if is_active(row, now)), None)


def consented_equipment(session: Session, grantee_id: int, scope: ConsentScope, now: datetime) -> list[Equipment]:
    """Every piece of equipment a platform operator currently holds a consent for (all of an owner's, or one)."""
    consents = [
        c
        for c in session.scalars(
            select(EquipmentConsent).where(
                EquipmentConsent.grantee_id == grantee_id,
                EquipmentConsent.scope == scope,
                EquipmentConsent.revoked_at.is_(None),
            )
        )
        if is_active(c, now)
    ]
    whole = {c.enterprise_id for c in consents if c.equipment_id is None}
    single = {c.equipment_id for c in consents if c.equipment_id is not None}
    if not whole and not single:
        return []
    clauses: list[ColumnElement[bool]] = []
    if whole:
        clauses.append(Equipment.enterprise_id.in_(whole))
    if single:
        clauses.append(Equipment.id.in_(single))
    return list(
        session.scalars(select(Equipment).where(or_(*clauses)).order_by(Equipment.enterprise_id, Equipment.code))
    )


def _owner(actor: Principal) -> int:
    if actor.role != Role.ENTERPRISE or actor.organisation_id is None:
        raise PermissionDenied("only the owner enterprise grants and revokes consents")
    return actor.organisation_id


def grant(session: Session, actor: Principal, data: ConsentCreate, now: datetime | None = None) -> EquipmentConsent:
    now = now or datetime.now(UTC)
    owner = _owner(actor)
    with session.begin():
        grantee = session.get(Organisation, data.grantee_id)
        if grantee is None or grantee.kind != OrganisationKind.PLATFORM or not grantee.is_active:
            raise InputError.for_field(
                "body.grantee_id", f"organisation {data.grantee_id} is not an active platform operator"
            )
        if data.equipment_id is not None:
            equipment = session.get(Equipment, data.equipment_id)
            if equipment is None or equipment.enterprise_id != owner:
                raise InputError.for_field("body.equipment_id", f"{data.equipment_id} is not equipment of yours")
        if data.expires_at is not None:
            if data.expires_at.tzinfo is None:
                raise InputError.for_field("body.expires_at", "give a time zone (e.g. +08:00)")
            if data.expires_at <= now:
                raise InputError.for_field("body.expires_at", "must lie in the future")
        consent = EquipmentConsent(
            enterprise_id=owner, grantee_id=grantee.id, scope=data.scope, equipment_id=data.equipment_id,
            expires_at=data.expires_at, note=data.note or None, granted_by=actor.user_id, granted_at=now,
        )  # fmt: skip
        session.add(consent)
        session.flush()
        audit.record(
            session, actor, action="consent.grant", entity_type="equipment_consent", entity_id=consent.id,
            organisation_id=owner, after=audit.snapshot(consent, CONSENT_FIELDS), detail=grantee.name,
        )  # fmt: skip
    return consent


def revoke(session: Session, actor: Principal, consent_id: int, now: datetime | None = None) -> EquipmentConsent:
    now = now or datetime.now(UTC)
    with session.begin():
        consent = _visible(session, actor, consent_id)
        if consent.enterprise_id != _owner(actor):
            raise PermissionDenied("only the owner enterprise revokes its consents")
        if consent.revoked_at is not None:
            raise Conflict(f"consent {consent_id} is already revoked")
        before = audit.snapshot(consent, CONSENT_FIELDS)
        consent.revoked_at = now
        consent.revoked_by = actor.user_id
        audit.record(
            session, actor, action="consent.revoke", entity_type="equipment_consent", entity_id=consent.id,
            organisation_id=consent.enterprise_id, before=before, after=audit.snapshot(consent, CONSENT_FIELDS),
        )  # fmt: skip
    return consent


def _scope_clauses(actor: Principal) -> list[ColumnElement[bool]]:
    """Owners see the consents they gave, platform operators those given to them, overseers all."""
    if actor.sees_all_tenants:
        return []
    if actor.role == Role.ENTERPRISE:
        return [EquipmentConsent.enterprise_id == actor.organisation_id]
    if actor.role == Role.PLATFORM:
        return [EquipmentConsent.grantee_id == actor.organisation_id]
    return [EquipmentConsent.id.is_(None)]


def _visible(session: Session, actor: Principal, consent_id: int) -> EquipmentConsent:
    consent = session.scalar(select(EquipmentConsent).where(EquipmentConsent.id == consent_id, *_scope_clauses(actor)))
    if consent is None:
        raise NotFound(f"consent {consent_id} not found")
    return consent


def list_consents(
    session: Session, actor: Principal, *, scope: ConsentScope | None = None
) -> Sequence[EquipmentConsent]:
    clauses = _scope_clauses(actor)
    if scope is not None:
        clauses.append(EquipmentConsent.scope == scope)
    return session.scalars(select(EquipmentConsent).where(*clauses).order_by(EquipmentConsent.id.desc())).all()


def platform_operators(session: Session) -> Sequence[Organisation]:
    """The organisations a consent may be given to."""
    return session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.PLATFORM, Organisation.is_active.is_(True))
        .order_by(Organisation.name)
    ).all()

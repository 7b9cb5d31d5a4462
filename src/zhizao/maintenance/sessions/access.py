"""Who may maintain which equipment: the one rule every maintenance endpoint and page goes through.

- platform-operator users: the equipment their organisation holds an active (not revoked, not expired) consent of
  the owner for, of the scope asked (``remote_maintenance`` for sessions) — for one machine or all of an owner's;
- enterprise users: their own enterprise's equipment (the owner needs no consent for its own machines);
- everyone else (administrators and officers included): none — they read sessions, they do not hold them.

Any other equipment id is 404, never 403: a platform operator must not learn what an owner has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import NotFound
from zhizao.fields import MAX_ID
from zhizao.telemetry.commands import consent
from zhizao.telemetry.commands.models import ConsentScope, EquipmentConsent
from zhizao.telemetry.models import Equipment

SESSION_SCOPE = ConsentScope.REMOTE_MAINTENANCE


@dataclass(frozen=True, slots=True)
class Maintainable:
    equipment: Equipment
    owner_name: str
    consent: EquipmentConsent | None  # the covering consent that lasts longest; None for the owner's own staff

    @property
    def expires_at(self) -> datetime | None:
        return self.consent.expires_at if self.consent is not None else None


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _expiry_key(row: EquipmentConsent) -> tuple[int, float, int]:
    # Never expiring beats any date; among equal ones the older consent (lower id) is kept for a stable answer.
    if row.expires_at is None:
        return (1, 0.0, -row.id)
    return (0, row.expires_at.timestamp(), -row.id)


def _active_consents(session: Session, grantee_id: int, scope: ConsentScope, now: datetime) -> list[EquipmentConsent]:
    rows = session.scalars(
        select(EquipmentConsent).where(
            EquipmentConsent.grantee_id == grantee_id,
            EquipmentConsent.scope == scope,
            EquipmentConsent.revoked_at.is_(None),
        )
    )
    return [row for row in rows if consent.is_active(row, now)]


def _covering(consents: list[EquipmentConsent], equipment: Equipment) -> EquipmentConsent | None:
    fits = [
        c for c in consents if c.enterprise_id == equipment.enterprise_id and c.equipment_id in (None, equipment.id)
    ]
    return max(fits, key=_expiry_key) if fits else None


def covering_consent(
    session: Session, grantee_id: int, equipment: Equipment, scope: ConsentScope = SESSION_SCOPE,
    now: datetime | None = None,
) -> EquipmentConsent | None:  # fmt: skip
    """The grantee's active consent of this scope that covers the equipment and lasts longest, if any."""
    return _covering(_active_consents(session, grantee_id, scope, _now(now)), equipment)


def consented_equipment(
    session: Session, principal: Principal, scope: ConsentScope = SESSION_SCOPE, now: datetime | None = None
) -> list[Equipment]:
    """The equipment the caller may maintain (see the module's rule), ordered by owner and code."""
    if principal.role == Role.PLATFORM and principal.organisation_id is not None:
        return consent.consented_equipment(session, principal.organisation_id, scope, _now(now))
    if principal.role == Role.ENTERPRISE and principal.organisation_id is not None:
        query = select(Equipment).where(Equipment.enterprise_id == principal.organisation_id)
        return list(session.scalars(query.order_by(Equipment.code)))
    return []


def maintainable(session: Session, principal: Principal, now: datetime | None = None) -> list[Maintainable]:
    """ "Equipment I may maintain": each with its owner's name and the consent that covers it."""
    now = _now(now)
    equipment = consented_equipment(session, principal, SESSION_SCOPE, now)
    if not equipment:
        return []
    consents = (
        _active_consents(session, principal.organisation_id, SESSION_SCOPE, now)
        if principal.role == Role.PLATFORM and principal.organisation_id is not None
        else []
    )
    owners = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_({e.enterprise_id for e in equipment}))
        ).all()
    )
    return [
        Maintainable(item, owners.get(item.enterprise_id, str(item.enterprise_id)), _covering(consents, item))
        for item in equipment
    ]


def equipment_for(
    session: Session, principal: Principal, equipment_id: int, now: datetime | None = None
) -> tuple[Equipment, EquipmentConsent | None]:
    """The equipment and the consent the caller maintains it under (None: its owner's staff); 404 otherwise."""
    equipment = session.get(Equipment, equipment_id) if 0 < equipment_id <= MAX_ID else None
    if equipment is not None:
        if principal.role == Role.ENTERPRISE and equipment.enterprise_id == principal.organisation_id:
            return equipment, None
        if principal.role == Role.PLATFORM and principal.organisation_id is not None:
            granted = covering_consent(session, principal.organisation_id, equipment, SESSION_SCOPE, now)
            if granted is not None:
                return equipment, granted
    raise NotFound(f"equipment {equipment_id} not found")


def may_command(session: Session, actor: Principal, equipment: Equipment, now: datetime) -> bool:
    """Remote commands need their own consent (scope ``remote_command``) on top of the session's: the owner
    decides separately whether a platform operator may watch a machine and whether it may move it."""
    if actor.role == Role.ENTERPRISE:
        return actor.organisation_id == equipment.enterprise_id
    if actor.role == Role.PLATFORM and actor.organisation_id is not None:
        granted = covering_consent(session, actor.organisation_id, equipment, ConsentScope.REMOTE_COMMAND, now)
        return granted is not None
    return False


def commandable(session: Session, actor: Principal, equipment: list[Equipment], now: datetime) -> set[int]:
    """Which of these the caller may also send remote commands to (``may_command`` for many, in one query)."""
    if actor.role == Role.ENTERPRISE:
        return {e.id for e in equipment if e.enterprise_id == actor.organisation_id}
    if actor.role == Role.PLATFORM and actor.organisation_id is not None:
        consents = _active_consents(session, actor.organisation_id, ConsentScope.REMOTE_COMMAND, now)
        return {e.id for e in equipment if _covering(consents, e) is not None}
    return set()


def owner_name(session: Session, enterprise_id: int) -> str:
    organisation = session.get(Organisation, enterprise_id)
    return organisation.name if organisation is not None else str(enterprise_id)

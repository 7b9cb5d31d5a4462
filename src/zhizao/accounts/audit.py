"""The audit log: every context records state-changing actions here, in the same transaction as the change."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from zhizao.accounts.models import AuditEntry
from zhizao.accounts.principal import Principal
from zhizao.ui.i18n import N_

# Readable names of this context's audit actions (English ids, translated where shown). Each context declares
# its own; create_app merges them for the audit-log pages.
ACTION_LABELS: dict[str, str] = {
    "auth.login": N_("Signed in"),
    "auth.lockout": N_("Sign-in locked after failures"),
    "user.create": N_("Created user"),
    "user.update": N_("Changed user"),
    "user.reset_password": N_("Reset password"),
    "user.change_password": N_("Changed own password"),
    "organisation.create": N_("Registered organisation"),
    "organisation.update": N_("Changed organisation"),
    "api_token.create": N_("Created API token"),
    "api_token.revoke": N_("Revoked API token"),
}

# Column names never copied into an audit snapshot, whatever the entity.
SECRET_FIELDS = frozenset({"password", "password_hash", "token", "token_hash", "secret"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(entity: object, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of an entity as JSON-ready values, secrets left out."""
    return {name: _jsonable(getattr(entity, name)) for name in fields if name not in SECRET_FIELDS}


def entry_values(
    actor: Principal | None,
    *,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    organisation_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
    actor_name: str | None = None,
) -> dict[str, Any]:
    """The column values of one entry: what ``record`` adds, and what ``record_many`` inserts in bulk."""
    return {
        "actor_id": actor.user_id if actor else None,
        "actor_name": actor.username if actor else (actor_name or "system"),
        "actor_role": actor.role.value if actor else "system",
        "organisation_id": organisation_id if organisation_id is not None else (actor and actor.organisation_id),
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "before": before,
        "after": after,
        "remote_addr": actor.remote_addr if actor else None,
        "detail": detail,
    }


def record(
    session: Session,
    actor: Principal | None,
    *,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    organisation_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
    actor_name: str | None = None,
) -> AuditEntry:
    """Add one entry to the caller's open transaction: it commits, or rolls back, with the change it records."""
    entry = AuditEntry(
        **entry_values(
            actor, action=action, entity_type=entity_type, entity_id=entity_id, organisation_id=organisation_id,
            before=before, after=after, detail=detail, actor_name=actor_name,
        )
    )  # fmt: skip
    session.add(entry)
    return entry


def record_many(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Insert many entries (each made by ``entry_values``) with one bulk statement, in order, in the caller's open
    transaction — for a service that changes hundreds of rows at once. No ORM objects are made."""
    if entries:
        session.execute(insert(AuditEntry), list(entries))


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {key: (before.get(key), after.get(key)) for key in after if before.get(key) != after.get(key)}


def list_entries(
    session: Session,
    *,
    organisation_id: int | None = None,
    entity_type: str | None = None,
    actor_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[AuditEntry], int]:
    query = select(AuditEntry)
    if organisation_id is not None:
        query = query.where(AuditEntry.organisation_id == organisation_id)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)).all()
    return rows, total

"""Remote maintenance sessions: open, close (operator), end (owner), findings, and the lapse check every request
runs. Services own their transactions; every open, close, end, lapse and finding is in the audit log, whatever the
caller's role, under the owner enterprise (whose equipment it is).

Who sees a session: its operator's organisation, the owner enterprise, administrators and officers (read-only);
anyone else gets 404. Who acts: the operator (findings, commands, close), the owner's users (end).

A session is tied to the one consent it was opened under: once that consent is revoked or expired, the session
lapses on the next request that touches it (whoever makes it) — ended at the moment of revocation or expiry, not
at the moment somebody noticed — and its live data, findings and commands answer 409 from then on.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, NotFound, PermissionDenied
from zhizao.fields import MAX_ID
from zhizao.maintenance.models_sessions import MaintenanceSession, SessionFinding
from zhizao.maintenance.sessions import access
from zhizao.maintenance.sessions.lifecycle import SessionEnded, SessionEvent, SessionStatus, next_state
from zhizao.maintenance.sessions.schemas import (
    FindingCreate,
    MaintainableRead,
    SessionClose,
    SessionCreate,
    SessionEnd,
    SessionRead,
)
from zhizao.telemetry.commands.models import EquipmentConsent
from zhizao.telemetry.models import Equipment

MAINTAINERS = frozenset({Role.PLATFORM, Role.ENTERPRISE})
AUDITED = ("equipment_id", "operator_name", "consent_id", "purpose", "status", "end_reason", "ended_at")
ENTITY = "maintenance_session"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def begin(session: Session) -> AbstractContextManager[SessionTransaction]:
    """A fresh transaction: reads a route made since the last commit (autobegun) hold nothing worth keeping."""
    if session.in_transaction():
        session.rollback()
    return session.begin()


def _audit(session: Session, actor: Principal, row: MaintenanceSession, action: str, detail: str | None) -> None:
    audit.record(
        session, actor, action=f"{ENTITY}.{action}", entity_type=ENTITY, entity_id=row.id,
        organisation_id=row.enterprise_id, after=audit.snapshot(row, AUDITED), detail=detail,
    )  # fmt: skip


# --- visibility and the lapse check ----------------------------------------------------------------------------


def _visible_clauses(actor: Principal) -> list[ColumnElement[bool]]:
    if actor.sees_all_tenants:
        return []
    if actor.role == Role.ENTERPRISE:
        return [MaintenanceSession.enterprise_id == actor.organisation_id]
    if actor.role == Role.PLATFORM:
        return [MaintenanceSession.operator_organisation_id == actor.organisation_id]
    return [MaintenanceSession.id.is_(None)]


def _visible(session: Session, actor: Principal, session_id: int) -> MaintenanceSession:
    row = session.scalar(
        select(MaintenanceSession).where(MaintenanceSession.id == session_id, *_visible_clauses(actor))
    )
    if row is None:
        raise NotFound(f"maintenance session {session_id} not found")
    return row


def _lapse_if_due(session: Session, row: MaintenanceSession, now: datetime) -> bool:
    """End an open session whose consent has gone (inside the caller's transaction); True when it lapsed."""
    if row.status is not SessionStatus.OPEN or row.operator_organisation_id == row.enterprise_id:
        return False  # the owner's own staff need no consent
    granted = session.get(EquipmentConsent, row.consent_id) if row.consent_id is not None else None
    if granted is not None and granted.revoked_at is None and (granted.expires_at is None or granted.expires_at > now):
        return False
    if granted is not None and granted.revoked_at is None and granted.expires_at is not None:
        event, at = SessionEvent.CONSENT_EXPIRED, granted.expires_at
    else:  # revoked, or removed altogether (its row deleted)
        event = SessionEvent.CONSENT_REVOKED
        at = granted.revoked_at if granted is not None and granted.revoked_at is not None else now
    row.status, row.end_reason = next_state(row.status, event)
    row.ended_at = max(min(at, now), row.opened_at)
    audit.record(
        session, None, action=f"{ENTITY}.lapse", entity_type=ENTITY, entity_id=row.id,
        organisation_id=row.enterprise_id, after=audit.snapshot(row, AUDITED), actor_name="system",
    )  # fmt: skip
    return True


def get_session(session: Session, actor: Principal, session_id: int, now: datetime | None = None) -> MaintenanceSession:
    """The session as the caller may see it, after the lapse check (committed)."""
    with begin(session):
        row = _visible(session, actor, session_id)
        _lapse_if_due(session, row, _now(now))
    return row


def _is_operator(actor: Principal, row: MaintenanceSession) -> bool:
    return actor.user_id == row.operator_id


def _is_owner(actor: Principal, row: MaintenanceSession) -> bool:
    return actor.role == Role.ENTERPRISE and actor.organisation_id == row.enterprise_id


def open_for(
    session: Session, actor: Principal, session_id: int, *, operator_only: bool, now: datetime | None = None
) -> MaintenanceSession:
    """An open session the caller works in: its operator (or, unless ``operator_only``, the owner's users and
    administrators and officers, who watch it). A session that is no longer open — lapsed just now included —
    is 409 saying how it ended."""
    row = get_session(session, actor, session_id, now)
    watcher = _is_owner(actor, row) or actor.sees_all_tenants  # overseers read telemetry of every enterprise
    if not (_is_operator(actor, row) or (not operator_only and watcher)):
        raise PermissionDenied(f"only the operator of maintenance session {session_id} works in it")
    if row.status is not SessionStatus.OPEN:
        raise SessionEnded(row.id, row.end_reason)
    return row


# --- opening and ending ----------------------------------------------------------------------------------------


def open_session(
    session: Session, actor: Principal, data: SessionCreate, now: datetime | None = None
) -> MaintenanceSession:
    """Open a session on equipment the caller may maintain (404 otherwise); 409 when the caller already has one
    open on it."""
    now = _now(now)
    if actor.role not in MAINTAINERS:
        raise PermissionDenied(f"role {actor.role.value} does not hold maintenance sessions")
    try:
        with begin(session):
            equipment, granted = access.equipment_for(session, actor, data.equipment_id, now)
            for earlier in session.scalars(
                select(MaintenanceSession).where(
                    MaintenanceSession.operator_id == actor.user_id,
                    MaintenanceSession.equipment_id == equipment.id,
                    MaintenanceSession.status == SessionStatus.OPEN,
                )
            ):
                if not _lapse_if_due(session, earlier, now):
                    raise Conflict(
                        f"you already have maintenance session {earlier.id} open on {equipment.code}; close it first"
                    )
            row = MaintenanceSession(
                enterprise_id=equipment.enterprise_id, equipment_id=equipment.id, operator_id=actor.user_id,
                operator_name=actor.display_name or actor.username, operator_organisation_id=actor.organisation_id,
                consent_id=granted.id if granted is not None else None, purpose=data.purpose,
                status=SessionStatus.OPEN, opened_at=now,
            )  # fmt: skip
            session.add(row)
            session.flush()
            _audit(session, actor, row, "open", equipment.code)
    except IntegrityError:  # the partial unique index: a second tab opened one at the same moment
        raise Conflict(f"you already have a maintenance session open on equipment {data.equipment_id}") from None
    return row


def _finish(
    session: Session, actor: Principal, row: MaintenanceSession, event: SessionEvent, text: str | None, now: datetime
) -> None:
    row.status, row.end_reason = next_state(row.status, event)
    row.ended_at = now
    row.ended_by = actor.user_id
    row.ended_by_name = actor.display_name or actor.username
    row.summary = text or None
    _audit(session, actor, row, event.value, text or None)


def close_session(
    session: Session, actor: Principal, session_id: int, data: SessionClose, now: datetime | None = None
) -> MaintenanceSession:
    """The operator closes the session, with a closing summary of the findings."""
    now = _now(now)
    with begin(session):
        row = _visible(session, actor, session_id)
        if not _is_operator(actor, row):
            raise PermissionDenied(f"only the operator of maintenance session {session_id} closes it")
        if _lapse_if_due(session, row, now) or row.status is not SessionStatus.OPEN:
            ended = SessionEnded(row.id, row.end_reason)
        else:
            _finish(session, actor, row, SessionEvent.CLOSE, data.summary, now)
            return row
    raise ended


def end_session(
    session: Session, actor: Principal, session_id: int, data: SessionEnd, now: datetime | None = None
) -> MaintenanceSession:
    """The owner enterprise ends a session on its equipment (whoever holds it)."""
    now = _now(now)
    with begin(session):
        row = _visible(session, actor, session_id)
        if not _is_owner(actor, row):
            raise PermissionDenied("only the owner enterprise ends a maintenance session on its equipment")
        if _lapse_if_due(session, row, now) or row.status is not SessionStatus.OPEN:
            ended = SessionEnded(row.id, row.end_reason)
        else:
            _finish(session, actor, row, SessionEvent.END, data.reason, now)
            return row
    raise ended


# --- findings --------------------------------------------------------------------------------------------------


def add_finding(
    session: Session, actor: Principal, session_id: int, data: FindingCreate, now: datetime | None = None
) -> SessionFinding:
    now = _now(now)
    row = open_for(session, actor, session_id, operator_only=True, now=now)
    with begin(session):
        finding = SessionFinding(
            session_id=row.id, enterprise_id=row.enterprise_id, category=data.category, text=data.text,
            author_id=actor.user_id, author_name=actor.display_name or actor.username, created_at=now,
        )  # fmt: skip
        session.add(finding)
        session.flush()
        audit.record(
            session, actor, action=f"{ENTITY}.finding", entity_type=ENTITY, entity_id=row.id,
            organisation_id=row.enterprise_id,
            after={"finding": finding.id, "category": data.category.value, "text": data.text},
        )  # fmt: skip
    return finding


def findings(session: Session, session_id: int) -> Sequence[SessionFinding]:
    """The findings of a session the caller has already been shown (``get_session``), oldest first."""
    return session.scalars(
        select(SessionFinding)
        .where(SessionFinding.session_id == session_id)
        .order_by(SessionFinding.created_at, SessionFinding.id)
    ).all()


# --- lists and reading -----------------------------------------------------------------------------------------


def list_sessions(
    session: Session,
    actor: Principal,
    *,
    equipment_id: int | None = None,
    status: SessionStatus | None = None,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> tuple[Sequence[MaintenanceSession], int]:
    """The sessions the caller sees, newest first, each open one checked for a lapse first."""
    now = _now(now)
    clauses = _visible_clauses(actor)
    with begin(session):
        for row in session.scalars(
            select(MaintenanceSession).where(*clauses, MaintenanceSession.status == SessionStatus.OPEN)
        ):
            _lapse_if_due(session, row, now)
    if equipment_id is not None:
        clauses.append(MaintenanceSession.equipment_id == equipment_id)
    if status is not None:
        clauses.append(MaintenanceSession.status == status)
    with begin(session):
        total = session.scalar(select(func.count()).select_from(MaintenanceSession).where(*clauses)) or 0
        rows = session.scalars(
            select(MaintenanceSession)
            .where(*clauses)
            .order_by(MaintenanceSession.opened_at.desc(), MaintenanceSession.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
    return rows, total


def open_sessions_of(session: Session, actor: Principal) -> dict[int, int]:
    """The caller's open sessions: equipment id → session id."""
    rows = session.execute(
        select(MaintenanceSession.equipment_id, MaintenanceSession.id).where(
            MaintenanceSession.operator_id == actor.user_id, MaintenanceSession.status == SessionStatus.OPEN
        )
    )
    return dict(rows.all())


def to_reads(session: Session, rows: Sequence[MaintenanceSession]) -> list[SessionRead]:
    """Sessions with the names of their equipment, owner and operator organisation, and their consent's expiry."""
    equipment = {
        e.id: e for e in session.scalars(select(Equipment).where(Equipment.id.in_({r.equipment_id for r in rows})))
    }
    org_ids = {r.enterprise_id for r in rows} | {r.operator_organisation_id for r in rows if r.operator_organisation_id}
    names = dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))).all())
    expiries = dict(
        session.execute(
            select(EquipmentConsent.id, EquipmentConsent.expires_at).where(
                EquipmentConsent.id.in_({r.consent_id for r in rows if r.consent_id})
            )
        ).all()
    )
    reads = []
    for row in rows:
        item = equipment.get(row.equipment_id)
        reads.append(
            SessionRead.model_validate(row).model_copy(
                update={
                    "owner_name": names.get(row.enterprise_id, ""),
                    "equipment_code": item.code if item else "",
                    "equipment_name": item.name if item else "",
                    "operator_organisation_name": names.get(row.operator_organisation_id or 0, ""),
                    "consent_expires_at": expiries.get(row.consent_id) if row.consent_id else None,
                }
            )
        )
    return reads


def maintainable_reads(session: Session, actor: Principal, now: datetime | None = None) -> list[MaintainableRead]:
    """ "Equipment I may maintain", each with its owner, consent expiry and the caller's open session on it."""
    now = _now(now)
    with begin(session):
        rows = access.maintainable(session, actor, now)
        open_ids = open_sessions_of(session, actor)
        commands = access.commandable(session, actor, [item.equipment for item in rows], now)
        return [
            MaintainableRead(
                equipment_id=item.equipment.id,
                code=item.equipment.code,
                name=item.equipment.name,
                equipment_type=item.equipment.equipment_type.value,
                enterprise_id=item.equipment.enterprise_id,
                owner_name=item.owner_name,
                consent_id=item.consent.id if item.consent else None,
                consent_expires_at=item.expires_at,
                may_command=item.equipment.id in commands,
                open_session_id=open_ids.get(item.equipment.id),
            )
            for item in rows
        ]


def maintainable_read(
    session: Session, actor: Principal, equipment_id: int, now: datetime | None = None
) -> MaintainableRead:
    """One piece of "equipment I may maintain"; 404 for any other. Administrators and officers, who maintain
    nothing, are shown any equipment (read-only: its sessions) as their telemetry rights already allow."""
    now = _now(now)
    if actor.sees_all_tenants:
        with begin(session):
            equipment = session.get(Equipment, equipment_id) if 0 < equipment_id <= MAX_ID else None
            if equipment is None:
                raise NotFound(f"equipment {equipment_id} not found")
            return MaintainableRead(
                equipment_id=equipment.id, code=equipment.code, name=equipment.name,
                equipment_type=equipment.equipment_type.value, enterprise_id=equipment.enterprise_id,
                owner_name=access.owner_name(session, equipment.enterprise_id), consent_id=None,
                consent_expires_at=None, may_command=False, open_session_id=None,
            )  # fmt: skip
    with begin(session):
        access.equipment_for(session, actor, equipment_id, now)
    found = [item for item in maintainable_reads(session, actor, now) if item.equipment_id == equipment_id]
    if not found:
        raise NotFound(f"equipment {equipment_id} not found")
    return found[0]

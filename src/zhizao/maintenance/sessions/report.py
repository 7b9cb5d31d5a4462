"""The session report's content (page, JSON and PDF share it): the session with its equipment, operator, owner
and consent, its findings, the commands sent in it (old → new, result) and the equipment's alarm events while it
was open. Reading it is reading the session: whoever sees the session sees its report, also after it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.maintenance.sessions import live, service
from zhizao.maintenance.sessions.schemas import FindingRead, SessionReportRead
from zhizao.telemetry.commands import service as commands
from zhizao.telemetry.commands.models import EquipmentConsent


@dataclass(frozen=True, slots=True)
class ConsentFacts:
    id: int
    granted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionReport:
    content: SessionReportRead
    consent: ConsentFacts | None
    timezone: str
    generated_at: datetime


def build(
    session: Session, actor: Principal, session_id: int, timezone: str, now: datetime | None = None
) -> SessionReport:
    now = now or datetime.now(UTC)
    row = service.get_session(session, actor, session_id, now)
    with service.begin(session):
        granted = session.get(EquipmentConsent, row.consent_id) if row.consent_id is not None else None
        content = SessionReportRead(
            session=service.to_reads(session, [row])[0],
            findings=[FindingRead.model_validate(f) for f in service.findings(session, row.id)],
            commands=[commands.read(c, now) for c in live.session_commands(session, row)],
            alarms=live.alarm_events_during(session, row, now),
        )
    facts = (
        ConsentFacts(granted.id, granted.granted_at, granted.expires_at, granted.revoked_at)
        if granted is not None
        else None
    )
    return SessionReport(content=content, consent=facts, timezone=timezone, generated_at=now)

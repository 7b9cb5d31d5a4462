"""JSON API of remote maintenance: the equipment the caller may maintain, sessions (open → close | end | lapse),
findings, the open session's live data, trend, alarms, diagnostics, "test connection" and commands, the report.

Authorisation lives in ``maintenance.sessions`` (``access`` for equipment, ``service`` for sessions): another
owner's equipment or another organisation's session is 404; a session that is no longer open is 409.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.connectors.api import Drivers
from zhizao.fields import MAX_ID, IdPath, IdQuery, Limit, Offset
from zhizao.maintenance.models_sessions import MaintenanceSession
from zhizao.maintenance.sessions import live, report, service
from zhizao.maintenance.sessions.lifecycle import SessionStatus
from zhizao.maintenance.sessions.report_pdf import render_pdf
from zhizao.maintenance.sessions.report_text import report_language
from zhizao.maintenance.sessions.schemas import (
    ConnectionTest,
    DiagnosticsRead,
    FindingCreate,
    FindingRead,
    LiveRead,
    MaintainableRead,
    SessionAlarms,
    SessionClose,
    SessionCommandCreate,
    SessionCreate,
    SessionEnd,
    SessionPage,
    SessionRead,
    SessionReportRead,
    TrendRead,
)
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.commands import service as commands
from zhizao.telemetry.commands.api import EnvironmentDep
from zhizao.telemetry.commands.schemas import CommandRead

router = APIRouter(prefix="/api/maintenance", tags=["remote maintenance"])

# Who holds sessions (the service checks consent); who reads them; who ends them (the owner).
Maintainer = Annotated[Principal, Depends(require_role(Role.PLATFORM, Role.ENTERPRISE))]
SessionReader = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.PLATFORM))]
Owner = Annotated[Principal, Depends(require_role(Role.ENTERPRISE))]
Minutes = Annotated[int, Query(description="The trend's span: 15, 60, 240 or 1440 minutes.")]
PDF = "application/pdf"


def _now() -> datetime:
    return datetime.now(UTC)


def _read(session: SessionDep, row: MaintenanceSession) -> SessionRead:
    return service.to_reads(session, [row])[0]


@router.get("/equipment")
def list_equipment(principal: Maintainer, session: SessionDep) -> list[MaintainableRead]:
    """Equipment I may maintain: platform operators — what owners consented to (scope `remote_maintenance`),
    with the owner and the consent's expiry; enterprise users — their own."""
    return service.maintainable_reads(session, principal)


@router.get("/equipment/{equipment_id}")
def read_equipment(equipment_id: IdPath, principal: Maintainer, session: SessionDep) -> MaintainableRead:
    return service.maintainable_read(session, principal, equipment_id)


@router.post("/sessions", status_code=status.HTTP_201_CREATED)
def open_session(data: SessionCreate, principal: Maintainer, session: SessionDep) -> SessionRead:
    """404 without consent for the equipment; 409 when the caller already has a session open on it."""
    return _read(session, service.open_session(session, principal, data))


@router.get("/sessions")
def list_sessions(
    principal: SessionReader,
    session: SessionDep,
    equipment_id: IdQuery = None,
    status: SessionStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> SessionPage:
    """Owners: every session on their equipment; platform operators: their organisation's; overseers: all."""
    rows, total = service.list_sessions(
        session, principal, equipment_id=equipment_id, status=status, offset=offset, limit=limit
    )
    return SessionPage(items=service.to_reads(session, rows), total=total, offset=offset, limit=limit)


@router.get("/sessions/{session_id}")
def read_session(session_id: IdPath, principal: SessionReader, session: SessionDep) -> SessionRead:
    return _read(session, service.get_session(session, principal, session_id))


@router.post("/sessions/{session_id}/close")
def close_session(session_id: IdPath, data: SessionClose, principal: Maintainer, session: SessionDep) -> SessionRead:
    return _read(session, service.close_session(session, principal, session_id, data))


@router.post("/sessions/{session_id}/end")
def end_session(session_id: IdPath, data: SessionEnd, principal: Owner, session: SessionDep) -> SessionRead:
    """The owner enterprise ends a session on its equipment."""
    return _read(session, service.end_session(session, principal, session_id, data))


@router.get("/sessions/{session_id}/findings")
def list_findings(session_id: IdPath, principal: SessionReader, session: SessionDep) -> list[FindingRead]:
    row = service.get_session(session, principal, session_id)
    return [FindingRead.model_validate(f) for f in service.findings(session, row.id)]


@router.post("/sessions/{session_id}/findings", status_code=status.HTTP_201_CREATED)
def add_finding(session_id: IdPath, data: FindingCreate, principal: Maintainer, session: SessionDep) -> FindingRead:
    return FindingRead.model_validate(service.add_finding(session, principal, session_id, data))


@router.get("/sessions/{session_id}/live")
def live_values(session_id: IdPath, principal: SessionReader, session: SessionDep, store: StoreDep) -> LiveRead:
    """Every data point of the equipment with its newest value and data quality (poll it)."""
    now = _now()
    row = service.open_for(session, principal, session_id, operator_only=False, now=now)
    return live.live(session, store, row, now)


@router.get("/sessions/{session_id}/trend")
def trend(
    session_id: IdPath,
    principal: SessionReader,
    session: SessionDep,
    store: StoreDep,
    signal_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    minutes: Minutes = 60,
) -> TrendRead:
    now = _now()
    row = service.open_for(session, principal, session_id, operator_only=False, now=now)
    return live.trend(session, store, row, signal_id, minutes, now)


@router.get("/sessions/{session_id}/alarms")
def alarms(session_id: IdPath, principal: SessionReader, session: SessionDep) -> SessionAlarms:
    """The equipment's current alarms and newest alarm events (read-only in a session)."""
    row = service.open_for(session, principal, session_id, operator_only=False)
    return live.alarms(session, row)


@router.get("/sessions/{session_id}/diagnostics")
def diagnostics(
    session_id: IdPath, principal: SessionReader, session: SessionDep, store: StoreDep, drivers: Drivers
) -> DiagnosticsRead:
    now = _now()
    row = service.open_for(session, principal, session_id, operator_only=False, now=now)
    return live.diagnostics(session, store, drivers, row, now)


@router.post("/sessions/{session_id}/connectors/{connector_id}/test")
def test_connection(
    session_id: IdPath, connector_id: IdPath, principal: Maintainer, session: SessionDep, drivers: Drivers
) -> ConnectionTest:
    """ "Test connection" of a connector serving the equipment (audited)."""
    row = service.open_for(session, principal, session_id, operator_only=True)
    return live.test_connection(session, principal, drivers, row, connector_id)


@router.post("/sessions/{session_id}/commands", status_code=status.HTTP_201_CREATED)
def prepare_command(
    session_id: IdPath, data: SessionCommandCreate, principal: Maintainer, session: SessionDep, env: EnvironmentDep
) -> CommandRead:
    """Step 1 of a remote command sent in the session; confirm with `POST /api/commands/{id}/confirm`. Needs the
    owner's `remote_command` consent too (403 without it)."""
    now = _now()
    row = service.open_for(session, principal, session_id, operator_only=True, now=now)
    return commands.read(live.prepare_command(session, principal, env, row, data, now))


@router.get("/sessions/{session_id}/report")
def session_report(
    session_id: IdPath, principal: SessionReader, session: SessionDep, settings: SettingsDep
) -> SessionReportRead:
    return report.build(session, principal, session_id, settings.timezone).content


@router.get("/sessions/{session_id}/report.pdf", response_class=Response)
def session_report_pdf(
    session_id: IdPath,
    principal: SessionReader,
    session: SessionDep,
    settings: SettingsDep,
    lang: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    content = render_pdf(report.build(session, principal, session_id, settings.timezone), report_language(lang))
    headers = {"Content-Disposition": f'attachment; filename="zhizao-maintenance-session-{session_id}.pdf"'}
    return Response(content, media_type=PDF, headers=headers)

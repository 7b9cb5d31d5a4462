"""Pages of remote maintenance: "equipment I may maintain", one equipment with its sessions and the form to open
one, the session list, the session page (live values and alarms refreshing through HTMX, a trend chart,
diagnostics, commands, findings, close / end) and the report (page and PDF). Thin: the services decide."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.connectors.api import Drivers
from zhizao.connectors.drivers import DriverRegistry
from zhizao.errors import FieldProblem, InputError, PermissionDenied, RateLimited
from zhizao.fields import IdPath, IdQuery, NoNul, Offset
from zhizao.maintenance import api_sessions
from zhizao.maintenance.models_sessions import MaintenanceSession
from zhizao.maintenance.sessions import access, live, report, service
from zhizao.maintenance.sessions.health_view import health_of
from zhizao.maintenance.sessions.lifecycle import (
    CATEGORY_LABELS,
    END_REASON_LABELS,
    STATUS_LABELS,
    FindingCategory,
    SessionEnded,
    SessionStatus,
)
from zhizao.maintenance.sessions.quality import FRESHNESS_LABELS
from zhizao.maintenance.sessions.schemas import (
    FindingCreate,
    SessionClose,
    SessionCommandCreate,
    SessionCreate,
    SessionEnd,
)
from zhizao.telemetry.alarms.excel import EVENT_NAMES, SEVERITY_NAMES, STATE_NAMES
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.commands import service as commands
from zhizao.telemetry.commands.api import EnvironmentDep
from zhizao.telemetry.commands.models import STATUS_LABELS as COMMAND_STATUS_LABELS
from zhizao.telemetry.commands.models import Command
from zhizao.telemetry.commands.values import parse_form_value
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import from_us
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

Visitor = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.PLATFORM))]
Text = Annotated[str, Form(max_length=4000), NoNul]
OptionalText = Annotated[str | None, Form(max_length=4000), NoNul]
SHORT = Annotated[str, Form(max_length=300), NoNul]

NAV = (
    NavItem(
        N_("Remote maintenance"),
        "/maintenance/sessions",
        roles=frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.PLATFORM}),
        order=217,
    ),
)
PAGE_SIZE = 50
LIVE_REFRESH_S = 5
ALARM_REFRESH_S = 10
LABELS = {
    "status_labels": STATUS_LABELS, "end_labels": END_REASON_LABELS, "category_labels": CATEGORY_LABELS,
    "freshness_labels": FRESHNESS_LABELS, "command_status_labels": COMMAND_STATUS_LABELS,
    "event_names": EVENT_NAMES, "state_names": STATE_NAMES, "severity_names": SEVERITY_NAMES, "from_us": from_us,
}  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


def _attempt(action: Callable[[], T]) -> tuple[T | None, list[FieldProblem], int]:
    """A form's action: its result, or what went wrong for the form and the status to answer with (409 when the
    session or the equipment's state refuses it, 403 for a step the caller may not take, else 422)."""
    try:
        result, problems = attempt(action)
    except (PermissionDenied, RateLimited) as exc:
        return None, [FieldProblem("", exc.message)], 429 if isinstance(exc, RateLimited) else 403
    if result is not None:
        return result, [], 200
    conflict = any(p.field == "" and ("no longer open" in p.message or "already" in p.message) for p in problems)
    return None, problems, 409 if conflict else 422


# --- equipment -------------------------------------------------------------------------------------------------


@router.get("/maintenance/equipment")
def equipment_list_page(request: Request, principal: Visitor, session: SessionDep) -> Response:
    rows = service.maintainable_reads(session, principal)
    return render(request, "maintenance/sessions/equipment_list.html", {"rows": rows, **LABELS})


def equipment_view(
    request: Request, principal: Principal, session: Session, equipment_id: int, **extra: Any
) -> Response:
    item = service.maintainable_read(session, principal, equipment_id)
    rows, _total = service.list_sessions(session, principal, equipment_id=equipment_id, limit=PAGE_SIZE)
    status_code = int(extra.pop("status_code", 200))
    context = {
        "item": item, "sessions": service.to_reads(session, rows), "problems": [], "purpose": "",
        "may_open": principal.role in service.MAINTAINERS, **LABELS, **extra,
    }  # fmt: skip
    return render(request, "maintenance/sessions/equipment.html", context, status_code=status_code)


@router.get("/maintenance/equipment/{equipment_id}")
def equipment_page(request: Request, equipment_id: IdPath, principal: Visitor, session: SessionDep) -> Response:
    return equipment_view(request, principal, session, equipment_id)


@router.post("/maintenance/sessions")
def open_page(
    request: Request, principal: Visitor, session: SessionDep, equipment_id: SHORT, purpose: Text
) -> Response:
    chosen = optional_int(equipment_id) or 0
    service.maintainable_read(session, principal, chosen)  # not the caller's to maintain: 404, no form to show
    opened, problems, status_code = _attempt(
        lambda: service.open_session(session, principal, SessionCreate(equipment_id=chosen, purpose=purpose))
    )
    session.rollback()
    if opened is None:
        return equipment_view(
            request, principal, session, chosen, problems=problems, purpose=purpose[:500], status_code=status_code
        )
    return RedirectResponse(f"/maintenance/sessions/{opened.id}", status_code=303)


# --- sessions --------------------------------------------------------------------------------------------------


@router.get("/maintenance/sessions")
def sessions_page(
    request: Request,
    principal: Visitor,
    session: SessionDep,
    equipment_id: IdQuery = None,
    status: SessionStatus | None = None,
    offset: Offset = 0,
) -> Response:
    rows, total = service.list_sessions(
        session, principal, equipment_id=equipment_id, status=status, offset=offset, limit=PAGE_SIZE
    )
    context = {
        "rows": service.to_reads(session, rows),
        "page": {"offset": offset, "limit": PAGE_SIZE, "total": total},
        "is_owner": principal.role == Role.ENTERPRISE,
        "may_maintain": principal.role in service.MAINTAINERS,
        "status": status.value if status else "",
        **LABELS,
    }
    return render(request, "maintenance/sessions/list.html", context)


def _live_context(
    session: Session, principal: Principal, store: TelemetryStore, drivers: DriverRegistry, row: MaintenanceSession
) -> dict[str, Any]:
    """What an open session's page shows of its equipment."""
    now = _now()
    equipment = session.get(Equipment, row.equipment_id)
    assert equipment is not None
    signals = live.signals_of(session, row.equipment_id)
    return {
        "live": live.live(session, store, row, now),
        "alarms": live.alarms(session, row),
        "diagnostics": live.diagnostics(session, store, drivers, row, now),
        "health": health_of(session, store, principal, equipment),
        "writable": live.writable(signals),
        "trend_signals": [s for s in signals if s.kind.value != "text"],
        "may_command": access.may_command(session, principal, equipment, now),
        "signal_names": {s.id: s.name for s in signals},
    }


def session_view(
    request: Request,
    principal: Principal,
    session: Session,
    store: TelemetryStore,
    drivers: DriverRegistry,
    session_id: int,
    **extra: Any,
) -> Response:
    status_code = int(extra.pop("status_code", 200))
    row = service.get_session(session, principal, session_id)
    is_operator = row.operator_id == principal.user_id
    is_owner = principal.role == Role.ENTERPRISE and principal.organisation_id == row.enterprise_id
    context: dict[str, Any] = {
        "s": service.to_reads(session, [row])[0],
        "findings": service.findings(session, row.id),
        "commands": [(c, commands.status_of(c)) for c in live.session_commands(session, row)],
        "is_operator": is_operator,
        "is_owner": is_owner,
        "is_open": row.status is SessionStatus.OPEN,
        "categories": list(FindingCategory),
        "problems": [],
        "probe": None,
        "live_refresh_s": LIVE_REFRESH_S,
        "alarm_refresh_s": ALARM_REFRESH_S,
        **LABELS,
    }
    if context["is_open"] and (is_operator or is_owner or principal.sees_all_tenants):
        context.update(_live_context(session, principal, store, drivers, row))
    context.update(extra)
    return render(request, "maintenance/sessions/detail.html", context, status_code=status_code)


@router.get("/maintenance/sessions/{session_id}")
def session_page(
    request: Request, session_id: IdPath, principal: Visitor, session: SessionDep, store: StoreDep, drivers: Drivers
) -> Response:
    return session_view(request, principal, session, store, drivers, session_id)


def _fragment(request: Request, name: str, context: dict[str, Any]) -> Response:
    return render(request, name, {**context, **LABELS})


def _ended_fragment(request: Request, exc: SessionEnded) -> Response:
    """A polled panel of a session that ended meanwhile: 409, and HTMX reloads the page to show how it ended."""
    response = render(request, "maintenance/sessions/_ended.html", {"message": exc.message}, status_code=409)
    response.headers["HX-Refresh"] = "true"
    return response


@router.get("/maintenance/sessions/{session_id}/live")
def live_fragment(
    request: Request, session_id: IdPath, principal: Visitor, session: SessionDep, store: StoreDep
) -> Response:
    try:
        row = service.open_for(session, principal, session_id, operator_only=False)
    except SessionEnded as exc:
        return _ended_fragment(request, exc)
    return _fragment(request, "maintenance/sessions/_live.html", {"live": live.live(session, store, row, _now())})


@router.get("/maintenance/sessions/{session_id}/alarms")
def alarms_fragment(request: Request, session_id: IdPath, principal: Visitor, session: SessionDep) -> Response:
    try:
        row = service.open_for(session, principal, session_id, operator_only=False)
    except SessionEnded as exc:
        return _ended_fragment(request, exc)
    names = {s.id: s.name for s in live.signals_of(session, row.equipment_id)}
    return _fragment(
        request, "maintenance/sessions/_alarms.html", {"alarms": live.alarms(session, row), "signal_names": names}
    )


def _act(
    request: Request,
    principal: Principal,
    session: Session,
    store: TelemetryStore,
    drivers: DriverRegistry,
    session_id: int,
    action: Callable[[], object],
    **extra: Any,
) -> Response:
    """Run a form's action; back to the session page (303) or the page with what went wrong."""
    done, problems, status_code = _attempt(action)
    session.rollback()
    if done is None:
        return session_view(
            request, principal, session, store, drivers, session_id, problems=problems, status_code=status_code, **extra
        )
    return RedirectResponse(f"/maintenance/sessions/{session_id}", status_code=303)


@router.post("/maintenance/sessions/{session_id}/findings")
def finding_page(
    request: Request,
    session_id: IdPath,
    principal: Visitor,
    session: SessionDep,
    store: StoreDep,
    drivers: Drivers,
    category: SHORT,
    text: Text,
) -> Response:
    def action() -> object:
        data = FindingCreate.model_validate({"category": category, "text": text})
        return service.add_finding(session, principal, session_id, data)

    return _act(request, principal, session, store, drivers, session_id, action, finding_text=text[:2000])


@router.post("/maintenance/sessions/{session_id}/close")
def close_page(
    request: Request,
    session_id: IdPath,
    principal: Visitor,
    session: SessionDep,
    store: StoreDep,
    drivers: Drivers,
    summary: OptionalText = None,
) -> Response:
    def action() -> object:
        return service.close_session(session, principal, session_id, SessionClose(summary=summary or None))

    return _act(request, principal, session, store, drivers, session_id, action)


@router.post("/maintenance/sessions/{session_id}/end")
def end_page(
    request: Request,
    session_id: IdPath,
    principal: Visitor,
    session: SessionDep,
    store: StoreDep,
    drivers: Drivers,
    reason: OptionalText = None,
) -> Response:
    def action() -> object:
        return service.end_session(session, principal, session_id, SessionEnd(reason=(reason or "")[:500] or None))

    return _act(request, principal, session, store, drivers, session_id, action)


@router.post("/maintenance/sessions/{session_id}/commands")
def command_page(
    request: Request,
    session_id: IdPath,
    principal: Visitor,
    session: SessionDep,
    store: StoreDep,
    drivers: Drivers,
    env: EnvironmentDep,
    signal_id: SHORT,
    value: SHORT,
) -> Response:
    chosen = optional_int(signal_id)
    signal = session.get(Signal, chosen) if chosen and chosen > 0 else None
    data_type = signal.data_type if signal is not None else None
    session.rollback()

    def action() -> Command:
        if chosen is None or data_type is None:
            raise InputError.for_field("signal_id", "choose a data point")
        row = service.open_for(session, principal, session_id, operator_only=True)
        data = SessionCommandCreate(signal_id=chosen, value=parse_form_value(value, data_type))
        return live.prepare_command(session, principal, env, row, data, _now())

    prepared, problems, status_code = _attempt(action)
    session.rollback()
    if prepared is None:
        return session_view(
            request, principal, session, store, drivers, session_id, problems=problems, status_code=status_code,
            typed=value[:40], chosen=chosen,
        )  # fmt: skip
    return RedirectResponse(f"/commands/{prepared.id}", status_code=303)


@router.post("/maintenance/sessions/{session_id}/connectors/{connector_id}/test")
def test_page(
    request: Request,
    session_id: IdPath,
    connector_id: IdPath,
    principal: Visitor,
    session: SessionDep,
    store: StoreDep,
    drivers: Drivers,
) -> Response:
    row = service.open_for(session, principal, session_id, operator_only=True)
    result = live.test_connection(session, principal, drivers, row, connector_id)
    session.rollback()
    return session_view(request, principal, session, store, drivers, session_id, probe=result)


# --- report ----------------------------------------------------------------------------------------------------


@router.get("/maintenance/sessions/{session_id}/report")
def report_page(
    request: Request, session_id: IdPath, principal: Visitor, session: SessionDep, settings: SettingsDep
) -> Response:
    built = report.build(session, principal, session_id, settings.timezone)
    context = {"r": built.content, "consent": built.consent, "generated_at": built.generated_at, **LABELS}
    return render(request, "maintenance/sessions/report.html", context)


@router.get("/maintenance/sessions/{session_id}/report.pdf")
def report_pdf_page(
    session_id: IdPath, principal: Visitor, session: SessionDep, settings: SettingsDep, lang: str | None = None
) -> Response:
    return api_sessions.session_report_pdf(session_id, principal, session, settings, (lang or "")[:10] or None)

"""Pages of remote commands: the form per equipment → the confirmation (old → new, target) → the result; the
history; the owner's consents. Thin: the service decides who may do what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep, require_role
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, FieldProblem, InputError, PermissionDenied, RateLimited, Unavailable
from zhizao.fields import MAX_ID, IdPath, IdQuery, NoNul, Offset
from zhizao.telemetry.commands import consent, service
from zhizao.telemetry.commands.api import EnvironmentDep
from zhizao.telemetry.commands.models import (
    CONSENT_SCOPE_LABELS,
    STATUS_LABELS,
    Command,
    ConsentScope,
)
from zhizao.telemetry.commands.schemas import CommandCreate, ConsentCreate
from zhizao.telemetry.commands.values import parse_form_value, stored_as
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import from_us
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

# Pages admit overseers too (they read the history); sending and consenting is refused by the service.
Visitor = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.PLATFORM))]
Text = Annotated[str, Form(max_length=300), NoNul]
OptionalText = Annotated[str | None, Form(max_length=500), NoNul]

NAV = (
    NavItem(
        N_("Remote commands"),
        "/commands",
        roles=frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.PLATFORM}),
        order=215,
    ),
)
PAGE_SIZE = 50


def _latest(store: TelemetryStore, signals: list[Signal]) -> dict[int, Any]:
    points = store.latest([s.id for s in signals])
    return {
        s.id: {"value": stored_as(points[s.id].value, s.data_type), "at": from_us(points[s.id].ts_us)}
        for s in signals
        if s.id in points
    }


def form_view(
    request: Request, principal: Principal, session: Session, store: TelemetryStore, equipment_id: int, **extra: Any
) -> Response:
    equipment = service.commandable_equipment(session, principal, equipment_id)
    signals = list(service.writable_signals(session, equipment.id))
    context = {
        "equipment": equipment,
        "signals": signals,
        "latest": _latest(store, signals),
        "problems": [],
        "chosen": None,
        "typed": "",
        **extra,
    }
    return render(request, "commands/form.html", context, status_code=422 if context["problems"] else 200)


@router.get("/equipment/{equipment_id}/commands")
def command_form_page(
    request: Request, equipment_id: IdPath, principal: Visitor, session: SessionDep, env: EnvironmentDep
) -> Response:
    return form_view(request, principal, session, env.store, equipment_id)


@router.post("/equipment/{equipment_id}/commands")
def prepare_page(
    request: Request,
    equipment_id: IdPath,
    principal: Visitor,
    session: SessionDep,
    env: EnvironmentDep,
    signal_id: Text,
    value: Text,
) -> Response:
    chosen = optional_int(signal_id)
    signal = session.get(Signal, chosen) if chosen and 0 < chosen <= MAX_ID else None
    data_type = signal.data_type if signal is not None else None
    session.rollback()

    def action() -> Command:
        if chosen is None or data_type is None:
            raise InputError.for_field("signal_id", "choose a data point")
        parsed = parse_form_value(value, data_type)
        data = CommandCreate(signal_id=chosen, equipment_id=equipment_id, value=parsed)
        return service.prepare(session, principal, data, env)

    try:
        command, problems = attempt(action)
    except RateLimited as exc:
        command, problems = None, [FieldProblem("", exc.message)]
    session.rollback()
    if command is None:
        return form_view(
            request, principal, session, env.store, equipment_id, problems=problems, chosen=chosen, typed=value[:40]
        )
    return RedirectResponse(f"/commands/{command.id}", status_code=303)


def detail_view(request: Request, principal: Principal, session: Session, command_id: int, **extra: Any) -> Response:
    status_code = int(extra.pop("status_code", 200))
    command = service.get_command(session, principal, command_id)
    context = {
        "command": command,
        "status": service.status_of(command),
        "status_labels": STATUS_LABELS,
        "equipment": session.get(Equipment, command.equipment_id),
        "signal": session.get(Signal, command.signal_id),
        "mine": command.requested_by == principal.user_id,
        "problems": [],
        **extra,
    }
    return render(request, "commands/detail.html", context, status_code=status_code)


@router.get("/commands")
def history_page(
    request: Request, principal: Visitor, session: SessionDep, equipment_id: IdQuery = None, offset: Offset = 0
) -> Response:
    rows, total = service.list_commands(session, principal, equipment_id=equipment_id, offset=offset, limit=PAGE_SIZE)
    context = {
        "rows": [(row, service.status_of(row)) for row in rows],
        "page": {"offset": offset, "limit": PAGE_SIZE, "total": total},
        "status_labels": STATUS_LABELS,
        "equipment_names": _names(session, Equipment, {row.equipment_id for row in rows}),
        "consented": (
            consent.consented_equipment(session, principal.organisation_id, ConsentScope.REMOTE_COMMAND, _utcnow())
            if principal.role == Role.PLATFORM and principal.organisation_id is not None
            else []
        ),
        "own_equipment": (
            session.scalars(select(Equipment).where(Equipment.enterprise_id == principal.organisation_id)).all()
            if principal.role == Role.ENTERPRISE
            else []
        ),
    }
    return render(request, "commands/history.html", context)


def _names(session: Session, model: type[Equipment] | type[Organisation], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.name for row in session.execute(select(model.id, model.name).where(model.id.in_(ids)))}


def _utcnow() -> datetime:
    return datetime.now(ZoneInfo("UTC"))


def consents_view(request: Request, principal: Principal, session: Session, **extra: Any) -> Response:
    rows = consent.list_consents(session, principal)
    names = _names(session, Organisation, {r.grantee_id for r in rows} | {r.enterprise_id for r in rows})
    context = {
        "rows": [(row, consent.is_active(row, _utcnow())) for row in rows],
        "org_names": names,
        "equipment_names": _names(session, Equipment, {r.equipment_id for r in rows if r.equipment_id}),
        "scope_labels": CONSENT_SCOPE_LABELS,
        "is_owner": principal.role == Role.ENTERPRISE,
        "operators": consent.platform_operators(session) if principal.role == Role.ENTERPRISE else [],
        "equipment": (
            session.scalars(
                select(Equipment).where(Equipment.enterprise_id == principal.organisation_id).order_by(Equipment.code)
            ).all()
            if principal.role == Role.ENTERPRISE
            else []
        ),
        "problems": [],
        "notice": None,
        **extra,
    }
    return render(request, "commands/consents.html", context, status_code=422 if context["problems"] else 200)


@router.get("/commands/consents")
def consents_page(request: Request, principal: Visitor, session: SessionDep) -> Response:
    return consents_view(request, principal, session)


def _expiry(text: str | None, timezone: str) -> datetime | None:
    if not text or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError.for_field("expires_at", "a date and time, e.g. 2026-12-31T18:00") from None
    if not 2000 <= moment.year <= 2100:
        raise InputError.for_field("expires_at", "a date between 2000 and 2100")
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


@router.post("/commands/consents")
def grant_page(
    request: Request,
    principal: Visitor,
    session: SessionDep,
    settings: SettingsDep,
    grantee_id: Text,
    equipment_id: OptionalText = None,
    expires_at: OptionalText = None,
    note: OptionalText = None,
) -> Response:
    if principal.role != Role.ENTERPRISE:
        raise PermissionDenied("only the owner enterprise grants consents")

    def action() -> object:
        data = ConsentCreate(
            grantee_id=optional_int(grantee_id) or 0,  # 0 fails the schema, naming the field
            equipment_id=optional_int(equipment_id),
            expires_at=_expiry(expires_at, settings.timezone),
            note=note or None,
        )
        return consent.grant(session, principal, data)

    granted, problems = attempt(action)
    session.rollback()
    notice = N_("Consent granted.") if granted else None
    return consents_view(request, principal, session, problems=problems, notice=notice)


@router.post("/commands/consents/{consent_id}/revoke")
def revoke_page(request: Request, consent_id: IdPath, principal: Visitor, session: SessionDep) -> Response:
    revoked, problems = attempt(lambda: consent.revoke(session, principal, consent_id))
    session.rollback()
    notice = N_("Consent revoked.") if revoked else None
    return consents_view(request, principal, session, problems=problems, notice=notice)


@router.get("/commands/{command_id}")
def command_page(request: Request, command_id: IdPath, principal: Visitor, session: SessionDep) -> Response:
    return detail_view(request, principal, session, command_id)


def _step(request: Request, principal: Principal, session: Session, command_id: int, step: Any) -> Response:
    try:
        step()
    except (Conflict, InputError, PermissionDenied, Unavailable) as exc:
        session.rollback()
        status = {Conflict: 409, PermissionDenied: 403, Unavailable: 502}.get(type(exc), 422)
        problems = exc.fields or [FieldProblem("", exc.message)]
        return detail_view(request, principal, session, command_id, problems=problems, status_code=status)
    session.rollback()
    return RedirectResponse(f"/commands/{command_id}", status_code=303)


@router.post("/commands/{command_id}/confirm")
def confirm_page(
    request: Request, command_id: IdPath, principal: Visitor, session: SessionDep, env: EnvironmentDep
) -> Response:
    return _step(request, principal, session, command_id, lambda: service.confirm(session, principal, command_id, env))


@router.post("/commands/{command_id}/cancel")
def cancel_page(request: Request, command_id: IdPath, principal: Visitor, session: SessionDep) -> Response:
    return _step(request, principal, session, command_id, lambda: service.cancel(session, principal, command_id))

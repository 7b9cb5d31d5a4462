"""Pages of equipment health: the overview (NE107 colours, score, drivers), an equipment's health with its history
chart and its drivers' signals chart (and the form to learn a baseline), the cases with evidence and recommended
action, and the model registry. Charts are drawn with ECharts from data embedded in the page, so that platform
operators (who may not read the raw telemetry API) see them too."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem, InputError
from zhizao.fields import IdPath, IdQuery, NoNul
from zhizao.maintenance import cases, registry
from zhizao.maintenance.api_health import Reader, Writer
from zhizao.maintenance.health import access, learn, service
from zhizao.maintenance.health.kinds import (
    CASE_STATE_LABELS,
    CASE_TRIGGER_LABELS,
    HEALTH_STATUS_COLOURS,
    HEALTH_STATUS_LABELS,
    MODEL_KIND_LABELS,
    MODEL_STATUS_LABELS,
    CaseState,
)
from zhizao.maintenance.health.reading import WINDOW_US
from zhizao.maintenance.health.schemas import BaselineLearn
from zhizao.maintenance.models_health import MaintenanceCase
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.kinds import EQUIPMENT_TYPE_LABELS
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.store.base import Aggregate, TelemetryStore
from zhizao.telemetry.timeutil import from_us, now_us
from zhizao.ui.forms import attempt
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

NAV = (
    NavItem(N_("Equipment health"), "/maintenance/health", roles=frozenset(access.READERS), order=220),
    NavItem(N_("Maintenance cases"), "/maintenance/cases", roles=frozenset(access.READERS), order=221),
    NavItem(N_("Model registry"), "/maintenance/models", roles=frozenset(access.READERS), order=222),
)

DAY_US = 86_400_000_000
MAX_PERIOD_US = 31 * DAY_US
CHART_POINTS = 500
Text = Annotated[str | None, Form(max_length=2000), NoNul]
QueryText = Annotated[str | None, NoNul]
LABELS = {
    "status_labels": HEALTH_STATUS_LABELS, "status_colours": HEALTH_STATUS_COLOURS, "case_labels": CASE_STATE_LABELS,
    "trigger_labels": CASE_TRIGGER_LABELS, "kind_labels": MODEL_KIND_LABELS, "model_labels": MODEL_STATUS_LABELS,
    "type_labels": EQUIPMENT_TYPE_LABELS,
}  # fmt: skip


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    digits = text[1:] if text.startswith("-") else text
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return None
    return int(text)


@router.get("/maintenance/health")
def overview_page(
    request: Request, principal: Reader, session: SessionDep, store: StoreDep, enterprise_id: IdQuery = None
) -> Response:
    rows = service.overview(session, store, principal, enterprise_id)
    return render(request, "maintenance/health/overview.html", {"rows": rows, **LABELS})


def _series(store: TelemetryStore, signals: list[Signal], start_us: int, end_us: int) -> list[dict[str, Any]]:
    """Each signal's means over the period, in at most ``CHART_POINTS`` whole-minute buckets."""
    span = end_us - start_us
    bucket = max(WINDOW_US, -(-span // CHART_POINTS) // WINDOW_US * WINDOW_US)
    data = store.downsample([s.id for s in signals], start_us, end_us, bucket, Aggregate.AVG) if signals else {}
    return [
        {"name": s.name, "unit": s.unit or "", "points": [[b.bucket_us // 1000, b.value] for b in data.get(s.id, [])]}
        for s in signals
    ]


@router.get("/maintenance/health/equipment/{equipment_id}")
def equipment_page(
    request: Request,
    equipment_id: IdPath,
    principal: Reader,
    session: SessionDep,
    store: StoreDep,
    start_us: QueryText = None,
    end_us: QueryText = None,
    signals: QueryText = None,
) -> Response:
    return _equipment_view(request, principal, session, store, equipment_id, start_us, end_us, signals)


def _equipment_view(
    request: Request, principal: Principal, session: Session, store: TelemetryStore, equipment_id: int,
    start: str | None, end: str | None, chosen: str | None, problems: list[FieldProblem] | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    health = service.equipment_health(session, store, principal, equipment_id)
    equipment = session.get(Equipment, equipment_id)
    end_us = _int(end) or now_us()
    start_us = _int(start) or end_us - DAY_US
    if not 0 < end_us - start_us <= MAX_PERIOD_US:
        start_us, end_us = end_us - DAY_US, end_us
    rows = service.history(session, principal, equipment_id, from_us(start_us), from_us(end_us), 5_000)
    ids = [i for i in (_int(part) for part in (chosen or "").split(",")[:10]) if i is not None]
    if not ids:
        ids = [d.signal_id for d in health.assessment.drivers if d.signal_id is not None]
    picked = list(session.scalars(select(Signal).where(Signal.equipment_id == equipment_id, Signal.id.in_(ids))))
    context = {
        "health": health, "equipment": equipment, "start": from_us(start_us), "end": from_us(end_us),
        "history": [{"t": r.window_end_us // 1000, "score": r.score, "status": r.status.value} for r in rows],
        "series": _series(store, picked, start_us, end_us), "problems": problems or [],
        "can_write": access.may_write(principal),
        "models": registry.list_models(session, principal, equipment_id=equipment_id, limit=20),
        "cases": cases.list_cases(session, principal, equipment_id=equipment_id, limit=20),
        "signal_names": sorted(registry.equipment_signals(session, equipment_id)), **LABELS,
    }  # fmt: skip
    return render(request, "maintenance/health/equipment.html", context, status_code=status_code)


def _local(value: str | None, field: str, zone: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise InputError.for_field(field, "a date and time, e.g. 2026-11-28T08:00") from exc
    if not 2000 <= moment.year <= 2100:
        raise InputError.for_field(field, "a time from 2000 to 2100")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


@router.post("/maintenance/health/equipment/{equipment_id}/baseline")
def learn_page(
    request: Request,
    equipment_id: IdPath,
    principal: Writer,
    session: SessionDep,
    store: StoreDep,
    start: Text = None,
    end: Text = None,
    signals: Text = None,
) -> Response:
    zone = ZoneInfo(request.app.state.settings.timezone)
    names = [part.strip() for part in (signals or "").split(",") if part.strip()] or None

    def action() -> object:
        data = BaselineLearn(
            start=_local(start, "start", zone), end=_local(end, "end", zone), signals=names, deploy=True
        )
        return learn.learn_baseline(session, store, principal, equipment_id, data)

    _, problems = attempt(action)
    if problems:
        session.rollback()
        return _equipment_view(request, principal, session, store, equipment_id, None, None, None, problems, 422)
    return RedirectResponse(f"/maintenance/health/equipment/{equipment_id}", status_code=303)


@router.get("/maintenance/cases")
def cases_page(
    request: Request, principal: Reader, session: SessionDep, state: QueryText = None, enterprise_id: IdQuery = None
) -> Response:
    wanted = CaseState(state) if state in {s.value for s in CaseState} else None
    rows = cases.list_cases(session, principal, state=wanted, enterprise_id=enterprise_id)
    equipment = {
        e.id: e for e in session.scalars(select(Equipment).where(Equipment.id.in_({r.equipment_id for r in rows})))
    }
    return render(
        request, "maintenance/health/cases.html", {"rows": rows, "equipment": equipment, "state": wanted, **LABELS}
    )


def _case_view(
    request: Request, principal: Principal, session: Session, case: MaintenanceCase,
    problems: list[FieldProblem] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    start, end = cases.period_of(case)
    context = {
        "case": case, "equipment": session.get(Equipment, case.equipment_id), "chart": cases.evidence_chart(case),
        "start": start, "end": end, "can_write": access.may_write(principal), "problems": problems or [], **LABELS,
    }  # fmt: skip
    return render(request, "maintenance/health/case.html", context, status_code=status_code)


@router.get("/maintenance/cases/{case_id}")
def case_page(request: Request, case_id: IdPath, principal: Reader, session: SessionDep) -> Response:
    return _case_view(request, principal, session, cases.case_for_read(session, principal, case_id))


@router.post("/maintenance/cases/{case_id}/action")
def case_action(
    request: Request,
    case_id: IdPath,
    principal: Writer,
    session: SessionDep,
    action: Text = None,
    comment: Text = None,
    resolution: Text = None,
) -> Response:
    def act() -> MaintenanceCase:
        if action == "acknowledge":
            return cases.acknowledge_case(session, principal, case_id, (comment or "").strip() or None)
        if action == "close":
            if not (resolution or "").strip():
                raise InputError.for_field("resolution", "say how the case was resolved")
            return cases.close_case(session, principal, case_id, (resolution or "").strip())
        raise InputError.for_field("action", "acknowledge or close")

    _, problems = attempt(act)
    if problems:
        session.rollback()
        case = cases.case_for_read(session, principal, case_id)
        return _case_view(request, principal, session, case, problems, 422)
    return RedirectResponse(f"/maintenance/cases/{case_id}", status_code=303)


@router.get("/maintenance/models")
def models_page(request: Request, principal: Reader, session: SessionDep) -> Response:
    rows = registry.list_models(session, principal)
    deployments = registry.list_deployments(session, principal)
    equipment_ids = {d.equipment_id for d in deployments} | {m.equipment_id for m in rows if m.equipment_id}
    equipment = {e.id: e for e in session.scalars(select(Equipment).where(Equipment.id.in_(equipment_ids)))}
    context = {"rows": rows, "deployments": deployments, "equipment": equipment, **LABELS}
    return render(request, "maintenance/health/models.html", context)

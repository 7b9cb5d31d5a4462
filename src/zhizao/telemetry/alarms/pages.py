"""Alarm pages: the active alarms (refreshing themselves) with operator actions, rules with a form, history with
filters and export, the flood summary, webhooks; and ``/alarms/badge``, the unacknowledged count for the layout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, optional_principal
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath, IdQuery, NoNul, Offset, TextQuery
from zhizao.telemetry.alarms import history, service, webhooks
from zhizao.telemetry.alarms.api import alarm_read, history_filter
from zhizao.telemetry.alarms.excel import EVENT_NAMES, SEVERITY_NAMES, STATE_NAMES
from zhizao.telemetry.alarms.rules import Severity
from zhizao.telemetry.alarms.schemas import ActionIn, WebhookCreate
from zhizao.telemetry.api import Reader, Writer
from zhizao.telemetry.models import Signal
from zhizao.telemetry.timeutil import from_us
from zhizao.ui.forms import attempt, optional_int, posted_strings
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

NAV = (NavItem(N_("Alarms"), "/alarms", roles=frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE}), order=205),)

Text = Annotated[str | None, Form(max_length=500), NoNul]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]
_ACTION: TypeAdapter[ActionIn] = TypeAdapter(ActionIn)
REFRESH_S = 5
_NUMBERS = ("setpoint", "deadband", "range_min", "range_max", "limit", "window_s", "on_delay_s", "off_delay_s",
            "stale_after_s")  # fmt: skip
_KIND_FIELDS = {
    "threshold": ("limit", "setpoint", "deadband", "range_min", "range_max", "on_delay_s", "off_delay_s"),
    "rate_of_change": ("limit", "per", "window_s", "direction", "on_delay_s", "off_delay_s"),
    "state_equals": ("values", "on_delay_s", "off_delay_s"),
    "stale": ("stale_after_s",),
}


def _context(principal: Principal, session: Session, enterprise_id: int | None) -> dict[str, Any] | None:
    """The page's enterprise, or None when a cross-tenant caller must pick one first."""
    if principal.sees_all_tenants and enterprise_id is None:
        return None
    return {
        "enterprise_id": enterprise_id,
        "query": f"?enterprise_id={enterprise_id}" if enterprise_id else "",
        "can_write": principal.role in (Role.ADMIN, Role.ENTERPRISE),
        "event_names": EVENT_NAMES, "state_names": STATE_NAMES, "severity_names": SEVERITY_NAMES,
    }  # fmt: skip


def _chooser(request: Request, session: Session, title: str) -> Response:
    enterprises = session.scalars(
        select(Organisation).where(Organisation.kind == OrganisationKind.ENTERPRISE).order_by(Organisation.name)
    ).all()
    return render(request, "alarms/choose.html", {"enterprises": enterprises, "title": title})


@router.get("/alarms")
def active_page(request: Request, principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> Response:
    return _active(request, principal, session, enterprise_id, "alarms/active.html")


@router.get("/alarms/active-table")
def active_table(request: Request, principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> Response:
    """The table alone, which the active-alarms page reloads every few seconds."""
    return _active(request, principal, session, enterprise_id, "alarms/active_table.html")


def _active(
    request: Request, principal: Principal, session: Session, enterprise_id: int | None, name: str, **extra: Any
) -> Response:
    context = _context(principal, session, enterprise_id)
    if context is None:
        return _chooser(request, session, N_("Alarms"))
    alarms = [alarm_read(rule, current) for rule, current in service.current_alarms(session, principal, enterprise_id)]
    signals = dict(
        session.execute(select(Signal.id, Signal.name).where(Signal.id.in_({a.signal_id for a in alarms}))).all()
    )
    context.update({"alarms": alarms, "signals": signals, "refresh_s": REFRESH_S, "problems": [], **extra})
    return render(request, name, context, status_code=422 if context["problems"] else 200)


@router.get("/alarms/badge")
def badge(request: Request, session: SessionDep, principal: MaybeUser) -> Response:
    """The unacknowledged-alarm count of the caller's enterprise, for the layout to poll (empty for others)."""
    if principal is None or principal.role != Role.ENTERPRISE or principal.organisation_id is None:
        return HTMLResponse("")
    count = service.count_alarms(session, principal.organisation_id)
    return render(request, "alarms/badge.html", {"count": count})


@router.post("/alarms/{rule_pk}/action")
def action_page(
    request: Request,
    rule_pk: IdPath,
    principal: Writer,
    session: SessionDep,
    action: Annotated[str, Form(max_length=40)],
    comment: Text = None,
    reason: Text = None,
    duration_min: Text = None,
    enterprise_id: IdQuery = None,
) -> Response:
    data: dict[str, Any] = {"action": action, "comment": comment or None, "reason": reason or None}
    if action == "shelve":
        data["duration_s"] = _number(duration_min, 60.0)
    data = {key: value for key, value in data.items() if value is not None}
    done, problems = attempt(lambda: service.act(session, principal, rule_pk, _ACTION.validate_python(data)))
    session.rollback()
    if done is None:
        return _active(request, principal, session, enterprise_id, "alarms/active.html", problems=problems)
    return RedirectResponse(f"/alarms?enterprise_id={enterprise_id}" if enterprise_id else "/alarms", status_code=303)


def _number(text: str | None, scale: float = 1.0) -> float | str | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text.strip()) * scale
    except ValueError:
        return text


# -- rules ---------------------------------------------------------------------------------------------------------


@router.get("/alarms/rules")
def rules_page(request: Request, principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> Response:
    return _rules(request, principal, session, enterprise_id)


def _rules(
    request: Request, principal: Principal, session: Session, enterprise_id: int | None, **extra: Any
) -> Response:
    context = _context(principal, session, enterprise_id)
    if context is None:
        return _chooser(request, session, N_("Alarm rules"))
    rules = service.list_rules(session, principal, enterprise_id)
    enterprise = enterprise_id or principal.organisation_id
    signals = session.scalars(select(Signal).where(Signal.enterprise_id == enterprise).order_by(Signal.name)).all()
    context.update({"problems": [], "form": {}, "editing": None, **extra})
    context.update(rules=rules, signals=signals, severities=list(Severity))
    return render(request, "alarms/rules.html", context, status_code=422 if context["problems"] else 200)


def _rule_body(form: dict[str, str]) -> dict[str, Any]:
    kind = form.get("kind", "")
    body: dict[str, Any] = {"id": form.get("id", ""), "kind": kind, "severity": form.get("severity", "")}
    body["signal_id"] = optional_int(form.get("signal_id"))
    if form.get("message", "").strip():
        body["message"] = form["message"].strip()
    for name in _KIND_FIELDS.get(kind, ()):
        raw = form.get(name, "").strip()
        if not raw:
            continue
        if name == "values":
            body[name] = [int(item) if item.strip().lstrip("-").isdigit() else item.strip() for item in raw.split(",")]
        elif name in _NUMBERS and not (kind == "threshold" and name == "limit"):
            body[name] = _number(raw)
        else:
            body[name] = raw
    body["enabled"] = form.get("enabled") == "on"
    return body


@router.post("/alarms/rules")
async def create_rule_page(
    request: Request, principal: Writer, session: SessionDep, enterprise_id: IdQuery = None
) -> Response:
    form = await posted_strings(request)
    body = _rule_body(form)
    if enterprise_id is not None:
        body["enterprise_id"] = enterprise_id
    created, problems = attempt(lambda: service.create_rule(session, principal, body))
    session.rollback()
    if created is None:
        return _rules(request, principal, session, enterprise_id, problems=problems, form=form)
    return RedirectResponse(f"/alarms/rules?enterprise_id={enterprise_id}" if enterprise_id else "/alarms/rules", 303)


@router.get("/alarms/rules/{rule_pk}/edit")
def edit_rule_page(request: Request, rule_pk: IdPath, principal: Writer, session: SessionDep) -> Response:
    row = service.get_rule(session, principal, rule_pk)
    form = {key: ", ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else str(v))
            for key, v in row.definition.items()}  # fmt: skip
    form["enabled"] = "on" if row.enabled else ""
    enterprise = row.enterprise_id if principal.sees_all_tenants else None
    return _rules(request, principal, session, enterprise, form=form, editing=row)


@router.post("/alarms/rules/{rule_pk}")
async def update_rule_page(request: Request, rule_pk: IdPath, principal: Writer, session: SessionDep) -> Response:
    row = service.get_rule(session, principal, rule_pk)
    enterprise = row.enterprise_id if principal.sees_all_tenants else None
    session.rollback()
    form = await posted_strings(request)
    updated, problems = attempt(lambda: service.update_rule(session, principal, rule_pk, _rule_body(form)))
    session.rollback()
    if updated is None:
        return _rules(request, principal, session, enterprise, problems=problems, form=form, editing=row)
    return RedirectResponse(f"/alarms/rules?enterprise_id={enterprise}" if enterprise else "/alarms/rules", 303)


# -- history, flood, webhooks --------------------------------------------------------------------------------------


@router.get("/alarms/history")
def history_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    enterprise_id: IdQuery = None,
    start: datetime | None = None,
    end: datetime | None = None,
    equipment_id: IdQuery = None,
    signal_id: IdQuery = None,
    rule_id: TextQuery = None,
    severity: Severity | None = None,
    event: TextQuery = None,
    state: TextQuery = None,
    offset: Offset = 0,
) -> Response:
    context = _context(principal, session, enterprise_id)
    if context is None:
        return _chooser(request, session, N_("Alarm history"))
    where = history_filter(enterprise_id, start, end, equipment_id, signal_id, rule_id, severity, None, event, state)
    rows, total = history.history(session, principal, where, offset=offset, limit=50)
    params = {k: v for k, v in request.query_params.items() if k != "offset" and v}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    context.update(
        events=rows,
        moments={row.id: from_us(row.ts_us) for row in rows},
        page={"total": total, "offset": offset, "limit": 50},
        filters=params,
        filter_query=query,
        severities=list(Severity),
        events_all=list(EVENT_NAMES),
        states_all=list(STATE_NAMES),
    )
    return render(request, "alarms/history.html", context)


@router.get("/alarms/flood")
def flood_page(
    request: Request, principal: Reader, session: SessionDep, enterprise_id: IdQuery = None, days: IdQuery = None
) -> Response:
    context = _context(principal, session, enterprise_id)
    if context is None:
        return _chooser(request, session, N_("Alarm flood"))
    end = datetime.now(UTC)
    span = min(days or 1, 31)
    report = history.flood(session, principal, enterprise_id, end - timedelta(days=span), end)
    context.update(report=report, days=span)
    return render(request, "alarms/flood.html", context)


@router.get("/alarms/webhooks")
def webhooks_page(request: Request, principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> Response:
    return _webhooks(request, principal, session, enterprise_id)


def _webhooks(
    request: Request, principal: Principal, session: Session, enterprise_id: int | None, **extra: Any
) -> Response:
    context = _context(principal, session, enterprise_id)
    if context is None:
        return _chooser(request, session, N_("Alarm webhooks"))
    hooks = webhooks.list_webhooks(session, principal, enterprise_id)
    context.update({"hooks": hooks, "problems": [], "secret": None, **extra})
    return render(request, "alarms/webhooks.html", context, status_code=422 if context["problems"] else 200)


@router.post("/alarms/webhooks")
def create_webhook_page(
    request: Request,
    principal: Writer,
    session: SessionDep,
    name: Annotated[str, Form(max_length=100), NoNul],
    url: Annotated[str, Form(max_length=500), NoNul],
    min_priority: Annotated[str, Form(max_length=2)] = "4",
    enterprise_id: IdQuery = None,
) -> Response:
    data = {"name": name, "url": url, "min_priority": optional_int(min_priority), "enterprise_id": enterprise_id}
    created, problems = attempt(lambda: webhooks.create_webhook(session, principal, WebhookCreate.model_validate(data)))
    session.rollback()
    problems = [FieldProblem(p.field, p.message) for p in problems]
    if created is None:
        return _webhooks(request, principal, session, enterprise_id, problems=problems)
    return _webhooks(request, principal, session, enterprise_id, secret=created[1])

"""The stops page (停机原因): operators explain the stops of a line or a machine in one shift or day.

Lists the stops that lost planned busy time in the period, most lost time first, with the unclassified ones
highlighted, and lets enterprise staff classify each with the enterprise's current reason tree, the ranked
suggestions first. Classifying goes through ``stops.classify_stop`` (audit-logged); with HTMX only the row and the
unclassified total are swapped, without JavaScript the form posts and the page reloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep, SettingsDep
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem, InputError
from zhizao.fields import IdPath, IdQuery, NoNul
from zhizao.production import kpi_service, stops, suggestions
from zhizao.production.api import Reader, Writer
from zhizao.production.equipment_plan import micro_stop_us
from zhizao.production.kpi_service import Scope
from zhizao.production.models import DowntimeReason
from zhizao.production.reasons import ensure_current_tree, reasons_of
from zhizao.production.schemas import ReasonSuggestion, StopClassification
from zhizao.production.shift_report import Period, PeriodStop, StopsInPeriod, check_shift_name, period_stops
from zhizao.production.timemodel import TimeCategory
from zhizao.telemetry import assets
from zhizao.telemetry.api_data import StoreDep
from zhizao.telemetry.kinds import NodeLevel
from zhizao.telemetry.machinery import MachineryItemState
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import from_us
from zhizao.ui.forms import FIRST_FORM_DAY, LAST_FORM_DAY, attempt, form_day, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

READERS = frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE})
NAV = (NavItem(N_("Stop reasons"), "/production/stops", roles=READERS, order=310),)
MAX_ROWS = 200  # the longest stops of a period; the totals above the table still count every stop
STATE_LABELS = {
    MachineryItemState.NOT_AVAILABLE: N_("Not available"),
    MachineryItemState.OUT_OF_SERVICE: N_("Out of service"),
    MachineryItemState.NOT_EXECUTING: N_("Not executing"),
    MachineryItemState.EXECUTING: N_("Executing"),
}
CATEGORY_LABELS = {
    TimeCategory.DOWN: N_("Breakdown"),
    TimeCategory.SETUP: N_("Setup and adjustment"),
    TimeCategory.DELAY: N_("Waiting or idle"),
    TimeCategory.MICRO_STOP: N_("Minor stop"),
}

ShiftQuery = Annotated[str | None, Query(max_length=64), NoNul]
DayQuery = Annotated[
    date | None,
    Query(alias="date", ge=FIRST_FORM_DAY, le=LAST_FORM_DAY, description="local production day; today when absent"),
]
FormText = Annotated[str, Form(max_length=64), NoNul]


def clock(microseconds: int) -> str:
    """A duration as h:mm:ss, which operators read faster than fractional minutes."""
    seconds = round(microseconds / 1_000_000)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def reason_groups(reasons: Sequence[DowntimeReason]) -> list[tuple[str, list[DowntimeReason]]]:
    """The reasons operators pick (leaves) grouped under their parent's path, in tree order; a root without
    children stands alone (group label "")."""
    by_code = {reason.code: reason for reason in reasons}
    parents = {reason.parent_code for reason in reasons if reason.parent_code is not None}
    groups: dict[str, list[DowntimeReason]] = {}
    for reason in reasons:
        if reason.code in parents:
            continue
        path: list[str] = []
        parent = reason.parent_code
        while parent is not None and parent in by_code and len(path) < len(reasons):
            path.insert(0, by_code[parent].name)
            parent = by_code[parent].parent_code
        groups.setdefault(" / ".join(path), []).append(reason)
    return list(groups.items())


def _period(day: date | None, shift: str | None, timezone: str) -> Period:
    return Period(day or datetime.now(ZoneInfo(timezone)).date(), check_shift_name(shift))


def _scope(session: Session, principal: Principal, node_id: int | None, equipment_id: int | None) -> Scope:
    if node_id is None and equipment_id is None:
        raise InputError.for_field("query.node_id", "choose a line (node_id) or a piece of equipment (equipment_id)")
    return kpi_service.resolve_scope(session, principal, node_id=node_id, equipment_id=equipment_id)


def _suggest(
    session: Session, store: TelemetryStore, reasons: Sequence[DowntimeReason], stop: PeriodStop
) -> list[ReasonSuggestion]:
    """The service's ranking (alarm, state, history) for one stop, with the tree read once for the whole page."""
    interval = stop.interval
    categories = suggestions.state_categories(interval, micro_stop_us(session, interval.equipment_id))
    alarm_text = suggestions.alarm_text_at(session, store, interval.equipment_id, interval.start_us)
    alarm = suggestions.reasons_for_alarm(alarm_text, reasons) if alarm_text else {}
    return suggestions.rank(reasons, categories, suggestions.history_shares(session, interval), alarm)


def _row(stop: PeriodStop, suggested: list[ReasonSuggestion], current_ids: set[int]) -> dict[str, Any]:
    interval = stop.interval
    return {
        "stop": stop,
        "start": from_us(interval.start_us),
        "end": from_us(interval.end_us),
        "duration": clock(interval.end_us - interval.start_us),
        "lost": clock(stop.lost_us),
        "state": STATE_LABELS[stop.state],
        "category": CATEGORY_LABELS.get(stop.category, stop.category.name.lower()),
        "suggestions": suggested,
        "suggested_ids": {item.reason.id for item in suggested},
        "reason_in_tree": stop.reason is None or stop.reason.id in current_ids,  # else from an earlier version
    }


def _scope_query(scope: Scope) -> dict[str, int]:
    """The scope as the query the page's forms send back (a node's subtree, or one piece of equipment)."""
    if scope.node is not None:
        return {"node_id": scope.node.id}
    return {"equipment_id": scope.equipment[0].id}


def _summary(found: StopsInPeriod) -> dict[str, Any]:
    return {
        "count": len(found.stops),
        "lost": clock(found.lost_us),
        "unclassified_count": len(found.unclassified),
        "unclassified": clock(found.unclassified_us),
        "unclassified_us": found.unclassified_us,
    }


def _page_context(
    session: Session, principal: Principal, store: TelemetryStore, scope: Scope, period: Period
) -> dict[str, Any]:
    """Everything the page shows; runs in the caller's transaction (the default reason tree may be seeded)."""
    can_write = principal.role in (Role.ADMIN, Role.ENTERPRISE)
    reasons = list(reasons_of(session, ensure_current_tree(session, scope.enterprise_id).id))
    found = period_stops(session, scope, period)
    shown = found.stops[:MAX_ROWS]
    current_ids = {reason.id for reason in reasons}
    rows = [_row(stop, _suggest(session, store, reasons, stop) if can_write else [], current_ids) for stop in shown]
    return {
        "scope": scope,
        "scope_name": scope.node.name if scope.node is not None else scope.equipment[0].name,
        "scope_query": {"node_id": scope.node.id}
        if scope.node is not None
        else {"equipment_id": scope.equipment[0].id},
        "period": period,
        "found": found,
        "summary": _summary(found),
        "rows": rows,
        "hidden_rows": len(found.stops) - len(shown),
        "groups": reason_groups(reasons),
        "can_write": can_write,
        "problems": [],
    }


def _chooser(request: Request, session: Session, principal: Principal, period: Period) -> Response:
    lines = [node for node in assets.list_nodes(session, principal) if node.level == NodeLevel.LINE]
    equipment = list(assets.list_equipment(session, principal))
    context = {"lines": lines, "equipment": equipment, "period": period}
    return render(request, "production/stops_choose.html", context)


@router.get("/production/stops")
def stops_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    node_id: IdQuery = None,
    equipment_id: IdQuery = None,
    day: DayQuery = None,
    shift: ShiftQuery = None,
) -> Response:
    period = _period(day, shift, settings.timezone)
    if node_id is None and equipment_id is None:
        return _chooser(request, session, principal, period)
    with session.begin():
        scope = _scope(session, principal, node_id, equipment_id)
        context = _page_context(session, principal, store, scope, period)
        return render(request, "production/stops.html", context)


@router.post("/production/stops/{stop_id}/reason")
def classify_stop_page(
    request: Request,
    stop_id: IdPath,
    principal: Writer,
    session: SessionDep,
    store: StoreDep,
    day: Annotated[str, Form(alias="date", max_length=10), NoNul],
    reason_id: FormText = "",
    node_id: FormText = "",
    equipment_id: FormText = "",
    shift: FormText = "",
) -> Response:
    """Classify one stop from the page; answers HTMX with the row and the unclassified total, a plain form post
    with the whole page."""
    period = Period(form_day(day, "form.date"), check_shift_name(shift))
    data = {"reason_id": optional_int(reason_id)}
    _, problems = attempt(
        lambda: stops.classify_stop(session, principal, stop_id, StopClassification.model_validate(data))
    )
    session.rollback()
    query = {"node_id": optional_int(node_id), "equipment_id": optional_int(equipment_id)}
    htmx = request.headers.get("hx-request") == "true"
    if not htmx and not problems:
        params: dict[str, str] = {key: str(value) for key, value in query.items() if value is not None}
        params |= {"date": period.day.isoformat(), **({"shift": period.shift} if period.shift else {})}
        return RedirectResponse(f"/production/stops?{urlencode(params)}", status_code=303)
    with session.begin():
        scope = _scope(session, principal, query["node_id"], query["equipment_id"])
        context = _page_context(session, principal, store, scope, period)
        return _classified_response(request, context, stop_id, problems, htmx=htmx)


def _classified_response(
    request: Request, context: dict[str, Any], stop_id: int, problems: list[FieldProblem], *, htmx: bool
) -> Response:
    status = 422 if problems and not htmx else 200  # htmx swaps only 2xx answers: the row shows the problem
    if not htmx:
        return render(request, "production/stops.html", {**context, "problems": problems}, status_code=status)
    row = next((row for row in context["rows"] if row["stop"].interval.id == stop_id), None)
    if row is None:  # the stop is not in this period's list (any more): reload the whole page
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return render(request, "production/stops_row.html", {**context, "row": row, "row_problems": problems, "oob": True})

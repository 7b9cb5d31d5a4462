"""Maker pages of C2M planning: the schedule as a Gantt chart per work centre with the scheduler's runs and their
reasons (and a button to plan now), and the product managers' demand analytics (option popularity, co-occurrence,
weekly trend by region, the mix forecast with its backtest error, and the planned volumes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import DatabaseDep, SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.c2m import analytics_service, planning, schedule_view
from zhizao.c2m.analytics_queries import DEFAULT_WEEKS, MAX_WEEKS
from zhizao.c2m.analytics_schemas import TrendRead
from zhizao.c2m.product.model import CODE_PATTERN
from zhizao.c2m.regions import REGION_LABELS
from zhizao.c2m.schedule_view import MAX_WINDOW_HOURS, maker_of
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.fields import IdQuery, NoNul
from zhizao.ui.i18n import N_, gettext
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/c2m/maker"
NAV = (
    NavItem(N_("Production schedule"), BASE + "/schedule", roles=frozenset({Role.ENTERPRISE.value}), order=284),
    NavItem(N_("Demand analytics"), BASE + "/analytics", roles=frozenset({Role.ENTERPRISE.value}), order=285),
)
Maker = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Hours = Annotated[int, Query(ge=0, le=MAX_WINDOW_HOURS)]
SOLVER_LABELS = {
    "optimal": N_("optimal"),
    "feasible": N_("feasible"),
    planning.FALLBACK_STATUS: N_("dispatching fallback"),
}
SHOWN_REGIONS = 5
STATE_LABELS = {"planned": N_("Planned"), "running": N_("Running"), "done": N_("Done")}
METHOD_LABELS = {
    "naive": N_("Last week again"),
    "mean": N_("Mean of the weeks"),
    "ses": N_("Simple exponential smoothing"),
    "holt": N_("Holt's linear trend"),
}


def _schedule_page(
    request: Request, maker: int, session: Session, hours_before: int, hours_after: int, problems: list[FieldProblem],
    status_code: int = 200, enterprise_id: int | None = None,
) -> Response:  # fmt: skip
    board = schedule_view.schedule(session, maker, datetime.now(UTC), hours_before, hours_after)
    dumped = board.model_dump(mode="json")
    gantt = {
        "centres": [centre.code + (" ⚠" if centre.down_since else "") for centre in board.work_centres],
        "ids": [centre.equipment_id for centre in board.work_centres], "bars": dumped["bars"], "now": dumped["now"],
        "since": dumped["since"], "until": dumped["until"],
    }  # fmt: skip
    context = {
        "board": board, "gantt": gantt, "problems": problems, "hours_before": hours_before, "hours_after": hours_after,
        "state_labels": STATE_LABELS, "solver_labels": SOLVER_LABELS, "default_limit": planning.DEFAULT_TIME_LIMIT_S,
        "max_limit": planning.MAX_TIME_LIMIT_S, "enterprise_id": enterprise_id,
    }  # fmt: skip
    return render(request, "c2m/schedule.html", context, status_code=status_code)


@router.get(BASE + "/schedule")
def schedule_page(
    request: Request, principal: Maker, session: SessionDep, hours_before: Hours = 24, hours_after: Hours = 72,
    enterprise_id: IdQuery = None,
) -> Response:  # fmt: skip
    maker = maker_of(principal, enterprise_id)
    return _schedule_page(request, maker, session, hours_before, hours_after, [], enterprise_id=enterprise_id)


@router.post(BASE + "/schedule/plan")
def plan_now(
    request: Request, principal: Maker, database: DatabaseDep, session: SessionDep, settings: SettingsDep,
    time_limit: Annotated[str | None, Form(max_length=20), NoNul] = None, enterprise_id: IdQuery = None,
) -> Response:  # fmt: skip
    maker = maker_of(principal, enterprise_id)
    try:
        limit = _time_limit(time_limit)
        outcome = planning.plan(
            database, maker, datetime.now(UTC), reason=f"requested by {principal.username}",
            time_limit_s=limit, zone=ZoneInfo(settings.timezone),
        )  # fmt: skip
        if outcome.busy:
            raise Conflict("another planning run for this maker is in progress; try again in a few seconds")
    except (InputError, Conflict) as exc:
        problems = exc.fields or [FieldProblem("", exc.message)]
        code = 409 if isinstance(exc, Conflict) else 422
        return _schedule_page(request, maker, session, 24, 72, problems, code, enterprise_id)
    query = f"?enterprise_id={enterprise_id}" if enterprise_id is not None else ""
    return RedirectResponse(f"{BASE}/schedule{query}#runs", status_code=303)


def _time_limit(text: str | None) -> float:
    if text is None or not text.strip():
        return planning.DEFAULT_TIME_LIMIT_S
    try:
        value = float(text.strip())
    except ValueError as exc:
        raise InputError.for_field("time_limit", f"not a number of seconds: {text!r}") from exc
    return planning.check_time_limit(value)


@router.get(BASE + "/analytics")
def analytics_page(
    request: Request, principal: Maker, session: SessionDep, settings: SettingsDep,
    model: Annotated[str | None, Query(max_length=48), NoNul] = None,
    option: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    weeks: Annotated[int, Query(ge=1, le=MAX_WEEKS)] = DEFAULT_WEEKS, enterprise_id: IdQuery = None,
) -> Response:  # fmt: skip
    maker, now, zone = maker_of(principal, enterprise_id), datetime.now(UTC), ZoneInfo(settings.timezone)
    model = (model or "").strip() or None  # the form's empty field: the maker's busiest model
    problems: list[FieldProblem] = []
    sections: dict[str, Any] = {}

    def section(name: str, build: Any) -> None:
        try:
            sections[name] = build()
        except InputError as exc:
            problems.extend(exc.fields or [FieldProblem("", exc.message)])
            sections[name] = None

    section("popularity", lambda: analytics_service.popularity(session, maker, model, now, zone, weeks))
    section("pairs", lambda: analytics_service.co_occurrence(session, maker, model, now, zone, weeks=weeks))
    section("trend", lambda: analytics_service.trend(session, maker, model, option, now, zone, weeks))
    section("forecast", lambda: analytics_service.forecast_mix(session, maker, model, now, zone, weeks))
    section("volume", lambda: analytics_service.planned_volume(session, maker, model, now, zone, weeks=weeks))
    context = {
        **sections, "problems": _unique(problems), "weeks": weeks, "method_labels": METHOD_LABELS,
        "trend_chart": _trend_chart(sections["trend"]), "enterprise_id": enterprise_id,
    }  # fmt: skip
    return render(request, "c2m/analytics.html", context)


def _trend_chart(trend: TrendRead | None) -> dict[str, Any] | None:
    """The trend as the line chart reads it, with the regions' names in the page's language; the busiest regions
    are drawn, the others listed in the legend to switch on (thirty lines of a few orders each are only noise)."""
    if trend is None:
        return None
    names = [gettext(REGION_LABELS.get(series.region, series.region)) for series in trend.regions]
    busiest = sorted(range(len(names)), key=lambda i: -sum(trend.regions[i].orders))[:SHOWN_REGIONS]
    return {
        "weeks": [week.isoformat() for week in trend.week_starts], "overall": trend.overall.shares,
        "names": names, "series": [series.shares for series in trend.regions],
        "shown": [names[i] for i in busiest],
    }  # fmt: skip


def _unique(problems: list[FieldProblem]) -> list[FieldProblem]:
    seen: list[FieldProblem] = []
    for problem in problems:
        if problem not in seen:
            seen.append(problem)
    return seen

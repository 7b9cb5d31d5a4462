"""JSON API of C2M planning and demand analytics (``/api/c2m/plan``, ``/api/c2m/schedule…``,
``/api/c2m/analytics/…``), for the maker's enterprise users — the maker is always the caller's enterprise, and
another maker's id or schedule run is 404 — and administrators, who name the maker with ``enterprise_id``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from zhizao.accounts.deps import DatabaseDep, SessionDep, SettingsDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.c2m import analytics_service, planning, schedule_view
from zhizao.c2m.analytics_queries import DEFAULT_WEEKS, MAX_WEEKS
from zhizao.c2m.analytics_schemas import CoOccurrenceRead, ForecastRead, PopularityRead, TrendRead, VolumeRead
from zhizao.c2m.product.model import CODE_PATTERN, MODEL_CODE_PATTERN
from zhizao.c2m.schedule_view import MAX_WINDOW_HOURS, PlanRead, ScheduleRead, ScheduleRunRead, maker_of
from zhizao.errors import Conflict
from zhizao.fields import IdPath, IdQuery, Limit
from zhizao.settings import Settings

router = APIRouter(prefix="/api/c2m", tags=["C2M planning and demand analytics"])

Maker = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
ModelCode = Annotated[str | None, Query(pattern=MODEL_CODE_PATTERN, description="Product model code; default: the "
                                        "maker's model with the most orders in the window.")]  # fmt: skip
Weeks = Annotated[int, Query(ge=1, le=MAX_WEEKS, description="Complete local weeks before the current one.")]
Hours = Annotated[int, Query(ge=0, le=MAX_WINDOW_HOURS)]


class PlanRequest(BaseModel):
    time_limit_s: float = Field(default=planning.DEFAULT_TIME_LIMIT_S, gt=0, le=planning.MAX_TIME_LIMIT_S)


@router.post("/plan")
def plan(principal: Maker, database: DatabaseDep, session: SessionDep, settings: SettingsDep,
         body: PlanRequest | None = None, enterprise_id: IdQuery = None) -> PlanRead:  # fmt: skip
    """Schedule the maker's open operations now (CP-SAT within ``time_limit_s``; tardiness first, then makespan).
    409 while another planning run for the maker is in progress."""
    request = body or PlanRequest()
    outcome = planning.plan(
        database, maker_of(principal, enterprise_id), datetime.now(UTC), reason=f"requested by {principal.username}",
        time_limit_s=request.time_limit_s, zone=ZoneInfo(settings.timezone),
    )  # fmt: skip
    if outcome.busy:
        raise Conflict("another planning run for this maker is in progress; try again in a few seconds")
    return schedule_view.plan_read(session, outcome)


@router.get("/schedule")
def schedule(
    principal: Maker, session: SessionDep, hours_before: Hours = 24, hours_after: Hours = 72,
    enterprise_id: IdQuery = None,
) -> ScheduleRead:  # fmt: skip
    """Gantt data: each work centre (down since when, if down) and the operations planned on it from
    ``hours_before`` before now to ``hours_after`` after, with the recent scheduler runs and their reasons."""
    return schedule_view.schedule(
        session, maker_of(principal, enterprise_id), datetime.now(UTC), hours_before, hours_after
    )


@router.get("/schedule/runs")
def schedule_runs(
    principal: Maker, session: SessionDep, limit: Limit = 50, enterprise_id: IdQuery = None
) -> list[ScheduleRunRead]:
    return schedule_view.recent_runs(session, maker_of(principal, enterprise_id), limit)


@router.get("/schedule/runs/{run_id}")
def schedule_run(
    principal: Maker, session: SessionDep, run_id: IdPath, enterprise_id: IdQuery = None
) -> ScheduleRunRead:
    return schedule_view.get_run(session, maker_of(principal, enterprise_id), run_id)


def _clock(settings: Settings) -> tuple[datetime, ZoneInfo]:
    return datetime.now(UTC), ZoneInfo(settings.timezone)


@router.get("/analytics/popularity")
def popularity(
    principal: Maker, session: SessionDep, settings: SettingsDep, model: ModelCode = None,
    weeks: Weeks = DEFAULT_WEEKS, enterprise_id: IdQuery = None,
) -> PopularityRead:  # fmt: skip
    """Per option family, each option's share of the orders (not cancelled) since the window's first Monday."""
    maker = maker_of(principal, enterprise_id)
    return analytics_service.popularity(session, maker, model, *_clock(settings), weeks)


@router.get("/analytics/co-occurrence")
def co_occurrence(
    principal: Maker, session: SessionDep, settings: SettingsDep, model: ModelCode = None,
    weeks: Weeks = DEFAULT_WEEKS, min_orders: Annotated[int, Query(ge=1, le=100_000)] = 5, limit: Limit = 20,
    enterprise_id: IdQuery = None,
) -> CoOccurrenceRead:  # fmt: skip
    """Pairs of options chosen together by at least ``min_orders`` orders, by lift (P(a∧b) / P(a)·P(b))."""
    maker = maker_of(principal, enterprise_id)
    return analytics_service.co_occurrence(
        session, maker, model, *_clock(settings), weeks=weeks, min_orders=min_orders, limit=limit
    )


@router.get("/analytics/trend")
def trend(
    principal: Maker, session: SessionDep, settings: SettingsDep, model: ModelCode = None,
    option: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None, weeks: Weeks = DEFAULT_WEEKS,
    enterprise_id: IdQuery = None,
) -> TrendRead:  # fmt: skip
    """One option's weekly share of orders in each region (and in all), the current week last and partial."""
    maker = maker_of(principal, enterprise_id)
    return analytics_service.trend(session, maker, model, option, *_clock(settings), weeks)


@router.get("/analytics/forecast")
def forecast(
    principal: Maker, session: SessionDep, settings: SettingsDep, model: ModelCode = None,
    weeks: Weeks = DEFAULT_WEEKS, enterprise_id: IdQuery = None,
) -> ForecastRead:  # fmt: skip
    """The current week's option mix forecast from the complete weeks, with each method's rolling-origin backtest
    error (mean absolute error in share points); the method with the lowest is used."""
    maker = maker_of(principal, enterprise_id)
    return analytics_service.forecast_mix(session, maker, model, *_clock(settings), weeks)


@router.get("/analytics/volume")
def volume(
    principal: Maker, session: SessionDep, settings: SettingsDep, model: ModelCode = None,
    vehicles: Annotated[int | None, Query(ge=1, le=analytics_service.MAX_VEHICLES)] = None,
    weeks: Weeks = DEFAULT_WEEKS, enterprise_id: IdQuery = None,
) -> VolumeRead:  # fmt: skip
    """Planned volume for the current week: forecast share × vehicles per option, parts per part number and machine
    minutes per equipment kind (recent configurations reweighted to the forecast, exploded through the BOM)."""
    maker = maker_of(principal, enterprise_id)
    return analytics_service.planned_volume(session, maker, model, *_clock(settings), vehicles=vehicles, weeks=weeks)

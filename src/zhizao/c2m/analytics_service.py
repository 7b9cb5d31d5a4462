"""The demand analytics of one maker, as the API and the product managers' page show them: option popularity,
co-occurrence, weekly trend by region, the option mix forecast for the current week with its backtest error, and
the planned volumes that forecast implies (vehicles per option, parts, machine minutes per equipment kind).

The figures are computed by the pure modules (:mod:`.analytics`, :mod:`.analytics_forecast`,
:mod:`.analytics_volume`) over what :mod:`.analytics_queries` reads; the maker is always the caller's own enterprise.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.c2m import analytics, analytics_volume
from zhizao.c2m.analytics_forecast import DEFAULT_MIN_TRAIN, MixForecast
from zhizao.c2m.analytics_forecast import forecast_mix as forecast_shares
from zhizao.c2m.analytics_queries import DEFAULT_WEEKS, Demand, load_demand
from zhizao.c2m.analytics_schemas import (
    BacktestRead,
    CoOccurrenceRead,
    FamilySharesRead,
    ForecastRead,
    KindMinutesRead,
    Named,
    OptionForecastRead,
    OptionShareRead,
    OptionVolumeRead,
    PairRead,
    PartVolumeRead,
    PopularityRead,
    TrendRead,
    VolumeRead,
)
from zhizao.c2m.analytics_schemas import RegionTrendRead as RegionRead
from zhizao.c2m.analytics_volume import Explained
from zhizao.c2m.definitions import model_of
from zhizao.c2m.models import WorkCentre
from zhizao.c2m.product.bom import explode
from zhizao.errors import InputError, ZhizaoError

REPRESENTATIVE_WEEKS = 4  # the recent weeks whose orders stand for next week's configurations and volume
MAX_VEHICLES = 1_000_000


def _named(demand: Demand, code: str) -> Named:
    zh, en = demand.name(code)
    return Named(code=code, name_zh=zh, name_en=en)


def _window(demand: Demand) -> dict[str, object]:
    return {"model_code": demand.model_code, "since": demand.since, "weeks": demand.weeks, "orders": len(demand.orders)}


def popularity(
    session: Session, maker_id: int, model: str | None, now: datetime, zone: tzinfo, weeks: int = DEFAULT_WEEKS
) -> PopularityRead:
    demand = load_demand(session, maker_id, model, now, zone, weeks)
    families = [
        FamilySharesRead(
            **_named(demand, shares.family).model_dump(),
            orders=shares.orders,
            none=shares.none,
            options=[
                OptionShareRead(**_named(demand, o.option).model_dump(), orders=o.orders, share=o.share)
                for o in shares.options
            ],
        )
        for shares in analytics.popularity(demand.orders, demand.families)
    ]
    return PopularityRead(**_window(demand), families=families)


def co_occurrence(
    session: Session, maker_id: int, model: str | None, now: datetime, zone: tzinfo, *, weeks: int = DEFAULT_WEEKS,
    min_orders: int = 5, limit: int = 20,
) -> CoOccurrenceRead:  # fmt: skip
    demand = load_demand(session, maker_id, model, now, zone, weeks)
    options = [code for family in demand.families for code in family.options]
    pairs = analytics.co_occurrence(demand.orders, options, min_orders=min_orders, limit=limit)
    return CoOccurrenceRead(
        **_window(demand), min_orders=min_orders,
        pairs=[
            PairRead(first=_named(demand, p.first), second=_named(demand, p.second), orders=p.orders,
                     support=p.support, lift=p.lift)
            for p in pairs
        ],
    )  # fmt: skip


def trend(
    session: Session, maker_id: int, model: str | None, option: str | None, now: datetime, zone: tzinfo,
    weeks: int = DEFAULT_WEEKS,
) -> TrendRead:  # fmt: skip
    """The option's weekly share per region over the complete weeks and the current one (the first option of the
    model when none is named)."""
    demand = load_demand(session, maker_id, model, now, zone, weeks)
    options = [code for family in demand.families for code in family.options]
    chosen = option or (options[0] if options else "")
    if option is not None and option not in options:
        raise InputError.for_field("option", f"no option {option!r} in model {demand.model_code}")
    found = analytics.weekly_trend(demand.orders, chosen, [*demand.history, demand.current], zone)

    def read(series: analytics.RegionTrend) -> RegionRead:
        return RegionRead(region=series.region, orders=list(series.orders), shares=list(series.shares))

    return TrendRead(
        **_window(demand), option=_named(demand, chosen), week_starts=list(found.weeks),
        last_week_partial=True, overall=read(found.overall), regions=[read(series) for series in found.regions],
    )  # fmt: skip


def _forecast(
    demand: Demand, zone: tzinfo
) -> tuple[list[tuple[analytics.FamilyInfo, str | None]], MixForecast, np.ndarray]:
    columns = analytics.forecast_columns(demand.families)
    shares, per_week = analytics.weekly_share_matrix(demand.orders, columns, demand.history, zone)
    observed = shares[per_week > 0]  # weeks without orders say nothing about the mix
    if len(observed) == 0:
        raise InputError.for_field("model", "no orders in the window to forecast from")
    groups = [
        [c for c, (family, _code) in enumerate(columns) if family.code == single.code]
        for single in demand.families
        if single.single
    ]
    scored = [c for c, (_family, code) in enumerate(columns) if code is not None]
    return columns, forecast_shares(observed, groups, scored, DEFAULT_MIN_TRAIN), observed


def forecast_mix(
    session: Session, maker_id: int, model: str | None, now: datetime, zone: tzinfo, weeks: int = DEFAULT_WEEKS
) -> ForecastRead:
    """Next period's option mix: the current week's share of each option, forecast from the complete weeks."""
    demand = load_demand(session, maker_id, model, now, zone, weeks)
    columns, mix, observed = _forecast(demand, zone)
    options = [
        OptionForecastRead(
            **_named(demand, code).model_dump(),
            family=family.code,
            last_share=float(observed[-1, c]),
            mean_share=float(observed[:, c].mean()),
            forecast_share=float(mix.shares[c]),
        )
        for c, (family, code) in enumerate(columns)
        if code is not None
    ]
    return ForecastRead(
        **_window(demand), period=demand.current, method=mix.method.value, alpha=mix.alpha, beta=mix.beta,
        mae=mix.mae, options=options,
        backtests=[BacktestRead(method=t.method.value, mae=t.mae, forecasts=t.forecasts) for t in mix.backtests],
    )  # fmt: skip


def planned_volume(
    session: Session, maker_id: int, model: str | None, now: datetime, zone: tzinfo, *, vehicles: int | None = None,
    weeks: int = DEFAULT_WEEKS,
) -> VolumeRead:  # fmt: skip
    """The forecast mix × planned vehicles: vehicles per option, parts by part number (the recent configurations
    reweighted to the forecast, each exploded through the BOM) and machine minutes per equipment kind."""
    if vehicles is not None and not 1 <= vehicles <= MAX_VEHICLES:
        raise InputError.for_field("vehicles", f"must be between 1 and {MAX_VEHICLES:,}")
    demand = load_demand(session, maker_id, model, now, zone, weeks)
    columns, mix, _observed = _forecast(demand, zone)
    recent_from = demand.history[-min(REPRESENTATIVE_WEEKS, len(demand.history))]
    recent = [
        (order, model_id)
        for order, model_id in zip(demand.orders, demand.model_ids, strict=True)
        if recent_from <= analytics.week_of(order.created_at, zone) < demand.current
    ]
    weeks_seen = min(REPRESENTATIVE_WEEKS, len(demand.history))
    basis = "given"
    if vehicles is None:
        vehicles = max(1, round(len(recent) / weeks_seen))
        basis = f"mean weekly orders of the last {weeks_seen} complete weeks"
    version_of = {order.chosen: model_id for order, model_id in recent}
    refused: set[frozenset[str]] = set()
    volume = planned_volume_of(
        demand, [order.chosen for order, _ in recent], columns, mix, vehicles, version_of, refused
    )
    centres = dict(
        session.execute(
            select(WorkCentre.kind, func.count(WorkCentre.id))
            .where(WorkCentre.enterprise_id == maker_id)
            .group_by(WorkCentre.kind)
        ).all()
    )
    return VolumeRead(
        model_code=demand.model_code, period=demand.current, vehicles=vehicles, vehicles_basis=basis,
        method=mix.method.value, mae=mix.mae, configurations=volume.configurations, largest_gap=volume.largest_gap,
        unexploded=len(refused),
        options=[
            OptionVolumeRead(**_named(demand, code).model_dump(), family=family.code, vehicles=volume.per_option[code])
            for family, code in columns if code is not None
        ],
        parts=[_part(demand, part, quantity) for part, quantity in volume.parts.items()],
        minutes=[
            KindMinutesRead(kind=kind, minutes=spent, work_centres=int(centres.get(kind, 0)),
                            minutes_per_work_centre=spent / centres[kind] if centres.get(kind) else None)
            for kind, spent in volume.minutes.items()
        ],
    )  # fmt: skip


def planned_volume_of(
    demand: Demand,
    configurations: list[frozenset[str]],
    columns: list[tuple[analytics.FamilyInfo, str | None]],
    mix: MixForecast,
    vehicles: int,
    version_of: dict[frozenset[str], int],
    refused: set[frozenset[str]],
) -> analytics_volume.Volume:
    """The volume of the configurations raked to the forecast; those that no longer explode (an option since
    discontinued, say) add no parts and are put in ``refused``."""
    targets = [(family, code, float(mix.shares[c])) for c, (family, code) in enumerate(columns)]

    def explain(config: frozenset[str]) -> Explained:
        row = demand.model_rows[version_of[config]]
        try:
            explosion = explode(model_of(row), config)
        except ZhizaoError:
            refused.add(config)
            return Explained({}, {})
        return Explained(explosion.parts(), explosion.minutes_by_equipment())

    return analytics_volume.planned_volume(configurations, targets, vehicles, explain)


def _part(demand: Demand, part: str, quantity: float) -> PartVolumeRead:
    zh, en = demand.name(part)
    unit = next(
        (
            str(line.get("unit", "pcs"))
            for line in demand.definition.get("bom") or []
            if line.get("part_number") == part
        ),
        "pcs",
    )
    return PartVolumeRead(part_number=part, name_zh=zh, name_en=en, unit=unit, quantity=quantity)

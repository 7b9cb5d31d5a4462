"""What the demand analytics API returns (``/api/c2m/analytics/…``)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class Named(BaseModel):
    code: str
    name_zh: str
    name_en: str


class OptionShareRead(Named):
    orders: int
    share: float


class FamilySharesRead(Named):
    orders: int
    none: int  # orders that chose no option of the family
    options: list[OptionShareRead]


class Window(BaseModel):
    model_code: str | None  # None: the maker has no product model with orders
    since: date  # the Monday the window starts (local time)
    weeks: int  # complete weeks before the current one; the current week is included where said
    orders: int


class PopularityRead(Window):
    families: list[FamilySharesRead]


class PairRead(BaseModel):
    first: Named
    second: Named
    orders: int
    support: float
    lift: float


class CoOccurrenceRead(Window):
    min_orders: int
    pairs: list[PairRead]


class RegionTrendRead(BaseModel):
    region: str  # "" for every region together
    orders: list[int]
    shares: list[float | None]


class TrendRead(Window):
    option: Named
    week_starts: list[date]
    last_week_partial: bool  # the last week is the current one, still running
    overall: RegionTrendRead
    regions: list[RegionTrendRead]


class BacktestRead(BaseModel):
    method: str
    mae: float | None  # mean absolute error in share points (0.03 = 3 percentage points); None: too little history
    forecasts: int


class OptionForecastRead(Named):
    family: str
    last_share: float | None  # the last complete week
    mean_share: float | None  # over the complete weeks
    forecast_share: float


class ForecastRead(Window):
    period: date  # the week forecast (its Monday)
    method: str
    alpha: float | None
    beta: float | None
    mae: float | None  # the chosen method's backtest error
    backtests: list[BacktestRead]
    options: list[OptionForecastRead]


class OptionVolumeRead(Named):
    family: str
    vehicles: float


class PartVolumeRead(BaseModel):
    part_number: str
    name_zh: str
    name_en: str
    unit: str
    quantity: float


class KindMinutesRead(BaseModel):
    kind: str
    minutes: float
    work_centres: int
    minutes_per_work_centre: float | None


class VolumeRead(BaseModel):
    model_code: str | None
    period: date
    vehicles: int
    vehicles_basis: str  # "given", or how the default was worked out
    method: str
    mae: float | None
    configurations: int  # distinct recent configurations reweighted
    largest_gap: float  # the largest share the reweighting could not match
    unexploded: int  # configurations the BOM refused (e.g. an option since discontinued): they add no parts
    options: list[OptionVolumeRead]
    parts: list[PartVolumeRead]
    minutes: list[KindMinutesRead]

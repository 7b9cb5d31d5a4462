"""Twelve weeks of simulated consumer orders of the demo vehicle, and how the plant built them. Pure: no database.

Demand: about 25 orders a week, growing by 3 % a week, placed in the daytime and more at weekends, from the
provinces roughly as China's electric-car market is spread. Each buyer picks a few headline options (trim,
battery, drive, paint, driver assistance, seats, wheels, roof) and some extras; the configurator completes the rest
at the lowest price, so every configuration is valid. The mix moves: city NOA goes from about one buyer in ten to
one in three over the weeks, and buyers in the cold north take the cold-climate package and the heat pump.

Production: one to two days after an order is placed its operations run in routing order, each on the work centre of
its kind that is free first, for exactly the routing's minutes; a work centre does one thing at a time. The last
operation's end is the quality check, and the car ships a day later (as ``c2m.progress`` ships them). What lies
after ``now`` is planned but has not happened: those orders are scheduled or in production, and the newest few are
only confirmed, waiting for the planner.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

from zhizao.c2m.models import OrderStatus
from zhizao.c2m.product.condition import parse_condition
from zhizao.c2m.product.configurator import configurator_for
from zhizao.c2m.product.model import ProductModel
from zhizao.c2m.product.results import ConfigurationRefused
from zhizao.c2m.regions import Region

WEEKS = 12
ORDERS_PER_WEEK = 25.0
WEEKLY_GROWTH = 1.03
UNPLANNED = 3  # the newest orders, still waiting for the planner
SHIP_AFTER = timedelta(days=1)
NORTH = frozenset({Region.HEILONGJIANG, Region.JILIN, Region.LIAONING, Region.INNER_MONGOLIA, Region.XINJIANG})
REGION_WEIGHTS: dict[Region, float] = {
    Region.GUANGDONG: 14, Region.ZHEJIANG: 10, Region.JIANGSU: 10, Region.SHANGHAI: 9, Region.BEIJING: 7,
    Region.SHANDONG: 6, Region.SICHUAN: 5, Region.HENAN: 5, Region.HUBEI: 4, Region.FUJIAN: 4, Region.HUNAN: 3,
    Region.ANHUI: 3, Region.HEBEI: 3, Region.CHONGQING: 3, Region.TIANJIN: 2, Region.SHAANXI: 2, Region.LIAONING: 2,
    Region.GUANGXI: 2, Region.YUNNAN: 2, Region.JIANGXI: 2, Region.HEILONGJIANG: 1, Region.JILIN: 1,
    Region.INNER_MONGOLIA: 1, Region.XINJIANG: 1, Region.SHANXI: 1, Region.GUIZHOU: 1, Region.HAINAN: 1,
}  # fmt: skip
# The headline choices, each family with its options' shares.
HEADLINES: dict[str, dict[str, float]] = {
    "TRIM": {"TRIM_STD": 35, "TRIM_PRO": 47, "TRIM_PERF": 18},
    "BATTERY": {"BAT_66": 30, "BAT_82": 45, "BAT_100": 25},
    "DRIVE": {"DRIVE_RWD": 55, "DRIVE_AWD": 45},
    "PAINT": {"PAINT_WHITE": 30, "PAINT_BLACK": 18, "PAINT_GREY": 20, "PAINT_BLUE": 13, "PAINT_RED": 11,
              "PAINT_GREEN": 8},
    "SEATS": {"SEATS_5": 70, "SEATS_6": 12, "SEATS_7": 18},
    "WHEELS": {"WHEEL_19": 50, "WHEEL_20": 35, "WHEEL_21": 15},
    "ROOF": {"ROOF_SOLID": 25, "ROOF_PANO": 55, "ROOF_SMART": 20},
}  # fmt: skip
EXTRAS: dict[str, float] = {
    "HUD_AR": 0.25, "TOW_HITCH": 0.08, "RACK_BARS": 0.12, "WALLBOX_7": 0.35, "SEAT_HEAT_FRONT": 0.5,
    "UPH_NAPPA": 0.2, "AUDIO_14": 0.3, "LIGHT_MATRIX": 0.25, "PARK_AUTO": 0.3, "TAIL_POWER": 0.4,
}  # fmt: skip


@dataclass(frozen=True)
class Step:
    seq: int
    code: str
    kind: str
    minutes: int


@dataclass
class SimulatedOperation:
    step: Step
    centre: int | None = None  # index into the work centres
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class SimulatedOrder:
    created_at: datetime
    region: Region
    chosen: tuple[str, ...]
    operations: list[SimulatedOperation]
    events: list[tuple[OrderStatus, str | None, datetime]] = field(default_factory=list)
    status: OrderStatus = OrderStatus.CONFIRMED
    station: str | None = None


@dataclass(frozen=True)
class Centre:
    kind: str
    station: str


def arrivals(rng: random.Random, now: datetime, zone: tzinfo) -> list[datetime]:
    """Order times over the last ``WEEKS`` weeks, oldest first: local daytime, 8:00 to 23:00."""
    times = []
    today = now.astimezone(zone).date()
    for back in range(WEEKS * 7, -1, -1):
        day = today - timedelta(days=back)
        weeks_in = (WEEKS * 7 - back) / 7
        rate = ORDERS_PER_WEEK * WEEKLY_GROWTH**weeks_in / 7 * (1.5 if day.weekday() >= 5 else 0.8)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        for _ in range(_poisson(rng, rate)):
            at = (midnight + timedelta(seconds=rng.randint(8 * 3600, 23 * 3600))).astimezone(UTC)
            if at < now:
                times.append(at)
    return sorted(times)


def _poisson(rng: random.Random, rate: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < rate:
        count += 1
        total += rng.expovariate(1.0)
    return count


def preferences(rng: random.Random, region: Region, progress: float) -> list[str]:
    """What one buyer asks for; ``progress`` runs from 0 (twelve weeks ago) to 1 (now)."""
    picked = [_draw(rng, shares) for shares in HEADLINES.values()]
    # What each trim allows, as a buyer reads it in the brochure (the configurator would refuse the rest).
    if "TRIM_PERF" in picked:
        picked = [code for code in picked if code not in ("DRIVE_RWD", "BAT_66")]
    elif "TRIM_STD" in picked:
        picked = [code for code in picked if code not in ("BAT_100", "SEATS_6", "WHEEL_21", "ROOF_SMART")]
    city = 0.1 + 0.23 * progress
    picked.append(_draw(rng, {"ADAS_CITY": city, "ADAS_NOA": 0.35, "ADAS_L2": 0.65 - city}))
    picked += [code for code, share in EXTRAS.items() if rng.random() < share]
    if region in NORTH:
        picked += [code for code in ("COLD_CLIMATE", "HEAT_PUMP") if rng.random() < 0.8]
    return picked


def _draw(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


class Configurations:
    """Completions and routings of one model, each worked out once (buyers often want the same)."""

    def __init__(self, model: ProductModel) -> None:
        self.model = model
        self.configurator = configurator_for(model)
        self._complete: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._routing: dict[tuple[str, ...], tuple[Step, ...]] = {}

    def configuration(self, wanted: Sequence[str]) -> tuple[str, ...]:
        """The cheapest valid configuration with as many of ``wanted`` as fit (the last ones give way first)."""
        kept = tuple(wanted)
        while kept not in self._complete:
            try:
                self._complete[kept] = self.configurator.complete(list(kept)).chosen
            except ConfigurationRefused as refused:
                # Give up the latest wish among those the broken rules name (an innocent extra stays).
                named = {code for explanation in refused.explanations for code in explanation.options}
                drop = next((index for index in reversed(range(len(kept))) if kept[index] in named), len(kept) - 1)
                kept = kept[:drop] + kept[drop + 1 :]
        return self._complete[kept]

    def routing(self, chosen: tuple[str, ...]) -> tuple[Step, ...]:
        """The routing of a valid configuration, as ``bom.explode`` works it out (its BOM is not needed here)."""
        if chosen not in self._routing:
            picked = frozenset(chosen)
            steps = []
            for op in sorted(self.model.routing, key=lambda op: op.sequence):
                if op.condition is None or parse_condition(op.condition).holds(picked):
                    extra = sum((more.minutes for more in op.extra_minutes if more.option in picked), Decimal(0))
                    minutes = math.ceil(op.base_minutes + extra)
                    if minutes > 0:
                        steps.append(Step(op.sequence, op.code, op.equipment_type, minutes))
            self._routing[chosen] = tuple(steps)
        return self._routing[chosen]


def simulate(
    rng: random.Random, model: ProductModel, centres: Sequence[Centre], now: datetime, zone: tzinfo
) -> list[SimulatedOrder]:
    """The orders of the last twelve weeks and their production up to ``now``."""
    times = arrivals(rng, now, zone)
    regions, weights = list(REGION_WEIGHTS), list(REGION_WEIGHTS.values())
    known = Configurations(model)
    orders = []
    for index, created_at in enumerate(times):
        region = rng.choices(regions, weights=weights)[0]
        chosen = known.configuration(preferences(rng, region, index / max(1, len(times) - 1)))
        operations = [SimulatedOperation(step) for step in known.routing(chosen)]
        orders.append(SimulatedOrder(created_at, region, chosen, operations))
    free = [now - timedelta(weeks=WEEKS + 1)] * len(centres)
    for order in orders[: len(orders) - UNPLANNED]:
        _produce(rng, order, centres, free)
    for order in orders:
        _history(order, centres, now)
    return orders


def _produce(rng: random.Random, order: SimulatedOrder, centres: Sequence[Centre], free: list[datetime]) -> None:
    """Each operation on the first free work centre of its kind, in routing order, back to back at best."""
    ready = order.created_at + timedelta(hours=rng.uniform(20, 44))
    for op in order.operations:
        fitting = [index for index, centre in enumerate(centres) if centre.kind == op.step.kind]
        chosen = min(fitting, key=lambda index: free[index])
        op.centre, op.start = chosen, max(ready, free[chosen])
        op.end = op.start + timedelta(minutes=op.step.minutes)
        free[chosen] = ready = op.end


def _history(order: SimulatedOrder, centres: Sequence[Centre], now: datetime) -> None:
    """The timeline up to ``now``; operations that have not started or finished by then lose those times."""
    order.events.append((OrderStatus.CONFIRMED, None, order.created_at))
    if not order.operations or order.operations[0].start is None:
        return
    scheduled_at = order.created_at + timedelta(minutes=2)  # the planner runs every minute
    order.events.append((OrderStatus.SCHEDULED, None, min(scheduled_at, now)))
    order.status = OrderStatus.SCHEDULED
    for op in order.operations:
        assert op.start is not None and op.centre is not None
        if op.start > now:
            break
        station = centres[op.centre].station
        if station != order.station:
            order.events.append((OrderStatus.IN_PRODUCTION, station, op.start))
            order.status, order.station = OrderStatus.IN_PRODUCTION, station
    last = order.operations[-1].end
    if last is not None and last <= now:
        order.events.append((OrderStatus.QUALITY_CHECKED, None, last))
        order.status, order.station = OrderStatus.QUALITY_CHECKED, None
        if last + SHIP_AFTER <= now:
            order.events.append((OrderStatus.SHIPPED, None, last + SHIP_AFTER))
            order.status = OrderStatus.SHIPPED

"""Demand analytics over a maker's consumer orders: how popular each option is within its family, which options are
chosen together (pair counts and lift), and how each option's share moves week by week in each region. Pure: the
orders come in as :class:`OrderFacts`, the families from the product model (see :mod:`.analytics_queries`).

Shares are of orders: an option's share is the orders that chose it over all orders, so the shares of a family
where exactly one is chosen add up to 1, those of an optional family to 1 less the orders that chose none, and
those of a family where several may be chosen to anything up to its maximum.

Lift of a pair = P(a and b) / (P(a) · P(b)) = n_ab · N / (n_a · n_b): 1 when the two are chosen independently,
above 1 when they go together more often than chance, below when they avoid each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import numpy as np


@dataclass(frozen=True, slots=True)
class OrderFacts:
    chosen: frozenset[str]
    region: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FamilyInfo:
    code: str
    min_choices: int
    max_choices: int
    options: tuple[str, ...]

    @property
    def single(self) -> bool:
        """At most one option is chosen: its shares (and "none", when optional) add up to 1."""
        return self.max_choices == 1


@dataclass(frozen=True, slots=True)
class OptionShare:
    option: str
    orders: int
    share: float


@dataclass(frozen=True, slots=True)
class FamilyShares:
    family: str
    orders: int
    options: tuple[OptionShare, ...]
    none: int  # orders that chose no option of the family


@dataclass(frozen=True, slots=True)
class Pair:
    first: str
    second: str
    orders: int
    support: float  # share of all orders with both
    lift: float


@dataclass(frozen=True, slots=True)
class RegionTrend:
    region: str
    orders: tuple[int, ...]  # per week
    shares: tuple[float | None, ...]  # per week; None where the region had no order that week


@dataclass(frozen=True, slots=True)
class Trend:
    option: str
    weeks: tuple[date, ...]  # Mondays, local time
    overall: RegionTrend  # every region together (region "")
    regions: tuple[RegionTrend, ...]


def week_of(moment: datetime, zone: tzinfo) -> date:
    """The Monday of the local week the moment falls in."""
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def popularity(orders: Sequence[OrderFacts], families: Sequence[FamilyInfo]) -> list[FamilyShares]:
    total = len(orders)
    result = []
    for family in families:
        counts = dict.fromkeys(family.options, 0)
        none = 0
        for order in orders:
            hit = [code for code in family.options if code in order.chosen]
            for code in hit:
                counts[code] += 1
            none += not hit
        shares = tuple(OptionShare(code, n, n / total if total else 0.0) for code, n in counts.items())
        result.append(FamilyShares(family.code, total, shares, none))
    return result


def co_occurrence(
    orders: Sequence[OrderFacts], options: Sequence[str], *, min_orders: int = 1, limit: int = 20
) -> list[Pair]:
    """The pairs of ``options`` chosen together by at least ``min_orders`` orders: the top ``limit`` by lift, then
    by count."""
    if not orders or len(options) < 2:
        return []
    index = {code: i for i, code in enumerate(options)}
    chosen = np.zeros((len(orders), len(options)), dtype=np.int64)
    for row, order in enumerate(orders):
        for code in order.chosen:
            if code in index:
                chosen[row, index[code]] = 1
    together = chosen.T @ chosen  # together[a, b]: orders with both; the diagonal: orders with each
    singles = np.diag(together)
    total = len(orders)
    pairs = []
    first, second = np.triu_indices(len(options), k=1)
    for a, b in zip(first.tolist(), second.tolist(), strict=True):
        both = int(together[a, b])
        if both < max(1, min_orders):
            continue
        lift = both * total / (int(singles[a]) * int(singles[b]))
        pairs.append(Pair(options[a], options[b], both, both / total, lift))
    pairs.sort(key=lambda pair: (-pair.lift, -pair.orders, pair.first, pair.second))
    return pairs[:limit]


def weekly_trend(orders: Sequence[OrderFacts], option: str, weeks: Sequence[date], zone: tzinfo) -> Trend:
    """Per week and region, the share of that region's orders that chose ``option``."""
    position = {week: i for i, week in enumerate(weeks)}
    totals: dict[str, list[int]] = {}
    hits: dict[str, list[int]] = {}
    for order in orders:
        i = position.get(week_of(order.created_at, zone))
        if i is None:
            continue
        for region in ("", order.region):
            totals.setdefault(region, [0] * len(weeks))[i] += 1
            hits.setdefault(region, [0] * len(weeks))[i] += option in order.chosen
    overall = _region_trend("", totals.get("", [0] * len(weeks)), hits.get("", [0] * len(weeks)))
    regions = tuple(_region_trend(region, totals[region], hits[region]) for region in sorted(totals) if region)
    return Trend(option, tuple(weeks), overall, regions)


def _region_trend(region: str, totals: Sequence[int], hits: Sequence[int]) -> RegionTrend:
    shares = tuple(hit / total if total else None for hit, total in zip(hits, totals, strict=True))
    return RegionTrend(region, tuple(totals), shares)


def weekly_share_matrix(
    orders: Sequence[OrderFacts], columns: Sequence[tuple[FamilyInfo, str | None]], weeks: Sequence[date], zone: tzinfo
) -> tuple[np.ndarray, np.ndarray]:
    """(shares, orders): shares[w, c] of week w's orders that chose column c's option (for a column whose option is
    None, that chose none of its family); orders[w] per week. A week without orders has shares of NaN."""
    position = {week: i for i, week in enumerate(weeks)}
    counts = np.zeros((len(weeks), len(columns)))
    per_week = np.zeros(len(weeks))
    for order in orders:
        i = position.get(week_of(order.created_at, zone))
        if i is None:
            continue
        per_week[i] += 1
        for c, (family, code) in enumerate(columns):
            if code is None:
                counts[i, c] += not any(option in order.chosen for option in family.options)
            else:
                counts[i, c] += code in order.chosen
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / per_week[:, None]
    return shares, per_week


def forecast_columns(families: Sequence[FamilyInfo]) -> list[tuple[FamilyInfo, str | None]]:
    """Every option, and for each optional single-choice family its "none" (so that the family adds up to 1)."""
    columns: list[tuple[FamilyInfo, str | None]] = []
    for family in families:
        columns.extend((family, code) for code in family.options)
        if family.single and family.min_choices == 0:
            columns.append((family, None))
    return columns


def families_from_definition(definition: Mapping[str, object]) -> list[FamilyInfo]:
    """The option families of a stored product model definition (the JSON of ``ProductModel``)."""
    families = definition.get("families")
    result = []
    for family in families if isinstance(families, list) else []:
        if not isinstance(family, dict):
            continue
        options = family.get("options")
        codes = tuple(
            str(option["code"]) for option in (options if isinstance(options, list) else []) if isinstance(option, dict)
        )
        result.append(
            FamilyInfo(
                str(family.get("code", "")), int(family.get("min_choices", 1)), int(family.get("max_choices", 1)), codes
            )
        )
    return result

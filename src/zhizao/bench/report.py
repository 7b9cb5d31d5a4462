"""Figures → tables and JSON. Pure: quantiles from Prometheus histogram buckets, units, rich tables."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any


def merge_buckets(histograms: Iterable[Mapping[float, float]]) -> dict[float, float]:
    """Cumulative bucket counts (upper bound → count, ``math.inf`` included) summed over several histograms."""
    merged: dict[float, float] = {}
    for histogram in histograms:
        for bound, count in histogram.items():
            merged[bound] = merged.get(bound, 0.0) + count
    return dict(sorted(merged.items()))


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The ``q`` quantile of cumulative ``buckets``, interpolated linearly inside its bucket, as Prometheus's
    ``histogram_quantile`` does (the lowest bucket from 0; a rank in the +Inf bucket gives the highest finite bound).
    None without observations."""
    if not 0 <= q <= 1:
        raise ValueError("q is between 0 and 1")
    ordered = sorted(buckets.items())
    total = ordered[-1][1] if ordered else 0.0
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, cumulative in ordered:
        if cumulative >= rank:
            if math.isinf(bound):
                return lower
            if cumulative == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (cumulative - below)
        lower, below = bound, cumulative
    return lower


def fraction_within(limit: float, buckets: Mapping[float, float]) -> float | None:
    """The share of observations at or below ``limit``, which must be a bucket bound."""
    ordered = dict(sorted(buckets.items()))
    total = max(ordered.values(), default=0.0)
    if total <= 0:
        return None
    if limit not in ordered:
        raise ValueError(f"{limit} is not a bucket bound")
    return ordered[limit] / total


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0…1) of ``values`` by linear interpolation between order statistics."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}/s"


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 0.01:
        return f"{value * 1000:.2f} ms"
    if value < 1:
        return f"{value * 1000:,.1f} ms"
    return f"{value:,.2f} s"


def mebibytes(value: float | None) -> str:
    return "–" if value is None else f"{value / 1024 / 1024:,.0f} MiB"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def json_line(kind: str, result: Any) -> str:
    """One line of JSON for the record: ``{"bench": kind, …fields}`` (a result's own ``as_dict()`` when it has
    one, e.g. to include derived figures)."""
    as_dict = getattr(result, "as_dict", None)
    if callable(as_dict):
        return json.dumps({"bench": kind, **as_dict()}, default=str, separators=(",", ":"))
    fields = asdict(result) if is_dataclass(result) and not isinstance(result, type) else dict(result)
    return json.dumps({"bench": kind, **fields}, default=str, separators=(",", ":"))

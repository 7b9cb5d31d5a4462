"""The alarm-rate and alarm-flood metrics of ANSI/ISA-18.2-2016 (alarm performance monitoring) and EEMUA 191. Pure.

The operator's load is counted in fixed 10-minute windows, per operator position — here any key the caller picks
(an enterprise, an area, a console). Only activations count: alarms newly shown to the operator
(``AlarmTransition.is_activation``), not acknowledgements, clears or shelving.

Benchmarks (ISA-18.2 alarm performance metrics, EEMUA 191):

=========================================  ===============================================
average alarms per 10 minutes              ~1 very likely acceptable, ~2 maximum manageable
10-minute windows with more than 10        under ~1 % of windows (alarm flood)
=========================================  ===============================================

A flood is often defined as starting above 10 alarms in 10 minutes and ending below 5; on fixed windows this
module counts the windows above the threshold, the usual approximation in alarm-performance reports.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

from zhizao.errors import InputError

K = TypeVar("K", bound=Hashable)

WINDOW_S = 600  # ten minutes
FLOOD_THRESHOLD = 10  # more than this many activations in one window is a flood
ACCEPTABLE_PER_10_MIN = 1.0
MANAGEABLE_PER_10_MIN = 2.0
_US_PER_S = 1_000_000


class AlarmLoad(StrEnum):
    """The average rate against the ISA-18.2 benchmark."""

    ACCEPTABLE = "acceptable"  # ≤ 1 per 10 min
    MANAGEABLE = "manageable"  # ≤ 2 per 10 min
    OVERLOADED = "overloaded"  # more


class FloodSummary(BaseModel):
    """One operator position's activations over a period of whole windows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    windows: int
    activations: int
    counts: tuple[int, ...]  # activations per window, in time order
    average_per_window: float
    average_per_10_min: float  # what the benchmarks are stated in, whatever the window
    max_per_window: int
    flood_windows: int  # windows with more than ``flood_threshold`` activations
    flood_share: float  # flood_windows / windows, 0..1
    load: AlarmLoad  # from average_per_10_min


def flood_summary(
    activations: Iterable[tuple[K, int]],
    *,
    start_us: int,
    end_us: int,
    keys: Iterable[K] = (),
    window_s: int = WINDOW_S,
    flood_threshold: int = FLOOD_THRESHOLD,
) -> dict[K, FloodSummary]:
    """Per key, the activations ``(key, ts_us)`` in ``[start_us, end_us)`` counted in windows of ``window_s``
    starting at ``start_us``. The period must be a whole number of windows (InputError otherwise); activations
    outside it are left out. ``keys`` adds positions that had no activation (they get all-zero summaries)."""
    if window_s <= 0:
        raise InputError.for_field("window_s", "must be positive")
    window_us = window_s * _US_PER_S
    if flood_threshold < 0:
        raise InputError.for_field("flood_threshold", "must not be negative")
    span = end_us - start_us
    if span <= 0:
        raise InputError.for_field("end_us", "must be after start_us")
    if span % window_us:
        raise InputError.for_field("end_us", f"the period must be a whole number of {window_s} s windows")
    windows = span // window_us
    counts: dict[K, list[int]] = {key: [0] * windows for key in keys}
    for key, ts_us in activations:
        if start_us <= ts_us < end_us:
            per_key = counts.get(key)
            if per_key is None:
                per_key = counts[key] = [0] * windows
            per_key[(ts_us - start_us) // window_us] += 1
    return {key: _summary(per_window, window_s, flood_threshold) for key, per_window in counts.items()}


def _summary(counts: list[int], window_s: int, flood_threshold: int) -> FloodSummary:
    total = sum(counts)
    average = total / len(counts)
    per_10_min = total * WINDOW_S / (len(counts) * window_s)
    floods = sum(1 for count in counts if count > flood_threshold)
    if per_10_min <= ACCEPTABLE_PER_10_MIN:
        load = AlarmLoad.ACCEPTABLE
    elif per_10_min <= MANAGEABLE_PER_10_MIN:
        load = AlarmLoad.MANAGEABLE
    else:
        load = AlarmLoad.OVERLOADED
    return FloodSummary(
        windows=len(counts),
        activations=total,
        counts=tuple(counts),
        average_per_window=average,
        average_per_10_min=per_10_min,
        max_per_window=max(counts),
        flood_windows=floods,
        flood_share=floods / len(counts),
        load=load,
    )

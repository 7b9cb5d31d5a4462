"""A deliberately simple, slow re-statement of the time model, to check the vectorised engine against.

It walks elementary intervals between every edge there is (spans, shifts, planned downtime, local midnights)
and asks, for each, the questions the rules in ``zhizao.production.timemodel`` ask, one at a time. It shares no
code with the engine beyond the input types and ``Totals``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from zhizao.production.calendar import CalendarWindows
from zhizao.production.counts import CountRecord
from zhizao.production.ledger import Span
from zhizao.production.totals import Totals
from zhizao.telemetry.machinery import MachineryItemState as State
from zhizao.telemetry.machinery import OperationMode as Mode


def _base(span: Span) -> str:
    if span.state in (State.NOT_AVAILABLE, State.OUT_OF_SERVICE) or span.mode == Mode.MAINTENANCE:
        return "down"
    if span.state == State.NOT_EXECUTING:
        return "delay"
    return "setup" if span.mode == Mode.SETUP else "production"


def _local_day(zone: ZoneInfo, ts_us: int) -> date:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ts_us)).astimezone(zone).date()


def _midnights(zone: ZoneInfo, start_us: int, end_us: int) -> list[int]:
    day = _local_day(zone, start_us)
    edges = []
    while True:
        day += timedelta(days=1)
        moment = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        edge = round((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)
        if edge >= end_us:
            return edges
        edges.append(edge)


def _runs(spans: Sequence[Span]) -> dict[int, tuple[int, int]]:
    """For each span (by position in time order): the (start, length) of the run of touching same-kind spans."""
    ordered = sorted(spans, key=lambda span: span.start_us)
    result: dict[int, tuple[int, int]] = {}
    index = 0
    while index < len(ordered):
        last = index
        while (
            last + 1 < len(ordered)
            and ordered[last + 1].start_us == ordered[last].end_us
            and _base(ordered[last + 1]) == _base(ordered[index])
        ):
            last += 1
        begin = ordered[index].start_us
        for member in range(index, last + 1):
            result[id(ordered[member])] = (begin, ordered[last].end_us - begin)
        index = last + 1
    return result


def naive_daily_totals(
    spans: Sequence[Span],
    windows: CalendarWindows,
    counts: Sequence[CountRecord],
    pru_us: Mapping[str, int],
    micro_stop_us: int,
) -> dict[date, Totals]:
    zone = ZoneInfo(windows.timezone)
    edges = {windows.start_us, windows.end_us, *_midnights(zone, windows.start_us, windows.end_us)}
    for span in spans:
        edges.update(edge for edge in (span.start_us, span.end_us) if windows.start_us < edge < windows.end_us)
    for shift in windows.shifts:
        edges.update((shift.start_us, shift.end_us))
    for window in windows.planned_downtime:
        edges.update((window.start_us, window.end_us))
    runs = _runs(spans)
    sums: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ordered = sorted(edges)
    for low, high in itertools.pairwise(ordered):
        shift = next((item for item in windows.shifts if item.start_us <= low < item.end_us), None)
        day = shift.local_date if shift is not None else _local_day(zone, low)
        bucket = sums[day]
        bucket["calendar_us"] += high - low
        if shift is None:
            continue
        bucket["pot_us"] += high - low
        if any(window.start_us <= low < window.end_us for window in windows.planned_downtime):
            bucket["pdot_us"] += high - low
            continue
        span = next((item for item in spans if item.start_us <= low < item.end_us), None)
        if span is None:
            bucket["unknown_us"] += high - low
            continue
        kind = _base(span)
        if kind == "delay":
            bucket["adet_us"] += high - low
            if runs[id(span)][1] < micro_stop_us:
                bucket["micro_us"] += high - low
        else:
            bucket[{"down": "adot_us", "setup": "aust_us", "production": "apt_us"}[kind]] += high - low
    for span in spans:
        run_start, _ = runs[id(span)]
        if _base(span) != "down" or span.start_us != run_start or not windows.start_us <= run_start < windows.end_us:
            continue
        shift = next((item for item in windows.shifts if item.start_us <= run_start < item.end_us), None)
        planned = any(window.start_us <= run_start < window.end_us for window in windows.planned_downtime)
        if shift is not None and not planned:
            sums[shift.local_date]["failures"] += 1
    for record in counts:
        if not windows.start_us <= record.ts_us < windows.end_us:
            continue
        shift = next((item for item in windows.shifts if item.start_us <= record.ts_us < item.end_us), None)
        bucket = sums[shift.local_date if shift is not None else _local_day(zone, record.ts_us)]
        produced = record.good + record.scrap + record.rework
        bucket["pq"] += produced
        bucket["gq"] += record.good
        bucket["sq"] += record.scrap
        bucket["rq"] += record.rework
        if record.product_code in pru_us:
            bucket["pru_pq_us"] += pru_us[record.product_code] * produced
            bucket["pru_gq_us"] += pru_us[record.product_code] * record.good
        else:
            bucket["unknown_pru_pq"] += produced
    return {day: Totals(**values) for day, values in sorted(sums.items())}

"""``zhizao bench oee``: daily ISO 22400-2 totals for a fleet over a year, in one go and one day incrementally.

The state ledger of each machine is generated (seeded, so runs compare): a two-shift calendar with Chinese public
holidays, every machine alternating production, setup, delays, micro-stops and breakdowns, with a count record
every few minutes of production. The benchmark times the vectorised path (``timemodel.daily_totals_many``) on the
whole year, then on one day as the sync job recomputes it, and the one-equipment path (``timemodel.evaluate``) on a
sample, so the two are compared side by side in one run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from zhizao.production.calendar import CalendarWindows, WorkCalendar, expand, local_midnight_us
from zhizao.production.counts import CountRecord
from zhizao.production.ledger import Span
from zhizao.production.timemodel import (
    Bucketing,
    CountArrays,
    IntervalArrays,
    base_categories,
    daily_totals_many,
    evaluate,
)
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

I64 = NDArray[np.int64]
SECOND_US = 1_000_000
PRODUCTS = 4
PRU_US = 58 * SECOND_US  # every product's planned run time per unit (cycles average 60 s)
PRU_BY_CODE = {f"P{product}": PRU_US for product in range(PRODUCTS)}
MICRO_STOP_US = 120 * SECOND_US
# (state, mode, mean duration in seconds, weight): what a machine does between changes.
ACTIVITIES = (
    (MachineryItemState.EXECUTING, OperationMode.PROCESSING, 1500, 0.55),
    (MachineryItemState.EXECUTING, OperationMode.SETUP, 900, 0.08),
    (MachineryItemState.NOT_EXECUTING, OperationMode.PROCESSING, 400, 0.20),
    (MachineryItemState.NOT_EXECUTING, OperationMode.PROCESSING, 60, 0.12),
    (MachineryItemState.OUT_OF_SERVICE, OperationMode.MAINTENANCE, 2400, 0.05),
)


# Three shifts, seven days, with a 30-minute break per shift: the generated machines run around the clock.
FLEET_CALENDAR = WorkCalendar.model_validate(
    {
        "shifts": [
            {"name": name, "start": start, "end": end, "breaks": [{"start": pause, "end": resume}]}
            for name, start, end, pause, resume in (
                ("A", "00:00", "08:00", "04:00", "04:30"),
                ("B", "08:00", "16:00", "12:00", "12:30"),
                ("C", "16:00", "00:00", "20:00", "20:30"),
            )
        ],
        "weekdays": list(range(7)),
        "public_holidays": "none",
    }
)


@dataclass(frozen=True, slots=True)
class OeeBenchOptions:
    machines: int = 1_000
    days: int = 365
    first_day: date = date(2025, 1, 1)
    seed: int = 22400
    sample_machines: int = 20  # for the one-equipment path


@dataclass(frozen=True, slots=True)
class OeeBenchResult:
    machines: int
    days: int
    intervals: int
    count_records: int
    generate_s: float
    year_s: float
    day_s: float
    per_equipment_sample: int
    per_equipment_s: float  # for the sample
    buckets: int
    oee_fleet: float | None

    @property
    def per_equipment_extrapolated_s(self) -> float:
        return self.per_equipment_s * self.machines / self.per_equipment_sample

    @property
    def intervals_per_s(self) -> float:
        return self.intervals / self.year_s


@dataclass(frozen=True, slots=True)
class Fleet:
    intervals: IntervalArrays
    counts: CountArrays
    states: I64
    modes: I64


def generate(options: OeeBenchOptions, start_us: int, end_us: int) -> Fleet:
    """A seeded ledger of every machine over [start_us, end_us): contiguous intervals, sorted by machine."""
    rng = np.random.default_rng(options.seed)
    weights = np.array([activity[3] for activity in ACTIVITIES])
    means = np.array([activity[2] for activity in ACTIVITIES], dtype=np.float64) * SECOND_US
    mean_interval = float((weights / weights.sum() * means).sum())
    per_machine = int((end_us - start_us) / mean_interval * 1.2) + 16
    equipment, starts, ends, kinds = [], [], [], []
    for machine in range(options.machines):
        kind = rng.choice(len(ACTIVITIES), size=per_machine, p=weights / weights.sum())
        lengths = np.maximum(rng.exponential(means[kind]).astype(np.int64), SECOND_US)
        edges = start_us + np.concatenate(([0], np.cumsum(lengths)))
        keep = int(np.searchsorted(edges, end_us))
        begin, finish = edges[:keep], np.minimum(edges[1 : keep + 1], end_us)
        equipment.append(np.full(keep, machine, dtype=np.int64))
        starts.append(begin)
        ends.append(finish)
        kinds.append(kind[:keep])
    kind_all = np.concatenate(kinds)
    states = np.array([int(a[0]) for a in ACTIVITIES], dtype=np.int64)[kind_all]
    modes = np.array([int(a[1]) for a in ACTIVITIES], dtype=np.int64)[kind_all]
    intervals = IntervalArrays(
        np.concatenate(equipment), np.concatenate(starts), np.concatenate(ends), base_categories(states, modes)
    )
    # One count record per production interval, at its end: its units made at a 60 s cycle, 2 % scrap.
    producing = np.flatnonzero((states == 3) & (modes == 3))
    good = (intervals.end_us[producing] - intervals.start_us[producing]) // (60 * SECOND_US)
    scrap = rng.binomial(good, 0.02)
    counts = CountArrays(
        intervals.equipment[producing],
        intervals.end_us[producing] - 1,
        (intervals.equipment[producing] % PRODUCTS).astype(np.int64),
        good - scrap,
        scrap,
        np.zeros(len(producing), dtype=np.int64),
    )
    return Fleet(intervals, counts, states, modes)


def _windows(calendar: WorkCalendar, start_us: int, end_us: int) -> CalendarWindows:
    return expand(calendar, (), start_us, end_us)


def _grid(fleet: Fleet, windows: CalendarWindows, machines: int) -> tuple[float, int, float | None]:
    began = time.perf_counter()
    grid = daily_totals_many(
        fleet.intervals,
        fleet.counts,
        [windows],
        calendar_of=np.zeros(machines, dtype=np.int64),
        pru_us=np.full(PRODUCTS, PRU_US, dtype=np.int64),
        micro_stop_us=np.full(machines, MICRO_STOP_US, dtype=np.int64),
        bucketing=Bucketing.DAY,
    )
    elapsed = time.perf_counter() - began
    pbt = int(grid.values["pot_us"].sum() - grid.values["pdot_us"].sum())
    oee = int(grid.values["pru_gq_us"].sum()) / pbt if pbt else None
    return elapsed, len(grid.buckets), oee


def _one_day(fleet: Fleet, day_start: int, day_end: int) -> Fleet:
    """The intervals and counts of one day, as the sync job hands them over (intervals whole)."""
    keep = np.flatnonzero((fleet.intervals.end_us > day_start) & (fleet.intervals.start_us < day_end))
    counted = np.flatnonzero((fleet.counts.ts_us >= day_start) & (fleet.counts.ts_us < day_end))
    i, c = fleet.intervals, fleet.counts
    return Fleet(
        IntervalArrays(i.equipment[keep], i.start_us[keep], i.end_us[keep], i.category[keep]),
        CountArrays(
            c.equipment[counted],
            c.ts_us[counted],
            c.product[counted],
            c.good[counted],
            c.scrap[counted],
            c.rework[counted],
        ),
        fleet.states[keep],
        fleet.modes[keep],
    )


def machine_inputs(fleet: Fleet, machine: int) -> tuple[list[Span], list[CountRecord]]:
    """One machine's ledger and counts in the one-equipment path's types."""
    i, c = fleet.intervals, fleet.counts
    rows = np.flatnonzero(i.equipment == machine)
    spans = [
        Span(
            int(i.start_us[r]),
            int(i.end_us[r]),
            MachineryItemState(int(fleet.states[r])),
            OperationMode(int(fleet.modes[r])),
        )
        for r in rows
    ]
    counted = np.flatnonzero(c.equipment == machine)
    records = [CountRecord(int(c.ts_us[r]), f"P{int(c.product[r])}", int(c.good[r]), int(c.scrap[r])) for r in counted]
    return spans, records


def _per_equipment(fleet: Fleet, windows: CalendarWindows, machines: int) -> float:
    """The one-equipment path (``evaluate``) over the first ``machines`` machines."""
    began = time.perf_counter()
    for machine in range(machines):
        spans, records = machine_inputs(fleet, machine)
        evaluate(spans, windows, records, PRU_BY_CODE, micro_stop_us=MICRO_STOP_US)
    return time.perf_counter() - began


def run_oee(options: OeeBenchOptions) -> OeeBenchResult:
    calendar = FLEET_CALENDAR
    zone = ZoneInfo(calendar.timezone)
    start_us = local_midnight_us(zone, options.first_day)
    end_us = local_midnight_us(zone, options.first_day + timedelta(days=options.days))
    began = time.perf_counter()
    fleet = generate(options, start_us, end_us)
    generate_s = time.perf_counter() - began
    year_windows = _windows(calendar, start_us, end_us)
    year_s, buckets, oee = _grid(fleet, year_windows, options.machines)
    # One working day in the middle of the year, recomputed as the sync job does: evaluated over two days,
    # because a night shift of the day would end on the next.
    day = options.first_day + timedelta(days=options.days // 2)
    day_start, day_end = local_midnight_us(zone, day), local_midnight_us(zone, day + timedelta(days=2))
    day_s, _buckets, _oee = _grid(
        _one_day(fleet, day_start, day_end), _windows(calendar, day_start, day_end), options.machines
    )
    sample = min(options.sample_machines, options.machines)
    per_equipment_s = _per_equipment(fleet, year_windows, sample)
    return OeeBenchResult(
        machines=options.machines,
        days=options.days,
        intervals=len(fleet.intervals.start_us),
        count_records=len(fleet.counts.ts_us),
        generate_s=generate_s,
        year_s=year_s,
        day_s=day_s,
        per_equipment_sample=sample,
        per_equipment_s=per_equipment_s,
        buckets=buckets,
        oee_fleet=oee,
    )

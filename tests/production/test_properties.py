"""Property tests (hypothesis) of the time model and the KPIs over generated calendars, ledgers and counts.

- the engine equals a naive re-statement of the rules (tests/production/naive_model.py), day by day;
- any roll-up (over shifts, days, weeks, months, machines, or random groupings of buckets) gives the same
  Totals, and so the same KPIs, as the raw intervals and counts evaluated in one go;
- evaluating day by day (spans passed whole) adds up to evaluating the whole period;
- OEE = A·E·Q = PRU·GQ/PBT for every single-product case;
- the per-equipment path (``evaluate``) equals the vectorised path (``daily_totals_many``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.production.naive_model import naive_daily_totals
from zhizao.production.calendar import (
    Break,
    CalendarWindows,
    DowntimeKind,
    HolidayRegion,
    PlannedDowntime,
    Shift,
    WorkCalendar,
    expand,
    local_date_of,
    local_midnight_us,
)
from zhizao.production.counts import CountRecord
from zhizao.production.kpi import kpis
from zhizao.production.ledger import Span
from zhizao.production.timemodel import (
    Bucketing,
    BucketKey,
    CountArrays,
    IntervalArrays,
    base_categories,
    daily_totals_many,
    evaluate,
)
from zhizao.production.totals import Totals, total
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
PRODUCTS = {"P": 45_000_000, "Q": 30_000_000}

CALENDARS = [
    WorkCalendar(shifts=(Shift(name="A", start="08:00", end="16:00", breaks=(Break(start="12:00", end="12:30"),)),)),
    WorkCalendar(
        shifts=(
            Shift(name="D", start="08:00", end="20:00", breaks=(Break(start="12:00", end="13:00"),)),
            Shift(name="N", start="20:00", end="08:00", breaks=(Break(start="00:00", end="00:45"),)),
        ),
        weekdays=frozenset(range(6)),
    ),
    WorkCalendar(
        timezone="UTC",
        shifts=(Shift(name="E", start="06:00", end="14:00"), Shift(name="L", start="14:00", end="22:00")),
        public_holidays=HolidayRegion.NONE,
    ),
]
PROFILE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large],
)


@st.composite
def periods(draw: st.DrawFn, calendar: WorkCalendar) -> tuple[int, int]:
    zone = ZoneInfo(calendar.timezone)
    first = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 365)))
    days = draw(st.integers(1, 4))
    return local_midnight_us(zone, first), local_midnight_us(zone, first + timedelta(days=days))


@st.composite
def ledgers(draw: st.DrawFn, start_us: int, end_us: int) -> list[Span]:
    """Spans from a little before the period to a little after it, with gaps, touching runs and edges that
    often fall on whole minutes (where calendar edges are)."""
    spans = []
    cursor = start_us - draw(st.integers(0, 6)) * HOUR_US
    while cursor < end_us + 2 * HOUR_US:
        # Lengths shrink towards long spans, so that small examples have few of them.
        if draw(st.booleans()):
            length = (240 - draw(st.integers(0, 239))) * MINUTE_US
        else:
            length = 3 * HOUR_US - draw(st.integers(0, 3 * HOUR_US - 1))
        if draw(st.integers(0, 9)) == 9:
            cursor += length  # a gap: no data
            continue
        state = draw(st.sampled_from(MachineryItemState))
        mode = draw(st.sampled_from(OperationMode))
        spans.append(Span(cursor, cursor + length, state, mode, draw(st.sampled_from([None, "X", "Y"]))))
        cursor += length
    return spans


@dataclass(frozen=True)
class Case:
    calendar: WorkCalendar
    downtime: list[PlannedDowntime]
    windows: CalendarWindows
    spans: list[Span]
    counts: list[CountRecord]
    micro_stop_us: int

    def evaluate(self, bucketing: Bucketing = Bucketing.DAY) -> dict[BucketKey, Totals]:
        return dict(
            evaluate(
                self.spans, self.windows, self.counts, PRODUCTS, micro_stop_us=self.micro_stop_us, bucketing=bucketing
            )
        )

    def naive(self) -> dict[date, Totals]:
        return naive_daily_totals(self.spans, self.windows, self.counts, PRODUCTS, self.micro_stop_us)


@st.composite
def cases(draw: st.DrawFn, products: tuple[str, ...] = ("P", "Q")) -> Case:
    calendar = draw(st.sampled_from(CALENDARS))
    start_us, end_us = draw(periods(calendar))
    downtime = [
        PlannedDowntime(begin, begin + draw(st.integers(1, 4 * HOUR_US)), draw(st.sampled_from(DowntimeKind)))
        for begin in draw(st.lists(st.integers(start_us, end_us - 1), max_size=3))
    ]
    windows = expand(calendar, downtime, start_us, end_us)
    spans = draw(ledgers(start_us, end_us))
    stamps = draw(st.lists(st.tuples(st.integers(start_us, end_us - 1), st.integers(0, 5)), max_size=8))
    counts = [
        CountRecord(ts, draw(st.sampled_from(products)), draw(st.integers(0, 50)), draw(st.integers(0, 5)), rework)
        for ts, rework in stamps
    ]
    micro_stop_us = draw(st.sampled_from([0, 60_000_000, 10 * MINUTE_US, draw(st.integers(0, HOUR_US))]))
    return Case(calendar, downtime, windows, spans, counts, micro_stop_us)


@PROFILE
@given(cases())
def test_the_engine_follows_the_rules_as_a_naive_walk_does(case: Case) -> None:
    assert {
        key.day: value
        for key, value in evaluate(
            case.spans, case.windows, case.counts, PRODUCTS, micro_stop_us=case.micro_stop_us
        ).items()
    } == case.naive()


@PROFILE
@given(cases(), st.randoms(use_true_random=False))
def test_every_roll_up_equals_the_raw_data_in_one_go(case: Case, shuffler: random.Random) -> None:
    in_one_go = total(list(case.naive().values()))
    for bucketing in Bucketing:
        per_bucket = list(case.evaluate(bucketing).values())
        shuffler.shuffle(per_bucket)
        cut = shuffler.randint(0, len(per_bucket))
        grouped = total([total(per_bucket[:cut]), total(per_bucket[cut:])])
        assert grouped == in_one_go
        assert kpis(grouped) == kpis(in_one_go)


@PROFILE
@given(cases())
def test_day_by_day_adds_up_to_the_whole_period(case: Case) -> None:
    zone = ZoneInfo(case.calendar.timezone)
    day = local_date_of(zone, case.windows.start_us)
    cursor, pieces = case.windows.start_us, []
    while cursor < case.windows.end_us:
        day += timedelta(days=1)
        following = min(local_midnight_us(zone, day), case.windows.end_us)
        # The day's own calendar windows (a night shift of the day before reaches in); the spans that touch the
        # day are passed whole, as an incremental update would read them from the ledger.
        daily = expand(case.calendar, case.downtime, cursor, following)
        touching = [span for span in case.spans if span.end_us > cursor and span.start_us < following]
        pieces += evaluate(touching, daily, case.counts, PRODUCTS, micro_stop_us=case.micro_stop_us).values()
        cursor = following
    assert total(pieces) == total(list(case.evaluate().values()))


@PROFILE
@given(cases(products=("P",)))
def test_oee_is_a_e_q_and_pru_gq_over_pbt_for_one_product(case: Case) -> None:
    per_bucket = list(case.evaluate().values())
    for totals in [*per_bucket, total(per_bucket)]:
        figures = kpis(totals)
        if figures.availability is not None and figures.effectiveness is not None and figures.quality_ratio:
            assert figures.oee is not None and figures.oee_cross_check is not None
            assert figures.oee == figures.oee_cross_check  # exactly: both are the correctly rounded PRU·GQ/PBT
            product = figures.availability * figures.effectiveness * figures.quality_ratio
            assert abs(figures.oee - product) <= 1e-12 * max(1.0, abs(product))
        if totals.pbt_us > 0 and totals.pq == 0:
            assert figures.oee == 0.0


@PROFILE
@given(st.lists(cases(), min_size=1, max_size=4))
def test_the_per_equipment_path_equals_the_vectorised_path(machines: list[Case]) -> None:
    equipment, starts, ends, categories = [], [], [], []
    count_rows: list[tuple[int, int, int, int, int, int]] = []
    products = sorted(PRODUCTS)
    for row, machine in enumerate(machines):
        ordered = sorted(machine.spans, key=lambda span: span.start_us)
        equipment += [row] * len(ordered)
        starts += [span.start_us for span in ordered]
        ends += [span.end_us for span in ordered]
        categories.append(
            base_categories(
                np.array([int(span.state) for span in ordered], dtype=np.int64),
                np.array([int(span.mode) for span in ordered], dtype=np.int64),
            )
        )
        count_rows += [
            (row, record.ts_us, products.index(record.product_code), record.good, record.scrap, record.rework)
            for record in machine.counts
        ]
    columns = np.array(count_rows, dtype=np.int64).reshape(-1, 6).T
    grid = daily_totals_many(
        IntervalArrays(
            np.array(equipment, dtype=np.int64),
            np.array(starts, dtype=np.int64),
            np.array(ends, dtype=np.int64),
            np.concatenate(categories).astype(np.int8),
        ),
        CountArrays(*columns),
        [machine.windows for machine in machines],
        calendar_of=np.arange(len(machines), dtype=np.int64),
        pru_us=np.array([PRODUCTS[code] for code in products], dtype=np.int64),
        micro_stop_us=np.array([machine.micro_stop_us for machine in machines], dtype=np.int64),
    )
    rolled: dict[BucketKey, Totals] = {}
    for row, machine in enumerate(machines):
        alone = machine.evaluate()
        assert grid.per_bucket(row) == alone
        for key, value in alone.items():
            rolled[key] = rolled.get(key, Totals()) + value
    assert grid.rolled_up() == rolled

"""The time model's rules one at a time, bucket keys, and the errors of both paths."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from zhizao.errors import InputError
from zhizao.production.calendar import Shift, WorkCalendar, expand
from zhizao.production.counts import CountRecord
from zhizao.production.ledger import Span
from zhizao.production.timemodel import (
    Bucketing,
    BucketKey,
    CountArrays,
    IntervalArrays,
    TimeCategory,
    base_categories,
    base_category,
    classify,
    daily_totals_many,
    evaluate,
)
from zhizao.telemetry.machinery import MachineryItemState as State
from zhizao.telemetry.machinery import OperationMode as Mode

ZONE = ZoneInfo("Asia/Shanghai")
HOUR = 3_600_000_000
CALENDAR = WorkCalendar(
    shifts=(Shift(name="A", start="08:00", end="16:00"), Shift(name="B", start="16:00", end="24:00"))
)


def at(day: int, hour: int, minute: int = 0) -> int:
    return int(datetime(2024, 5, day, hour, minute, tzinfo=ZONE).timestamp()) * 1_000_000


WINDOWS = expand(CALENDAR, [], at(6, 0), at(8, 0))  # Monday and Tuesday


@pytest.mark.parametrize(
    ("state", "mode", "category"),
    [
        (State.EXECUTING, Mode.PROCESSING, TimeCategory.PRODUCTION),
        (State.EXECUTING, Mode.NONE, TimeCategory.PRODUCTION),
        (State.EXECUTING, Mode.SETUP, TimeCategory.SETUP),
        (State.EXECUTING, Mode.MAINTENANCE, TimeCategory.DOWN),
        (State.NOT_EXECUTING, Mode.PROCESSING, TimeCategory.DELAY),
        (State.NOT_EXECUTING, Mode.SETUP, TimeCategory.DELAY),
        (State.NOT_EXECUTING, Mode.MAINTENANCE, TimeCategory.DOWN),
        (State.OUT_OF_SERVICE, Mode.PROCESSING, TimeCategory.DOWN),
        (State.NOT_AVAILABLE, Mode.NONE, TimeCategory.DOWN),
    ],
)
def test_base_categories(state: State, mode: Mode, category: TimeCategory) -> None:
    assert base_category(state, mode) is category
    assert base_categories(np.array([state]), np.array([mode]))[0] == category


def test_bucket_keys_and_labels() -> None:
    spans = [Span(at(6, 8), at(7, 20), State.EXECUTING, Mode.PROCESSING)]
    counts = [CountRecord(at(6, 3), "P", 5)]  # at 03:00, outside any shift
    shifts = evaluate(spans, WINDOWS, counts, {"P": 1}, micro_stop_us=0, bucketing=Bucketing.SHIFT)
    assert [key.label for key in shifts] == [
        "2024-05-06 off-shift",
        "2024-05-06 A",
        "2024-05-06 B",
        "2024-05-07 off-shift",
        "2024-05-07 A",
        "2024-05-07 B",
    ]
    assert shifts[BucketKey(Bucketing.SHIFT, date(2024, 5, 6))].pq == 5
    assert shifts[BucketKey(Bucketing.SHIFT, date(2024, 5, 7), "B")].apt_us == 4 * HOUR
    months = evaluate(spans, WINDOWS, counts, {"P": 1}, micro_stop_us=0, bucketing=Bucketing.MONTH)
    assert [key.label for key in months] == ["2024-05"]
    weeks = evaluate(spans, WINDOWS, counts, {"P": 1}, micro_stop_us=0, bucketing=Bucketing.WEEK)
    assert list(weeks) == [BucketKey(Bucketing.WEEK, date(2024, 5, 6))] and next(iter(weeks)).label == "2024-W19"


def test_a_micro_stop_is_judged_on_the_whole_stop_even_across_shifts() -> None:
    # a 4-minute stop, 2 minutes in each shift: with a 5-minute threshold both halves are micro-stops
    spans = [Span(at(6, 15, 58), at(6, 16, 2), State.NOT_EXECUTING)]
    day = next(iter(evaluate(spans, WINDOWS, [], {}, micro_stop_us=5 * 60_000_000).values()))
    assert day.adet_us == day.micro_us == 4 * 60_000_000


def test_a_breakdown_is_counted_where_it_begins_in_planned_busy_time() -> None:
    spans = [
        Span(at(6, 6), at(6, 9), State.OUT_OF_SERVICE),  # begins before the shift: down time, no breakdown
        Span(at(6, 10), at(6, 11), State.OUT_OF_SERVICE),
        Span(at(6, 11), at(6, 12), State.NOT_AVAILABLE),  # the same down period continues: still one
        Span(at(6, 23), at(7, 9), State.OUT_OF_SERVICE),  # one breakdown across midnight
    ]
    per_day = list(evaluate(spans, WINDOWS, [], {}, micro_stop_us=0).values())
    assert [day.failures for day in per_day] == [2, 0]
    assert [day.adot_us for day in per_day] == [4 * HOUR, 1 * HOUR]


def test_classify_cuts_spans_at_calendar_edges() -> None:
    pieces = classify([Span(at(6, 7), at(6, 9), State.EXECUTING, Mode.PROCESSING)], WINDOWS, micro_stop_us=0)
    assert [(piece.start_us, piece.end_us, piece.category) for piece in pieces] == [
        (at(6, 7), at(6, 8), TimeCategory.OUTSIDE),
        (at(6, 8), at(6, 9), TimeCategory.PRODUCTION),
    ]


@pytest.mark.parametrize(
    ("spans", "field", "message"),
    [
        ([Span(at(6, 9), at(6, 9), State.EXECUTING)], "intervals[0]", "end after it starts"),
        ([Span(at(6, 9), at(6, 8), State.EXECUTING)], "intervals[0]", "end after it starts"),
        (
            [Span(at(6, 10), at(6, 12), State.EXECUTING), Span(at(6, 9), at(6, 11), State.EXECUTING)],
            "intervals[0]",
            "overlaps intervals[1]",
        ),
    ],
)
def test_bad_spans_name_the_record(spans: list[Span], field: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        evaluate(spans, WINDOWS, [], {}, micro_stop_us=0)
    assert raised.value.fields[0].field == field and message in raised.value.fields[0].message


def _arrays(equipment: list[int], starts: list[int], ends: list[int], categories: list[int]) -> IntervalArrays:
    return IntervalArrays(
        np.array(equipment, dtype=np.int64),
        np.array(starts, dtype=np.int64),
        np.array(ends, dtype=np.int64),
        np.array(categories, dtype=np.int8),
    )


NO_COUNTS = CountArrays(*(np.zeros(0, dtype=np.int64) for _ in range(6)))


@pytest.mark.parametrize(
    ("intervals", "field", "message"),
    [
        (_arrays([1, 0], [at(6, 8), at(6, 9)], [at(6, 9), at(6, 10)], [2, 2]), "intervals[1]", "sorted"),
        (_arrays([0, 0], [at(6, 8), at(6, 8, 30)], [at(6, 9), at(6, 10)], [2, 2]), "intervals[1]", "before"),
        (_arrays([0], [at(6, 8)], [at(6, 9)], [7]), "intervals[0]", "base time category"),
        (_arrays([3], [at(6, 8)], [at(6, 9)], [2]), "intervals[0]", "equipment index"),
    ],
)
def test_the_vectorised_path_refuses_bad_arrays(intervals: IntervalArrays, field: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        daily_totals_many(
            intervals,
            NO_COUNTS,
            [WINDOWS],
            calendar_of=np.zeros(2, dtype=np.int64),
            pru_us=np.zeros(0, dtype=np.int64),
            micro_stop_us=np.zeros(2, dtype=np.int64),
        )
    assert raised.value.fields[0].field == field and message in raised.value.fields[0].message

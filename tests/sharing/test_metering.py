"""Billable time from the state ledger: hand-computed reference cases."""

from __future__ import annotations

import pytest

from zhizao.errors import InputError
from zhizao.production.ledger import Span
from zhizao.sharing.metering import (
    ExclusionReason,
    Interval,
    OwnerExclusion,
    billable,
    intersect,
    setups,
    split_at,
    subtract,
    union,
)
from zhizao.telemetry.machinery import MachineryItemState as S
from zhizao.telemetry.machinery import OperationMode as M

H = 3_600_000_000
MIN = 60_000_000
DAY = 24 * H
T0 = 1_709_251_200_000_000 + 3 * DAY  # 2024-03-04 00:00 UTC

# The job of the worked example in docs/sharing-billing.md: 08:00-12:00, a setup, a fault 09:00-09:30.
LEDGER = [
    Span(T0 + 7 * H, T0 + 8 * H, S.NOT_EXECUTING, M.NONE),
    Span(T0 + 8 * H, T0 + 8 * H + 20 * MIN, S.EXECUTING, M.SETUP),
    Span(T0 + 8 * H + 20 * MIN, T0 + 9 * H, S.EXECUTING, M.PROCESSING),
    Span(T0 + 9 * H, T0 + 9 * H + 30 * MIN, S.OUT_OF_SERVICE, M.MAINTENANCE),
    Span(T0 + 9 * H + 30 * MIN, T0 + 13 * H, S.EXECUTING, M.PROCESSING),
]
JOB = [(T0 + 8 * H, T0 + 12 * H)]
FAULT = [OwnerExclusion(T0 + 9 * H, T0 + 9 * H + 30 * MIN, ExclusionReason.FAULT)]


def test_job_across_a_fault_bills_only_the_lessees_processing_time() -> None:
    metered = billable(LEDGER, JOB, FAULT)
    # 08:20-09:00 (40 min) + 09:30-12:00 (150 min); the setup, the fault and 12:00-13:00 after the job are not billed.
    assert metered.billable_us == 190 * MIN
    assert metered.intervals == (
        Interval(T0 + 8 * H + 20 * MIN, T0 + 9 * H),
        Interval(T0 + 9 * H + 30 * MIN, T0 + 12 * H),
    )
    assert metered.owner_downtime_us == 30 * MIN
    assert metered.owner_downtime == (Interval(T0 + 9 * H, T0 + 9 * H + 30 * MIN),)
    assert metered.excluded_processing == ()


def test_processing_inside_an_owner_exclusion_is_not_billed() -> None:
    # The owner runs a test cut 10:00-10:15 under maintenance: the ledger says Processing, the lessee does not pay.
    check = OwnerExclusion(T0 + 10 * H, T0 + 10 * H + 15 * MIN, ExclusionReason.MAINTENANCE)
    metered = billable(LEDGER, JOB, [*FAULT, check])
    assert metered.billable_us == 175 * MIN
    assert metered.excluded_processing == (Interval(T0 + 10 * H, T0 + 10 * H + 15 * MIN),)
    assert metered.owner_downtime_us == 45 * MIN


def test_a_setup_is_counted_once_and_named() -> None:
    assert setups(LEDGER, JOB) == (Interval(T0 + 8 * H, T0 + 8 * H + 20 * MIN),)
    # Two adjacent setup spans (the ledger split on a program change) are one changeover.
    split = [Span(0, 10, S.EXECUTING, M.SETUP, "A"), Span(10, 20, S.EXECUTING, M.SETUP, "B")]
    assert setups(split, [(0, 100)]) == (Interval(0, 20),)


def test_no_job_window_bills_nothing() -> None:
    metered = billable(LEDGER, [], FAULT)
    assert (metered.billable_us, metered.intervals, metered.owner_downtime_us) == (0, (), 0)


def test_overlapping_ledger_spans_are_refused() -> None:
    bad = [Span(0, 10, S.EXECUTING, M.PROCESSING), Span(5, 20, S.EXECUTING, M.PROCESSING)]
    with pytest.raises(InputError) as error:
        billable(bad, [(0, 20)], [])
    assert error.value.fields[0].field == "intervals[1]"


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InputError) as error:
        billable(LEDGER, [(10, 5)], [])
    assert error.value.fields[0].field == "job_windows[0]"


def test_interval_algebra() -> None:
    assert union([(5, 7), (0, 2), (2, 3), (6, 9), (4, 4)]) == [Interval(0, 3), Interval(5, 9)]
    assert intersect([(0, 10)], [(2, 3), (8, 12)]) == [Interval(2, 3), Interval(8, 10)]
    assert subtract([(0, 10)], [(2, 3), (8, 12)]) == [Interval(0, 2), Interval(3, 8)]
    assert split_at([(0, 10), (20, 30)], [5, 20, 25, 40]) == [
        Interval(0, 5),
        Interval(5, 10),
        Interval(20, 25),
        Interval(25, 30),
    ]

"""MTTR, MTBF, availability and the ledger match, against figures worked out by hand."""

from __future__ import annotations

import pytest

from zhizao.errors import InputError
from zhizao.maintenance.workorders.reliability import (
    LedgerSpan,
    RepairInterval,
    RepairSource,
    Status,
    by_failure_mode,
    match_repair,
    operating_us,
    reliability,
)
from zhizao.telemetry.machinery import MachineryItemState as St
from zhizao.telemetry.machinery import OperationMode as Mo

H = 3_600_000_000
PERIOD = (0, 100 * H)


def test_two_failures_by_hand() -> None:
    # Repairs of 2 h and 4 h; 90 h operating. MTTR = 6/2 = 3 h; MTBF = 90/2 = 45 h; A = 90/(90+6) = 0.9375.
    repairs = [RepairInterval(1, 10 * H, 12 * H, "VIB"), RepairInterval(1, 50 * H, 54 * H, "OHE")]
    figures = reliability(repairs, 90 * H, *PERIOD)
    assert (figures.failures, figures.repair_us) == (2, 6 * H)
    assert figures.mttr_h == 3.0
    assert figures.mtbf_h == 45.0
    assert figures.availability == 0.9375
    assert figures.status is Status.OK


def test_overlapping_orders_on_one_breakdown_are_one_failure() -> None:
    repairs = [RepairInterval(1, 10 * H, 12 * H), RepairInterval(1, 11 * H, 13 * H), RepairInterval(1, 13 * H, 14 * H)]
    figures = reliability(repairs, 40 * H, *PERIOD)
    assert (figures.failures, figures.repair_us, figures.mttr_h, figures.mtbf_h) == (1, 4 * H, 4.0, 40.0)


def test_the_same_time_on_two_machines_is_two_failures() -> None:
    repairs = [RepairInterval(1, 10 * H, 12 * H), RepairInterval(2, 10 * H, 12 * H)]
    assert reliability(repairs, 80 * H, *PERIOD).failures == 2


def test_a_repair_running_into_the_period_counts_its_time_but_not_its_failure() -> None:
    repairs = [RepairInterval(1, -2 * H, 3 * H), RepairInterval(1, 98 * H, 104 * H)]
    figures = reliability(repairs, 50 * H, *PERIOD)
    assert figures.failures == 1  # only the one that began inside
    assert figures.repair_us == 5 * H  # 3 h + 2 h inside the period
    assert figures.mttr_h == 5.0


def test_no_failures_and_no_data_say_so() -> None:
    quiet = reliability([], 90 * H, *PERIOD)
    assert (quiet.status, quiet.mtbf_us, quiet.mttr_us, quiet.availability) == (Status.NO_FAILURES, None, None, 1.0)
    unknown = reliability([RepairInterval(1, H, 2 * H)], None, *PERIOD)
    assert unknown.status is Status.NO_OPERATING_DATA
    assert (unknown.mtbf_us, unknown.availability, unknown.mttr_h) == (None, None, 1.0)


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InputError) as caught:
        reliability([RepairInterval(1, 5 * H, 5 * H)], 1, *PERIOD)
    assert caught.value.fields[0].field == "repairs[0]"
    with pytest.raises(InputError, match="period"):
        reliability([], 1, 10, 10)


def test_per_failure_mode_uses_the_fleet_operating_time() -> None:
    repairs = [
        RepairInterval(1, 10 * H, 11 * H, "VIB"),
        RepairInterval(2, 20 * H, 23 * H, "VIB"),
        RepairInterval(2, 30 * H, 32 * H, "OHE"),
    ]
    modes = by_failure_mode(repairs, {1: 60 * H, 2: 40 * H}, *PERIOD)
    assert list(modes) == ["OHE", "VIB"]
    assert (modes["VIB"].failures, modes["VIB"].mttr_h, modes["VIB"].mtbf_h) == (2, 2.0, 50.0)
    assert (modes["OHE"].failures, modes["OHE"].mttr_h, modes["OHE"].mtbf_h) == (1, 2.0, 100.0)
    assert by_failure_mode(repairs, {1: 60 * H, 2: None}, *PERIOD)["VIB"].status is Status.NO_OPERATING_DATA


def test_operating_time_is_executing_outside_maintenance() -> None:
    spans = [
        LedgerSpan(0, 2 * H, St.EXECUTING, Mo.PROCESSING),
        LedgerSpan(2 * H, 3 * H, St.EXECUTING, Mo.SETUP),
        LedgerSpan(3 * H, 4 * H, St.EXECUTING, Mo.MAINTENANCE),
        LedgerSpan(4 * H, 5 * H, St.NOT_EXECUTING, Mo.PROCESSING),
        LedgerSpan(5 * H, 8 * H, St.EXECUTING, Mo.NONE),
    ]
    assert operating_us(spans, H, 7 * H) == (1 + 1 + 2) * H


LEDGER = [
    LedgerSpan(0, 9 * H, St.EXECUTING, Mo.PROCESSING),
    LedgerSpan(9 * H, 10 * H, St.OUT_OF_SERVICE, Mo.NONE),  # the breakdown …
    LedgerSpan(10 * H, 11 * H, St.NOT_EXECUTING, Mo.MAINTENANCE),  # … and the repair touching it
    LedgerSpan(11 * H, 20 * H, St.EXECUTING, Mo.PROCESSING),
]


def test_the_repair_is_the_down_run_around_the_order() -> None:
    # The order was written at 9:30 and closed at 10:45; the machine was down 9:00–11:00.
    matched = match_repair(LEDGER, 9 * H + H // 2, 10 * H + 3 * H // 4)
    assert matched == (9 * H, 11 * H, RepairSource.LEDGER)


def test_without_ledger_data_the_order_times_are_used_and_marked() -> None:
    assert match_repair(LEDGER, 30 * H, 31 * H) == (30 * H, 31 * H, RepairSource.ORDER_NO_LEDGER)
    assert match_repair(LEDGER, 13 * H, 14 * H) == (13 * H, 14 * H, RepairSource.ORDER_NO_DOWN_STATE)


def test_slack_reaches_a_down_run_just_outside_the_order() -> None:
    assert match_repair(LEDGER, 11 * H + H // 4, 12 * H).source is RepairSource.ORDER_NO_DOWN_STATE
    assert match_repair(LEDGER, 11 * H + H // 4, 12 * H, slack_us=H // 2).source is RepairSource.LEDGER
